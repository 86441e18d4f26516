"""``python -m tests.values.restart DB PHASE``: one process's share of a run that a restart interrupts. ``start``
starts ``values_checkout`` with pydantic/msgspec/user-codec arguments and runs it until it waits for its event;
``finish`` (a fresh process) sends the event, runs it to the end and prints the result's JSON."""

from __future__ import annotations

import datetime as dt
import json
import sys

import wfc
from wfc.testing import FakeClock

from . import flows


def main(db: str, phase: str) -> None:
    clock = FakeClock()
    rt = wfc.Runtime(f"sqlite:///{db}", clock=clock)
    if phase == "start":
        h = rt.start(flows.checkout, flows.sample_order(), flows.Money(300, "EUR"),
                     flows.Point(1, 2, dt.date(2024, 1, 2)), id="restarted")  # fmt: skip
        rt.run_until_idle()
        clock.advance(61)
        rt.run_until_idle()
        print(rt.status(h).state.value)
    else:
        rt.send_event("restarted", "approve", "yes")
        print(json.dumps(summary(rt.run_until_complete("restarted"))))
    rt.close()


def summary(result: dict[str, object]) -> dict[str, object]:
    """What the tests compare: the values' types and their Python-mode dumps."""
    out: dict[str, object] = {}
    for k, v in result.items():
        if hasattr(v, "model_dump"):
            out[k] = [type(v).__qualname__, repr(v.model_dump())]
        else:
            out[k] = [type(v).__qualname__, repr(v)]
    return out


if __name__ == "__main__":
    main(*sys.argv[1:3])
