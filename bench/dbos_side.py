"""DBOS's half of bench/bench_dbos.py. It runs in a venv of its own (with ``dbos`` installed, not wfc), launched by
bench_dbos.py, and answers commands read from stdin, one per line, with one JSON line each on stdout:

    seq N            one workflow of N sequential steps, run to its end: {"seconds": ...}
    many W S C       W workflows of S steps, started at once on a queue of worker concurrency C: {"seconds": ...}
    spawn W S        the same, every workflow started with DBOS.start_workflow (no queue, no limit)
    quit

The workflows are the same as wfc's (bench/scale_flows.py): a step returns its argument plus one.
"""

from __future__ import annotations

import json
import sys
import time

from dbos import DBOS, DBOSConfig


@DBOS.step()
def inc(x: int) -> int:
    return x + 1


@DBOS.workflow()
def chain(n: int) -> int:
    total = 0
    for _ in range(n):
        total = inc(total)
    return total


def main(url: str) -> None:
    config: DBOSConfig = {"name": "wfc-bench", "system_database_url": url, "log_level": "WARNING"}
    DBOS(config=config)
    DBOS.launch()
    # the fastest settings DBOS offers for the comparison: the queue looks for work every 10 ms (default 1 s)
    queue = DBOS.register_queue("bench", worker_concurrency=25, polling_interval_sec=0.01)
    assert chain(20) == 20  # warm up: schema, connections, prepared plans
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "quit":
            break
        t = time.perf_counter()
        if cmd == "seq":
            n = int(args[0])
            assert chain(n) == n
        elif cmd in ("many", "spawn"):
            workflows, steps = int(args[0]), int(args[1])
            if cmd == "many":
                handles = [queue.enqueue(chain, steps) for _ in range(workflows)]
            else:
                handles = [DBOS.start_workflow(chain, steps) for _ in range(workflows)]
            for h in handles:
                assert h.get_result() == steps
        else:
            raise SystemExit(f"unknown command {cmd!r}")
        print(json.dumps({"seconds": time.perf_counter() - t}), flush=True)
    DBOS.destroy()


if __name__ == "__main__":
    main(sys.argv[1])
