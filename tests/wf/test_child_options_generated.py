"""Generated `.wf` programs that start children with options (tests/wf/childgen.py): each compiles to its
Python twin's table, and runs as the twin does in both runners (``wfc.testing`` and the durable runtime, which
must agree record for record). ``WFC_CHILD_OPTION_EXAMPLES`` sets how many (default 25; the same every run)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfc
import wfc.dsl
from wfc.compiler.driver import normalize

from ..programgen import load_module
from ..queues import flows as _queues  # noqa: F401  (declares the queues the programs start children on)
from ..twin.harness import both
from .childgen import child_option_programs
from .test_child_options import _records

_n = itertools.count()


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("child_options")


@settings(
    max_examples=int(os.environ.get("WFC_CHILD_OPTION_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(program=child_option_programs(), n=st.sampled_from([1, 2]))
def test_generated_child_options_agree_with_the_twin(
    program: tuple[str, str], n: int, program_dir: Path
) -> None:
    wf_source, py_source = program
    k = next(_n)
    path = program_dir / f"kids_{k}.wf"
    path.write_text(wf_source)
    ours = wfc.dsl.load(path)
    twin = load_module(py_source, program_dir, f"kids_twin_{k}")
    note = f"\n{wf_source}\n{py_source}"
    for name in ("kid", "w"):
        assert normalize(wfc.compile(ours[name])) == normalize(wfc.compile(getattr(twin, name))), note
    a, b = both(ours["w"], n, "t"), both(twin.w, n, "t")
    assert a.outcome == b.outcome and a.outcome[0] == "ok", f"{a.outcome} {b.outcome}{note}"
    assert _records(a) == _records(b), note
