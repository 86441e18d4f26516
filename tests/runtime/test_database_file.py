"""The database file deleted, replaced or damaged under a running worker: it stops with a clear error (WFC455,
WFC456) instead of writing into a file nobody reads or retrying forever."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import wfc
from wfc.runtime.errors import DatabaseDamaged, DatabaseReplaced, StoreError


@wfc.step
def tick(i: int) -> int:
    time.sleep(0.005)
    return i


@wfc.workflow
def ticking(n: int) -> int:
    total = 0
    for i in range(n):
        total += yield tick(i)
    return total


def _delete(db: Path) -> None:
    os.remove(db)


def _replace(db: Path) -> None:
    shutil.copy(db, db.with_suffix(".copy"))
    os.replace(db.with_suffix(".copy"), db)


def _zero_a_page(db: Path) -> None:
    conn = sqlite3.connect(db, timeout=10)
    # Everything in the main file, where the page is zeroed (a checkpoint the worker's open read holds back
    # reports busy and leaves frames in the WAL that would shadow the zeroed page).
    while conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] != 0:
        time.sleep(0.01)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'history'").fetchone()[0]
    conn.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\0" * page)
    # A commit elsewhere makes the worker drop its page cache, so it reads the damaged page from the file (a
    # process that never reads that page again would never know).
    conn = sqlite3.connect(db, timeout=10)
    conn.execute("UPDATE workers SET heartbeat_at = heartbeat_at")
    conn.commit()
    conn.close()


def _drop_a_column(db: Path) -> None:
    conn = sqlite3.connect(db, timeout=10)
    conn.execute("ALTER TABLE history DROP COLUMN shape")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("damage", "error", "words"),
    [
        (_delete, DatabaseReplaced, "was deleted"),
        (_replace, DatabaseReplaced, "was replaced"),
        (_zero_a_page, DatabaseDamaged, "damaged"),
        (_drop_a_column, DatabaseDamaged, "a table or column is missing"),
    ],
)
def test_a_worker_stops_when_its_database_goes_bad(
    tmp_path: Path, damage: Callable[[Path], None], error: type[StoreError], words: str
) -> None:
    db = tmp_path / "w.db"
    rt = wfc.Runtime(f"sqlite:///{db}", poll_interval=0.02)
    try:
        ids = [rt.start(ticking, 20_000) for _ in range(3)]  # runs until the damage stops the worker
        worker = rt.worker(concurrency=3)
        raised: list[BaseException] = []

        def run() -> None:
            try:
                worker.run()
            except BaseException as exc:
                raised.append(exc)

        worker.handle_signals = False
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        time.sleep(0.4)
        assert not any(rt.status(i).finished for i in ids)
        damage(db)
        thread.join(1)
        # The root page of `history` is rewritten every few steps: a write transaction of the worker that was
        # open while the page was zeroed commits its cached copy to the WAL, which hides the zeros (and the next
        # checkpoint copies it over them). Damage done again while the worker runs is still the same damage.
        for _ in range(40 if damage is _zero_a_page else 0):
            if not thread.is_alive():
                break
            damage(db)
            thread.join(0.25)
        thread.join(15)
        assert not thread.is_alive(), "the worker went on"
        assert len(raised) == 1 and isinstance(raised[0], error), raised
        exc = raised[0]
        assert words in str(exc) and exc.code in ("WFC455", "WFC456") and exc.hint
        assert worker.fatal is exc
    finally:
        try:
            rt.close()
        except StoreError:
            pass


def test_run_in_thread_keeps_the_reason(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with wfc.Runtime(f"sqlite:///{db}", poll_interval=0.02) as rt:
        worker = rt.worker()
        thread = worker.run_in_thread()
        os.remove(db)
        thread.join(10)
        assert not thread.is_alive()
        assert isinstance(worker.fatal, DatabaseReplaced)
