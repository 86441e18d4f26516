"""Workflows the schedule tests start (tests/schedules)."""

from __future__ import annotations

import wfc


@wfc.step
def stamp(label: str) -> str:
    return f"ran {label}"


@wfc.workflow(name="report")
def report(label: str = "daily") -> wfc.Workflow[str]:
    return (yield from stamp(label))


@wfc.workflow(name="long-job")
def long_job() -> wfc.Workflow[str]:
    """Runs until it is told to stop: the previous tick's instance is still running."""
    yield from wfc.wait_event("stop")
    return "stopped"



# Queues the schedules on a queue start their ticks on (tests/schedules/test_queued.py).
lane = wfc.Queue("sched-lane", concurrency=1)
tenant_lanes = wfc.Queue("sched-tenants", concurrency=1, priority=True, partitioned=True)


@wfc.step
def nap(label: str, seconds: float) -> str:
    import time

    time.sleep(seconds)
    return f"napped {label}"


@wfc.workflow(name="slow-report")
def slow_report(label: str, seconds: float) -> wfc.Workflow[str]:
    """One real-time step: its start and end in history bound the queue slot it holds."""
    return (yield from nap(label, seconds))
