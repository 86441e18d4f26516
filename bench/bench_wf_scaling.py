"""Benchmark: checking a ``.wf`` file costs time and memory linear in its size, for the inputs that were not.

    .venv/bin/python bench/bench_wf_scaling.py [--repeat 3]

Three shapes, each at size n and 4n, measured side by side in one run (the ratio is what matters on a shared
machine): one workflow with n interpolated strings (each ``{...}`` used to be re-lexed after padding it to its
place in the file: quadratic), n small workflow declarations, and one string literal of n characters (the lexer's
regex used to keep a backtracking record per character: ~440 bytes of memory per character). Linear means the
4n/n time ratio is near 4 and the memory per character stays flat. Not a timed test: run it by hand and record
results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from wfc.dsl.loader import analyze
from wfc.dsl.parser import parser


def interpolations(n: int) -> str:
    body = "\n".join(
        f'    x{i} = "order {{a}} line {i}: {{a + {i}}} of {{len(b)}} ({{b:>8}})"' for i in range(n)
    )
    return f"workflow w(a: int, b: str) -> int {{\n{body}\n    return 1\n}}\n"


def declarations(n: int) -> str:
    return "".join(
        f'workflow w{i}(a: int, b: str = "x") -> int {{\n    if a > {i} {{ return a + {i} }}\n    return len(b)\n}}\n'
        for i in range(n)
    )


def string_literal(n: int) -> str:
    return 'workflow w() -> str {\n    return "' + "x" * n + '"\n}\n'


SHAPES: dict[str, tuple[Callable[[int], str], int]] = {
    "interpolations": (interpolations, 1000),
    "declarations": (declarations, 1000),
    "string literal": (string_literal, 100_000),
}


def check(text: str) -> None:
    analysis = analyze(text, "bench.wf", Path("."), None, key_base="bench.wf", execute_imports=False)
    assert analysis.ok, [d.render() for d in analysis.diagnostics][:3]


def best_time(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        check(text)
        best = min(best, time.perf_counter() - t0)
    return best


def peak_memory(text: str) -> int:
    gc.collect()
    tracemalloc.start()
    check(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    parser()  # built once per process; not part of a check
    print(f"{'shape':16} {'n':>8} {'bytes':>9} {'time':>9} {'4n/n':>6} {'peak B/byte':>12}")
    for name, (make, n) in SHAPES.items():
        small, large = make(n), make(4 * n)
        t_small, t_large = best_time(small, args.repeat), best_time(large, args.repeat)
        for size, text, t in ((n, small, t_small), (4 * n, large, t_large)):
            ratio = f"{t_large / t_small:6.2f}" if size == 4 * n else ""
            per_byte = peak_memory(text) / len(text)
            print(f"{name:16} {size:>8} {len(text):>9} {t * 1000:>7.0f}ms {ratio:>6} {per_byte:>12.1f}")


if __name__ == "__main__":
    main()
