"""Two durable schedules: one declared on its workflow, one made at run time (docs/schedules.md)."""

from __future__ import annotations

import wfc


@wfc.step
def build_report(region: str) -> str:
    return f"report for {region}"


@wfc.schedule("0 9 * * MON", name="weekly-report", args=["eu"], timezone="Europe/Berlin")
@wfc.workflow(name="weekly-report")
def weekly_report(region: str) -> wfc.Workflow[str]:
    return (yield from build_report(region))


@wfc.workflow(name="heartbeat")
def heartbeat() -> wfc.Workflow[str]:
    return (yield from build_report("ping"))


def install(rt: wfc.Runtime) -> None:
    """What a service does once at start (a worker installs the declared schedule on its own)."""
    rt.schedule("every-minute", heartbeat, every=60, overlap="skip", catch_up="latest")
