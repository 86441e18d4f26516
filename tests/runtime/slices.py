"""One slice of the durable differential test, run as its own process (see ``test_differential_restart.py``).

``python -m tests.runtime.slices DB DIR PHASE``: import every generated program in DIR under its file name, open
the runtime on DB with a clock at ``PHASE * 100`` seconds after the epoch, and run whatever is due until nothing
is. Phase 0 starts one instance per program and argument pair first. ``PHASE`` ``final`` lets the clock jump to
each timer and runs every instance to its end, then prints the outcomes and step calls as JSON (the other phases
print how many instances still wait). Every slice ends its process: the next one continues from the database
alone.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import wfc
from wfc.runtime.clock import EPOCH

ARGS = [(0, 1), (2, 5), (4, 3)]


def load(directory: Path) -> dict[str, Any]:
    modules = {}
    for path in sorted(directory.glob("wfc_slice_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        modules[path.stem] = module
    return modules


def outcome(rt: wfc.Runtime, wid: str) -> list[Any]:
    try:
        value = rt.run_until_complete(wid)
    except Exception as exc:
        result = ["raised", type(exc).__name__, str(exc)]
    else:
        result = ["returned", repr(value)]
    calls = [repr((h.name, h.args, h.attempts, h.error)) for h in rt.history(wid) if h.kind == "step"]
    return [result, calls]


def main(db: str, directory: str, phase: str) -> None:
    modules = load(Path(directory))
    final = phase == "final"
    start = EPOCH + dt.timedelta(seconds=100 * (100 if final else int(phase)))
    rt = wfc.Runtime(f"sqlite:///{db}", clock=wfc.testing.FakeClock(start, auto_advance=final))
    ids = Path(directory) / "ids.json"
    if phase == "0":
        started = {f"{name}/{i}": rt.start(m.wf, *args) for name, m in modules.items() for i, args in enumerate(ARGS)}
        ids.write_text(json.dumps(started))
    started = json.loads(ids.read_text())
    if not final:
        rt.run_until_idle()
        waiting = sum(1 for wid in started.values() if not rt.status(wid).finished)
        rt.close()
        print(json.dumps({"waiting": waiting}))
        return
    results = {key: outcome(rt, wid) for key, wid in started.items()}
    rt.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main(*sys.argv[1:])
