"""Compiler and interpreter benchmarks (issue 2). Run: .venv/bin/python bench/bench_compile.py

1. Compile time of a generated workflow of ~500 lines with 100 yields (target < 200 ms).
2. Cost of one transition of the in-memory machine: resume → next suspension, for a typical block
   (a few assignments, a branch, a loop cursor), target < 20 µs.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import wfc
from wfc.runtime.link import bind_arguments, machine_for
from wfc.runtime.machine import Suspended

HEADER = "import wfc\n\n\n@wfc.step\ndef s(n):\n    return n\n\n\n@wfc.workflow\ndef big(a, b):\n    total = 0\n"


def generate(yields: int = 100) -> str:
    """About five lines per yield: a step, a branch, arithmetic, a loop, a try."""
    lines = []
    for i in range(yields):
        kind = i % 4
        if kind == 0:
            lines += [f"    x{i} = yield s(a + {i})", f"    total += x{i}", f"    if total > {i * 3}:",
                      "        b = b + 1", "    a = (a * 7 + b) % 101"]
        elif kind == 1:
            lines += [f"    for j in range({i % 5}):", f"        total += yield s(j + {i})",
                      "        if total % 3 == 0:", "            break", "    b = total - a"]
        elif kind == 2:
            lines += ["    try:", f"        y = yield s(total % {i + 1})", "    except ValueError:",
                      "        y = 0", "    total += y"]
        else:
            lines += [f"    while b < {i}:", "        b += 1", f"        z = yield s(b * {i})",
                      "        total ^= z", "    a += 1"]
    return HEADER + "\n".join(lines) + "\n    return total\n"


def load(source: str) -> object:
    path = Path(tempfile.mkdtemp()) / "bench_generated.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("bench_generated", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generated"] = module
    spec.loader.exec_module(module)
    return module


def bench_compile() -> tuple[int, int, float]:
    source = generate()
    module = load(source)
    times = []
    for _ in range(7):
        module.big.cache.clear()  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        table = wfc.compile(module.big)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - t0)
    return source.count("\n"), len(table.suspensions), statistics.median(times)


@wfc.step
def step(n: int) -> int:
    return n


@wfc.workflow
def typical(items: list[int]):
    total = 0
    for item in items:
        value = yield step(item)
        if value % 2:
            total += value * 3
        else:
            total -= 1
        label = f"{item}:{total}"
    return total, label


def bench_transition(n: int = 20_000) -> float:
    machine = machine_for(typical)
    v = bind_arguments(typical, (list(range(n)),), {})
    outcome = machine.start(v)
    t0 = time.perf_counter()
    count = 0
    while isinstance(outcome, Suspended):
        outcome = machine.resume(outcome.state, outcome.vars, value=count)
        count += 1
    return (time.perf_counter() - t0) / count


def main() -> None:
    lines, yields, seconds = bench_compile()
    print(f"compile: {lines} lines, {yields} suspensions: {seconds * 1000:.1f} ms (target < 200 ms)")
    per = bench_transition()
    print(f"transition (resume -> next suspension, typical block): {per * 1e6:.2f} us (target < 20 us)")


if __name__ == "__main__":
    main()
