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


def test_a_lost_listen_connection_makes_workers_poll_until_it_is_back() -> None:
    """While the LISTEN connection is down the store says it does not notify (an idle worker then polls every
    ``poll_interval`` instead of sleeping until the next due time); back, it notifies and wakes its subscribers
    (a notification sent meanwhile was lost: they look again)."""
    import threading

    import psycopg

    from wfc.runtime.store import open_store

    from .. import pg

    with pg.schema_url("listen") as url:
        store = open_store(url)
        woken = threading.Event()
        try:
            stop_it = store.subscribe(woken.set)
            assert store.notifies
            channel = f"wfc_{url.rsplit('schema=', 1)[1]}"
            with psycopg.connect(pg.server(), autocommit=True) as conn:
                killed = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s", (f"LISTEN {channel}",)
                ).fetchall()
            assert killed == [(True,)]
            assert woken.wait(10), "the listener did not come back"  # its reconnection wakes the subscribers
            assert store.notifies
            stop_it()
        finally:
            store.close()


def test_a_listener_that_cannot_connect_does_not_claim_to_notify() -> None:
    from wfc.runtime.store.postgres.notify import Listener

    listener = Listener("postgresql://postgres@127.0.0.1:1/test", "wfc_nowhere")
    try:
        assert listener.listening is False
    finally:
        listener.stop()
