"""Conformance: what the gauges read (``Store.count_unfinished``, ``Store.count_due``), on every store. Counts of
unfinished instances per workflow and state (finished ones not counted), instances with work due now and not
leased (a lease, a future timer, a wait, a held fan-out row do not count; a resolved wait does; two due rows of
one instance count once), and each one statement served by an index (no scan of instances or history)."""

from __future__ import annotations

from typing import Any

from wfc.runtime.store import open_store
from wfc.runtime.store.common import DUE, UNFINISHED
from wfc.runtime.store.protocol import EVENT, HELD, SLEEP, STEP, ControlStore, InstanceRow, LeafRow


def _instance(store: ControlStore, iid: str, name: str, state: str) -> int:
    with store.transaction():
        n = store.insert_instance(InstanceRow(0, iid, f"app.flows:{name}", name, "h", state, 0.0, 0.0))
    assert n is not None
    return n


def _leaf(store: ControlStore, n: int, pos: int, kind: str = STEP, **fields: Any) -> LeafRow:
    row = LeafRow(n, 1, pos, f"{pos}", kind, "s", step="s" if kind == STEP else None, **fields)
    with store.transaction():
        store.insert_leaf(row)
    return row


def test_counts_of_unfinished_and_due_instances(url: str) -> None:
    store = open_store(url)
    try:
        assert store.count_unfinished() == [] and store.count_due(0.0) == []
        due = _instance(store, "due", "orders", "running")
        _leaf(store, due, 0, ready_at=0.0)
        leased = _instance(store, "leased", "orders", "running")
        row = _leaf(store, leased, 0, ready_at=0.0)
        with store.transaction():
            store.lease(row.key, "worker", 30.0, 0.0)
        sleeping = _instance(store, "sleeping", "orders", "sleeping")
        _leaf(store, sleeping, 0, SLEEP, ready_at=50.0)
        waiting = _instance(store, "waiting", "mail", "waiting")
        wait = _leaf(store, waiting, 0, EVENT, ready_at=None)
        fanout = _instance(store, "fanout", "mail", "running")
        for pos in range(2):
            _leaf(store, fanout, pos, ready_at=0.0)
        _leaf(store, fanout, 2, ready_at=None, lease_owner=HELD)
        for state in ("completed", "failed", "canceled"):
            _instance(store, state, "mail", state)

        assert sorted(store.count_unfinished()) == [
            ("mail", "running", 1), ("mail", "waiting", 1), ("orders", "running", 2), ("orders", "sleeping", 1),
        ]  # fmt: skip
        assert dict(store.count_due(10.0)) == {"orders": 1, "mail": 1}  # fan-out: one instance, two rows
        assert dict(store.count_due(30.0)) == {"orders": 2, "mail": 1}  # the lease ended
        assert dict(store.count_due(50.0)) == {"orders": 3, "mail": 1}  # the timer is due
        with store.transaction():
            assert store.deliver_external(wait.key, '"x"', None, 60.0)
        assert dict(store.count_due(60.0)) == {"orders": 3, "mail": 2}  # a resolved wait: a transition is due
        with store.transaction():
            store.finish_instance(fanout, "completed", None, None, 61.0)
            store.close_group(fanout, 1, 61.0)
        assert ("mail", "running", 1) not in store.count_unfinished()
        assert dict(store.count_due(61.0)) == {"orders": 3, "mail": 1}
    finally:
        store.close()


def test_the_counts_are_served_by_indexes(url: str, store_kind: str) -> None:
    """The gauges run on every collection: neither statement may scan the instances or the history. (On
    PostgreSQL sequential scans are disabled for the plan: on a tiny table the planner would rightly prefer one.)"""
    store: Any = open_store(url)
    try:
        if store_kind == "sqlite":
            plans = {
                name: str(
                    store.conn.execute("EXPLAIN QUERY PLAN " + sql.replace("{s}", ""), params).fetchall()
                )
                for name, sql, params in (("unfinished", UNFINISHED, ()), ("due", DUE, (0, 0)))
            }
            assert "idx_instances_state" in plans["unfinished"] and "SCAN" not in plans["unfinished"], plans
            assert "history_due" in plans["due"] and "SCAN" not in plans["due"], plans
            return
        with store.transaction():
            db = store.handle()
            db.execute("SET LOCAL enable_seqscan = off")
            for sql, params in ((UNFINISHED, ()), (DUE, (0, 0))):
                plan = "\n".join(r[0] for r in db.execute("EXPLAIN " + store.q(sql), params).fetchall())
                assert "Seq Scan" not in plan, plan
    finally:
        store.close()
