"""The SQLite schema, created and migrated with sqlite-utils: numbered migrations, each applied once and recorded
in ``wfc_migrations``. Each is idempotent (``IF NOT EXISTS``), so two processes opening a new database at once are
harmless. A database written by a newer wfc (a higher version) is refused."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from wfc.runtime.errors import ConfigError
from wfc.runtime.store.common import history_ddl
from wfc.runtime.store.common_queues import QUEUE_INDEXES, QUEUES_DDL
from wfc.runtime.store.common_schedules import SCHEDULE_QUEUE_COLUMNS, SCHEDULES_DDL

SCHEMA_VERSION = 16


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
            "parent_seq": int,
            "parent_pos": int,
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
    # History is clustered by (instance, seq, pos): an instance's rows are one range of the table, so reading them
    # needs no secondary index (one index less to maintain on every step). sqlite-utils cannot declare WITHOUT ROWID.
    db.execute(history_ddl({"key": "INTEGER", "small": "INTEGER", "real": "REAL"}, " WITHOUT ROWID"))
    db.table("events").create(
        {
            "id": int,
            "instance": int,
            "name": str,
            "value": str,
            "error": str,
            "sent_at": float,
            "consumed_seq": int,
            "consumed_pos": int,
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
    # The work queue: open and resolved rows only, by due time (a partial index stays as small as the queue).
    db.execute("CREATE INDEX IF NOT EXISTS history_due ON history (ready_at) WHERE status < 2")
    db.execute("CREATE INDEX IF NOT EXISTS events_open ON events (instance, name) WHERE consumed_seq IS NULL")
    db.execute("CREATE INDEX IF NOT EXISTS instances_blocked ON instances (n) WHERE blocked IS NOT NULL")


def _migration_2(db: sqlite_utils.Database) -> None:
    """Workflow control (``wfc.runtime.control``): restarts and forks, version moves, held fan-out rows."""
    # A restart or fork continues the history of ``origin`` before ``origin_seq`` with this instance's rows from
    # ``seq`` on: one row per restart, so a restart never copies or moves the history (O(1)).
    db.execute(
        """CREATE TABLE IF NOT EXISTS lineage (
            instance INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            origin INTEGER NOT NULL,
            origin_seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (instance, seq)
        ) WITHOUT ROWID"""
    )
    # Each migration of an instance: from its suspension ``seq`` on it runs ``new_hash`` (a restart from an
    # earlier step goes back to the version that step was written by).
    db.execute(
        """CREATE TABLE IF NOT EXISTS version_moves (
            instance INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            old_hash TEXT NOT NULL,
            new_hash TEXT NOT NULL,
            at REAL NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS version_moves_instance ON version_moves (instance, seq)")
    db.execute("CREATE INDEX IF NOT EXISTS events_instance ON events (instance)")  # cleanup deletes by instance
    # Fan-out rows held back by a workflow's max_parallelism: a partial index as small as what is held, so
    # releasing the next one is a lookup, not a scan of the group.
    db.execute(
        "CREATE INDEX IF NOT EXISTS history_held ON history (instance, seq, pos) WHERE lease_owner = '~held'"
    )


def _migration_3(db: sqlite_utils.Database) -> None:
    """Events taken by a suspension's leaves, found by that suspension: deciding an ``any_of`` orders its events by
    when they were sent and gives back those a losing wait took (a lookup, not a scan of the instance's events)."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS events_taken ON events (instance, consumed_seq) WHERE consumed_seq IS NOT NULL"
    )


def _migration_4(db: sqlite_utils.Database) -> None:
    """What each worker serves (``wfc.runtime.serving``), and until when it counts as alive."""
    columns = {c.name for c in db.table("workers").columns}
    for name, kind in (("serves", str), ("alive_until", float)):
        if name not in columns:  # SQLite has no ADD COLUMN IF NOT EXISTS
            db.table("workers").add_column(name, kind)


def _migration_5(db: sqlite_utils.Database) -> None:
    """Failed step attempts, beside their history rows (clustered by row: a row's attempts are one range)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS attempts (
            instance INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            finished_at REAL NOT NULL,
            error TEXT NOT NULL,
            traceback TEXT,
            PRIMARY KEY (instance, seq, pos, attempt)
        ) WITHOUT ROWID"""
    )


def _migration_6(db: sqlite_utils.Database) -> None:
    """The W3C trace context an instance's spans continue (``wfc.runtime.tracing``), persisted with it so that
    a step run by another worker, after any restart, joins the trace of whoever started the instance."""
    if "trace" not in {c.name for c in db.table("instances").columns}:
        db.execute("ALTER TABLE instances ADD COLUMN trace TEXT")


def _migration_7(db: sqlite_utils.Database) -> None:
    """Events' deduplication ids (``send_event(..., event_id=)``): one per instance, found by an index as small
    as the events that have one."""
    if "dedup" not in {c.name for c in db.table("events").columns}:
        db.execute("ALTER TABLE events ADD COLUMN dedup TEXT")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS events_dedup ON events (instance, dedup) WHERE dedup IS NOT NULL")


def _migration_8(db: sqlite_utils.Database) -> None:
    """Values a workflow publishes (``wfc.set_status``), the last one per key, clustered by instance."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS statuses (
            instance INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (instance, key)
        ) WITHOUT ROWID"""
    )


def _migration_9(db: sqlite_utils.Database) -> None:
    """Durable schedules (``wfc.runtime.schedules``): one row each, found by name or by their next tick."""
    db.execute(SCHEDULES_DDL.format(key="TEXT", real="REAL"))
    db.execute("CREATE INDEX IF NOT EXISTS schedules_next ON schedules (next_at) WHERE paused = 0")


def _migration_10(db: sqlite_utils.Database) -> None:
    """Instances: when a graceful cancel was asked for (``Runtime.cancel``: the workflow runs its cleanup)."""
    if "cancel_requested" not in {c.name for c in db.table("instances").columns}:
        db.execute("ALTER TABLE instances ADD COLUMN cancel_requested REAL")


def _migration_11(db: sqlite_utils.Database) -> None:
    """Children started without waiting (``wfc.start_child``): an instance's close policy; the child instance a
    history row names (a child's id may be chosen)."""
    if "close_policy" not in {c.name for c in db.table("instances").columns}:
        db.execute("ALTER TABLE instances ADD COLUMN close_policy TEXT")
    if "child" not in {c.name for c in db.table("history").columns}:
        db.execute("ALTER TABLE history ADD COLUMN child TEXT")


def _migration_12(db: sqlite_utils.Database) -> None:
    """Instances by stable name: the dashboard's counts under a workflow filter match the name too, and read
    this covering index instead of the table."""
    db.execute("CREATE INDEX IF NOT EXISTS instances_name_state ON instances (name, workflow, state)")


def _migration_13(db: sqlite_utils.Database) -> None:
    """Failed attempts: when each started (its end was kept already); ``NULL`` for those recorded before."""
    if "started_at" not in {c.name for c in db.table("attempts").columns}:
        db.execute("ALTER TABLE attempts ADD COLUMN started_at REAL")


def _migration_14(db: sqlite_utils.Database) -> None:
    """Instances: the run number (``wfc.continue_as_new`` starts run 2, 3, ... under the same id; NULL is run 1)."""
    if "run" not in {c.name for c in db.table("instances").columns}:
        db.execute("ALTER TABLE instances ADD COLUMN run INTEGER")


# ---- queues (issue 14): migration 15 -------------------------------------------------------------------------


def _migration_15(db: sqlite_utils.Database) -> None:
    """Named queues (``wfc.runtime.queues``): the declared limits, one row per queue (also the row admission
    locks); an instance's queue, priority, partition, deduplication id, and when and by which worker it was
    admitted."""
    db.execute(QUEUES_DDL.format(key="TEXT", real="REAL"))
    columns = {c.name for c in db.table("instances").columns}
    for name, kind in (
        ("queue", "TEXT"), ("queue_priority", "INTEGER"), ("queue_partition", "TEXT"), ("queue_dedup", "TEXT"),
        ("admitted_at", "REAL"), ("admitted_by", "TEXT"),
    ):  # fmt: skip
        if name not in columns:
            db.execute(f"ALTER TABLE instances ADD COLUMN {name} {kind}")
    for ddl in QUEUE_INDEXES:
        db.execute(ddl)


def _migration_16(db: sqlite_utils.Database) -> None:
    """Schedules on a named queue: the queue, priority and partition each tick's instance is enqueued with."""
    columns = {c.name for c in db.table("schedules").columns}
    for name, kind in SCHEDULE_QUEUE_COLUMNS:
        if name not in columns:
            db.execute(f"ALTER TABLE schedules ADD COLUMN {name} {kind}")


# ---- end of queues ---------------------------------------------------------------------------------------------


MIGRATIONS = [
    (
        1,
        "initial schema: instances, history (clustered by instance; the work queue), events, tables, workers",
        _migration_1,
    ),
    (2, "workflow control: lineage of restarts and forks, version moves, held fan-out rows", _migration_2),
    (3, "events taken by a suspension, by suspension", _migration_3),
    (4, "what each worker serves, and until when it is alive", _migration_4),
    (5, "failed step attempts", _migration_5),
    (6, "instances: the trace context of their spans", _migration_6),
    (7, "events: deduplication ids", _migration_7),
    (8, "statuses a workflow publishes", _migration_8),
    (9, "schedules", _migration_9),
    (10, "instances: graceful cancel requests", _migration_10),
    (11, "started children: close policy, child ids on history rows", _migration_11),
    (12, "instances by stable name, for counts under a workflow filter", _migration_12),
    (13, "failed attempts: when each started", _migration_13),
    (14, "instances: run numbers (continue_as_new)", _migration_14),
    (15, "named queues: declared limits; instances' queue, priority, partition, dedup id, admission", _migration_15),
    (16, "schedules: the named queue (priority, partition) each tick's instance starts on", _migration_16),
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
