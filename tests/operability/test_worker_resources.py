"""A worker's start/stop releases what it opened (each once leaked its asyncio loop: 6 descriptors became 69)."""

from __future__ import annotations

import os
from pathlib import Path

import wfc

from . import flows


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_fifty_worker_starts_and_stops_leak_no_descriptors(tmp_path: Path) -> None:
    with wfc.Runtime(f"sqlite:///{tmp_path / 'w.db'}", poll_interval=0.01) as rt:
        wid = rt.start(flows.async_doubler, 4)
        w = rt.worker(concurrency=2)
        w.run_in_thread()
        assert rt.run_until_complete(wid, timeout=10) == 8  # the loop ran an async step
        w.stop()
        assert w.join(10)
        before = _open_descriptors()
        for _ in range(50):
            w = rt.worker(concurrency=2)
            w.run_in_thread()
            w.stop()
            assert w.join(10)
        assert _open_descriptors() <= before + 2
