"""``all_of`` gives at run time what its type says (issue 13): a tuple for separate commands (``all_of(a, b)``,
``all_of(*cmds)``), a list for one list (``all_of([...])``), nested groups alike, in ``wfc.testing`` and the
durable runtime; an instance suspended at an ``all_of`` before tuples were (its stored shape says nothing) still
resumes, with the list it was promised; a command persisted before still decodes."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import wfc
import wfc.testing
from wfc.commands import AllOf
from wfc.convert import decode, encode
from wfc.testing import FakeClock

from ..programgen import load_module

HEADER = "import wfc\n\n\n@wfc.step\ndef a(x):\n    return x + 1\n\n\n@wfc.step\ndef b(x):\n    return str(x)\n\n\n"


def _group(rng: random.Random, depth: int) -> tuple[str, Any]:
    """An ``all_of`` call and the value Python's typing promises for it (tuple for separate commands)."""
    n = rng.randint(0, 8)
    items: list[tuple[str, Any]] = []
    for i in range(n):
        if depth > 0 and rng.random() < 0.3:
            items.append(_group(rng, depth - 1))
        elif rng.random() < 0.5:
            items.append((f"a({i})", i + 1))
        else:
            items.append((f"b({i})", str(i)))
    form = rng.choice(["separate", "star", "list", "tuple"] if n else ["list", "separate"])
    sources = [s for s, _ in items]
    values = [v for _, v in items]
    if form == "separate":
        return f"wfc.all_of({', '.join(sources)})", tuple(values)
    if form == "star":
        return f"wfc.all_of(*[{', '.join(sources)}])", tuple(values)
    if form == "list":
        return f"wfc.all_of([{', '.join(sources)}])", values
    return f"wfc.all_of(({''.join(s + ', ' for s in sources)}))", values  # one tuple: a sequence of commands


def _durable(defn: Any, db: Path) -> Any:
    rt = wfc.Runtime(f"sqlite:///{db}", workflows=[defn], clock=FakeClock())
    try:
        iid = rt.start(defn)
        rt.run_until_complete(iid, timeout=60)
        return rt.result(iid)
    finally:
        rt.close()


def test_generated_groups_give_their_typed_value_in_both_runners(tmp_path: Path) -> None:
    rng = random.Random(13)
    lines, expected = [], []
    for i in range(30):
        source, value = _group(rng, 2)
        lines.append(f"    r{i} = yield {source}")
        expected.append(value)
    names = ", ".join(f"r{i}" for i in range(30))
    module = load_module(HEADER + "@wfc.workflow\ndef w():\n" + "\n".join(lines) + f"\n    return [{names}]\n",
                         tmp_path, "all_of_shapes")  # fmt: skip
    assert wfc.testing.run(module.w) == expected
    durable = _durable(module.w, tmp_path / "d.db")
    assert durable == expected
    assert [type(v) for v in durable] == [type(v) for v in expected]


def test_a_suspension_stored_before_tuples_resumes_with_a_list(tmp_path: Path) -> None:
    source = (
        "@wfc.workflow\ndef w():\n    pair = yield wfc.all_of(a(1), wfc.wait_event('go'))\n"
        "    return [pair, type(pair).__name__]\n"
    )
    module = load_module(HEADER + source, tmp_path, "all_of_old")
    db = tmp_path / "old.db"
    rt = wfc.Runtime(f"sqlite:///{db}", workflows=[module.w], clock=FakeClock())
    iid = rt.start(module.w)
    rt.run_until_idle()  # suspended at the all_of: the step done, the event awaited
    rt.close()
    with sqlite3.connect(db) as conn:
        [shape] = [row[0] for row in conn.execute("SELECT shape FROM history WHERE shape IS NOT NULL")]
        assert '"tuple":1' in shape
        conn.execute(
            "UPDATE history SET shape = ? WHERE shape IS NOT NULL", (shape.replace(',"tuple":1', ""),)
        )
    rt = wfc.Runtime(f"sqlite:///{db}", workflows=[module.w], clock=FakeClock())
    try:
        rt.send_event(iid, "go", "yes")
        rt.run_until_complete(iid, timeout=60)
        assert rt.result(iid) == [[2, "yes"], "list"]
    finally:
        rt.close()


def test_a_command_persisted_before_tuples_decodes_to_a_list_group() -> None:
    old = encode(wfc.all_of([wfc.sleep(1), wfc.sleep(2)]))
    assert decode(old) == AllOf((wfc.sleep(1), wfc.sleep(2)), separate=False)
    separate = encode(wfc.all_of(wfc.sleep(1), wfc.sleep(2)))
    assert decode(separate).separate is True
    stripped = _without(separate, "separate")
    assert stripped != separate and decode(stripped).separate is False


def _without(data: Any, key: str) -> Any:
    if isinstance(data, dict):
        return {k: _without(v, key) for k, v in data.items() if k != key}
    if isinstance(data, list):
        return [_without(v, key) for v in data]
    return data
