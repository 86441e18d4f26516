"""Which workers are alive: heartbeats everywhere, a process check only where it provably means something.

A worker's id (its lease owner) is unique to its process's lifetime: ``name:pid:uuid4``, with a fresh random
UUID each time a runtime starts, so two processes never share one — not even two containers whose processes
both have PID 1 under the same hostname. Leases end by themselves when their worker stops extending them (the
heartbeat); that is what decides liveness across machines and containers.

The fast path — releasing the leases of a worker whose process is gone, at once, instead of waiting for its
leases to end — asks the kernel (``kill(pid, 0)``), which is only meaningful for a process in the *same PID
namespace of the same boot*. Workers register under a *locality* that names exactly that: the hostname, the
kernel's boot id and the PID namespace (``/proc/self/ns/pid``). Only workers of the same locality are checked by
PID; when either identity cannot be read, the locality is unique to this process, and only heartbeats count.
"""

from __future__ import annotations

import os
import socket
import uuid


def worker_id(name: str | None = None) -> str:
    """A lease owner unique to this process's lifetime (``name`` — default: the hostname — is for people)."""
    return f"{name or socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def _read(path: str, link: bool = False) -> str | None:
    try:
        if link:
            return os.readlink(path)
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def locality(host: str | None = None) -> str:
    """Where a PID means the same process: hostname, boot id and PID namespace (unique if unknown)."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    namespace = _read("/proc/self/ns/pid", link=True)
    host = host or socket.gethostname()
    if boot is None or namespace is None:
        return f"{host} unknown:{uuid.uuid4().hex}"  # never equal to another's: heartbeats only
    return f"{host} boot:{boot} {namespace}"


def alive(pid: int) -> bool:
    """Whether process ``pid`` of this PID namespace is running (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


__all__ = ["alive", "locality", "worker_id"]
