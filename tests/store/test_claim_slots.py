"""A worker claims no step it cannot run: with ``slots`` free step slots a claim takes at most that many open
steps, and every other due row (starts, timers, event timeouts, resolved rows) up to its limit, oldest first.
On PostgreSQL the claimed rows stay locked until the commit, so a step claimed by a worker with no free slot would
be skipped by every worker that has one; here a busy worker's claim leaves the steps to them."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import wfc
from wfc.runtime.store import open_store
from wfc.runtime.store.protocol import (
    EVENT,
    ON_COMPLETE,
    RESOLVED,
    SLEEP,
    START,
    STEP,
    ControlStore,
    InstanceRow,
    LeafRow,
)
from wfc.testing import FakeClock

from .. import pg
from . import flows

_KINDS = [STEP, SLEEP, STEP, START, ON_COMPLETE, EVENT, STEP, SLEEP]


def _queue(store: ControlStore, name: str) -> None:
    """One due row of each kind above (ready in that order), and a resolved step; each of its own instance (a
    claim locks the instance with the row: an instance's transitions are serialized)."""
    with store.transaction():
        for pos, kind in enumerate([*_KINDS, STEP]):
            n = store.insert_instance(InstanceRow(0, f"{name}{pos}", "w", "w", "h", "running", 0.0, 0.0))
            assert n is not None
            status = RESOLVED if pos == len(_KINDS) else 0
            store.insert_leaf(LeafRow(n, 1, 0, "", kind, "s", status=status, step="s", ready_at=float(pos)))


def _claimed(store: ControlStore, limit: int, slots: int | None) -> list[tuple[str, int]]:
    with store.transaction():
        got = store.claim("me", 100.0, limit, slots)
    return sorted((leaf.kind, leaf.status) for leaf, _inst in got)


@pytest.mark.parametrize("limit", [1, 3, 64])
@pytest.mark.parametrize("slots", [0, 1, 2, 5, None])
def test_a_claim_takes_no_more_steps_than_free_slots(limit: int, slots: int | None) -> None:
    with pg.schema_url() as url:
        store = open_store(url)
        try:
            _queue(store, "q")
            got = _claimed(store, limit, slots)
        finally:
            store.close()
    needs_slot = [k for k, status in got if k in (STEP, ON_COMPLETE) and status == 0]
    free = [(k, status) for k, status in got if not (k in (STEP, ON_COMPLETE) and status == 0)]
    if slots is None or slots >= limit:  # every row fits: the oldest `limit`, in one statement
        rows = [(k, 0) for k in _KINDS] + [(STEP, RESOLVED)]
        assert got == sorted(rows[:limit])
    else:  # 3 open steps and an on_complete need a slot; 2 sleeps, a start, an event, the resolved step do not
        assert len(needs_slot) == min(slots, 4)
        assert len(free) == min(limit, 5)


def test_the_claims_use_their_partial_indexes() -> None:
    from wfc.runtime.store.common import CLAIM_FREE, CLAIM_SLOT

    with pg.schema_url() as url:
        store: Any = open_store(url)
        try:
            _queue(store, "plans")
            for sql, index in ((CLAIM_SLOT, "history_due_slot"), (CLAIM_FREE, "history_due_free")):
                with store.transaction():
                    db = store.handle()
                    db.execute("SET LOCAL enable_seqscan = off")
                    rows = db.execute("EXPLAIN " + store.q(sql), (0, 0, 1)).fetchall()
                plan = "\n".join(r[0] for r in rows)
                assert index in plan, plan
        finally:
            store.close()


def test_an_engine_with_no_free_slot_leases_no_step(url: str) -> None:
    """Both stores: a cycle with no free slot runs the transitions it claims (starts) and leases no step; with two
    free slots it leases two, and the third stays for whoever has a slot."""
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        ids = [rt.start(flows.chain, 1) for _ in range(3)]
        engine = rt.engine
        assert engine.cycle([], claim=64, capacity=0) == []  # the starts: each suspends at its first step
        assert engine.cycle([], claim=64, capacity=0) == []
        assert not _leased(rt, ids)
        tasks = engine.cycle([], claim=64, capacity=2)
        assert len(tasks) == 2 and len(_leased(rt, ids)) == 2
        assert len(engine.cycle([], claim=64, capacity=5)) == 1


def _leased(rt: wfc.Runtime, ids: list[str]) -> list[str]:
    return [i for i in ids for r in rt.history(i) if r.kind == "step" and r.status == "pending" and r.started_at]


def test_a_busy_workers_claim_leaves_the_steps_to_a_free_one() -> None:
    """While a worker with no free slot holds its claim's transaction open, another worker claims every due step
    (on PostgreSQL the busy one's claim would otherwise lock them, and SKIP LOCKED would hide them; SQLite has
    one writer, so nothing is locked across claims there)."""
    with pg.schema_url() as url:
        _busy_and_free(url)


def _busy_and_free(url: str) -> None:
    busy, free = open_store(url), open_store(url)
    try:
        _queue(busy, "race")
        claimed = threading.Event()
        release = threading.Event()
        held: list[str] = []

        def hold() -> None:
            with busy.transaction():
                held.extend(leaf.kind for leaf, _ in busy.claim("busy", 100.0, 64, 0) if leaf.status == 0)
                claimed.set()
                release.wait(30)

        t = threading.Thread(target=hold)
        t.start()
        try:
            assert claimed.wait(30)
            assert STEP not in held and ON_COMPLETE not in held and SLEEP in held
            with free.transaction():
                got = free.claim("free", 100.0, 64, 64)
            assert sorted(leaf.kind for leaf, _ in got if leaf.status == 0) == [ON_COMPLETE, STEP, STEP, STEP]
        finally:
            release.set()
            t.join(30)
    finally:
        busy.close()
        free.close()
