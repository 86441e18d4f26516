"""A method is not a value in ``.wf`` (issue 11), whatever its name: generated classes of many shapes (data
classes, slotted and frozen ones, attrs classes, named tuples, exceptions, enums) with fields, properties and
methods named like the methods of built-in values (``count``, ``index``, ``get``, ``keys``...), read by
generated ``.wf`` programs in both runners; and every attribute of the values a ``.wf`` file makes itself
(literals, built-ins, declared parameters, caught errors), judged by ``wfc check``."""

from __future__ import annotations

import datetime as dt
import inspect
import random
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wfc
import wfc.dsl
import wfc.testing
from wfc.dsl.loader import definitions
from wfc.dsl.names import BLOCKED_ATTRIBUTES, WF_KEYWORDS, is_reserved
from wfc.runtime.attribute_guard import MethodNotAValue

from .support import analyze_text

SEED = 20240611
NAMES = [
    "count", "index", "get", "keys", "items", "values", "append", "upper", "split", "copy", "real", "year",
    "add_note", "isoformat", "strip", "total", "pop", "sort", "replace", "hex", "title", "imag", "conjugate",
    "days", "date", "denominator", "bit_length", "encode", "update", "clear", "setdefault", "startswith",
    "zfill", "label", "amount", "args", "name", "value", "lower", "join", "find", "extend", "remove",
]  # fmt: skip
SHAPES = [
    "dataclass",
    "dataclass_slots",
    "dataclass_frozen",
    "attrs",
    "attrs_frozen",
    "namedtuple",
    "error",
    "enum",
]
MEMBERS = ["method", "property", "classmethod", "staticmethod"]


def _class_source(rng: random.Random, shape: str, cls: str) -> tuple[str, dict[str, str], list[str]]:
    """The source of one class, for each attribute it defines whether reading it gives data, and its fields."""
    pool = [n for n in NAMES if not (shape == "enum" and n in ("name", "value"))]
    if shape == "error":
        pool = [n for n in pool if n not in ("args", "add_note")]
    picked = rng.sample(pool, rng.randint(2, 7))
    cut = rng.randint(1, len(picked) - 1)
    fields, members = picked[:cut], picked[cut:]
    kinds = {m: rng.choice(MEMBERS) for m in members}
    lines: list[str] = []
    if shape == "dataclass":
        lines += ["@dataclasses.dataclass", f"class {cls}:"]
    elif shape == "dataclass_slots":
        lines += ["@dataclasses.dataclass(slots=True)", f"class {cls}:"]
    elif shape == "dataclass_frozen":
        lines += ["@dataclasses.dataclass(frozen=True)", f"class {cls}:"]
    elif shape == "attrs":
        lines += ["@attrs.define", f"class {cls}:"]
    elif shape == "attrs_frozen":
        lines += ["@attrs.frozen", f"class {cls}:"]
    elif shape == "namedtuple":
        lines += [f"class {cls}(typing.NamedTuple):"]
    elif shape == "error":
        lines += [f"class {cls}(Exception):"]
    else:
        lines += [f"class {cls}(enum.Enum):"]
    if shape == "error":
        params = ", ".join(f"{f}=0" for f in fields)
        lines.append(f"    def __init__(self, {params}):")
        lines.append(f"        super().__init__({fields[0]})")
        lines += [f"        self.{f} = {f}" for f in fields]
    elif shape == "enum":
        lines += [f"    {f.upper()}_{i} = {i + 1}" for i, f in enumerate(fields)]
    else:
        lines += [f"    {f}: int = 0" for f in fields]
    for m, kind in kinds.items():
        if kind == "method":
            lines += [f"    def {m}(self):", "        return 1"]
        elif kind == "property":
            lines += ["    @property", f"    def {m}(self):", "        return 2"]
        elif kind == "classmethod":
            lines += ["    @classmethod", f"    def {m}(cls):", "        return 3"]
        else:
            lines += ["    @staticmethod", f"    def {m}():", "        return 4"]
    data = (
        {f: "data" for f in fields} if shape != "enum" else {}
    )  # an enum's members are not read from a member
    data.update({m: "data" if k == "property" else "method" for m, k in kinds.items()})
    return "\n".join(lines), data, fields


def _make(shape: str, cls: str, fields: list[str], rng: random.Random) -> str:
    if shape == "enum":
        return f"{cls}.{fields[0].upper()}_0"
    values = ", ".join(f"{f}={rng.randint(1, 99)}" for f in fields)
    return f"{cls}({values})"


def _cases(count: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    rng = random.Random(SEED)
    for i in range(count):
        shape = SHAPES[i % len(SHAPES)]
        cls = f"C{i}"
        source, data, fields = _class_source(rng, shape, cls)
        make = _make(shape, cls, fields, rng)
        # names the class does not define: inherited ones (tuple.count, BaseException.add_note, Enum.name)
        extra = [n for n in rng.sample(NAMES, 8) if n not in data]
        yield (
            source + f"\n\n\n@wfc.step\ndef make_{i}():\n    return {make}\n",
            cls,
            {**data, **dict.fromkeys(extra, "")},
        )


def _module(tmp_path: Path, count: int) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    parts = ["import dataclasses", "import enum", "import typing", "", "import attrs", "", "import wfc", ""]
    cases = []
    for i, (source, _cls, reads) in enumerate(_cases(count)):
        parts += ["", source]
        cases.append((i, reads))
    name = f"gen_attrs_{SEED}"
    (tmp_path / f"{name}.py").write_text("\n".join(parts) + "\n")
    return name, cases


def _program(module: str, i: int, reads: list[str]) -> str:
    lines = [
        f'import "./{module}.py" as m',
        f"workflow w{i}() -> any {{",
        f"    x = m.make_{i}()",
        "    out = []",
    ]
    for n in reads:
        lines.append(
            f'    try {{ v = x.{n}; out = out + [["data", v]] }} catch AttributeError as e {{ out = out + [["refused", str(e)]] }}'
        )
    lines += ["    return out", "}"]
    return "\n".join(lines) + "\n"


def _expected(value: object, name: str, kind: str, line: int) -> list[Any]:
    """What reading ``value.name`` gives a ``.wf`` program: by construction for what the class defines, by
    Python's own ``callable`` for what it inherits."""
    if kind == "":
        if not hasattr(value, name):
            return ["missing"]
        kind = "method" if callable(getattr(value, name)) else "data"
    if kind == "method":
        return ["refused", line]
    return ["data", getattr(value, name)]


def _observed(out: list[list[Any]]) -> list[list[Any]]:
    shown = []
    for tag, v in out:
        if tag == "refused":
            text = str(v)
            where = re.search(r"is a (?:method|function), not a value \(.*\.wf:(\d+)\)", text)
            if where:
                shown.append(["refused", int(where.group(1))])
            else:
                shown.append(["missing"])
        else:
            shown.append([tag, v])
    return shown


def _durable(defn: Any) -> Any:
    rt = wfc.Runtime("sqlite:///:memory:", workflows=[defn])
    try:
        iid = rt.start(defn)
        rt.run_until_idle()
        status = rt.status(iid)
        return rt.result(iid) if status.state.value == "completed" else status
    finally:
        rt.close()


def test_generated_classes_read_as_data_or_refused_in_both_runners(tmp_path: Path) -> None:
    count = 24
    module, cases = _module(tmp_path, count)
    sys.path.insert(0, str(tmp_path))
    try:
        mod = __import__(module)
        checked = 0
        for i, reads in cases:
            names = list(reads)
            text = _program(module, i, names)
            path = tmp_path / f"p{i}.wf"
            path.write_text(text)
            [defn] = wfc.dsl.load(path).values()
            value = getattr(mod, f"make_{i}").fn()
            expected = [_expected(value, n, reads[n], 5 + k) for k, n in enumerate(names)]
            got_testing = _observed(wfc.testing.run(defn))
            assert got_testing == expected, (text, value)
            assert _observed(_durable(defn)) == expected, text
            checked += len(names)
        assert checked > 150
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(module, None)


def test_an_uncaught_method_read_fails_the_instance_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "mshop.py").write_text(
        "import dataclasses\nimport wfc\n\n@dataclasses.dataclass\nclass Order:\n    count: int\n    index: int\n"
        "    def total(self):\n        return self.count * 2\n\n@wfc.step\ndef lookup():\n    return Order(3, 4)\n"
    )
    text = (
        'import "./mshop.py" as shop\nworkflow w() -> any {\n    o = shop.lookup()\n    n = o.count + o.index\n'
        '    return "{n} {o.total}"\n}\n'
    )
    (tmp_path / "t.wf").write_text(text)
    sys.path.insert(0, str(tmp_path))
    try:
        [defn] = wfc.dsl.load(tmp_path / "t.wf").values()
        with pytest.raises(MethodNotAValue) as info:
            wfc.testing.run(defn)
        assert info.value.code == "WFC457"
        assert f"`.total` of a `Order` value is a method, not a value ({tmp_path / 't.wf'}:5)" in str(
            info.value
        )
        assert info.value.hint
        status = _durable(defn)
        assert status.state.value == "failed"
        assert "MethodNotAValue" in status.error and "is a method, not a value" in status.error, status.error
        assert "t.wf:5)" in status.error and "t.wf" in (status.traceback or ""), status
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("mshop", None)


# ---- what the file shows: wfc check decides ---------------------------------------------------------------------

_VALUES: dict[str, tuple[str, Any]] = {
    "str": ('"abc"', "abc"),
    "int": ("7", 7),
    "float": ("2.5", 2.5),
    "bool": ("true", True),
    "list": ("[1, 2]", [1, 2]),
    "dict": ('{"a": 1}', {"a": 1}),
    "range": ("range(3)", range(3)),
    "datetime": ("now()", dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
    "uuid": ("uuid()", uuid.UUID(int=5, version=4)),
    "fstring": ('"a{1}"', "a1"),
    "split": ('split("a b")', ["a", "b"]),
}


def _usable(name: str) -> bool:
    return not is_reserved(name) and name not in BLOCKED_ATTRIBUTES and not name.startswith("_")


@pytest.mark.parametrize("kind", sorted(_VALUES))
def test_check_refuses_every_method_of_a_value_the_file_shows(kind: str) -> None:
    spelled, sample = _VALUES[kind]
    names = [n for n in dir(sample) if _usable(n)]
    assert names
    for name in names:
        text = f"workflow w() -> any {{\n    x = {spelled}\n    return x.{name}\n}}\n"
        found = [d for d in analyze_text(text).diagnostics if d.is_error]
        if callable(getattr(sample, name)):
            assert [d.code for d in found] == ["WFC144"], (kind, name)
            assert "is a method of" in found[0].message and found[0].span.line == 3
        else:
            assert found == [], (kind, name, [d.render() for d in found])


@pytest.mark.parametrize(
    ("param", "sample"),
    [
        ("d: dict", {"k": 1}),
        ("xs: list", [1]),
        ("n: int", 3),
        ("s: str", "x"),
        ("f: float", 1.5),
        ("b: bool", True),
    ],
)
def test_check_refuses_methods_of_declared_parameters(param: str, sample: Any) -> None:
    name = param.split(":")[0]
    for attr in [n for n in dir(sample) if _usable(n)]:
        text = f"workflow w({param}) -> any {{\n    return {name}.{attr}\n}}\n"
        found = [d.code for d in analyze_text(text).diagnostics if d.is_error]
        assert found == (["WFC144"] if callable(getattr(sample, attr)) else []), (param, attr)


def test_check_refuses_methods_of_caught_errors_and_keeps_their_data() -> None:
    for catch, attr, refused in [
        ("Exception", "add_note", True),
        ("Exception", "args", False),
        ("StepFailed", "add_note", True),
        ("ValueError", "args", False),
        ("KeyError", "with_traceback", True),
    ]:
        text = (
            f'workflow w() -> any {{\n    try {{ fail "x" }} catch {catch} as e {{ return e.{attr} }}\n}}\n'
        )
        found = [d.code for d in analyze_text(text).diagnostics if d.is_error]
        assert found == (["WFC144"] if refused else []), (catch, attr)


def test_a_variable_bound_to_unknown_values_is_decided_at_run_time(tmp_path: Path) -> None:
    # `x` is a list once and a step's result once: the file cannot tell, so check accepts and the read decides
    text = (
        'import shop\nworkflow w(flag: bool) -> any {\n    x = [1]\n    if flag { x = shop.lookup("o") }\n'
        "    return x.count\n}\n"
    )
    found = [d for d in analyze_text(text).diagnostics if d.is_error]
    assert found == [], [d.render() for d in found]


def test_data_attributes_of_values_the_file_shows_run_as_in_python() -> None:
    cases = {"int": "real", "float": "imag", "range": "stop", "datetime": "year", "uuid": "hex"}
    start = _VALUES["datetime"][1]
    for kind, attr in cases.items():
        spelled, sample = _VALUES[kind]
        [defn] = definitions(
            analyze_text(f"workflow w() -> any {{\n    return {spelled}.{attr}\n}}\n")
        ).values()
        got = wfc.testing.run(defn, start=start)
        if kind != "uuid":
            assert got == getattr(sample, attr), kind
        else:
            assert isinstance(got, str) and len(got) == 32


# ---- every attribute of every kind of value a step can give a .wf workflow -------------------------------------

STEPS = """
import collections, dataclasses, datetime as dt, decimal, enum, fractions, os, uuid, zoneinfo

import wfc


class Color(enum.Enum):
    RED = 1


class Mode(enum.StrEnum):
    FAST = "fast"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Box:
    count: int = 1
    index: int = 2
    keys: str = "k"
    tool = os  # a class attribute holding a module: no path to its globals
    code = (lambda: 0).__code__

    def __getitem__(self, key):
        return self.total if key == "total" else key * 2

    def total(self):
        return 3

    @property
    def frames(self):
        return (i for i in range(2))


SAMPLES = {
    "str": "abc", "bytes": b"ab", "int": 7, "float": 2.5, "bool": True, "complex": 1 + 2j,
    "list": [1, 2], "tuple": (1, 2), "dict": {"a": 1}, "set": {1}, "frozenset": frozenset({1}),
    "datetime": dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "date": dt.date(2030, 1, 2),
    "time": dt.time(3, 4), "timedelta": dt.timedelta(days=2, seconds=5),
    "zoned": dt.datetime(2030, 1, 2, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    "decimal": decimal.Decimal("1.50"), "fraction": fractions.Fraction(1, 3), "uuid": uuid.UUID(int=5, version=4),
    "enum": Color.RED, "strenum": Mode.FAST, "intenum": Level.HIGH,
    "counter": collections.Counter("aab"), "ordered": collections.OrderedDict(a=1),
    "deque": collections.deque([1], maxlen=3), "defaultdict": collections.defaultdict(list, a=[1]),
    "dataclass": Box(), "error": OSError(2, "gone", "/x"), "class": ValueError,
}


@wfc.step
def sample(kind):
    return SAMPLES[kind]
"""


def _python_says(value: object, name: str) -> list[Any]:
    """What reading ``value.name`` must give, by Python's own classification of the attribute's value."""
    try:
        found = getattr(value, name)
    except AttributeError:
        return ["missing"]
    if (
        inspect.isroutine(found)
        or inspect.isdatadescriptor(found)
        or inspect.ismethoddescriptor(found)
        or inspect.ismodule(found)
        or inspect.iscode(found)
        or inspect.isgenerator(found)
    ):
        return ["refused"]
    return ["data", str(found)]


def test_every_attribute_of_every_kind_of_step_result(tmp_path: Path) -> None:
    (tmp_path / "kinds.py").write_text(STEPS)
    sys.path.insert(0, str(tmp_path))
    try:
        mod = __import__("kinds")
        rt = wfc.Runtime("sqlite:///:memory:")
        try:
            for kind, value in mod.SAMPLES.items():
                names = [n for n in dir(value) if _usable(n) and n not in WF_KEYWORDS]
                lines = [
                    'import "./kinds.py" as m',
                    "workflow w() -> any {",
                    f'    x = m.sample("{kind}")',
                    "    out = []",
                ]
                lines += [
                    f'    try {{ v = x.{n}; out = out + [["data", str(v)]] }} catch AttributeError as e '
                    f'{{ out = out + [["refused", str(e)]] }}'
                    for n in names
                ]
                path = tmp_path / f"{kind}.wf"
                path.write_text("\n".join([*lines, "    return out", "}"]) + "\n")
                [defn] = wfc.dsl.load(path).values()
                expected = [_python_says(value, n) for n in names]
                for got in (wfc.testing.run(defn), _in(rt, defn)):
                    shown = [["refused"] if t == "refused" and "not a value" in v else ["missing"] if t == "refused" else [t, v]
                             for t, v in got]  # fmt: skip
                    assert shown == expected, kind
                    assert not any("0x" in v for t, v in got if t == "data"), kind
        finally:
            rt.close()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("kinds", None)


def _in(rt: wfc.Runtime, defn: Any) -> Any:
    iid = rt.start(defn)
    rt.run_until_complete(iid, timeout=60)
    return rt.result(iid)


def test_a_module_or_code_object_behind_an_attribute_is_not_a_value(tmp_path: Path) -> None:
    (tmp_path / "boxes.py").write_text(STEPS)
    text = 'import "./boxes.py" as m\nworkflow w(name: str) -> any {\n    x = m.sample("dataclass")\n'
    sys.path.insert(0, str(tmp_path))
    try:
        reads = [
            ("x.tool", "a module"),
            ("x.code", "interpreter's own objects"),
            ("x.frames", "interpreter"),
            ('x["total"]', r"`\[\.\.\.\]` of a `Box` value is a method"),  # its own __getitem__
        ]
        for i, (read, what) in enumerate(reads):
            path = tmp_path / f"r{i}.wf"
            path.write_text(text + f'    y = {read}\n    return "{{y}}"\n}}\n')
            [defn] = wfc.dsl.load(path).values()
            with pytest.raises(MethodNotAValue, match=what):
                wfc.testing.run(defn, "n")
        path = tmp_path / "data.wf"
        path.write_text(text + '    return [x[3], x["ab"]]\n}\n')  # its own __getitem__ giving data: data
        [defn] = wfc.dsl.load(path).values()
        assert wfc.testing.run(defn, "n") == [6, "abab"]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("boxes", None)
