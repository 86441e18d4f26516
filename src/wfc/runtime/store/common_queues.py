"""The statements of named queues (:mod:`wfc.runtime.queues`) both SQL stores share.

A queue is one row: its declared limits. It is also the lock of admission: every enqueue on the queue and every
decision to admit one of its instances first reads the row with ``{row_lock}`` (PostgreSQL ``FOR UPDATE``;
SQLite's single writer needs none), so the counts a decision reads cannot change under it — two workers on two
machines never both admit into the last slot.

Nothing else is kept about a queue: its slots are *derived* from instance rows (``admitted_at`` set and the state
not ended), so a worker killed while its instances hold slots leaks none — they run on elsewhere and free their
slots when they end. Non-partitioned queues store the partition ``''`` so one index serves every query.
"""

from __future__ import annotations

import attrs

from wfc.runtime.store.common import StoreBody
from wfc.runtime.store.protocol import QueuedRow, QueueLoad, QueuePartition, QueueRow

QUEUE_FIELDS = tuple(f.name for f in attrs.fields(QueueRow))
QUEUES_DDL = (
    "CREATE TABLE IF NOT EXISTS queues (name {key} PRIMARY KEY, concurrency INTEGER, worker_concurrency INTEGER, "
    "rate_limit INTEGER, rate_period {real}, priority INTEGER NOT NULL, partitioned INTEGER NOT NULL, "
    "created_at {real} NOT NULL, updated_at {real} NOT NULL)"
)
# Partial indexes, as small as the instances that were ever queued: the queue's line and its active instances
# (by state, then priority and enqueue order), its admissions by time (the rate window), its dedup ids.
QUEUE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS instances_queue ON instances (queue, queue_partition, state, queue_priority, n) "
    "WHERE queue IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS instances_queue_admitted ON instances (queue, queue_partition, admitted_at) "
    "WHERE queue IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS instances_queue_dedup ON instances (queue, queue_dedup) WHERE queue_dedup IS NOT NULL",
)
ACTIVE = "('running', 'sleeping', 'waiting')"
# An enqueued instance's start row is the start row of its last suspension: 0, or the one a restart or fork of an
# instance on a queue wrote (its suspension is written when it is admitted). One index probe: (instance, seq).
_LAST = "(SELECT max(seq) FROM {s}history WHERE instance=?)"
_COLS = ", ".join(QUEUE_FIELDS)


class QueueBody(StoreBody):
    """:class:`~wfc.runtime.store.common.StoreBody` with the statements of queues."""

    def put_queue(self, row: QueueRow) -> None:
        updates = ", ".join(f"{c}=excluded.{c}" for c in QUEUE_FIELDS if c not in ("name", "created_at"))
        self._x(
            f"INSERT INTO {{s}}queues ({_COLS}) VALUES ({','.join('?' * len(QUEUE_FIELDS))}) "
            f"ON CONFLICT (name) DO UPDATE SET {updates}",
            attrs.astuple(row),
        )

    def get_queue(self, name: str, lock: bool = False) -> QueueRow | None:
        row = self._x(
            f"SELECT {_COLS} FROM {{s}}queues WHERE name=?" + ("{row_lock}" if lock else ""), (name,)
        ).fetchone()
        return QueueRow(*row) if row else None

    def list_queues(self) -> list[QueueRow]:
        with self._reading():
            rows = self._x(f"SELECT {_COLS} FROM {{s}}queues ORDER BY name").fetchall()
        return [QueueRow(*r) for r in rows]

    def set_queued(self, n: int, queue: str, priority: int, partition: str, dedup: str | None) -> None:
        self._x(
            "UPDATE {s}instances SET queue=?, queue_priority=?, queue_partition=?, queue_dedup=? WHERE n=?",
            (queue, priority, partition, dedup, n),
        )

    def dedup_holder(self, queue: str, dedup: str) -> str | None:
        row = self._x(
            "SELECT id FROM {s}instances WHERE queue=? AND queue_dedup=? "
            f"AND state IN ('enqueued', {ACTIVE[1:-1]}) LIMIT 1",
            (queue, dedup),
        ).fetchone()
        return None if row is None else str(row[0])

    def queue_load(self, queue: str, partition: str, owner: str, since: float) -> QueueLoad:
        rows = self._x(
            f"SELECT admitted_by FROM {{s}}instances WHERE queue=? AND queue_partition=? AND state IN {ACTIVE}",
            (queue, partition),
        ).fetchall()
        recent = self._x(
            "SELECT admitted_at FROM {s}instances WHERE queue=? AND queue_partition=? AND admitted_at>? "
            "ORDER BY admitted_at",
            (queue, partition, since),
        ).fetchall()
        return QueueLoad(len(rows), sum(1 for r in rows if r[0] == owner), [float(r[0]) for r in recent])

    def queue_rank(self, queue: str, partition: str, priority: int, n: int, cap: int | None = None) -> int:
        # Capped, the count reads at most `cap` entries of `instances_queue`: an offer needs only to know whether
        # the instance is among the first that fit, and an uncapped count made a line of n cost n²/2 reads.
        ahead = (
            "SELECT 1 FROM {s}instances WHERE queue=? AND queue_partition=? AND state='enqueued' "
            "AND (queue_priority<? OR (queue_priority=? AND n<?))"
        )
        params: tuple[object, ...] = (queue, partition, priority, priority, n)
        if cap is not None:
            ahead += " LIMIT ?"
            params += (max(cap, 0),)
        row = self._x(f"SELECT count(*) FROM ({ahead}) AS ahead", params).fetchone()
        return int(row[0])

    def queue_partition(self, n: int) -> tuple[str, int] | None:
        row = self._x("SELECT queue_partition, queue_priority FROM {s}instances WHERE n=?", (n,)).fetchone()
        if row is None or row[0] is None:
            return None
        return str(row[0]), int(row[1] or 0)

    def queue_position(self, n: int) -> tuple[str, int] | None:
        with self._reading():
            row = self._x(
                "SELECT queue, queue_partition, queue_priority FROM {s}instances WHERE n=? AND state='enqueued' "
                "AND queue IS NOT NULL",
                (n,),
            ).fetchone()
            if row is None:
                return None
            return str(row[0]), 1 + self.queue_rank(str(row[0]), str(row[1]), int(row[2] or 0), n)

    def admit_queued(self, n: int, owner: str, now: float) -> bool:
        cur = self._x(
            "UPDATE {s}instances SET state='running', admitted_at=?, admitted_by=?, updated_at=? "
            "WHERE n=? AND state='enqueued'",
            (now, owner, now, n),
        )
        return bool(cur.rowcount == 1)

    def park_start(self, n: int, at: float | None) -> None:
        """An enqueued instance not admitted yet: its start row waits (``None``: until a slot frees, when
        :meth:`wake_queued` makes it due; a time: when the rate window lets another in)."""
        self._x(
            f"UPDATE {{s}}history SET ready_at=?, lease_until=0 WHERE instance=? AND seq={_LAST} AND pos=0 "
            "AND kind='start' AND status=0",
            (at, n, n),
        )
        if at is not None:
            self._wake()  # idle workers read the next due time again: one with room of its own takes it then

    def wake_queued(self, queue: str, partition: str, count: int, at: float) -> int:
        if count <= 0:
            return 0
        # One statement finds, among the first `count` in line, those whose start row is parked (or due later),
        # and none another transaction holds ({skip_lock}: PostgreSQL SKIP LOCKED): a worker that claimed it (its
        # clock a little ahead of ours) is about to weigh it under this queue's lock, after our commit — waiting
        # for its row while it waits for our lock would deadlock. (A statement per candidate made every parking
        # offer cost two round trips per instance ahead of it.)
        parked = self._x(
            "SELECT h.instance, h.seq FROM {s}history h WHERE h.instance IN (SELECT n FROM {s}instances WHERE queue=? "
            "AND queue_partition=? AND state='enqueued' ORDER BY queue_priority, n LIMIT ?) "
            "AND h.seq=(SELECT max(x.seq) FROM {s}history x WHERE x.instance=h.instance) AND h.pos=0 "
            "AND h.kind='start' AND h.status=0 AND (h.ready_at IS NULL OR h.ready_at>?){skip_lock}",
            (queue, partition, count, at),
        ).fetchall()
        changed = 0
        for n, seq in parked:  # the rows just found (and locked on PostgreSQL), by their key
            cur = self._x(
                "UPDATE {s}history SET ready_at=? WHERE instance=? AND seq=? AND pos=0 AND status=0", (at, n, seq)
            )
            changed += cur.rowcount
        if changed:
            self._wake()
        return changed

    def queued_as(self, n: int) -> tuple[str, int, str, str | None] | None:
        row = self._x(
            "SELECT queue, queue_priority, queue_partition, queue_dedup FROM {s}instances WHERE n=?", (n,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return str(row[0]), int(row[1] or 0), str(row[2] or ""), None if row[3] is None else str(row[3])

    def queue_counts(self, queue: str) -> dict[str, int]:
        with self._reading():
            rows = self._x(
                "SELECT state, count(*) FROM {s}instances WHERE queue=? "
                f"AND state IN ('enqueued', {ACTIVE[1:-1]}) GROUP BY state",
                (queue,),
            ).fetchall()
        return {str(s): int(c) for s, c in rows}

    # ---- read-only views for the dashboard (wfc.ui): served by the same two partial indexes ----

    def queue_partitions(self, queue: str, since: float) -> list[QueuePartition]:
        with self._reading():
            states = self._x(
                "SELECT queue_partition, state, count(*) FROM {s}instances WHERE queue=? "
                f"AND state IN ('enqueued', {ACTIVE[1:-1]}) GROUP BY queue_partition, state",
                (queue,),
            ).fetchall()
            admitted = self._x(
                "SELECT queue_partition, count(*) FROM {s}instances WHERE queue=? AND admitted_at>? "
                "GROUP BY queue_partition",
                (queue, since),
            ).fetchall()
        out: dict[str, QueuePartition] = {}
        for partition, state, count in states:
            p = out.setdefault(str(partition or ""), QueuePartition(str(partition or ""), 0, 0, 0))
            if state == "enqueued":
                p.enqueued += int(count)
            else:
                p.active += int(count)
        for partition, count in admitted:
            p = out.setdefault(str(partition or ""), QueuePartition(str(partition or ""), 0, 0, 0))
            p.admitted = int(count)
        return [out[k] for k in sorted(out)]

    def queue_line(self, queue: str, partition: str | None, limit: int) -> list[QueuedRow]:
        where, params = "queue=? AND state='enqueued'", [queue]
        if partition is not None:
            where += " AND queue_partition=?"
            params.append(partition)
        with self._reading():
            rows = self._x(
                "SELECT n, id, workflow, queue_partition, queue_priority, created_at FROM {s}instances "
                f"WHERE {where} ORDER BY queue_partition, queue_priority, n LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [QueuedRow(int(r[0]), str(r[1]), str(r[2]), str(r[3] or ""), int(r[4] or 0), float(r[5])) for r in rows]
