"""Workflows and queues of the queue tests (imported by worker processes too: ``--app tests.queues.flows``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import wfc

one = wfc.Queue("one", concurrency=1)
two = wfc.Queue("two", concurrency=2)
ranked = wfc.Queue("ranked", concurrency=1, priority=True)
tenants = wfc.Queue("tenants", concurrency=1, partitioned=True)
paced = wfc.Queue("paced", rate_limit=(2, 10.0))
per_worker = wfc.Queue("per_worker", worker_concurrency=1)
unlimited = wfc.Queue("unlimited")
# the multi-process tests: two workers, limits that hold across them
shared = wfc.Queue("shared", concurrency=2)
throttled = wfc.Queue("throttled", rate_limit=(3, 1.0))
one_each = wfc.Queue("one_each", concurrency=2, worker_concurrency=1)


@wfc.step
def work(x: int) -> int:
    return x * 2


@wfc.workflow
def job(x: int) -> wfc.Workflow[int]:
    """A timer, then a step: it holds its slot for ten (virtual) seconds."""
    yield wfc.sleep(10)
    r = yield from work(x)
    return r


@wfc.workflow
def quick(x: int) -> wfc.Workflow[int]:
    r = yield from work(x)
    return r


@wfc.step
def busy(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x


@wfc.workflow
def slow(x: int, seconds: float) -> wfc.Workflow[int]:
    """One real-time step: its start and end (history) bound the slot it holds."""
    r = yield from busy(x, seconds)
    return r


@wfc.step
def hold(marker: str, x: int) -> int:
    """The first attempt (the one in the worker the test kills) blocks; a retry elsewhere returns at once."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(120)
    return x


@wfc.workflow
def held(marker: str, x: int) -> wfc.Workflow[int]:
    r = yield from hold(marker, x)
    return r


@wfc.workflow
def napper(seconds: int, x: int) -> wfc.Workflow[int]:
    """Holds its slot ``seconds`` (virtual), then a step."""
    yield wfc.sleep(seconds)
    r = yield from work(x)
    return r


@wfc.workflow
def started_on_queues(specs: list[dict[str, Any]]) -> wfc.Workflow[list[int]]:
    """Start one child per spec (its queue by name, priority, partition key, nap) and join them all."""
    handles = []
    for i, spec in enumerate(specs):
        child = napper.options(queue=spec["queue"], priority=spec.get("priority"), partition_key=spec.get("key"))
        h = yield from wfc.start_child(child, spec["nap"], i)
        handles.append(h)
        if spec.get("pause"):
            yield wfc.sleep(spec["pause"])
    out = yield wfc.all_of(*[wfc.join(h) for h in handles])
    return list(out)


@wfc.workflow
def called_and_started_on_queues(specs: list[dict[str, Any]]) -> wfc.Workflow[list[int]]:
    """Start the specs not marked ``called`` (with naps and pauses between), then wait on one all_of of their
    joins and of a call for each ``called`` spec: called and started children share the queues' lines."""
    waits: list[Any] = []
    for i, spec in enumerate(specs):
        child = napper.options(queue=spec["queue"], priority=spec.get("priority"), partition_key=spec.get("key"))
        if spec.get("called"):
            waits.append(child(spec["nap"], i))
            continue
        h = yield from wfc.start_child(child, spec["nap"], i)
        waits.append(wfc.join(h))
        if spec.get("pause"):
            yield wfc.sleep(spec["pause"])
    out = yield wfc.all_of(*waits)
    return list(out)
