"""The compiler's random programs in the durable runtime, with the process restarted between slices: every
instance is started in one process, advanced (to its next durable pause) by fresh processes, and finished by
another. Results and step calls must equal the plain Python generators' (``wfc.testing.execute(native=True)``):
nothing a workflow keeps — its variables, the exception a handler runs under, a pending finally — may depend on
the process it was suspended in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfc

from ..programgen import load_module, programs
from .slices import ARGS

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = int(os.environ.get("WFC_RESTART_PROGRAMS", "25"))
BATCHES = int(os.environ.get("WFC_RESTART_BATCHES", "4"))
SLICES = 3


def native(module: Any, args: tuple[int, int]) -> list[Any]:
    run = wfc.testing.execute(module.wf, *args, native=True)
    if run.error is not None:
        result = ["raised", type(run.error).__name__, str(run.error)]
    else:
        result = ["returned", repr(run.value)]
    return [result, [repr((c.name, c.args, c.attempt, c.error)) for c in run.calls]]


def slice_(db: Path, directory: Path, phase: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.runtime.slices", str(db), str(directory), phase],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


@pytest.mark.slow
@settings(
    max_examples=BATCHES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
)
@given(sources=st.lists(programs(), min_size=PROGRAMS, max_size=PROGRAMS))
def test_programs_survive_process_restarts(sources: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = tmp_path_factory.mktemp("slices")
    expected: dict[str, list[Any]] = {}
    by_name: dict[str, str] = {}
    for i, source in enumerate(sources):
        # Every instance pauses durably at least once (more where the program has pauses of its own).
        source = re.sub(r"^( *)c = yield s\(a\)$", r"\g<0>\n\1yield wfc.sleep(10)", source, count=1, flags=re.M)
        name = f"wfc_slice_{i}"
        (directory / f"{name}.py").write_text(source)
        by_name[name] = source
        module = load_module(source, directory, name)  # the file the slices import: tracebacks name it
        for j, args in enumerate(ARGS):
            expected[f"{name}/{j}"] = native(module, args)
    db = directory / "wf.db"
    waiting = [json.loads(slice_(db, directory, str(phase)))["waiting"] for phase in range(SLICES)]
    assert waiting[0] == len(expected), "every instance waits at its first pause when its process ends"
    got = json.loads(slice_(db, directory, "final"))
    for key, want in expected.items():
        assert got[key] == want, by_name[key.partition("/")[0]]
