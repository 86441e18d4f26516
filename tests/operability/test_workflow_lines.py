"""An instance's failure traceback names the workflow's own file and line: the ``yield`` that received a step (or
child workflow) failure it did not catch, as Python shows the generator's frame, and the line of workflow code
that raised; for Python workflows and ``.wf`` files, in ``wfc.testing`` (compiled and native) and the durable
runtime alike."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import wfc
import wfc.testing
from wfc.dsl.loader import load
from wfc.runtime import tracebacks
from wfc.testing import FakeClock

from . import flows

FLOWS_FILE = inspect.getsourcefile(flows)
WF_FILE = str(Path(__file__).with_name("wf") / "failing.wf")


def _line(fn: Any, text: str) -> int:
    """The line of ``fn``'s source that contains ``text``."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def _frames(text: str | None) -> list[str]:
    """The ``File "...", line N, in name`` lines of a traceback text (carets and source lines left out)."""
    assert text is not None
    return re.findall(r'File "[^"]+", line \d+, in \S+', text)


def _durable(workflow: Any, *args: Any) -> tuple[str | None, str | None]:
    """(the failure's traceback as rt.status shows it, as the raised exception carries it)."""
    with wfc.Runtime("sqlite:///:memory:", clock=FakeClock()) as rt:
        wid = rt.start(workflow, *args)
        with pytest.raises(Exception) as info:
            rt.run_until_complete(wid)
        return rt.status(wid).traceback, tracebacks.of(info.value)


def _all_runners(workflow: Any, *args: Any, native: bool = True) -> list[str]:
    """The frames of the failure's traceback, the same in every runner."""
    status, raised = _durable(workflow, *args)
    compiled = tracebacks.of(wfc.testing.execute(workflow, *args).error)
    seen = [_frames(status), _frames(raised), _frames(compiled)]
    if native:
        seen.append(_frames(tracebacks.of(wfc.testing.execute(workflow, *args, native=True).error)))
    assert all(s == seen[0] for s in seen), seen
    return seen[0]


STEP_FRAMES = [
    f'File "{FLOWS_FILE}", line {_line(flows.explode.fn, "inner_helper_of_explode")}, in explode',
    f'File "{FLOWS_FILE}", line {_line(flows.inner_helper_of_explode, "raise")}, in inner_helper_of_explode',
]


def test_an_uncaught_step_failure_names_the_yield_that_received_it() -> None:
    frames = _all_runners(flows.explodes, 3)
    yield_line = _line(flows.explodes.fn, "yield explode")
    assert frames == [f'File "{FLOWS_FILE}", line {yield_line}, in explodes', *STEP_FRAMES]


def test_a_child_failure_names_the_parents_yield_and_the_childs() -> None:
    frames = _all_runners(flows.parent_of_explodes, 3)
    assert frames == [
        f'File "{FLOWS_FILE}", line {_line(flows.parent_of_explodes.fn, "yield explodes")}, in parent_of_explodes',
        f'File "{FLOWS_FILE}", line {_line(flows.explodes.fn, "yield explode")}, in explodes',
        *STEP_FRAMES,
    ]


def test_a_failure_raised_by_workflow_code_names_its_line() -> None:
    frames = _all_runners(flows.broken_code, 2)
    assert frames == [f'File "{FLOWS_FILE}", line {_line(flows.broken_code.fn, "z = ")}, in broken_code']


def test_the_text_reads_as_python_shows_it() -> None:
    status, _ = _durable(flows.explodes, 3)
    assert status is not None and status.startswith("Traceback (most recent call last):\n")
    assert "    y = yield explode(x)\n" in status and status.endswith("ValueError: exploded on 3\n")
    # Python underlines the `yield` expression a failure was thrown in at (as for a generator's frame).
    carets = status.split("y = yield explode(x)\n", 1)[1].split("\n", 1)[0]
    assert carets == " " * 8 + "^" * len("yield explode(x)"), "carets under the yield, as Python draws them"
    assert tracebacks.where(status) == f"{FLOWS_FILE}:{_line(flows.inner_helper_of_explode, 'raise')} in " \
        "inner_helper_of_explode"


@pytest.fixture(scope="module")
def wf_flows() -> dict[str, Any]:
    return load(WF_FILE)


def _wf_line(text: str) -> int:
    return 1 + next(i for i, line in enumerate(Path(WF_FILE).read_text().splitlines()) if text in line)


def test_wf_an_uncaught_step_failure_names_the_wf_line(wf_flows: dict[str, Any]) -> None:
    frames = _all_runners(wf_flows["wf_uncaught"], 3, native=False)
    assert frames == [f'File "{WF_FILE}", line {_wf_line("z = flows.explode(y)")}, in wf_uncaught', *STEP_FRAMES]


@pytest.mark.parametrize(("name", "text"), [("wf_raises", "raise ValueError"), ("wf_fails", "fail \"gave up")])
def test_wf_a_failure_raised_by_its_code_names_the_wf_line(wf_flows: dict[str, Any], name: str, text: str) -> None:
    frames = _all_runners(wf_flows[name], 3, native=False)
    assert frames == [f'File "{WF_FILE}", line {_wf_line(text)}, in {name}']
