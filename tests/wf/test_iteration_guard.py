"""A method is not a value in ``.wf`` however the program comes by it (issue 11): not only through ``x.name``
but through every place where an application's class runs code for the program — its ``__iter__`` (a ``for``
loop, with or without a step in the body, a comprehension, unpacking, ``list``/``sorted``/``dict``/``min``,
``zip``/``enumerate``, ``values`` of a mapping of its own), its ``__getitem__`` with a slice, its operators.

Generated application classes (their items a seeded mix of data, bound methods, functions and tuples holding
them; ``__iter__`` a generator or an iterator over a list) are read by generated ``.wf`` programs, each construct
in a ``try`` that catches ``AttributeError``; the oracle is Python: the construct run on the same object in
Python, refused exactly when what it gives holds a method. Both runners (``wfc.testing`` and ``wfc.Runtime`` on
SQLite) must agree with it, and an uncaught refusal fails its instance, never the worker."""

from __future__ import annotations

import random
import re
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import wfc
import wfc.dsl
import wfc.testing
from wfc.runtime.attribute_guard import MethodNotAValue

SEED = 20261202
KINDS = ["int", "str", "method", "function", "tuple", "tuple_method", "list_method"]


def _item(kind: str, n: int) -> str:
    """The source of one item an application's iteration gives (inside a method: ``self`` is the object)."""
    return {
        "int": str(n),
        "str": f"'s{n}'",
        "method": "self.total",
        "function": "len",
        "tuple": f"({n}, 'a')",
        "tuple_method": f"({n}, self.total)",
        "list_method": "[self.total]",
    }[kind]


def _class(i: int, rng: random.Random) -> tuple[str, list[str]]:
    kinds = [rng.choice(KINDS) for _ in range(2)]
    items = ", ".join(_item(k, n) for n, k in enumerate(kinds))
    style = rng.choice(["generator", "iterator"])
    body = (
        f"        yield from [{items}]" if style == "generator" else f"        return iter([{items}])"
    )
    result = rng.choice(["method", "data"])
    op = "self.total" if result == "method" else "41"
    source = (
        f"@dataclasses.dataclass\nclass Bag{i}:\n"
        "    n: int = 0\n\n"
        "    def total(self):\n        return 1\n"
        "    def __iter__(self):\n"
        f"{body}\n"
        "    def __getitem__(self, key):\n"
        f"        return [{items}][key]\n"
        "    def __add__(self, other):\n"
        f"        return {op}\n"
        "    def __neg__(self):\n"
        f"        return {op}\n"
        "    def __lt__(self, other):\n"
        f"        return {op}\n"
        "    def values(self):\n"
        f"        return iter([{items}])\n\n\n"
        f"@wfc.step\ndef bag_{i}():\n    return Bag{i}()\n"
    )
    return source, kinds


# (the .wf statement(s), what Python gives for it: the values the program would hold)
CONSTRUCTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "for": ("for v in x { out += [v] }", lambda x: [v for v in x]),
    "for_step": ("for v in x { y = m.one(); out += [v] }", lambda x: [v for v in x]),
    "for_pairs": ("for i, v in enumerate(x) { out += [v] }", lambda x: [v for _, v in enumerate(x)]),
    "for_pairs_step": (
        "for i, v in enumerate(x) { y = m.one(); out += [v] }",
        lambda x: [v for _, v in enumerate(x)],
    ),
    "for_zip": ("for a, b in zip(x, [1, 2]) { out += [a] }", lambda x: [a for a, _ in zip(x, [1, 2])]),
    "comprehension": ("out = [v for v in x]", lambda x: [v for v in x]),
    "unpack": ("a, b = x; out = [a, b]", lambda x: list(x)),
    "list": ("out = list(x)", lambda x: list(x)),
    "dict": ("out = dict(zip(x, x))", lambda x: dict(zip(x, x))),
    "zip_list": ("out = list(zip(x, x))", lambda x: list(zip(x, x))),
    "values": ("out = values(x)", lambda x: list(x.values())),
    "for_values": ("for v in values(x) { out += [v] }", lambda x: list(x.values())),
    "slice": ("out = x[0:2]", lambda x: x[0:2]),
    "plus": ("out = x + 1", lambda x: x + 1),
    "negative": ("out = -x", lambda x: -x),
    "less": ("out = x < 1", lambda x: x < 1),
    "add_to": ("y = x; y += 1; out = y", lambda x: x + 1),
}


def _has_method(value: Any) -> bool:
    if isinstance(value, types.MethodType | types.BuiltinFunctionType | types.FunctionType):
        return True
    if isinstance(value, list | tuple):
        return any(_has_method(v) for v in value)
    if isinstance(value, dict):
        return any(_has_method(k) or _has_method(v) for k, v in value.items())
    return False


def _program(module: str, i: int, construct: str) -> str:
    statement = CONSTRUCTS[construct][0]
    return (
        f'import "./{module}.py" as m\n'
        f"workflow w{i}() -> any {{\n"
        f"    x = m.bag_{i}()\n"
        "    out = []\n"
        f'    try {{ {statement}; return ["data", "{{out}}"] }} catch AttributeError as e '
        '{ return ["refused", str(e)] }\n'
        "}\n"
    )


LINE = 5  # the line of the try in _program


def _expected(obj: Any, construct: str) -> list[Any]:
    try:
        got = CONSTRUCTS[construct][1](obj)
    except TypeError as exc:  # Python's own (a method is not orderable): the .wf program says the same
        return ["error", str(exc)]
    if _has_method(got):
        return ["refused", LINE]
    return ["data", f"{got}"]


def _observed(out: Any) -> list[Any]:
    tag, text = out
    if tag == "refused":
        found = re.search(r"is a (?:method|function), not a value \(.*\.wf:(\d+)\)", text)
        assert found, text
        assert "0x" not in text, text  # the refusal itself shows no address
        return ["refused", int(found.group(1))]
    assert "0x" not in text and "bound method" not in text, text
    return [tag, text]


STEPS = "import dataclasses\n\nimport wfc\n\n\n@wfc.step\ndef one():\n    return 1\n"


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[tuple[str, types.ModuleType, list[list[str]]]]:
    rng = random.Random(SEED)
    parts, kinds = [STEPS], []
    for i in range(14):
        source, k = _class(i, rng)
        parts.append(source)
        kinds.append(k)
    name = f"gen_iter_{SEED}"
    (tmp_path / f"{name}.py").write_text("\n\n".join(parts))
    sys.path.insert(0, str(tmp_path))
    try:
        yield name, __import__(name), kinds
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def test_every_construct_over_generated_classes_in_both_runners(
    tmp_path: Path, generated: tuple[str, types.ModuleType, list[list[str]]]
) -> None:
    module, mod, kinds = generated
    rt = wfc.Runtime("sqlite:///:memory:")  # what it checks is the values, not the file: no fsync per program
    refused = data = 0
    try:
        for i in range(len(kinds)):
            obj = getattr(mod, f"bag_{i}").fn()
            for construct in CONSTRUCTS:
                path = tmp_path / f"p{i}_{construct}.wf"
                path.write_text(_program(module, i, construct))
                [defn] = wfc.dsl.load(path).values()
                expected = _expected(obj, construct)
                if expected[0] == "error":
                    with pytest.raises(TypeError, match=re.escape(expected[1])):
                        wfc.testing.run(defn)
                    continue
                assert _observed(wfc.testing.run(defn)) == expected, (construct, kinds[i])
                iid = rt.start(defn)
                rt.run_until_complete(iid, timeout=60)
                assert _observed(rt.result(iid)) == expected, (construct, kinds[i], "durable")
                refused += expected[0] == "refused"
                data += expected[0] == "data"
    finally:
        rt.close()
    assert refused > 40 and data > 40, (refused, data)  # the generator covers both outcomes


def test_an_uncaught_refusal_fails_its_instance_and_the_others_complete(
    tmp_path: Path, generated: tuple[str, types.ModuleType, list[list[str]]]
) -> None:
    module, _mod, kinds = generated
    bad = next(i for i, k in enumerate(kinds) if k[0] == "method")
    text = (
        f'import "./{module}.py" as m\n'
        f"workflow bad() -> any {{\n    x = m.bag_{bad}()\n    for v in x {{\n        y = m.one()\n    }}\n"
        '    return "unreached"\n}\n'
        'workflow good(n: int) -> any {\n    y = m.one()\n    return n + y\n}\n'
    )
    path = tmp_path / "mixed.wf"
    path.write_text(text)
    defs = wfc.dsl.load(path)
    with pytest.raises(MethodNotAValue) as info:
        wfc.testing.run(defs["bad"])
    assert info.value.code == "WFC457" and info.value.hint
    assert f"an item of a value that a loop goes through is a method, not a value ({path}:4)" in str(info.value)
    rt = wfc.Runtime(f"sqlite:///{tmp_path / 'm.db'}", workflows=list(defs.values()))
    try:
        good = [rt.start(defs["good"], n) for n in range(5)]
        bads = [rt.start(defs["bad"]) for _ in range(3)]
        rt.run_until_idle()
        assert [rt.result(g) for g in good] == [1, 2, 3, 4, 5]
        for b in bads:
            status = rt.status(b)
            assert status.state.value == "failed", status
            assert "MethodNotAValue" in (status.error or "") and "mixed.wf:4)" in (status.error or "")
    finally:
        rt.close()


def test_what_a_classs_own_reversed_gives(tmp_path: Path) -> None:
    (tmp_path / "rev_iter.py").write_text(
        "import dataclasses\nimport wfc\n\n@dataclasses.dataclass\nclass Odd:\n    n: int = 0\n"
        "    def total(self):\n        return 1\n    def __reversed__(self):\n        return self.total\n\n"
        "@dataclasses.dataclass\nclass Fine:\n    n: int = 0\n    def __reversed__(self):\n"
        "        yield from [3, 2, 1]\n\n@wfc.step\ndef odd():\n    return Odd()\n\n"
        "@wfc.step\ndef fine():\n    return Fine()\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        path = tmp_path / "rev.wf"
        path.write_text(
            'import "./rev_iter.py" as m\nworkflow odd() -> any {\n    x = m.odd()\n    r = reversed(x)\n'
            '    return 1\n}\nworkflow fine() -> any {\n    x = m.fine()\n    r = reversed(x)\n'
            "    return [v for v in r]\n}\n"
        )
        defs = wfc.dsl.load(path)
        with pytest.raises(MethodNotAValue, match=r"the result of `reversed\(\.\.\.\)` is a method"):
            wfc.testing.run(defs["odd"])
        assert wfc.testing.run(defs["fine"]) == [3, 2, 1]  # a generator is what __reversed__ should give
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("rev_iter", None)


def test_a_method_inside_an_applications_container_is_refused_where_it_would_show(tmp_path: Path) -> None:
    (tmp_path / "boxes_iter.py").write_text(
        "import dataclasses\nimport wfc\n\n@dataclasses.dataclass\nclass Box:\n    def total(self):\n        return 1\n    @property\n    def pair(self):\n"
        "        return (self.total, 1)\n\n@wfc.step\ndef box():\n    return Box()\n\n"
        "@wfc.step\ndef echo(v):\n    return 1\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        head = 'import "./boxes_iter.py" as m\nworkflow w() -> any {\n    x = m.box()\n'
        for i, (body, how) in enumerate(
            [
                ('    return "{x.pair}"\n', "made into text"),
                ("    return str(x.pair)\n", "made into text"),
                ("    return m.echo(x.pair)\n", "handed to a call"),
                ('    log x.pair\n    return 1\n', "handed to a call"),
                ("    return x.pair\n", "returned"),
                ('    fail x.pair\n', "handed to a call"),
                ("    p = x.pair\n    return p[0]\n", r"`\[\.\.\.\]` of a `tuple` value"),
            ]
        ):
            path = tmp_path / f"c{i}.wf"
            path.write_text(head + body + "}\n")
            [defn] = wfc.dsl.load(path).values()
            with pytest.raises(MethodNotAValue, match=how):
                wfc.testing.run(defn)
        path = tmp_path / "ok.wf"
        path.write_text(head + '    p = x.pair\n    return "{p[1]} {len(p)}"\n}\n')  # the data in it: data
        [defn] = wfc.dsl.load(path).values()
        assert wfc.testing.run(defn) == "1 2"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("boxes_iter", None)
