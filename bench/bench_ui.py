"""The dashboard's list at 100,000 instances (not a timed test). Results go to docs/performance.md ("Dashboard").

    .venv/bin/python bench/bench_ui.py            # SQLite, and PostgreSQL when WFC_BENCH_PG is set
    WFC_BENCH_PG=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_ui.py

100,000 instances written straight into the store's table (as tests/ui/test_paging.py does): workflow ``wf<k%3>``
(key ``m:wf<k%3>``), five states. For each filter, the best of 20 runs of the counts by state and of the first
page of 100 — and, side by side in the same run, the counts as one ``workflow = X OR name = X`` statement (how
they were counted before: that statement reads the table).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import wfc
from tests.ui.test_paging import _fill
from wfc.runtime.store.common_browse import _where
from wfc.runtime.store.protocol import Filter


def best(fn: Any, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1000


def measure(url: str, kind: str) -> None:
    with wfc.Runtime(url) as rt:
        _fill(rt, kind, url)
    with wfc.Client(url) as c:
        store: Any = c.store
        filters = {
            "none": Filter(),
            "state": Filter(states=("failed",)),
            "workflow (by name)": Filter(workflow="wf1"),
            "workflow (by key)": Filter(workflow="m:wf1"),
            "workflow + state": Filter(workflow="wf1", states=("waiting",)),
        }
        print(f"{kind}: filter | counts ms | page of 100 ms | counts as one OR statement ms")
        for label, f in filters.items():
            counts = best(lambda f=f: store.count_states(f))
            page = best(lambda f=f: store.browse_instances(f, 100))
            old = best(lambda f=f: store._count(*_where(f, with_states=False)))
            print(f"  {label:20} | {counts:7.2f} | {page:7.2f} | {old:7.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        measure(f"sqlite:///{d}/ui.db", "sqlite")
    pg = os.environ.get("WFC_BENCH_PG")
    if pg:
        measure(f"{pg}?schema=bench_ui_{uuid.uuid4().hex[:8]}", "postgresql")


if __name__ == "__main__":
    main()
