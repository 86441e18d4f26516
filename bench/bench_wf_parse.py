"""Benchmark: parse + check + lower (and compile to a table) of a generated 2,000-line .wf file.

    .venv/bin/python bench/bench_wf_parse.py [--lines 2000] [--repeat 5]

Prints the best of ``--repeat`` runs for each phase and lines per second. The target is parse + check + compile
under 300 ms for 2,000 lines. Not a timed test: run it by hand and record results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT / "examples" / "wf"))

import wfc  # noqa: E402
from wfc.dsl.loader import analyze, definitions  # noqa: E402
from wfc.dsl.parser import parse_module, parser  # noqa: E402

WORKFLOW = """\
# workflow {i}: an order with a retry, a loop, a parallel group and error handling
workflow order_{i}(order_id: str, amount: float, items: list[str] = []) -> dict {{
    order = shop.lookup(order_id)
    total = 0.0
    for item in order["items"] {{
        price = shop.price(item)
        total += price * 1.5 + len(item) - 2
        if total > 100 and item != "pen" {{
            log warning "order {{order_id}} is large: {{total:.2f}}"
        }} elif total < 0 {{
            fail "negative total for {{order_id}}"
        }}
    }}
    try {{
        receipt = shop.charge(order_id, amount) with retry(max_attempts = 3, initial_backoff = 2s)
    }} catch shop.CardDeclined as e {{
        shop.notify(order["email"], "declined: {{e}}")
        return {{"ok": false, "reason": str(e)}}
    }}
    held = all of (shop.reserve(x) for x in items)
    counts = {{"held": len(held), "skus": sorted([upper(x) for x in items if x != ""])}}
    n = 0
    while n < 3 {{
        n += 1
        if n == 2 {{ continue }}
    }}
    parcel = shop.ship(order_id)
    sleep 1h
    return {{"ok": true, "receipt": receipt, "parcel": parcel, "counts": counts, "n": n}}
}}

"""


def generate(lines: int) -> str:
    out = ["import shop\n\n"]
    i = 0
    while sum(part.count("\n") for part in out) < lines:
        out.append(WORKFLOW.format(i=i))
        i += 1
    return "".join(out)


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()  # as timeit does: a collection in the middle of one run is noise
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--lines", type=int, default=2000)
    args.add_argument("--repeat", type=int, default=15)
    opts = args.parse_args()

    text = generate(opts.lines)
    n = text.count("\n")
    workflows = text.count("\nworkflow ")
    base = ROOT / "examples" / "wf"
    t0 = time.perf_counter()
    parser()
    build = time.perf_counter() - t0
    analyze(text, "bench.wf", base, None, key_base="bench.wf")  # warm up: imports, caches

    def full() -> None:
        analysis = analyze(text, "bench.wf", base, None, key_base="bench.wf")
        assert analysis.ok, analysis.diagnostics[:3]
        for defn in definitions(analysis).values():
            wfc.compile(defn)

    # The phases take turns, so that a busy machine slows them alike; the best of each is reported.
    runs = [
        (
            timed(lambda: parse_module(text, "bench.wf")),
            timed(lambda: analyze(text, "bench.wf", base, None, key_base="bench.wf")),
            timed(full),
        )
        for _ in range(opts.repeat)
    ]
    parse, front, total = (min(r[i] for r in runs) for i in range(3))
    print(f"{n} lines, {workflows} workflows, {len(text)} bytes (best of {opts.repeat})")
    print(f"  parser construction (once per process): {build * 1000:8.1f} ms")
    print(f"  parse:                                   {parse * 1000:8.1f} ms  {n / parse:10,.0f} lines/s")
    print(f"  parse + check + lower to front-end AST: {front * 1000:8.1f} ms  {n / front:10,.0f} lines/s")
    print(f"  ... + compile every table (wfc.compile): {total * 1000:8.1f} ms  {n / total:10,.0f} lines/s")


if __name__ == "__main__":
    main()
