"""The registry of what live workers serve (``wfc.runtime.serving``), on every store: a worker records the
workflows and table versions it runs in its ``workers`` row, and ``status()`` says precisely (``WFC437``) when no
live worker serves an instance's workflow or version — before any work of it is due, with the module to import."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from click.testing import CliRunner

import wfc
from wfc.cli.main import cli
from wfc.runtime.store import open_store

from . import flows


@contextmanager
def serving_worker(url: str, workflows: list[Any] | None = None) -> Iterator[wfc.Runtime]:
    """A real worker in a thread of this process, serving ``workflows`` (default: every one imported)."""
    rt = wfc.Runtime(url, workflows=workflows)
    worker = rt.worker()
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not any(w == rt.owner for w, _ in rt.store.serving(rt.clock.now())):
        assert time.monotonic() < deadline, "the worker did not publish what it serves"
        time.sleep(0.01)
    try:
        yield rt
    finally:
        worker.stop()
        thread.join(10)
        rt.close()


def _sleeping(url: str) -> str:
    """An instance of ``napper`` asleep for an hour: nothing of it is due, so no worker claims (or blocks) it."""
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.napper, 3600.0)
        rt.run_until_idle()
        assert rt.status(wid).state == "sleeping"
        return str(wid)


def test_a_worker_publishes_what_it_serves_while_it_runs(url: str) -> None:
    with serving_worker(url, workflows=[flows.chain, flows.napper]) as rt:
        ((owner, text),) = rt.store.serving(rt.clock.now())
        serves = json.loads(text)
        assert owner == rt.owner and sorted(serves) == sorted([flows.chain.key, flows.napper.key])
        current = rt.deployment.current(flows.chain).hash
        assert serves[flows.chain.key][0] == current
    with wfc.Runtime(url) as rt:
        assert rt.store.serving(rt.clock.now()) == []  # stopped: it serves nothing any more


def test_no_live_worker_serves_the_workflow(url: str) -> None:
    wid = _sleeping(url)
    with serving_worker(url, workflows=[flows.chain]) as rt:
        stalled = rt.status(wid).stalled
        assert stalled is not None and stalled.startswith("WFC437"), stalled
        assert flows.napper.key in stalled and "wfc worker --app tests.store.flows" in stalled
        with serving_worker(url, workflows=[flows.napper]):  # a second worker serves it: nothing to report
            assert rt.status(wid).stalled is None
        assert rt.status(wid).stalled.startswith("WFC437")  # type: ignore[union-attr]


def test_no_live_worker_runs_the_version(url: str) -> None:
    wid = _sleeping(url)
    old = "0123456789ab" + "0" * 52
    with wfc.Runtime(url) as rt, rt.db() as db:  # as if it had started on an older version of the code
        mark = "?" if db.paramstyle == "qmark" else "%s"
        schema = f'"{url.rsplit("schema=", 1)[1]}".' if "schema=" in url else ""
        db.execute(f"UPDATE {schema}instances SET table_hash={mark} WHERE id={mark}", (old, wid))
    with serving_worker(url, workflows=[flows.napper]) as rt:
        stalled = rt.status(wid).stalled
        assert stalled is not None and stalled.startswith("WFC437"), stalled
        assert "version 0123456789ab" in stalled and rt.deployment.current(flows.napper).hash[:12] in stalled
        assert "--versions" in stalled


def test_a_worker_that_stopped_heartbeating_serves_nothing(url: str) -> None:
    store = open_store(url)
    try:
        with store.transaction():
            store.register_worker("gone", "elsewhere", 1, 100.0)
            store.set_serving("gone", json.dumps({flows.napper.key: ["x"]}), 130.0)
            store.register_worker("here", "elsewhere", 2, 100.0)
            store.set_serving("here", json.dumps({flows.chain.key: ["y"]}), 130.0)
            store.heartbeat("here", 125.0, 155.0)  # its lease from its last heartbeat
        assert [w for w, _ in store.serving(129.0)] == ["gone", "here"]
        assert [w for w, _ in store.serving(140.0)] == ["here"]
        assert store.serving(156.0) == []
    finally:
        store.close()


def test_without_live_workers_status_falls_back_to_the_wait(url: str) -> None:
    """No registry to go by (work driven in-process, or no worker at all): nothing is claimed not to be served."""
    wid = _sleeping(url)
    with wfc.Runtime(url) as rt:
        assert rt.status(wid).stalled is None


def test_wfc_status_names_the_module_to_import(url: str) -> None:
    wid = _sleeping(url)
    with serving_worker(url, workflows=[flows.chain]):
        result = CliRunner().invoke(cli, ["status", wid, "--db", url])
        assert result.exit_code == 0, result.output
        assert "WFC437" in result.stdout and "tests.store.flows" in result.stdout
        result = CliRunner().invoke(cli, ["status", wid, "--db", url, "--json"])
        assert json.loads(result.stdout)["stalled"].startswith("WFC437")


def test_the_migration_adds_the_registry_to_an_older_database(url: str, store_kind: str) -> None:
    """A database at schema version 3 (no registry columns) is migrated once, idempotently."""
    store = open_store(url)
    schema = f'"{url.rsplit("schema=", 1)[1]}".' if store_kind == "postgresql" else ""
    with store.transaction():
        db = store.handle()
        for column in ("serves", "alive_until"):
            db.execute(f"ALTER TABLE {schema}workers DROP COLUMN {column}")
        db.execute(f"DELETE FROM {schema}wfc_migrations WHERE version=4")
    store.close()
    for _ in range(2):
        store = open_store(url)
        with store.transaction():
            store.register_worker("w", "h", 1, 1.0)
            store.set_serving("w", "{}", 2.0)
        assert store.serving(1.5) == [("w", "{}")]
        store.close()
