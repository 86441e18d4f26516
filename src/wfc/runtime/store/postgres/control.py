"""The PostgreSQL statements of :class:`~wfc.runtime.store.protocol.ControlStore` (workflow control). Each one
that changes an instance locks its row first, like every transition (see :mod:`.store`)."""

from __future__ import annotations

from wfc.runtime.store.postgres.store import INST_COLS, LEAF_COLS, PostgresStore
from wfc.runtime.store.protocol import HELD, InstanceRow, Key, LeafRow


class PostgresControlStore(PostgresStore):
    """:class:`PostgresStore` with the statements of :class:`ControlStore`."""

    def release_held(self, instance: int, seq: int, now: float) -> bool:
        self._lock(instance)
        cur = self._x(
            "UPDATE {s}history SET ready_at=%s, lease_owner=NULL, lease_until=0 WHERE instance=%s AND seq=%s AND "
            "pos=(SELECT pos FROM {s}history WHERE instance=%s AND seq=%s "
            f"AND lease_owner='{HELD}' AND status=0 ORDER BY pos LIMIT 1)",
            (now, instance, seq, instance, seq),
        )
        if cur.rowcount == 1:
            self._wake()
            return True
        return False

    def group_running(self, instance: int, seq: int, now: float) -> bool:
        row = self._x(
            "SELECT 1 FROM {s}history WHERE instance=%s AND seq=%s AND status=0 AND kind IN ('step', 'tx') "
            "AND ready_at<=%s LIMIT 1",
            (instance, seq, now),
        ).fetchone()
        return row is not None

    def group_shape(self, instance: int, seq: int) -> str | None:
        row = self._x(
            "SELECT shape FROM {s}history WHERE instance=%s AND seq=%s AND pos=0", (instance, seq)
        ).fetchone()
        return None if row is None else row[0]

    def last_seq(self, instance: int) -> int:
        self._lock(instance)
        row = self._x("SELECT max(seq) FROM {s}history WHERE instance=%s", (instance,)).fetchone()
        return -1 if row is None or row[0] is None else int(row[0])

    def cancel_open(self, instance: int, seq: int, now: float) -> list[LeafRow]:
        self._lock(instance)
        rows = [
            LeafRow(*r)
            for r in self._x(
                f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=%s AND seq=%s AND status<2 "
                "AND kind!='on_complete' ORDER BY pos",
                (instance, seq),
            ).fetchall()
        ]
        if rows:
            self._x(
                "UPDATE {s}history SET status=3, finished_at=coalesce(finished_at, %s) WHERE instance=%s AND "
                "seq=%s AND status<2 AND kind!='on_complete'",
                (now, instance, seq),
            )
            self._wake()
        return rows

    def reopen(self, n: int, state: str, table_hash: str, now: float) -> None:
        self._lock(n)
        self._x(
            "UPDATE {s}instances SET state=%s, table_hash=%s, result=NULL, error=NULL, finished_at=NULL, "
            "blocked=NULL, updated_at=%s WHERE n=%s",
            (state, table_hash, now, n),
        )
        self._wake()

    def add_lineage(
        self, instance: int, seq: int, origin: int, origin_seq: int, kind: str, now: float
    ) -> None:
        self._x(
            "INSERT INTO {s}lineage (instance, seq, origin, origin_seq, kind, at) VALUES (%s,%s,%s,%s,%s,%s)",
            (instance, seq, origin, origin_seq, kind, now),
        )

    def lineage(self, instance: int) -> list[tuple[int, int, int, str]]:
        rows = self._x(
            "SELECT seq, origin, origin_seq, kind FROM {s}lineage WHERE instance=%s ORDER BY seq", (instance,)
        ).fetchall()
        return [(int(a), int(b), int(c), str(d)) for a, b, c, d in rows]

    def last_named(self, instance: int, name: str, low: int, high: int) -> int | None:
        row = self._x(
            "SELECT max(seq) FROM {s}history WHERE instance=%s AND seq>=%s AND seq<%s AND name=%s "
            "AND kind NOT IN ('start', 'on_complete')",
            (instance, low, high, name),
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def add_version_move(self, instance: int, seq: int, old_hash: str, new_hash: str, now: float) -> None:
        self._x(
            "INSERT INTO {s}version_moves (instance, seq, old_hash, new_hash, at) VALUES (%s,%s,%s,%s,%s)",
            (instance, seq, old_hash, new_hash, now),
        )

    def version_moves(self, instance: int) -> list[tuple[int, str, str]]:
        rows = self._x(
            "SELECT seq, old_hash, new_hash FROM {s}version_moves WHERE instance=%s ORDER BY seq, k",
            (instance,),
        ).fetchall()
        return [(int(a), str(b), str(c)) for a, b, c in rows]

    def table_text(self, table_hash: str) -> tuple[str, str] | None:
        row = self._x("SELECT workflow, json FROM {s}tables WHERE hash=%s", (table_hash,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def table_hashes(self, prefix: str) -> list[tuple[str, str]]:
        rows = self._x(
            "SELECT hash, workflow FROM {s}tables WHERE substr(hash, 1, %s)=%s ORDER BY created_at",
            (len(prefix), prefix),
        ).fetchall()
        return [(str(h), str(w)) for h, w in rows]

    def unfinished(self, workflow: str, table_hash: str) -> list[InstanceRow]:
        rows = self._x(
            f"SELECT {INST_COLS} FROM {{s}}instances WHERE workflow=%s AND table_hash=%s "
            "AND state NOT IN ('completed', 'failed', 'canceled') ORDER BY n",
            (workflow, table_hash),
        ).fetchall()
        return [InstanceRow(*r) for r in rows]

    def set_cursor(self, key: Key, state_id: str | None, snapshot: str | None) -> None:
        self._lock(key[0])
        self._x(
            "UPDATE {s}history SET state_id=%s, snapshot=%s WHERE instance=%s AND seq=%s AND pos=%s",
            (state_id, snapshot, *key),
        )

    def set_table_hash(self, n: int, table_hash: str, now: float) -> None:
        self._x("UPDATE {s}instances SET table_hash=%s, updated_at=%s WHERE n=%s", (table_hash, now, n))

    def revoke(self, instance: int, seq: int) -> int:
        self._lock(instance)
        cur = self._x(
            "UPDATE {s}history SET lease_owner=NULL, lease_until=0 WHERE instance=%s AND seq=%s AND status<2 "
            "AND lease_owner IS NOT NULL AND lease_owner!=%s",
            (instance, seq, HELD),
        )
        if cur.rowcount:
            self._wake()
        return cur.rowcount

    def unpark_instance(self, n: int, seq: int, now: float) -> None:
        self._lock(n)
        self._x(
            "UPDATE {s}history SET ready_at=%s, blocked=NULL WHERE instance=%s AND seq=%s AND status<2 "
            "AND blocked IS NOT NULL",
            (now, n, seq),
        )
        self._x("UPDATE {s}instances SET blocked=NULL WHERE n=%s", (n,))
        self._wake()

    def rows_from(self, instance: int, seq: int) -> list[LeafRow]:
        rows = self._x(
            f"SELECT {LEAF_COLS} FROM {{s}}history WHERE instance=%s AND seq>=%s ORDER BY seq, pos",
            (instance, seq),
        ).fetchall()
        return [LeafRow(*r) for r in rows]

    def purge(self, before: float, limit: int) -> int:
        ns = [
            int(r[0])
            for r in self._x(
                "SELECT i.n FROM {s}instances i WHERE i.state IN ('completed', 'failed', 'canceled') "
                "AND i.finished_at<%s "
                "AND NOT EXISTS (SELECT 1 FROM {s}history h WHERE h.instance=i.n AND h.status<2) "
                "AND (i.parent IS NULL OR NOT EXISTS (SELECT 1 FROM {s}instances p WHERE p.n=i.parent "
                "AND p.state NOT IN ('completed', 'failed', 'canceled'))) ORDER BY i.n LIMIT %s "
                "FOR UPDATE OF i SKIP LOCKED",
                (before, limit),
            ).fetchall()
        ]
        for table in ("history", "events", "lineage", "version_moves"):
            self._x(f"DELETE FROM {{s}}{table} WHERE instance = ANY(%s)", (ns,))
        self._x("DELETE FROM {s}instances WHERE n = ANY(%s)", (ns,))
        return len(ns)


__all__ = ["PostgresControlStore"]
