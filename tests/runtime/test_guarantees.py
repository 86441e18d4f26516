"""One test (or more) per guarantee in docs/guarantees.md."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.runtime.errors import ValueTooLarge
from wfc.runtime.steps import StepResult
from wfc.testing import FakeClock

from . import flows


def ledger(rt: wfc.Runtime) -> list[tuple[str, int]]:
    with rt.db() as db:
        return [tuple(r) for r in db.execute("SELECT key, value FROM ledger ORDER BY rowid").fetchall()]


@pytest.fixture
def ledger_rt(rt: wfc.Runtime) -> wfc.Runtime:
    with rt.db() as db:
        db.execute("CREATE TABLE ledger (key TEXT, value INTEGER)")
    return rt


# ---- G1: transitions load one row; resume cost does not depend on history length ------------------------------


def test_a_transition_costs_the_same_statements_at_step_10_and_step_500(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'g1.db'}", clock=FakeClock()) as rt:
        counts: list[int] = []
        statements: list[str] = []
        rt.store.conn.set_trace_callback(statements.append)
        wid = rt.start(flows.chain, 600)
        engine = rt.engine
        original = engine.cycle

        def counting(*args: Any, **kwargs: Any) -> Any:
            statements.clear()
            out = original(*args, **kwargs)
            counts.append(len(statements))
            return out

        engine.cycle = counting  # type: ignore[method-assign]
        rt.run_until_complete(wid)
        rt.store.conn.set_trace_callback(None)
    # a steady-state transition: BEGIN, UPDATE (the result), INSERT (the next step), COMMIT; every 16th cycle also
    # looks for other work (a claim; no savepoints: a cycle runs guarded only after an unguarded pass broke)
    assert set(counts[5:590]) <= {4, 5}
    assert sum(counts[10:106]) == sum(counts[490:586])


def test_the_claim_and_cursor_queries_use_indexes(rt: wfc.Runtime) -> None:
    from wfc.runtime.store.sqlite import store as store_sql

    plan = rt.store.conn.execute("EXPLAIN QUERY PLAN " + store_sql._CLAIM, (0, 0, 1)).fetchall()
    assert "history_due" in str(plan)
    for sql, params in [
        (f"SELECT {store_sql._LEAF_COLS} FROM history WHERE instance=? AND seq=?", (1, 1)),  # a suspension
        ("SELECT max(seq) FROM history WHERE instance=?", (1,)),  # an instance's current suspension
        (
            f"SELECT {store_sql._LEAF_COLS} FROM history WHERE instance=? ORDER BY seq, pos",
            (1,),
        ),  # its history
    ]:
        plan = str(rt.store.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert "USING PRIMARY KEY (instance=?" in plan and "SCAN" not in plan, (sql, plan)


# ---- G2: steps run at least once, retried per policy ------------------------------------------------------------


def test_steps_are_not_retried_by_default(rt: wfc.Runtime) -> None:
    flows.FLAKY.clear()
    assert rt.run_until_complete(rt.start(flows.not_retried, "g2a")) == "caught attempt 1 of g2a after 1"
    assert flows.FLAKY["g2a"] == 1


def test_retry_true_uses_the_runtime_default_policy(clock: FakeClock) -> None:
    flows.FLAKY.clear()
    policy = wfc.RetryPolicy(
        max_attempts=4, initial_backoff=2.0, backoff_base=3.0, max_backoff=10.0, jitter=0.0
    )
    with wfc.Runtime(clock=clock, retry=policy) as rt:
        t0 = clock.now()
        wid = rt.start(flows.retrying, "g2b", 3)
        assert rt.run_until_complete(wid) == "ok after 4"
        assert clock.now() - t0 == pytest.approx(2 + 6 + 10)  # 2, 2*3, min(2*9, 10): exponential, capped
        (record,) = rt.history(wid)
        assert record.attempts == 4 and record.status == "completed"


def test_the_runtime_default_applies_to_every_step(clock: FakeClock) -> None:
    flows.FLAKY.clear()
    with wfc.Runtime(clock=clock, retry=wfc.RetryPolicy(max_attempts=2, jitter=0.0)) as rt:
        assert rt.run_until_complete(rt.start(flows.not_retried, "g2c")) == "ok after 2"


def test_workflow_step_and_call_policies_override(rt: wfc.Runtime, clock: FakeClock) -> None:
    flows.FLAKY.clear()
    assert rt.run_until_complete(rt.start(flows.workflow_policy, "g2d", 1)) == "ok after 2"
    with pytest.raises(ConnectionError, match="attempt 2 of g2e") as info:
        rt.run_until_complete(rt.start(flows.workflow_policy, "g2e", 5))
    assert info.value.attempts == 2  # type: ignore[attr-defined]
    assert rt.run_until_complete(rt.start(flows.step_policy, "g2f", 2)) == "ok after 3"
    with pytest.raises(ConnectionError, match="attempt 1 of g2g"):
        rt.run_until_complete(rt.start(flows.never_retry, "g2g"))


def test_backoff_has_jitter_within_bounds(clock: FakeClock) -> None:
    flows.FLAKY.clear()
    policy = wfc.RetryPolicy(max_attempts=2, initial_backoff=10.0, jitter=0.5)
    waits = []
    for key in ("j1", "j2", "j3", "j4"):
        with wfc.Runtime(clock=clock, retry=policy) as rt:
            t0 = clock.now()
            rt.run_until_complete(rt.start(flows.retrying, key, 1))
            waits.append(clock.now() - t0)
    assert all(5.0 <= w <= 15.0 for w in waits)
    assert len(set(waits)) > 1


def test_a_retrying_step_shows_its_last_error(clock: FakeClock) -> None:
    flows.FLAKY.clear()
    clock.auto_advance = False
    with wfc.Runtime(clock=clock, retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=5, jitter=0)) as rt:
        wid = rt.start(flows.retrying, "g2h", 2)
        rt.run_until_idle()
        (pending,) = rt.status(wid).outstanding
        assert pending.attempts == 1 and pending.last_error == "ConnectionError: attempt 1 of g2h"
        clock.advance(5)
        rt.run_until_idle()
        clock.advance(10)
        rt.run_until_idle()
        assert rt.result(wid) == "ok after 3"


def test_a_step_result_is_delivered_once(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 3)
    engine = rt.engine
    tasks = engine.cycle([], claim=10, capacity=10)  # the start: schedules the first step, leased to us
    (task,) = tasks
    result = StepResult(task, 1, rt.clock.now(), ok=True, value=1, text="1")
    duplicate = StepResult(task, 1, rt.clock.now(), ok=True, value=1, text="1")
    (second,) = engine.cycle([result], claim=0, capacity=10)
    assert engine.cycle([duplicate], claim=0, capacity=10) == []  # already delivered: ignored
    engine.cycle([StepResult(second, 1, rt.clock.now(), ok=True, value=2, text="2")], claim=0, capacity=10)
    rt.run_until_complete(wid)
    assert [h.result for h in rt.history(wid)] == [1, 2, 3]


def test_a_result_from_a_lost_lease_is_ignored(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.chain, 2)
    (task,) = rt.engine.cycle([], claim=10, capacity=10)
    clock.advance(rt.lease + 1)  # our lease expired; another worker takes the step
    other = wfc.runtime.engine.Engine(rt.store, rt.deployment, clock, owner="other", lease=rt.lease)
    (stolen,) = other.cycle([], claim=10, capacity=10)
    assert stolen.leaf.key == task.leaf.key
    late = StepResult(task, 1, clock.now(), ok=True, value=99, text="99")
    assert rt.engine.cycle([late], claim=0, capacity=10) == []  # not ours any more
    other.cycle([StepResult(stolen, 1, clock.now(), ok=True, value=1, text="1")], claim=0, capacity=0)
    assert rt.run_until_complete(wid) == 2


# ---- G3: transactional steps: exactly once, atomic with the advance ----------------------------------------------


def test_transaction_steps_commit_with_the_advance(ledger_rt: wfc.Runtime) -> None:
    rt = ledger_rt
    wid = rt.start(flows.ledger, "a")
    assert rt.run_until_complete(wid) == 1
    assert ledger(rt) == [("a", 1)]
    assert [h.kind for h in rt.history(wid)] == ["tx", "step"]


def test_a_failed_transaction_step_rolls_back_its_writes(ledger_rt: wfc.Runtime) -> None:
    rt = ledger_rt
    assert rt.run_until_complete(rt.start(flows.ledger_fail, "b")) == "caught rolled back"
    assert ledger(rt) == []


def test_transaction_writes_roll_back_when_the_transition_does_not_commit(ledger_rt: wfc.Runtime) -> None:
    rt = ledger_rt
    wid = rt.start(flows.ledger, "c")
    rt.run_until_idle()  # ran: committed once
    assert ledger(rt) == [("c", 1)]
    wid2 = rt.start(flows.ledger, "d")
    original = rt.store.insert_leaf

    def broken(row: Any) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    rt.store.insert_leaf = broken  # type: ignore[method-assign]
    with pytest.raises(wfc.WfcError, match="full"):
        rt.run_until_idle()
    assert ledger(rt) == [("c", 1)]  # the transaction step's insert was rolled back with the transition
    rt.store.insert_leaf = original  # type: ignore[method-assign]
    rt.run_until_complete(wid2)
    assert ledger(rt) == [("c", 1), ("d", 1)]
    assert rt.result(wid) == 1 and rt.result(wid2) == 2


def test_transaction_handle_refuses_to_commit(ledger_rt: wfc.Runtime) -> None:
    with ledger_rt.db() as db, pytest.raises(wfc.WfcError, match="cannot call commit"):
        db.commit()


def test_inline_transaction_steps_run_inside_the_transition(ledger_rt: wfc.Runtime) -> None:
    rt = ledger_rt
    commits: list[str] = []
    rt.store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "BEGIN IMMEDIATE" else None)
    wid = rt.start(flows.ledger_inline, "i")
    assert rt.run_until_complete(wid) == 3
    rt.store.conn.set_trace_callback(None)
    assert ledger(rt) == [("i", 1), ("i", 2)]
    assert [h.kind for h in rt.history(wid)] == ["tx", "tx"]
    assert (
        len(commits) == 2
    )  # write transactions: start, then one transition that ran both steps and finished


def test_transaction_steps_are_retried_on_database_conflicts(ledger_rt: wfc.Runtime) -> None:
    rt = ledger_rt
    calls = {"n": 0}
    original = flows.record.fn

    def conflicting(db: Any, key: str, value: int) -> int:
        calls["n"] += 1
        if calls["n"] < 3:
            db.execute("INSERT INTO ledger VALUES ('conflict', 0)")
            raise sqlite3.OperationalError("database is locked")
        return original(db, key, value)

    object.__setattr__(flows.record, "fn", conflicting)
    try:
        assert rt.run_until_complete(rt.start(flows.ledger, "r")) == 1
    finally:
        object.__setattr__(flows.record, "fn", original)
    assert calls["n"] == 3 and ledger(rt) == [("r", 1)]


def test_a_broken_transition_rolls_back_its_cycle_and_blocks_only_its_instance(ledger_rt: wfc.Runtime) -> None:
    """A cycle runs its transitions without savepoints first; when one breaks (here: a cursor that does not decode),
    nothing of that pass is kept, and the cycle runs again with each transition in its own savepoint: the others,
    transactional steps included, take effect exactly once, and only the broken instance is blocked."""
    rt = ledger_rt
    waiting = [rt.start(flows.approval) for _ in range(4)]
    broken = rt.start(flows.approval)
    rt.run_until_idle()
    inst = rt.store.get_instance(broken)
    assert inst is not None
    (row,) = rt.store.current(inst.n)
    with rt.db() as db:
        db.execute(
            "UPDATE history SET snapshot = '{not json' WHERE instance = ? AND seq = ? AND pos = ?", row.key
        )
    ledgers = [rt.start(flows.ledger, f"k{i}") for i in range(3)]
    for i, wid in enumerate([*waiting, broken]):
        rt.send_event(wid, "approved", i)
    statements: list[str] = []
    rt.store.conn.set_trace_callback(statements.append)
    rt.run_until_idle()
    rt.store.conn.set_trace_callback(None)
    assert "ROLLBACK" in statements  # the unguarded pass broke and was undone
    assert [rt.result(w) for w in waiting] == [0, 1, 2, 3]
    assert sorted(rt.result(w) for w in ledgers) == [1, 2, 3]
    assert sorted(ledger(rt)) == [("k0", 1), ("k1", 1), ("k2", 1)]
    for wid in waiting + ledgers:
        records = rt.history(wid)
        assert len(records) == len({(r.seq, r.path) for r in records})  # no transition recorded twice
    status = rt.status(broken)
    assert status.blocked and not status.finished, status


# ---- G4: durable timers; sleeping costs a row -------------------------------------------------------------------


def test_run_after_and_run_at(rt: wfc.Runtime, clock: FakeClock) -> None:
    t0 = clock.now()
    assert rt.run_until_complete(rt.start(flows.delayed, 30.0)) == 3
    assert clock.now() - t0 == pytest.approx(30)
    at = clock.datetime + dt.timedelta(hours=2)
    assert rt.run_until_complete(rt.start(flows.scheduled, at)) == at.isoformat()


def test_a_sleeping_workflow_is_only_a_row(rt: wfc.Runtime) -> None:
    ids = [rt.start(flows.sleeper, 3600) for _ in range(50)]
    rt.run_until_idle()
    assert all(rt.status(i).state is wfc.WorkflowState.SLEEPING for i in ids)
    assert rt.engine.cycle([], claim=100, capacity=100) == [] and rt.engine.claimed == 0  # nothing held
    assert rt._worker is None


def test_timers_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'timers.db'}"
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(flows.sleeper, 60)
        rt.run_until_idle()
    clock.advance(61)
    with wfc.Runtime(url, clock=clock) as rt:
        rt.run_until_idle()
        assert rt.result(wid) == "61"  # woken a second late, by the new process: the code after it runs then


# ---- G7: versions ------------------------------------------------------------------------------------------------


def _versioned_module(tmp_path: Path, body: str, name: str) -> Any:
    import importlib.util
    import sys

    path = tmp_path / f"{name}.py"
    path.write_text("import wfc\n\n@wfc.step\ndef s(x):\n    return x\n\n@wfc.workflow\ndef flow():\n" + body)
    spec = importlib.util.spec_from_file_location("versioned_flow", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["versioned_flow"] = module
    spec.loader.exec_module(module)
    return module


V1 = "    a = yield s(1)\n    yield wfc.wait_event('go')\n    return ('v1', a)\n"
V2 = "    yield s(0)\n    a = yield s(2)\n    yield wfc.wait_event('go')\n    return ('v2', a)\n"


def test_in_flight_instances_keep_their_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'versions.db'}"
    versions = tmp_path / "versions"
    v1 = _versioned_module(tmp_path, V1, "v1")
    table1 = wfc.compile(v1.flow)
    from wfc.compiler import serialize
    from wfc.runtime.versions import version_path

    path = version_path(versions, table1.name, table1.hash)
    path.parent.mkdir(parents=True)
    path.write_text(serialize.to_json(table1))  # what `wfc compile --versions DIR` writes
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        old = rt.start(v1.flow)
        rt.run_until_idle()
        assert rt.status(old).table_hash == table1.hash
    v2 = _versioned_module(tmp_path, V2, "v2")  # the code changed; the old version is shipped in versions/
    with wfc.Runtime(url, clock=FakeClock(), versions=versions) as rt:
        new = rt.start(v2.flow)
        rt.send_event(old, "go")
        rt.send_event(new, "go")
        assert rt.run_until_complete(old) == ("v1", 1)
        assert rt.run_until_complete(new) == ("v2", 2)
        assert {h for h, _ in rt.store.saved_tables()} >= {table1.hash, wfc.compile(v2.flow).hash}


def test_an_unknown_version_blocks_the_instance_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unknown.db'}"
    v1 = _versioned_module(tmp_path, V1, "u1")
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(v1.flow)
        rt.run_until_idle()
        rt.send_event(wid, "early")  # unrelated, kept
    v2 = _versioned_module(tmp_path, V2, "u2")
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        rt.send_event(wid, "go")
        rt.run_until_idle()
        status = rt.status(wid)
        assert (status.blocked or "").startswith("WFC423: ")
        assert "which this deployment does not ship" in (status.blocked or "")
        with pytest.raises(wfc.WfcError, match="cannot continue in this deployment") as info:
            rt.run_until_complete(wid)
        assert info.value.code == "WFC432"
        (event,) = [h for h in rt.history(wid) if h.kind == "event"]
        assert event.status == "pending"  # delivered to the row, waiting for a version that can run it
    # deploying the old code again lets it finish, with the event it had received
    v1 = _versioned_module(tmp_path, V1, "u1")
    assert v2 is not None
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        assert rt.run_until_complete(wid) == ("v1", 1)


def test_a_table_in_the_database_is_never_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tamper.db'}"
    v1 = _versioned_module(tmp_path, V1, "t1")
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(v1.flow)
        rt.run_until_idle()
        with rt.db() as db:  # an attacker rewrites the stored table's code
            db.execute("UPDATE tables SET json = replace(json, 'v1', 'pwned')")
        rt.send_event(wid, "go")
        assert rt.run_until_complete(wid) == ("v1", 1)


def test_a_tampered_versions_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tamper2.db'}"
    versions = tmp_path / "versions"
    v1 = _versioned_module(tmp_path, V1, "w1")
    table1 = wfc.compile(v1.flow)
    from wfc.compiler import serialize
    from wfc.runtime.versions import version_path

    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(v1.flow)
        rt.run_until_idle()
    _versioned_module(tmp_path, V2, "w2")
    path = version_path(versions, table1.name, table1.hash)
    path.parent.mkdir(parents=True)
    path.write_text(serialize.to_json(table1).replace("'v1'", "'pwned'"))
    with wfc.Runtime(url, clock=FakeClock(), versions=versions) as rt:
        rt.send_event(wid, "go")
        rt.run_until_idle()
        assert "refusing to run it" in (rt.status(wid).blocked or "")


# ---- G8: durability settings -------------------------------------------------------------------------------------


def test_wal_and_synchronous_normal_by_default(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'd.db'}") as rt:
        assert rt.store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert rt.store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    with wfc.Runtime(f"sqlite:///{tmp_path / 'e.db'}?synchronous=FULL") as rt:
        assert rt.store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


# ---- G9: oversized values fail the step, not the workflow's progress -----------------------------------------------


def test_an_oversized_step_result_fails_the_step(clock: FakeClock) -> None:
    with wfc.Runtime(clock=clock, max_value_size=10_000) as rt:
        assert rt.run_until_complete(rt.start(flows.big_result, 100)) == "x" * 100
        got = rt.run_until_complete(rt.start(flows.big_result, 20_000))
        assert got.startswith("wfc.runtime.errors.ValueTooLarge: the result of step 'big' is 20,002 bytes")


def test_oversized_live_variables_fail_the_step_that_led_there(clock: FakeClock) -> None:
    with wfc.Runtime(clock=clock, max_value_size=10_000) as rt:
        assert rt.run_until_complete(rt.start(flows.hoarder, 100)) == 103
        # the variables become too large right at the start: the workflow cannot begin; it fails clearly
        with pytest.raises(ValueTooLarge, match="the live variables of workflow hoarder"):
            rt.run_until_complete(rt.start(flows.hoarder, 20_000))


def test_oversized_arguments_are_refused_at_start(clock: FakeClock) -> None:
    with (
        wfc.Runtime(clock=clock, max_value_size=10_000) as rt,
        pytest.raises(ValueTooLarge, match="arguments"),
    ):
        rt.start(flows.keep, "x" * 20_000)


# ---- G10/G11: types ----------------------------------------------------------------------------------------------


def test_arguments_are_checked_and_structured(rt: wfc.Runtime) -> None:
    when = dt.datetime(2030, 5, 1, tzinfo=dt.UTC)
    wid = rt.start(flows.typed, {"id": "o1", "amount": 3}, when.isoformat())
    assert rt.run_until_complete(wid) == "o1:3:2030:1"
    with pytest.raises(
        wfc.WfcError, match="argument 'count' of workflow typed: expected int, got str"
    ) as info:
        rt.start(flows.typed, flows.Order("o", 1.0), when, count="2")
    assert info.value.code == "WFC405"
    with pytest.raises(wfc.WfcError, match="missing field 'amount'"):
        rt.start(flows.typed, {"id": "o1"}, when)
    with pytest.raises(wfc.WfcError, match="cannot start workflow typed"):
        rt.start(flows.typed)


def test_the_return_value_is_checked(rt: wfc.Runtime) -> None:
    with pytest.raises(wfc.WfcError, match="the return value of workflow bad_return: expected int, got str"):
        rt.run_until_complete(rt.start(flows.bad_return))
