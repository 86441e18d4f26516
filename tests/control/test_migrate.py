"""rt.migrate(): in-flight instances move to the current code's table version, from every kind of state; a
state the new version cannot serve is refused per instance with the reason; an explicit mapping for the rest."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import wfc
from wfc.runtime import steps
from wfc.runtime.errors import MigrationError
from wfc.testing import FakeClock

_names = itertools.count()

STEPS = """
import wfc

FAILS = {}


@wfc.step
def fetch(n: int) -> int:
    return n


@wfc.step(retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=60.0, jitter=0.0))
def flaky(key: str) -> str:
    FAILS[key] = FAILS.get(key, 0) + 1
    if FAILS[key] <= 1:
        raise ConnectionError("once")
    return key


@wfc.workflow
def child(tag: str):
    value = yield wfc.wait_event("c")
    return f"{tag}{value}"
"""

# One workflow whose instances can be made to sit in every kind of state.
FLOW = """
@wfc.workflow
def flow(kind: str):
    total = 0
    if kind == "step":
        total += yield fetch(1)
    elif kind == "retry":
        got = yield flaky(kind)
        total += len(got)
    elif kind == "timer":
        yield wfc.sleep(3600)
        total += 2
    elif kind == "event":
        total += yield wfc.wait_event("go")
    elif kind == "child":
        got = yield child("x")
        total += len(got)
    elif kind == "all_of":
        parts = yield wfc.all_of(fetch(3), wfc.wait_event("go"))
        total += sum(parts)
    elif kind == "finally":
        for i in range(3):
            try:
                if i == 1:
                    break
                total += yield fetch(10)
            finally:
                yield wfc.wait_event("go")
    elif kind == "loop":
        for i in [5, 6, 7]:
            total += yield fetch(i).options(run_after=10)
    return total
"""

# The next version: every line moved (so every state id changes) and a step appended.
FLOW_V2 = "\n\n# version 2: moved down, and one more step at the end\n" + FLOW.replace(
    "    return total\n", "    extra = yield fetch(100)\n    return total + extra\n"
)
KINDS = ["step", "retry", "timer", "event", "child", "all_of", "finally", "loop", "none"]
EXPECTED = {"step": 1, "retry": 5, "timer": 2, "event": 4, "child": 2, "all_of": 7, "finally": 10, "loop": 18}


def load(name: str, directory: Path, source: str) -> ModuleType:
    """Import ``source`` as module ``name`` (again: the same name, so workflows keep their keys)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def drive(rt: wfc.Runtime, clock: FakeClock, rounds: int = 12) -> None:
    for _ in range(rounds):
        rt.run_until_idle()
        clock.advance(400)  # past every backoff and timer within a few rounds


def test_migration_of_instances_in_every_kind_of_state(tmp_path: Path) -> None:
    name = f"wfc_migflow_{next(_names)}"
    url = f"sqlite:///{tmp_path}/mig.db"
    clock = FakeClock(auto_advance=False)
    v1 = load(name, tmp_path / "v1", STEPS + FLOW)
    old = wfc.Runtime(url, clock=clock, workflows=[v1.flow, v1.child])
    ids = {kind: old.start(v1.flow, kind, id=kind) for kind in KINDS if kind not in ("step", "none")}
    old.run_until_idle()
    clock.advance(10)
    old.run_until_idle()  # the loop is at its second step; the retry waits 60 s for attempt 2
    ids["step"] = old.start(v1.flow, "step", id="step")
    (task,) = old.engine.cycle([], claim=64, capacity=64)  # a worker of the old deployment runs fetch(1)...
    ids["none"] = old.start(v1.flow, "none", id="none")  # ...and one instance has not started
    at = {kind: old.status(wid).state_id or "start" for kind, wid in ids.items()}
    assert old.status("retry").outstanding[0].attempts == 1
    assert old.history("all_of")[0].status == "completed" and old.history("all_of")[1].status == "pending"
    assert len(old.history("loop")) == 2 and old.status("child").children == ("child/1",)
    v1_flow, v1_child = old.status("event").table_hash, old.status("child/1").table_hash

    v2 = load(name, tmp_path / "v2", STEPS + FLOW_V2)
    rt = wfc.Runtime(url, clock=clock, workflows=[v2.flow, v2.child])
    report = rt.migrate(v2.flow, from_hash=v1_flow[:10])
    assert report.to_hash == wfc.compile(v2.flow).hash and not report.refused
    moved = {m.id: m for m in report.instances}
    assert set(moved) == set(KINDS)
    for kind in KINDS:
        assert moved[kind].outcome == "moved" and moved[kind].old_state == at[kind]
        assert rt.status(kind).table_hash == report.to_hash
        assert kind == "none" or moved[kind].new_state != at[kind]  # every state id changed with its line
    assert v1_child == wfc.compile(v2.child).hash  # the child's code did not change: it keeps running as is
    assert rt.migrate(v2.child, from_hash=v1_child).instances == ()

    stale = steps.run(task, clock.now, old.engine.limit)  # the old worker's attempt ends after the migration:
    old.engine.cycle([stale], claim=0, capacity=0)  # its lease was revoked, so its outcome is refused
    old.close()
    assert rt.status("step").state_id == moved["step"].new_state

    drive(rt, clock)
    for wid in ("event", "all_of", "finally"):
        rt.send_event(wid, "go", 4)
    rt.send_event("child/1", "c", 9)
    drive(rt, clock)
    rt.send_event("finally", "go", 4)  # the finally of the `break` waits again
    drive(rt, clock)
    results = {kind: rt.result(kind) for kind in KINDS}
    assert results == {
        kind: EXPECTED.get(kind, 0) + 100 for kind in KINDS
    }  # the new version's extra step ran
    rt.close()


V_NEEDS = """
@wfc.workflow
def flow():
    a = yield fetch(1)
    b = yield wfc.wait_event("go")
    return a + b
"""

V_NEEDS_2 = """
@wfc.workflow
def flow():
    a = yield fetch(1)
    bonus = a * 2
    b = yield wfc.wait_event("go")
    return a + b + bonus
"""

V_RENAMED = """
@wfc.workflow
def flow():
    a = yield fetch(1)
    b = yield wfc.wait_event("approve")
    return a + b
"""


def _two_instances(tmp_path: Path, name: str, url: str, clock: FakeClock) -> tuple[str, Any]:
    v1 = load(name, tmp_path / "v1", STEPS + V_NEEDS)
    with wfc.Runtime(url, clock=clock, workflows=[v1.flow]) as old:
        old.start(v1.flow, id="at-event")
        old.run_until_idle()
        old.start(v1.flow, id="at-start")
        return old.status("at-event").table_hash, old.status("at-event").state_id


def test_a_state_whose_variables_are_missing_is_refused_with_the_reason(tmp_path: Path) -> None:
    name, url, clock = f"wfc_migneeds_{next(_names)}", f"sqlite:///{tmp_path}/needs.db", FakeClock()
    v1_hash, at_event = _two_instances(tmp_path, name, url, clock)
    v2 = load(name, tmp_path / "v2", STEPS + V_NEEDS_2)
    with wfc.Runtime(url, clock=clock, workflows=[v2.flow]) as rt:
        dry = rt.migrate(v2.flow, v1_hash, dry_run=True)
        assert {(m.id, m.outcome) for m in dry.instances} == {
            ("at-event", "refused"),
            ("at-start", "would move"),
        }
        assert rt.status("at-start").table_hash == v1_hash  # a dry run changes nothing
        report = rt.migrate(v2.flow, v1_hash)
        (refused,) = report.refused
        assert refused.id == "at-event" and refused.old_state == at_event
        assert refused.reason is not None and "needs `bonus`" in refused.reason
        assert [m.id for m in report.moved] == ["at-start"]
        assert rt.status("at-event").table_hash == v1_hash  # untouched: it keeps its version
        rt.run_until_idle()
        rt.send_event("at-start", "go", 1)
        assert rt.run_until_complete("at-start") == 1 + 1 + 2


def test_an_explicit_mapping_for_a_state_the_compiler_cannot_match(tmp_path: Path) -> None:
    name, url, clock = f"wfc_migmap_{next(_names)}", f"sqlite:///{tmp_path}/map.db", FakeClock()
    v1_hash, at_event = _two_instances(tmp_path, name, url, clock)
    v2 = load(name, tmp_path / "v2", STEPS + V_RENAMED)
    with wfc.Runtime(url, clock=clock, workflows=[v2.flow]) as rt:
        (refused,) = rt.migrate(v2.flow, v1_hash, dry_run=True).refused
        assert refused.reason is not None and "give an explicit mapping" in refused.reason
        new_wait = next(s.id for s in wfc.compile(v2.flow).suspensions if "approve" in s.op.command.source)
        with pytest.raises(MigrationError, match="not a suspension") as info:
            rt.migrate(v2.flow, v1_hash, mapping={"L99.nowhere": new_wait})
        assert info.value.code == "WFC435"
        report = rt.migrate(v2.flow, v1_hash, mapping={at_event: new_wait})
        assert not report.refused and {m.id for m in report.moved} == {"at-event", "at-start"}
        rt.send_event("at-event", "go", 5)  # its outstanding wait is the old one: the new state receives it
        assert rt.run_until_complete("at-event") == 6


def test_bad_versions_are_refused(tmp_path: Path) -> None:
    name, url, clock = f"wfc_migbad_{next(_names)}", f"sqlite:///{tmp_path}/bad.db", FakeClock()
    v1_hash, _ = _two_instances(tmp_path, name, url, clock)
    v2 = load(name, tmp_path / "v2", STEPS + V_NEEDS_2)
    with wfc.Runtime(url, clock=clock, workflows=[v2.flow]) as rt:
        with pytest.raises(MigrationError, match="no table version"):
            rt.migrate(v2.flow, "ffff")
        with pytest.raises(MigrationError, match="not a table hash"):
            rt.migrate(v2.flow, "xyz")
        with pytest.raises(MigrationError, match="only move to the current code's version"):
            rt.migrate(v2.flow, v1_hash, to_hash=v1_hash)
        assert rt.table(v1_hash[:8]).hash == v1_hash
        same = rt.migrate(v2.flow, wfc.compile(v2.flow).hash)
        assert same.instances == ()  # from the current version to itself: nothing to move


V_FIRST = """
@wfc.workflow
def flow():
    a = yield fetch(1).options(run_after=60)
    b = yield wfc.wait_event("go")
    return a + b
"""

V_FIRST_2 = """
@wfc.workflow
def flow():
    z = yield fetch(0)
    a = yield fetch(1).options(run_after=60)
    b = yield wfc.wait_event("go")
    return a + b
"""


def test_an_instance_waiting_at_the_entry_state_is_not_a_not_started_one(tmp_path: Path) -> None:
    """The entry state is called `start` and suspends when the first line yields: an instance waiting there
    moves to the new suspension of its command, not to the new entry (which now waits for another step)."""
    name, url = f"wfc_migfirst_{next(_names)}", f"sqlite:///{tmp_path}/first.db"
    clock = FakeClock(auto_advance=False)
    v1 = load(name, tmp_path / "v1", STEPS + V_FIRST)
    with wfc.Runtime(url, clock=clock, workflows=[v1.flow]) as old:
        old.start(v1.flow, id="waiting")
        old.run_until_idle()
        assert old.status("waiting").state_id == "start"  # waiting for fetch(1), due in 60 s
        v1_hash = old.status("waiting").table_hash
    v2 = load(name, tmp_path / "v2", STEPS + V_FIRST_2)
    with wfc.Runtime(url, clock=clock, workflows=[v2.flow]) as rt:
        new_fetch = next(
            st.id for st in wfc.compile(v2.flow).suspensions if "fetch(1)" in st.op.command.source
        )
        (move,) = rt.migrate(v2.flow, v1_hash).instances
        assert (move.outcome, move.old_state, move.new_state) == ("moved", "start", new_fetch)
        clock.advance(60)
        rt.run_until_idle()
        rt.send_event("waiting", "go", 5)
        assert rt.run_until_complete("waiting") == 6
        assert [r.name for r in rt.history("waiting")] == ["fetch", "go"]  # the new first step is not run
