"""The statements of :class:`~wfc.runtime.store.protocol.ControlStore` (workflow control) both SQL stores share,
over the seam of :mod:`wfc.runtime.store.common`. Each one that changes an instance takes ``_lock`` first, like
every transition; each that may make work claimable by another process asks for a ``_wake``."""

from __future__ import annotations

from wfc.runtime.store.common import INST_COLS, LEAF_COLS
from wfc.runtime.store.common_browse import BrowseBody
from wfc.runtime.store.protocol import HELD, InstanceRow, Key, LeafRow

_FINISHED = "('completed', 'failed', 'canceled')"


class ControlBody(BrowseBody):
    """:class:`~wfc.runtime.store.common.StoreBody` with the statements of ``ControlStore`` (and browsing's)."""

    # ---- fan-out windows ---------------------------------------------------------------------------------------

    def release_held(self, instance: int, seq: int, now: float) -> LeafRow | None:
        self._lock(instance)
        # The partial index holds only held rows: a lookup, where the primary key would scan the whole group
        # (SQLite's planner cannot tell, so it is named; the literal lets the index's condition apply).
        row = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history {{held_index}}WHERE instance=? AND seq=? "
            f"AND lease_owner='{HELD}' AND status=0 ORDER BY pos LIMIT 1",
            (instance, seq),
        ).fetchone()
        if row is None:
            return None
        leaf = LeafRow(*row)
        # A held child call waits for its child, not for a time: it stays without a due time. A held step is due
        # now or at its own due time (run_after, run_at), kept in lease_until while it is held (fanout.admit).
        ready = None if leaf.kind == "child" else max(now, leaf.lease_until or 0.0)
        self._x(
            "UPDATE {s}history SET ready_at=?, lease_owner=NULL, lease_until=0, started_at=? "
            "WHERE instance=? AND seq=? AND pos=?",
            (ready, now if leaf.kind == "child" else leaf.started_at, instance, seq, leaf.pos),
        )
        self._wake()
        leaf.ready_at, leaf.lease_owner, leaf.lease_until = ready, None, 0.0
        return leaf

    def group_running(self, instance: int, seq: int, now: float) -> bool:
        row = self._x(
            "SELECT 1 FROM {s}history WHERE instance=? AND seq=? AND status=0 AND kind IN ('step', 'tx') "
            "AND ready_at<=? LIMIT 1",
            (instance, seq, now),
        ).fetchone()
        return row is not None

    def group_shape(self, instance: int, seq: int) -> str | None:
        row = self._x("SELECT shape FROM {s}history WHERE instance=? AND seq=? AND pos=0", (instance, seq)).fetchone()
        return None if row is None else row[0]

    # ---- cancel, restart, fork ---------------------------------------------------------------------------------

    def last_seq(self, instance: int) -> int:
        self._lock(instance)
        row = self._x("SELECT max(seq) FROM {s}history WHERE instance=?", (instance,)).fetchone()
        return -1 if row is None or row[0] is None else int(row[0])

    def cancel_open(self, instance: int, seq: int, now: float) -> list[LeafRow]:
        self._lock(instance)
        where = "instance=? AND seq=? AND status<2 AND kind!='on_complete'"
        rows = [
            LeafRow(*r)
            for r in self._x(
                f"SELECT {LEAF_COLS} FROM {{s}}history WHERE {where} ORDER BY pos", (instance, seq)
            ).fetchall()
        ]
        if rows:
            self._x(
                f"UPDATE {{s}}history SET status=3, finished_at=coalesce(finished_at, ?) WHERE {where}",
                (now, instance, seq),
            )
            self._wake()
        return rows

    def reopen(self, n: int, state: str, table_hash: str, now: float) -> None:
        self._lock(n)
        self._x(
            "UPDATE {s}instances SET state=?, table_hash=?, result=NULL, error=NULL, finished_at=NULL, "
            "blocked=NULL, cancel_requested=NULL, updated_at=? WHERE n=?",
            (state, table_hash, now, n),
        )
        self._wake()

    def request_cancel(self, n: int, now: float) -> bool:
        self._lock(n)
        cur = self._x(
            "UPDATE {s}instances SET cancel_requested=?, updated_at=? WHERE n=? AND cancel_requested IS NULL",
            (now, now, n),
        )
        return bool(cur.rowcount == 1)

    def add_lineage(self, instance: int, seq: int, origin: int, origin_seq: int, kind: str, now: float) -> None:
        self._x(
            "INSERT INTO {s}lineage (instance, seq, origin, origin_seq, kind, at) VALUES (?,?,?,?,?,?)",
            (instance, seq, origin, origin_seq, kind, now),
        )

    def lineage(self, instance: int) -> list[tuple[int, int, int, str]]:
        with self._reading():
            rows = self._x(
                "SELECT seq, origin, origin_seq, kind FROM {s}lineage WHERE instance=? ORDER BY seq", (instance,)
            ).fetchall()
        return [(int(a), int(b), int(c), str(d)) for a, b, c, d in rows]

    def last_named(self, instance: int, name: str, low: int, high: int) -> int | None:
        with self._reading():
            row = self._x(
                "SELECT max(seq) FROM {s}history WHERE instance=? AND seq>=? AND seq<? AND name=? "
                "AND kind NOT IN ('start', 'on_complete')",
                (instance, low, high, name),
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def add_version_move(self, instance: int, seq: int, old_hash: str, new_hash: str, now: float) -> None:
        self._x(
            "INSERT INTO {s}version_moves (instance, seq, old_hash, new_hash, at) VALUES (?,?,?,?,?)",
            (instance, seq, old_hash, new_hash, now),
        )

    def version_moves(self, instance: int) -> list[tuple[int, str, str]]:
        with self._reading():
            rows = self._x(
                "SELECT seq, old_hash, new_hash FROM {s}version_moves WHERE instance=? ORDER BY seq, {insertion}",
                (instance,),
            ).fetchall()
        return [(int(a), str(b), str(c)) for a, b, c in rows]

    # ---- migration ---------------------------------------------------------------------------------------------

    def table_text(self, table_hash: str) -> tuple[str, str] | None:
        with self._reading():
            row = self._x("SELECT workflow, json FROM {s}tables WHERE hash=?", (table_hash,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def table_hashes(self, prefix: str) -> list[tuple[str, str]]:
        with self._reading():
            rows = self._x(
                "SELECT hash, workflow FROM {s}tables WHERE substr(hash, 1, ?)=? ORDER BY created_at",
                (len(prefix), prefix),
            ).fetchall()
        return [(str(h), str(w)) for h, w in rows]

    def unfinished(self, workflow: str, table_hash: str) -> list[InstanceRow]:
        with self._reading():
            rows = self._x(
                f"SELECT {INST_COLS} FROM {{s}}instances WHERE workflow=? AND table_hash=? "
                f"AND state NOT IN {_FINISHED} ORDER BY n",
                (workflow, table_hash),
            ).fetchall()
        return [InstanceRow(*r) for r in rows]

    def set_cursor(self, key: Key, state_id: str | None, snapshot: str | None) -> None:
        self._lock(key[0])
        self._x(
            "UPDATE {s}history SET state_id=?, snapshot=? WHERE instance=? AND seq=? AND pos=?",
            (state_id, snapshot, *key),
        )

    def set_table_hash(self, n: int, table_hash: str, now: float) -> None:
        self._x("UPDATE {s}instances SET table_hash=?, updated_at=? WHERE n=?", (table_hash, now, n))

    def set_workflow(self, n: int, workflow: str, name: str, now: float) -> None:
        self._x("UPDATE {s}instances SET workflow=?, name=?, updated_at=? WHERE n=?", (workflow, name, now, n))

    def revoke(self, instance: int, seq: int) -> int:
        self._lock(instance)
        cur = self._x(
            "UPDATE {s}history SET lease_owner=NULL, lease_until=0 WHERE instance=? AND seq=? AND status<2 "
            "AND lease_owner IS NOT NULL AND lease_owner!=?",
            (instance, seq, HELD),
        )
        if cur.rowcount:
            self._wake()
        return int(cur.rowcount)

    def unpark_instance(self, n: int, seq: int, now: float) -> None:
        self._lock(n)
        self._x(
            "UPDATE {s}history SET ready_at=?, blocked=NULL WHERE instance=? AND seq=? AND status<2 "
            "AND blocked IS NOT NULL",
            (now, n, seq),
        )
        self._x("UPDATE {s}instances SET blocked=NULL WHERE n=?", (n,))
        self._wake()

    # ---- watching and cleanup ----------------------------------------------------------------------------------

    def rows_from(self, instance: int, seq: int) -> list[LeafRow]:
        with self._reading():
            rows = self._x(
                f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=? AND seq>=? ORDER BY seq, pos",
                (instance, seq),
            ).fetchall()
        return [LeafRow(*r) for r in rows]

    def purge(self, before: float, limit: int) -> int:
        # A child goes with its parent's history only when it has finished too; an instance a fork still reads
        # from is purged like any other (the fork keeps its own rows; its history then starts at the fork).
        # PostgreSQL skips instances another transaction holds (``{purge_lock}``).
        ns = [
            int(r[0])
            for r in self._x(
                f"SELECT i.n FROM {{s}}instances i WHERE i.state IN {_FINISHED} AND i.finished_at<? "
                "AND NOT EXISTS (SELECT 1 FROM {s}history h WHERE h.instance=i.n AND h.status<2) "
                "AND (i.parent IS NULL OR NOT EXISTS (SELECT 1 FROM {s}instances p WHERE p.n=i.parent "
                f"AND p.state NOT IN {_FINISHED})) ORDER BY i.n LIMIT ?{{purge_lock}}",
                (before, limit),
            ).fetchall()
        ]
        for table, column in (("history", "instance"), ("events", "instance"), ("attempts", "instance"),
                              ("lineage", "instance"), ("version_moves", "instance"), ("statuses", "instance"),
                              ("instances", "n")):  # fmt: skip
            for where, params in self._any(column, ns):
                self._x(f"DELETE FROM {{s}}{table} WHERE {where}", params)
        return len(ns)
