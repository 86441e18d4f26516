"""Workflows the store tests share, portable across stores (importable by worker subprocesses).

Transactional steps write a ledger table whose name is an argument (on PostgreSQL each test has its own schema and
puts its ledger there) and pick their placeholders by ``db.paramstyle`` — the portable way to write SQL for both."""

from __future__ import annotations

from typing import Any

import wfc


def ph(db: Any) -> str:
    """The placeholder of the store's driver: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return "?" if db.paramstyle == "qmark" else "%s"


@wfc.step
def add(a: int, b: int) -> int:
    return a + b


@wfc.step
def fail(message: str) -> None:
    raise ValueError(message)


@wfc.transaction
def record(db: Any, table: str, key: str, value: int) -> int:
    p = ph(db)
    db.execute(f"INSERT INTO {table} (key, value) VALUES ({p}, {p})", (key, value))
    return int(db.execute(f"SELECT count(*) FROM {table} WHERE key={p}", (key,)).fetchone()[0])


@wfc.transaction
def record_then_fail(db: Any, table: str, key: str) -> None:
    p = ph(db)
    db.execute(f"INSERT INTO {table} (key, value) VALUES ({p}, {p})", (key, -1))
    raise RuntimeError("rolled back")


@wfc.workflow
def chain(n: int) -> Any:
    total = 0
    for _ in range(n):
        total = yield add(total, 1)
    return total


@wfc.workflow
def ledger(table: str, key: str, n: int) -> Any:
    """``n`` transactional steps, one plain step between each: the ledger gets exactly ``n`` rows for ``key``."""
    count = 0
    total = 0
    for i in range(n):
        count = yield record(table, key, i)
        total = yield add(total, i)
    return [count, total]


@wfc.workflow
def ledger_fail(table: str, key: str) -> Any:
    try:
        yield record_then_fail(table, key)
    except RuntimeError as exc:
        return f"caught {exc}"
    return "not reached"


@wfc.workflow
def waiter(names: list[str]) -> Any:
    got = []
    for name in names:
        value = yield wfc.wait_event(name)
        got.append(value)
    return got


@wfc.workflow
def fan(n: int) -> Any:
    values = yield wfc.all_of(*[add(i, i) for i in range(n)])
    return sum(values)


@wfc.workflow
def race() -> Any:
    winner = yield wfc.any_of(wfc.wait_event("a"), wfc.wait_event("b"))
    return winner


@wfc.workflow
def sleeper(seconds: float) -> Any:
    yield wfc.sleep(seconds)
    total = yield add(1, 2)
    return total


@wfc.workflow
def parent(n: int) -> Any:
    results = yield wfc.all_of(*[chain(i) for i in range(n)])
    return results


@wfc.workflow
def events_and_steps(n: int) -> Any:
    """Steps and event waits interleaved: for the multi-process runs."""
    total = 0
    for i in range(n):
        total = yield add(total, i)
        if i % 5 == 4:
            value = yield wfc.wait_event(f"e{i}")
            total += value
    return total


@wfc.workflow
def crash_flow(table: str, key: str, n: int) -> Any:
    """For the multi-process runs: transactional steps (every 4th; each returns how many rows its key has, so a
    duplicate shows in the result), plain steps, and one event wait half way."""
    total = 0
    for i in range(n):
        if i % 4 == 0:
            count = yield record(table, key, i)
            total += 1000 * count
        elif i == n // 2:
            value = yield wfc.wait_event("go")
            total += value
        else:
            total = yield add(total, i)
    return total


def crash_expected(n: int, event_value: int) -> int:
    """What :func:`crash_flow` returns when every step ran exactly once (as plain Python computes it)."""
    total = 0
    count = 0
    for i in range(n):
        if i % 4 == 0:
            count += 1
            total += 1000 * count
        elif i == n // 2:
            total += event_value
        else:
            total += i
    return total


@wfc.step
def hold(marker: str, seconds: float) -> int:
    """Appends this process's pid to ``marker``, then takes ``seconds``: returns the pid that ran it."""
    import os
    import time

    with open(marker, "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return os.getpid()


@wfc.workflow
def held(table: str, key: str, marker: str, seconds: float) -> Any:
    pid = yield hold(marker, seconds)
    count = yield record(table, key, 1)
    return [pid, count]


@wfc.workflow
def steady(table: str, key: str, n: int) -> Any:
    """Steps paced by a short sleep, so a run lasts long enough to restart the server under it."""
    total = 0
    for i in range(n):
        if i % 5 == 0:
            yield record(table, key, i)
        total = yield add(total, i)
        yield wfc.sleep(0.05)
    return total


@wfc.step
def stamp() -> float:
    """The wall-clock time this step started (comparable across processes of one machine)."""
    import time

    return time.time()


@wfc.workflow
def napper(seconds: float) -> Any:
    before = yield stamp()
    yield wfc.sleep(seconds)
    after = yield stamp()
    return [before, after]
