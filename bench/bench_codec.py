"""Benchmark of the codec that persists live variables (not a timed test). Results: docs/performance.md ("Codec").

    .venv/bin/python bench/bench_codec.py

Encodes twenty small variables (ints, strings, floats, None, bools, short lists and dicts) — what a typical
workflow holds between two steps — with the general codec (``convert.dumps_vars``) and with the runtime's fast
path (``fastcodec.dumps_vars``, which writes scalars and loop cursors byte for byte as the codec would), and
decodes them back. Best of 5 runs of 2,000 each, µs per call.
"""

from __future__ import annotations

import timeit

from wfc import convert
from wfc.runtime import fastcodec

VALUES = [1, "s", 2.5, None, True, [1, 2], {"a": 1}, "x" * 20]
VARIABLES = {f"v{i}": VALUES[i % len(VALUES)] for i in range(20)}
SCALARS = {f"v{i}": v for i, v in enumerate([1, "s", 2.5, None, True, "x" * 20] * 4)}
RUNS = 2000


def per_call(fn: object) -> float:
    return min(timeit.repeat(fn, number=RUNS, repeat=5)) / RUNS * 1e6  # type: ignore[arg-type]


def main() -> None:
    text = convert.dumps_vars(VARIABLES)
    assert convert.loads_vars(text) == VARIABLES
    fast = fastcodec.dumps_vars(SCALARS)
    assert fast is not None and convert.loads_vars(fast) == SCALARS and fast == convert.dumps_vars(SCALARS)
    rows = [
        ("encode 20 small variables (codec)", per_call(lambda: convert.dumps_vars(VARIABLES))),
        ("decode them (codec)", per_call(lambda: convert.loads_vars(text))),
        ("encode 24 scalars (codec)", per_call(lambda: convert.dumps_vars(SCALARS))),
        ("encode 24 scalars (fast path)", per_call(lambda: fastcodec.dumps_vars(SCALARS))),
    ]
    for what, us in rows:
        print(f"{what:40} {us:8.1f} µs")


if __name__ == "__main__":
    main()
