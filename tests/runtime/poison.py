"""Poisoned workflows of every kind, and healthy ones to run beside them (``test_poison``, ``test_signals``).

``python -m tests.runtime.poison serve DB [GRACE]``: a worker in the main thread (its own signal handlers) that
prints ``ready`` once up and ``stopped`` when its run returns.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import wfc
from wfc.dsl.loader import load

HERE = Path(__file__).resolve().parent


@wfc.step
def add(a: int, b: int) -> int:
    time.sleep(0.005)
    return a + b


@dataclasses.dataclass
class Handlers:
    """An application value whose iteration gives its bound methods (a .wf loop over it fails, WFC457)."""

    n: int = 0

    def total(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Any]:
        yield self.total


@wfc.step
def handlers() -> Handlers:
    return Handlers(2)


@wfc.step
async def slow_async(x: int) -> int:
    await asyncio.sleep(0.3)  # running while a poisoned async step raises on the same event loop
    return x * 2


@wfc.step
def exiting_step(code: int) -> int:
    raise SystemExit(code)


@wfc.step
def interrupting_step() -> int:
    raise KeyboardInterrupt("from a step")


@wfc.step
async def exiting_async(code: int) -> int:
    await asyncio.sleep(0.05)
    raise SystemExit(code)


@wfc.step
async def interrupting_async() -> int:
    await asyncio.sleep(0.05)
    raise KeyboardInterrupt("from an async step")


@wfc.step
async def cancelled_async() -> int:
    await asyncio.sleep(0.05)
    raise asyncio.CancelledError()


@wfc.workflow
def healthy(i: int) -> int:
    a = yield add(i, 1)
    b = yield slow_async(a)
    c = yield add(b, 0)
    return c


def healthy_result(i: int) -> int:
    return (i + 1) * 2


@wfc.workflow
def exits_in_code(code: int) -> int:
    yield add(1, 1)
    raise SystemExit(code)


@wfc.workflow
def interrupts_in_code() -> int:
    yield add(1, 1)
    raise KeyboardInterrupt


@wfc.workflow
def calls(kind: str) -> int:
    if kind == "exit":
        value = yield exiting_step(3)
    elif kind == "interrupt":
        value = yield interrupting_step()
    elif kind == "async-exit":
        value = yield exiting_async(4)
    elif kind == "async-interrupt":
        value = yield interrupting_async()
    else:
        value = yield cancelled_async()
    return value


@wfc.step
def mark(path: str) -> int:
    Path(path).write_text("step ran")
    return 1


@wfc.workflow
def python_spin(marker: str) -> int:
    """Endless Python workflow code (trusted code has no fuel): only a signal stops the worker running it."""
    yield mark(marker)
    i = 0
    while True:
        i += 1
    return i


def wf_workflows() -> dict[str, Any]:
    """The workflows of ``poison.wf`` (loaded once per process; loading again gives the same definitions)."""
    return load(HERE / "poison.wf")


def serve(url: str, grace: float) -> None:
    wf_workflows()
    rt = wfc.Runtime(url, poll_interval=0.02)
    print("ready", flush=True)
    try:
        rt.worker(concurrency=4, grace=grace).run()
    finally:
        rt.close()
        print("stopped", flush=True)


if __name__ == "__main__":
    from tests.runtime import poison  # the workflows under their importable names, as the tests register them

    poison.serve(f"sqlite:///{sys.argv[2]}", float(sys.argv[3]) if len(sys.argv) > 3 else 10.0)
