"""Wake-ups by ``LISTEN/NOTIFY``: one connection per process listens on the schema's channel and calls the
subscribers (a worker's wake-up, a ``watch``) on every notification.

A transaction that makes work claimable by other processes sends ``NOTIFY wfc_<schema>`` together with its
``COMMIT`` (PostgreSQL delivers it only if the transaction commits, and only after). The listener reconnects by
itself when the connection drops, and wakes its subscribers once it is back (a notification sent while it was
away is lost, so they look at the table again).
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from wfc.runtime.store.subscribers import Subscribers

log = logging.getLogger("wfc.runtime")


class Listener(Subscribers):
    def __init__(self, conninfo: str, channel: str) -> None:
        super().__init__()
        self.conninfo = conninfo
        self.channel = channel
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.listening = False  # while false (connecting, or the connection lost) subscribers must poll
        self.thread = threading.Thread(target=self._run, name=f"wfc-listen-{channel}", daemon=True)
        self.thread.start()
        self._ready.wait(5.0)  # normally connected at once; without a server, subscribers poll meanwhile

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(3.0)

    def _run(self) -> None:
        delay = 0.05
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self.listening = True
                    self._ready.set()
                    if not first:
                        self.fire()  # notifications sent while we were away are lost: look again
                    first = False
                    delay = 0.05
                    while not self._stop.is_set():
                        # notifies(timeout=) returns after the timeout so that stop() is seen
                        for _n in conn.notifies(timeout=0.5):
                            self.fire()
            except psycopg.Error as exc:
                self.listening = False
                self._ready.set()
                if self._stop.is_set():
                    return
                log.info("LISTEN connection lost (%s); reconnecting in %.2fs", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 2.0)
            except Exception:  # pragma: no cover - a bug: keep trying rather than lose wake-ups
                self.listening = False
                log.exception("LISTEN loop failed")
                time.sleep(1.0)
