"""The store conformance suite: every store (``conftest.STORES``) must pass all of it.

Compare-and-set transitions, leases and their expiry, claims by concurrent writers, events taken at most once,
``all_of``/``any_of`` groups, timers, transactional steps, constant statement counts per transition, no query
scans history, and a database of a newer schema refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import wfc
from wfc.runtime.errors import ConfigError
from wfc.runtime.store import open_store
from wfc.runtime.store.protocol import DONE, RESOLVED, STEP, ControlStore, InstanceRow, LeafRow
from wfc.testing import FakeClock

from . import flows
from .conftest import ledger_rows

# ---- the store protocol itself ----------------------------------------------------------------------------------


def _instance(store: ControlStore, iid: str, now: float = 0.0) -> int:
    with store.transaction():
        n = store.insert_instance(InstanceRow(0, iid, "w", "w", "h", "running", now, now))
    assert n is not None
    return n


def _step(store: ControlStore, n: int, seq: int, pos: int = 0, ready_at: float = 0.0) -> LeafRow:
    row = LeafRow(n, seq, pos, "", STEP, "s", step="s", ready_at=ready_at, scheduled_at=ready_at)
    with store.transaction():
        store.insert_leaf(row)
    return row


def test_an_instance_id_is_inserted_once(url: str) -> None:
    store = open_store(url)
    try:
        assert _instance(store, "a") > 0
        with store.transaction():
            assert store.insert_instance(InstanceRow(0, "a", "w", "w", "h", "running", 0.0, 0.0)) is None
        got = store.get_instance("a")
        assert got is not None and got.state == "running"
    finally:
        store.close()


def test_an_outcome_is_recorded_only_by_the_lease_holder_and_only_once(url: str) -> None:
    store = open_store(url)
    try:
        n = _instance(store, "cas")
        row = _step(store, n, 1)
        with store.transaction():
            store.lease(row.key, "A", 30.0, 0.0)
        with store.transaction():
            assert not store.resolve(row.key, "B", RESOLVED, "1", None, 1, 1.0)  # not B's lease
        with store.transaction():
            assert store.resolve(row.key, "A", RESOLVED, "1", None, 1, 1.0)
        with store.transaction():
            store.close_group(n, 1, 1.0)
        with store.transaction():
            assert not store.resolve(row.key, "A", RESOLVED, "2", None, 1, 2.0)  # already done
            assert not store.resolve(row.key, None, RESOLVED, "2", None, 1, 2.0)
        (got,) = store.group(n, 1) if False else _group(store, n, 1)
        assert got.status == DONE and got.result == "1"
    finally:
        store.close()


def _group(store: ControlStore, n: int, seq: int) -> list[LeafRow]:
    with store.transaction():
        return store.group(n, seq)


def test_a_lease_keeps_a_row_until_it_expires_or_is_released(url: str) -> None:
    store = open_store(url)
    try:
        n = _instance(store, "lease")
        row = _step(store, n, 1)
        with store.transaction():
            ((leaf, inst),) = store.claim("A", 0.0, 10)
            assert leaf.key == row.key and inst.n == n
            store.lease(row.key, "A", 30.0, 0.0)
        with store.transaction():
            assert store.claim("B", 29.9, 10) == []  # leased
        assert store.next_due(0.0, leases=True) == 30.0
        with store.transaction():
            store.extend([row.key], "A", 60.0)
            store.extend([row.key], "B", 90.0)  # not B's: no effect
        with store.transaction():
            assert store.claim("B", 59.0, 10) == []
        with store.transaction():
            (claimed,) = store.claim("B", 60.0, 10)  # expired: another worker may take it
            assert claimed[0].lease_owner == "A"
        with store.transaction():
            assert store.release("A") == 1
        assert store.has_due(0.0)
    finally:
        store.close()


def test_concurrent_claims_never_take_the_same_row(url: str) -> None:
    stores = [open_store(url) for _ in range(3)]
    try:
        n = _instance(stores[0], "claims")
        rows = 60
        with stores[0].transaction():
            for pos in range(rows):
                stores[0].insert_leaf(LeafRow(n, 1, pos, f"{pos}", STEP, "s", step="s", ready_at=0.0))
        taken: list[list[tuple[int, int, int]]] = [[] for _ in stores]
        errors: list[BaseException] = []

        def claimer(i: int) -> None:
            store = stores[i]
            try:
                while True:
                    try:
                        with store.transaction():
                            got = store.claim(f"w{i}", 1.0, 4)
                            for leaf, _inst in got:
                                store.lease(leaf.key, f"w{i}", 100.0, 1.0)
                    except wfc.runtime.errors.StoreConflict:
                        continue
                    taken[i] += [leaf.key for leaf, _ in got]
                    # an empty claim is not the end: rows locked by another claimer are skipped, not waited for
                    if not got and not store.has_due(1.0):
                        return
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=claimer, args=(i,)) for i in range(len(stores))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        everything = [key for keys in taken for key in keys]
        assert sorted(everything) == [(n, 1, pos) for pos in range(rows)]  # each row once, none lost
    finally:
        for store in stores:
            store.close()


def test_events_are_taken_oldest_first_and_at_most_once(url: str) -> None:
    store = open_store(url)
    try:
        n = _instance(store, "ev")
        with store.transaction():
            ids = [store.insert_event(n, "e", f'"{i}"', None, float(i)) for i in range(3)]
            store.insert_event(n, "other", None, None, 0.0)
        with store.transaction():
            first = store.take_event(n, "e")
            assert first is not None and first.id == ids[0]
            assert store.take_event(n, "e", skip=1) is not None
            store.consume_event(first.id, (n, 1, 0))
        with store.transaction():
            nxt = store.take_event(n, "e")
            assert nxt is not None and nxt.id == ids[1]
    finally:
        store.close()


def test_close_group_settles_a_suspension(url: str) -> None:
    store = open_store(url)
    try:
        n = _instance(store, "group")
        for pos in range(3):
            _step(store, n, 1, pos)
        with store.transaction():
            assert store.resolve((n, 1, 0), None, RESOLVED, "0", None, 1, 1.0)
            store.close_group(n, 1, 1.0)
        statuses = [r.status for r in _group(store, n, 1)]
        assert statuses == [DONE, 3, 3]
        with store.transaction():
            assert not store.deliver_external((n, 1, 1), "x", None, 2.0)  # canceled: nothing delivered
    finally:
        store.close()


def test_timers_are_due_in_order(url: str) -> None:
    store = open_store(url)
    try:
        n = _instance(store, "timers")
        for seq, at in ((1, 50.0), (2, 20.0), (3, 80.0)):
            _step(store, n, seq, ready_at=at)
        assert store.next_due(0.0) == 20.0
        assert store.next_due(20.0) == 50.0
        assert not store.has_due(19.0) and store.has_due(20.0)
        with store.transaction():
            assert [leaf.seq for leaf, _ in store.claim("A", 60.0, 10)] == [2, 1]
    finally:
        store.close()


def test_a_database_of_a_newer_schema_is_refused_and_nothing_is_written(url: str, store_kind: str) -> None:
    open_store(url).close()
    _bump_schema(url, store_kind, 99)
    before = _dump(url, store_kind)
    with pytest.raises(ConfigError, match="newer than this wfc") as info:
        wfc.Runtime(url)
    assert info.value.code == "WFC429" and "upgrade wfc" in (info.value.hint or "")
    assert _dump(url, store_kind) == before


def _bump_schema(url: str, kind: str, version: int) -> None:
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("INSERT INTO wfc_migrations VALUES (?, 'from the future')", (version,))
        conn.commit()
        conn.close()
        return
    import psycopg

    base, schema = url.rsplit("?schema=", 1)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'INSERT INTO "{schema}".wfc_migrations VALUES (%s, %s)', (version, "from the future"))


def _dump(url: str, kind: str) -> Any:
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        out = list(conn.iterdump())
        conn.close()
        return out
    import psycopg

    base, schema = url.rsplit("?schema=", 1)
    with psycopg.connect(base, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema=%s ORDER BY 1", (schema,)
        ).fetchall()
        return {
            t: conn.execute(f'SELECT * FROM "{schema}"."{t}" ORDER BY 1').fetchall() for (t,) in tables
        } | {"workers?": conn.execute(f'SELECT count(*) FROM "{schema}".workers').fetchone()}


# ---- through the runtime ---------------------------------------------------------------------------------------


def test_a_sequential_workflow(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 25)
    assert rt.run_until_complete(wid) == 25
    assert [h.result for h in rt.history(wid)] == list(range(1, 26))


def test_transactional_steps_commit_with_the_advance_exactly_once(rt: wfc.Runtime, table: str) -> None:
    wid = rt.start(flows.ledger, table, "k", 5)
    assert rt.run_until_complete(wid) == [5, 10]
    assert ledger_rows(rt, table) == [("k", i) for i in range(5)]
    assert rt.run_until_complete(rt.start(flows.ledger_fail, table, "f")) == "caught rolled back"
    assert ledger_rows(rt, table, "f") == []


def test_the_handle_refuses_to_commit(rt: wfc.Runtime) -> None:
    with rt.db() as db, pytest.raises(wfc.WfcError, match="cannot call commit"):
        db.commit()


def test_events_reach_their_waits_once(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.waiter, ["a", "b", "a"])
    rt.send_event(wid, "a", 1)
    rt.send_event(wid, "a", 3)
    rt.run_until_idle()
    rt.send_event(wid, "b", 2)
    assert rt.run_until_complete(wid) == [1, 2, 3]


def test_all_of_and_any_of(rt: wfc.Runtime) -> None:
    assert rt.run_until_complete(rt.start(flows.fan, 6)) == 30
    wid = rt.start(flows.race)
    rt.run_until_idle()
    rt.send_event(wid, "b", "B")
    assert rt.run_until_complete(wid) == (1, "B")
    assert sorted(h.name for h in rt.history(wid)) == ["a", "b"]


def test_a_losing_wait_gives_its_event_back_and_the_first_sent_wins(rt: wfc.Runtime) -> None:
    from tests.twin.test_events import race_then_wait

    wid = rt.start(race_then_wait)
    rt.run_until_idle()
    rt.send_event(wid, "a", 1)  # a burst while the race waits: b is taken by the losing wait, then given back
    rt.send_event(wid, "b", 2)
    assert rt.run_until_complete(wid) == (0, 1, 2)
    wid = rt.start(race_then_wait)
    rt.send_event(wid, "b", 2)  # sent before the race: b was sent first and wins, though it is the second wait
    rt.send_event(wid, "a", 1)
    with pytest.raises(wfc.Timeout, match="did not arrive"):  # ... and the next wait for b has nothing
        rt.run_until_complete(wid)


def test_a_timer_sleeps_as_a_row(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.sleeper, 3600)
    rt.run_until_idle()
    assert rt.status(wid).state.value == "sleeping"
    assert rt.run_until_complete(wid) == 3  # the fake clock jumps to the timer
    assert clock.now() >= 3600


def test_children_and_cancel(rt: wfc.Runtime) -> None:
    assert rt.run_until_complete(rt.start(flows.parent, 4)) == (0, 1, 2, 3)  # all_of(*children): a tuple
    wid = rt.start(flows.waiter, ["never"])
    rt.run_until_idle()
    rt.cancel(wid)  # wfc.Canceled at its yield: the next transition ends it
    assert rt.status(wid).cancel_requested is not None and not rt.status(wid).finished
    rt.run_until_idle()
    assert rt.status(wid).state.value == "canceled"
    other = rt.start(flows.waiter, ["never"])
    rt.run_until_idle()
    rt.cancel(other, force=True)
    assert rt.status(other).state.value == "canceled"


def test_restart_from_a_step(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.chain, 6)
    assert rt.run_until_complete(wid) == 6
    rt.restart(wid, from_step=3)
    assert rt.run_until_complete(wid) == 6


def test_a_result_from_a_lost_lease_is_ignored(rt: wfc.Runtime, clock: FakeClock) -> None:
    from wfc.runtime.engine import Engine
    from wfc.runtime.steps import StepResult

    wid = rt.start(flows.chain, 2)
    (task,) = rt.engine.cycle([], claim=10, capacity=10)
    clock.advance(rt.lease + 1)
    other = Engine(rt.store, rt.deployment, clock, owner="other", lease=rt.lease)
    (stolen,) = other.cycle([], claim=10, capacity=10)
    assert stolen.leaf.key == task.leaf.key
    late = StepResult(task, 1, clock.now(), ok=True, value=99, text="99")
    assert rt.engine.cycle([late], claim=0, capacity=10) == []  # not ours any more: nothing committed
    other.cycle([StepResult(stolen, 1, clock.now(), ok=True, value=1, text="1")], claim=0, capacity=0)
    assert rt.run_until_complete(wid) == 2


def test_a_transition_costs_the_same_statements_at_step_10_and_step_500(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        counts: list[int] = []
        statements: list[str] = []
        rt.store.trace(statements.append)
        wid = rt.start(flows.chain, 600)
        original = rt.engine.cycle

        def counting(*args: Any, **kwargs: Any) -> Any:
            statements.clear()
            out = original(*args, **kwargs)
            counts.append(len(statements))
            return out

        rt.engine.cycle = counting  # type: ignore[method-assign]
        rt.run_until_complete(wid)
        rt.store.trace(None)
    assert len(set(counts[5:590])) <= 2  # a plain transition, and one that also looks for other work
    assert sum(counts[10:106]) == sum(counts[490:586])


def test_no_statement_of_a_transition_scans_history(url: str, store_kind: str) -> None:
    """The claim uses the partial index of open work; the cursor and the current suspension are primary-key
    ranges. (On PostgreSQL sequential scans are disabled for the plan: on a tiny table the planner would rightly
    prefer one; the check is that an index serves each query.)"""
    with wfc.Runtime(url) as rt:
        rt.run_until_complete(rt.start(flows.chain, 3))
        for name, plan in _plans(rt.store, store_kind).items():
            if store_kind == "sqlite":
                assert "SCAN history" not in plan and "SCAN h " not in plan, (name, plan)
            else:
                assert "Seq Scan on history" not in plan, (name, plan)
        claim = _plans(rt.store, store_kind)["claim"]
        assert "history_due" in claim


def _plans(store: Any, kind: str) -> dict[str, str]:
    queries = {
        "claim": None,
        "suspension": "SELECT * FROM {s}history WHERE instance=? AND seq=? ORDER BY pos",
        "current": "SELECT max(seq) FROM {s}history WHERE instance=?",
        "history": "SELECT * FROM {s}history WHERE instance=? ORDER BY seq, pos",
        "due": "SELECT 1 FROM {s}history WHERE status<2 AND ready_at<=? AND lease_until<=? LIMIT 1",
        "next": "SELECT ready_at FROM {s}history WHERE status<2 AND ready_at>? ORDER BY ready_at LIMIT 1",
        "next_or_lease": "SELECT (SELECT ready_at FROM {s}history WHERE status<2 AND ready_at>? ORDER BY ready_at "
        "LIMIT 1), (SELECT min(lease_until) FROM {s}history WHERE status<2 AND ready_at<=?)",
    }
    params = {"claim": (0, 0, 1), "suspension": (1, 1), "current": (1,), "history": (1,), "due": (0, 0)}
    params["next"] = (0,)
    params["next_or_lease"] = (0, 0)
    out = {}
    if kind == "sqlite":
        from wfc.runtime.store.sqlite import store as sqlite_store

        for name, sql in queries.items():
            text = sqlite_store._CLAIM if sql is None else sql.replace("{s}", "")
            out[name] = str(store.conn.execute("EXPLAIN QUERY PLAN " + text, params[name]).fetchall())
        return out
    from wfc.runtime.store.common import CLAIM

    with store.transaction():
        db = store.handle()
        db.execute("SET LOCAL enable_seqscan = off")
        for name, sql in queries.items():
            text = store.q(CLAIM if sql is None else sql)
            out[name] = "\n".join(r[0] for r in db.execute("EXPLAIN " + text, params[name]).fetchall())
    return out


def test_group_commit_carries_many_transitions_per_commit(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        ids = [rt.start(flows.chain, 3) for _ in range(40)]
        commits: list[str] = []
        rt.store.trace(commits.append)
        rt.run_until_idle()
        rt.store.trace(None)
        assert all(rt.result(i) == 3 for i in ids)
    # 40 instances x 4 transitions, in far fewer transactions than transitions
    begins = sum(1 for s in commits if s.upper().startswith("BEGIN"))
    assert 0 < begins < 40
