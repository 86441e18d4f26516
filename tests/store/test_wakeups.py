"""Wake-ups between processes, on both stores: an idle worker in another process takes up a new workflow at once
(PostgreSQL: LISTEN/NOTIFY; SQLite: a datagram after the commit), not at its next poll. The worker here polls
every 30 s, so anything faster than that is a wake-up."""

from __future__ import annotations

import time

import wfc

from . import flows
from .test_multiprocess import spawn, stop


def test_an_idle_worker_in_another_process_is_woken_by_a_start(url: str) -> None:
    with wfc.Runtime(url) as rt:
        worker = spawn(url, poll=30.0)
        try:
            time.sleep(1.0)  # idle, past its first claim
            for n in (1, 2, 3):
                wid = rt.start(flows.chain, n)
                t = time.monotonic()
                while not rt.status(wid).finished:
                    assert time.monotonic() - t < 10.0, "the worker was not woken (it polls every 30 s)"
                    time.sleep(0.005)
                assert rt.result(wid) == n
            # an event sent from this process wakes it too
            wid = rt.start(flows.waiter, ["go"])
            time.sleep(0.5)
            rt.send_event(wid, "go", 7)
            t = time.monotonic()
            while not rt.status(wid).finished:
                assert time.monotonic() - t < 10.0, "the event did not wake the worker"
                time.sleep(0.005)
            assert rt.result(wid) == [7]
        finally:
            stop([worker])
