"""The SQLite statements of :class:`~wfc.runtime.store.protocol.ControlStore` (workflow control)."""

from __future__ import annotations

from wfc.runtime.store.protocol import HELD, InstanceRow, Key, LeafRow
from wfc.runtime.store.sqlite.store import _INST_COLS, _LEAF_COLS, SQLiteStore


class SQLiteControlStore(SQLiteStore):
    """:class:`SQLiteStore` with the statements of :class:`ControlStore`."""

    def release_held(self, instance: int, seq: int, now: float) -> bool:
        self._wake_pending = True  # may make work claimable by other processes
        # The partial index holds only held rows: a lookup, where the primary key would scan the whole group
        # (the planner cannot tell, so it is named; the literal lets the index's condition apply).
        cur = self.conn.execute(
            "UPDATE history SET ready_at=?, lease_owner=NULL, lease_until=0 WHERE instance=? AND seq=? AND "
            "pos=(SELECT pos FROM history INDEXED BY history_held WHERE instance=? AND seq=? "
            f"AND lease_owner='{HELD}' AND status=0 ORDER BY pos LIMIT 1)",
            (now, instance, seq, instance, seq),
        )
        return cur.rowcount == 1

    def group_running(self, instance: int, seq: int, now: float) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM history WHERE instance=? AND seq=? AND status=0 AND kind IN ('step', 'tx') "
            "AND ready_at<=? LIMIT 1",
            (instance, seq, now),
        ).fetchone()
        return row is not None

    def group_shape(self, instance: int, seq: int) -> str | None:
        row = self.conn.execute(
            "SELECT shape FROM history WHERE instance=? AND seq=? AND pos=0", (instance, seq)
        ).fetchone()
        return None if row is None else row[0]

    def last_seq(self, instance: int) -> int:
        row = self.conn.execute("SELECT max(seq) FROM history WHERE instance=?", (instance,)).fetchone()
        return -1 if row is None or row[0] is None else int(row[0])

    def cancel_open(self, instance: int, seq: int, now: float) -> list[LeafRow]:
        self._wake_pending = True  # may make work claimable by other processes
        rows = [
            LeafRow(*r)
            for r in self.conn.execute(
                f"SELECT {_LEAF_COLS} FROM history WHERE instance=? AND seq=? AND status<2 "
                "AND kind!='on_complete' ORDER BY pos",
                (instance, seq),
            )
        ]
        if rows:
            self.conn.execute(
                "UPDATE history SET status=3, finished_at=coalesce(finished_at, ?) WHERE instance=? AND seq=? "
                "AND status<2 AND kind!='on_complete'",
                (now, instance, seq),
            )
        return rows

    def reopen(self, n: int, state: str, table_hash: str, now: float) -> None:
        self._wake_pending = True  # may make work claimable by other processes
        self.conn.execute(
            "UPDATE instances SET state=?, table_hash=?, result=NULL, error=NULL, finished_at=NULL, blocked=NULL, "
            "updated_at=? WHERE n=?",
            (state, table_hash, now, n),
        )

    def add_lineage(
        self, instance: int, seq: int, origin: int, origin_seq: int, kind: str, now: float
    ) -> None:
        self.conn.execute(
            "INSERT INTO lineage (instance, seq, origin, origin_seq, kind, at) VALUES (?,?,?,?,?,?)",
            (instance, seq, origin, origin_seq, kind, now),
        )

    def lineage(self, instance: int) -> list[tuple[int, int, int, str]]:
        with self.read():
            rows = self.conn.execute(
                "SELECT seq, origin, origin_seq, kind FROM lineage WHERE instance=? ORDER BY seq", (instance,)
            ).fetchall()
        return [(int(a), int(b), int(c), str(d)) for a, b, c, d in rows]

    def last_named(self, instance: int, name: str, low: int, high: int) -> int | None:
        with self.read():
            row = self.conn.execute(
                "SELECT max(seq) FROM history WHERE instance=? AND seq>=? AND seq<? AND name=? "
                "AND kind NOT IN ('start', 'on_complete')",
                (instance, low, high, name),
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def add_version_move(self, instance: int, seq: int, old_hash: str, new_hash: str, now: float) -> None:
        self.conn.execute(
            "INSERT INTO version_moves (instance, seq, old_hash, new_hash, at) VALUES (?,?,?,?,?)",
            (instance, seq, old_hash, new_hash, now),
        )

    def version_moves(self, instance: int) -> list[tuple[int, str, str]]:
        with self.read():
            rows = self.conn.execute(
                "SELECT seq, old_hash, new_hash FROM version_moves WHERE instance=? ORDER BY seq, rowid",
                (instance,),
            ).fetchall()
        return [(int(a), str(b), str(c)) for a, b, c in rows]

    def table_text(self, table_hash: str) -> tuple[str, str] | None:
        with self.read():
            row = self.conn.execute(
                "SELECT workflow, json FROM tables WHERE hash=?", (table_hash,)
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def table_hashes(self, prefix: str) -> list[tuple[str, str]]:
        with self.read():
            rows = self.conn.execute(
                "SELECT hash, workflow FROM tables WHERE substr(hash, 1, ?)=? ORDER BY created_at",
                (len(prefix), prefix),
            ).fetchall()
        return [(str(h), str(w)) for h, w in rows]

    def unfinished(self, workflow: str, table_hash: str) -> list[InstanceRow]:
        with self.read():
            rows = self.conn.execute(
                f"SELECT {_INST_COLS} FROM instances WHERE workflow=? AND table_hash=? "
                "AND state NOT IN ('completed', 'failed', 'canceled') ORDER BY n",
                (workflow, table_hash),
            ).fetchall()
        return [InstanceRow(*r) for r in rows]

    def set_cursor(self, key: Key, state_id: str | None, snapshot: str | None) -> None:
        self.conn.execute(
            "UPDATE history SET state_id=?, snapshot=? WHERE instance=? AND seq=? AND pos=?",
            (state_id, snapshot, *key),
        )

    def set_table_hash(self, n: int, table_hash: str, now: float) -> None:
        self.conn.execute("UPDATE instances SET table_hash=?, updated_at=? WHERE n=?", (table_hash, now, n))

    def revoke(self, instance: int, seq: int) -> int:
        self._wake_pending = True  # may make work claimable by other processes
        cur = self.conn.execute(
            "UPDATE history SET lease_owner=NULL, lease_until=0 WHERE instance=? AND seq=? AND status<2 "
            "AND lease_owner IS NOT NULL AND lease_owner!=?",
            (instance, seq, HELD),
        )
        return cur.rowcount

    def unpark_instance(self, n: int, seq: int, now: float) -> None:
        self._wake_pending = True  # may make work claimable by other processes
        self.conn.execute(
            "UPDATE history SET ready_at=?, blocked=NULL WHERE instance=? AND seq=? AND status<2 "
            "AND blocked IS NOT NULL",
            (now, n, seq),
        )
        self.conn.execute("UPDATE instances SET blocked=NULL WHERE n=?", (n,))

    def rows_from(self, instance: int, seq: int) -> list[LeafRow]:
        with self.read():
            rows = self.conn.execute(
                f"SELECT {_LEAF_COLS} FROM history WHERE instance=? AND seq>=? ORDER BY seq, pos",
                (instance, seq),
            ).fetchall()
        return [LeafRow(*r) for r in rows]

    def purge(self, before: float, limit: int) -> int:
        # A child goes with its parent's history only when it has finished too; an instance a fork still reads
        # from is purged like any other (the fork keeps its own rows; its history then starts at the fork).
        ns = [
            int(r[0])
            for r in self.conn.execute(
                "SELECT i.n FROM instances i WHERE i.state IN ('completed', 'failed', 'canceled') "
                "AND i.finished_at<? "
                "AND NOT EXISTS (SELECT 1 FROM history h WHERE h.instance=i.n AND h.status<2) "
                "AND (i.parent IS NULL OR NOT EXISTS (SELECT 1 FROM instances p WHERE p.n=i.parent "
                "AND p.state NOT IN ('completed', 'failed', 'canceled'))) ORDER BY i.n LIMIT ?",
                (before, limit),
            )
        ]
        for n in ns:
            self.conn.execute("DELETE FROM history WHERE instance=?", (n,))
            self.conn.execute("DELETE FROM events WHERE instance=?", (n,))
            self.conn.execute("DELETE FROM lineage WHERE instance=?", (n,))
            self.conn.execute("DELETE FROM version_moves WHERE instance=?", (n,))
            self.conn.execute("DELETE FROM instances WHERE n=?", (n,))
        return len(ns)


__all__ = ["SQLiteControlStore"]
