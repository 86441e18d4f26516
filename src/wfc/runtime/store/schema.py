"""The SQLite schema, created and migrated with sqlite-utils: numbered migrations, each applied once and recorded
in ``wfc_migrations``. Each is idempotent (``IF NOT EXISTS``), so two processes opening a new database at once are
harmless. A database written by a newer wfc (a higher version) is refused."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from wfc.runtime.errors import ConfigError

SCHEMA_VERSION = 1


def _migration_1(db: sqlite_utils.Database) -> None:
    db.table("instances").create(
        {
            "n": int,
            "id": str,
            "workflow": str,
            "name": str,
            "table_hash": str,
            "state": str,
            "created_at": float,
            "updated_at": float,
            "parent": int,
            "parent_leaf": int,
            "on_complete": str,
            "context": str,
            "args": str,
            "result": str,
            "error": str,
            "finished_at": float,
            "blocked": str,
        },
        pk="n",
        not_null={"id", "workflow", "table_hash", "state"},
        if_not_exists=True,
    )
    db.table("history").create(
        {
            "id": int,
            "instance": int,
            "seq": int,
            "path": str,
            "kind": str,
            "name": str,
            "status": int,
            "step": str,
            "args": str,
            "kwargs": str,
            "retry": str,
            "result": str,
            "error": str,
            "attempts": int,
            "ready_at": float,
            "lease_owner": str,
            "lease_until": float,
            "scheduled_at": float,
            "started_at": float,
            "finished_at": float,
            "state_id": str,
            "snapshot": str,
            "shape": str,
            "blocked": str,
        },
        pk="id",
        not_null={"instance", "seq", "path", "kind", "status"},
        if_not_exists=True,
    )
    db.table("events").create(
        {
            "id": int,
            "instance": int,
            "name": str,
            "value": str,
            "error": str,
            "sent_at": float,
            "consumed_by": int,
        },
        pk="id",
        not_null={"instance", "name"},
        if_not_exists=True,
    )
    db.table("tables").create(
        {"hash": str, "workflow": str, "json": str, "created_at": float}, pk="hash", if_not_exists=True
    )
    db.table("workers").create(
        {"id": str, "host": str, "pid": int, "started_at": float, "heartbeat_at": float},
        pk="id",
        if_not_exists=True,
    )
    db.table("instances").create_index(["id"], unique=True, if_not_exists=True)
    db.table("instances").create_index(["state"], if_not_exists=True)
    db.table("instances").create_index(["workflow", "state"], if_not_exists=True)
    db.table("instances").create_index(["parent"], if_not_exists=True)
    db.table("history").create_index(["instance", "seq", "path"], unique=True, if_not_exists=True)
    # The work queue: open and resolved rows only, by due time (a partial index stays as small as the queue).
    db.execute("CREATE INDEX IF NOT EXISTS history_due ON history (ready_at) WHERE status < 2")
    db.execute("CREATE INDEX IF NOT EXISTS events_open ON events (instance, name) WHERE consumed_by IS NULL")
    db.execute("CREATE INDEX IF NOT EXISTS instances_blocked ON instances (n) WHERE blocked IS NOT NULL")


MIGRATIONS = [
    (1, "initial schema: instances, history (the work queue), events, tables, workers", _migration_1)
]


def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Apply the missing migrations (call inside a write transaction)."""
    db = sqlite_utils.Database(conn)
    db.table("wfc_migrations").create({"version": int, "name": str}, pk="version", if_not_exists=True)
    applied = {row[0] for row in conn.execute("SELECT version FROM wfc_migrations")}
    newest = max(applied, default=0)
    if newest > SCHEMA_VERSION:
        raise ConfigError(
            f"the database {path} has schema version {newest}, newer than this wfc knows ({SCHEMA_VERSION})",
            hint="upgrade wfc to the version that wrote this database",
        )
    for version, name, step in MIGRATIONS:
        if version not in applied:
            step(db)
            conn.execute("INSERT OR IGNORE INTO wfc_migrations VALUES (?, ?)", (version, name))
