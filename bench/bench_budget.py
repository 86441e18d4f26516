"""What metering `.wf` code costs (not a timed test). Results go to docs/performance.md ("Budgets").

    .venv/bin/python bench/bench_budget.py

The same `.wf` tables run metered (as the runtime links them) and unmetered (the same table linked without the
instrumentation), in turns in one run (median of 5), so machine load affects both alike:

* loop: one transition of `.wf` code looping 200,000 times (`total += i * 2`), per iteration;
* steps: a durable `.wf` workflow of 2,000 sequential steps on an in-memory database, steps/s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import wfc  # noqa: E402
from wfc.dsl.loader import load_text  # noqa: E402
from wfc.runtime import budget  # noqa: E402
from wfc.runtime.link import machine_for  # noqa: E402
from wfc.runtime.machine import Machine  # noqa: E402

SOURCE = """
import "./bench_budget_steps.py" as steps

workflow loop(n: int) -> int {
  total = 0
  for i in range(n) { total += i * 2 }
  return total
}

workflow stepping(n: int) -> int {
  total = 0
  for i in range(n) {
    x = steps.inc(i)
    total += x
  }
  return total
}
"""

STEPS = '''
import wfc

@wfc.step
def inc(i: int) -> int:
    return i + 1
'''


def _load() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="wfc-bench-budget-"))
    (folder / "bench_budget_steps.py").write_text(STEPS)
    (folder / "b.wf").write_text(SOURCE)
    return load_text(SOURCE, str(folder / "b.wf"), base_dir=str(folder))


def _unmetered(defn: Any) -> Machine:
    metered = machine_for(defn)
    return Machine(metered.table, defn.namespace, defn.closure_values(), metered=False)


def _loop_once(machine: Machine, n: int) -> float:
    started = time.perf_counter()
    out = machine.start({"n": n})
    elapsed = time.perf_counter() - started
    assert type(out).__name__ == "Completed", out
    return elapsed / n


def _steps_once(defn: Any, machine: Machine | None, n: int) -> float:
    key = f"machine:{machine_for(defn).table.hash}"
    saved = defn.cache[key]
    if machine is not None:
        defn.cache[key] = machine
    try:
        with wfc.Runtime("sqlite:///:memory:") as rt:
            wid = rt.start(defn, n)
            started = time.perf_counter()
            rt.run_until_complete(wid)
            return n / (time.perf_counter() - started)
    finally:
        defn.cache[key] = saved


def main() -> None:
    wf = _load()
    unlimited = budget.Limits(operations=None)
    budget.use(unlimited)
    loop_metered, loop_plain = machine_for(wf["loop"]), _unmetered(wf["loop"])
    step_plain = _unmetered(wf["stepping"])
    rows: dict[str, list[float]] = {k: [] for k in ("loop metered", "loop plain", "steps metered", "steps plain")}
    for _ in range(5):
        rows["loop metered"].append(_loop_once(loop_metered, 200_000))
        rows["loop plain"].append(_loop_once(loop_plain, 200_000))
        rows["steps metered"].append(_steps_once(wf["stepping"], None, 2_000))
        rows["steps plain"].append(_steps_once(wf["stepping"], step_plain, 2_000))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"python {sys.version.split()[0]}")
    print(
        f"loop: {med['loop metered'] * 1e9:.0f} ns/iteration metered, {med['loop plain'] * 1e9:.0f} ns unmetered "
        f"(x{med['loop metered'] / med['loop plain']:.2f})"
    )
    print(
        f"steps: {med['steps metered']:,.0f} steps/s metered, {med['steps plain']:,.0f} unmetered "
        f"({med['steps metered'] / med['steps plain']:.0%})"
    )


if __name__ == "__main__":
    main()
