"""Each class of issue 9 as a compiled workflow against the plain Python generator (the generated programs of
tests/programgen.py cover the classes at large): exceptions and their context, except-as names, closures within
a transition, conditional walruses, ``x += yield``, ``locals()``, nested annotations and generator helpers."""

from __future__ import annotations

from typing import Any

import pytest

import wfc
from wfc.commands import WorkflowDef

from . import semantics_flows as flows

FLOWS = [(name, value) for name, value in vars(flows).items() if isinstance(value, WorkflowDef)]


def observed(run: Any) -> tuple[Any, ...]:
    calls = [(c.name, c.args, c.error) for c in run.calls]
    if run.error is not None:
        e = run.error
        return ("raised", type(e).__name__, str(e), repr(e.__context__), e.__suppress_context__, calls)
    return ("returned", run.value, calls)


@pytest.mark.parametrize(("name", "defn"), FLOWS, ids=[n for n, _ in FLOWS])
@pytest.mark.parametrize("arg", [0, 1, 2, 3])
def test_same_as_python(name: str, defn: WorkflowDef, arg: int) -> None:
    native = observed(wfc.testing.execute(defn, arg, native=True))
    assert observed(wfc.testing.execute(defn, arg)) == native
    assert observed(wfc.testing.execute(defn, arg, persist=False)) == native


def test_the_issue_examples() -> None:
    assert wfc.testing.execute(flows.bare_raise_under_if, 1).error.args == ("bad 1",)  # type: ignore[union-attr]
    error = wfc.testing.execute(flows.chained_after_a_yield, 1).error
    assert isinstance(error, KeyError) and isinstance(error.__context__, ValueError)
    assert wfc.testing.execute(flows.closure_before_return, 0).value == "P:1"
    assert wfc.testing.execute(flows.walruses_that_may_not_run, 1).value == 1
    unbound = wfc.testing.execute(flows.aug_yield_unbound, 0)
    assert isinstance(unbound.error, UnboundLocalError) and unbound.calls == [], "raised before the step ran"
    assert [k for k, _ in wfc.testing.execute(flows.locals_after_a_yield, 0).value] == ["flag", "a", "r", "b"]
    assert wfc.testing.execute(flows.nested_annotations, 0).value == "{'a': <class 'int'>, 'return': <class 'list'>}"


def test_the_handled_exception_is_persisted_while_the_handler_suspends() -> None:
    table = wfc.compile(flows.active_exception_after_a_yield)
    (suspend,) = [s for s in table.suspensions if s.handling]
    assert suspend.handling is not None and suspend.handling in suspend.op.live  # type: ignore[union-attr]


def test_iterator_used_within_one_transition_is_accepted() -> None:
    wfc.compile(flows.iterator_within_a_transition)  # WFC115 only when alive across a suspension


REFUSED = '''\
import wfc


@wfc.step
def s(n):
    return n


@wfc.workflow
def held(xs):
    out = []
    add = out.append
    it = iter(xs)
    yield s(next(it))
    add(next(it))
    return out
'''


def test_wfc_check_reports_unpersistable_locals_with_their_lines(tmp_path: Any) -> None:
    from ..cli.helpers import invoke

    path = tmp_path / "held.py"
    path.write_text(REFUSED)
    result = invoke("check", str(path))
    assert result.exit_code != 0
    out = result.output
    assert f"{path}:12:11: error[WFC115]: `add` holds a bound method (`out.append`)" in out
    assert f"{path}:13:10: error[WFC115]: `it` holds an iterator (`iter(...)`)" in out
    assert "hint:" in out and "Traceback" not in out
