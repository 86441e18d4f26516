"""Wake-ups between processes on one SQLite file, without polling the database: the counterpart of PostgreSQL's
``LISTEN/NOTIFY``.

Each process that subscribes (a worker, a ``watch``) binds a Unix datagram socket in a directory named after the
database file's real path (``$TMPDIR/wfc-wake-<hash>/``). A transaction that makes work claimable by others (a new
instance, an event, a retry, a timer, a released lease, a cancel) sends one byte to every socket there after its
``COMMIT``. A socket whose process is gone refuses the datagram and is removed. Nothing depends on a wake-up
arriving: an idle worker still looks at the table every few seconds (``worker.IDLE_LOOK``), so a lost datagram or
a database shared across machines (where the sockets are not shared) only costs latency.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import tempfile
import threading
import uuid
from pathlib import Path

from wfc.runtime.store.subscribers import Subscribers

log = logging.getLogger("wfc.runtime")


def wake_dir(db_path: str) -> Path:
    real = os.path.realpath(db_path)
    digest = hashlib.sha1(real.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"wfc-wake-{digest}"


class Waker:
    """Sends wake-ups to the other subscribers of one database file."""

    def __init__(self, db_path: str) -> None:
        self.dir = wake_dir(db_path)
        self._sock: socket.socket | None = None
        self._mtime = -1.0
        self._targets: list[str] = []
        self.own: str | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            try:
                mtime = self.dir.stat().st_mtime
            except OSError:
                return  # nobody listens
            if mtime != self._mtime:
                self._mtime = mtime
                with contextlib.suppress(OSError):
                    self._targets = [str(p) for p in self.dir.iterdir() if p.name.endswith(".sock")]
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.setblocking(False)
            for target in self._targets:
                if target == self.own:
                    continue
                try:
                    self._sock.sendto(b"w", target)
                except BlockingIOError:
                    pass  # its buffer is full of wake-ups already
                except (ConnectionRefusedError, FileNotFoundError):
                    with contextlib.suppress(OSError):
                        os.unlink(target)  # its process is gone
                except OSError:
                    pass

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


class Listener(Subscribers):
    """One socket per process and database; calls its subscribers on every datagram."""

    def __init__(self, db_path: str, waker: Waker) -> None:
        super().__init__()
        self.dir = wake_dir(db_path)
        self._stop = threading.Event()
        self.dir.mkdir(mode=0o700, exist_ok=True)
        self.path = str(self.dir / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.5)
        waker.own = self.path
        self.thread = threading.Thread(target=self._run, name="wfc-wake", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(2.0)
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sock.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return
            self.fire()
