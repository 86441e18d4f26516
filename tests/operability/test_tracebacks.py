"""Failures keep their tracebacks: every failed step attempt (its own code's frames) and every failure in
workflow code (the workflow's own file and line); shown by rt.history(), rt.status(), wfc status/history
(where it failed; in full with --debug); the exception a workflow sees carries it, in both runners."""

from __future__ import annotations

import inspect

import pytest
from click.testing import CliRunner

import wfc
import wfc.testing
from wfc.cli.main import cli
from wfc.runtime import tracebacks
from wfc.testing import FakeClock

from . import flows

FLOWS_FILE = inspect.getsourcefile(flows)
HELPER_LINE = inspect.getsourcelines(flows.inner_helper_of_explode)[1] + 1
BROKEN_LINE = inspect.getsourcelines(flows.broken_code.fn)[1] + 3  # type: ignore[arg-type]


def _check_step_traceback(text: str | None) -> None:
    assert text is not None and text.startswith("Traceback (most recent call last):")
    assert f'File "{FLOWS_FILE}", line {HELPER_LINE}, in inner_helper_of_explode' in text
    assert "ValueError: exploded on 3" in text
    assert "wfc/runtime" not in text, "wfc's own frames are left out"


def test_step_attempts_keep_their_tracebacks_durable(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.explodes, 3)
    rt.run_until_idle()
    waiting = rt.status(wid).outstanding[0]  # the first attempt failed, the second is due later
    assert waiting.attempts == 1 and waiting.last_error == "ValueError: exploded on 3"
    _check_step_traceback(waiting.traceback)
    pending = rt.history(wid)[0]
    assert pending.status == "pending" and pending.error == "ValueError: exploded on 3"
    _check_step_traceback(pending.traceback)
    with pytest.raises(ValueError, match="exploded on 3") as info:
        rt.run_until_complete(wid)
    _check_step_traceback(tracebacks.of(info.value))
    record = rt.history(wid)[0]
    assert record.status == "failed" and record.attempts == 2
    _check_step_traceback(record.traceback)
    status = rt.status(wid)
    assert status.traceback is not None and "exploded on 3" in status.traceback


def test_step_attempts_keep_their_tracebacks_testing() -> None:
    result = wfc.testing.execute(flows.explodes, 3)
    assert isinstance(result.error, ValueError)
    _check_step_traceback(tracebacks.of(result.error))


def _check_workflow_traceback(text: str | None) -> None:
    assert text is not None
    assert f'File "{FLOWS_FILE}", line {BROKEN_LINE}, in broken_code' in text
    assert "KeyError: 'b'" in text


def test_a_failure_in_workflow_code_names_the_workflows_own_line(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.broken_code, 2)
    with pytest.raises(KeyError) as info:
        rt.run_until_complete(wid)
    _check_workflow_traceback(tracebacks.of(info.value))
    _check_workflow_traceback(rt.status(wid).traceback)
    with pytest.raises(KeyError) as again:
        wfc.testing.run(flows.broken_code, 2)
    assert tracebacks.of(again.value) is None or "broken_code" in (tracebacks.of(again.value) or "")
    assert again.value.__traceback__ is not None


def test_wfc_status_and_history_show_where_and_debug_shows_all(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.broken_code, 2)
        with pytest.raises(KeyError):
            rt.run_until_complete(wid)
        failing = rt.start(flows.explodes, 3)
        rt.run_until_idle()
    status = CliRunner().invoke(cli, ["status", wid, "--db", url])
    assert status.exit_code == 0, status.output
    assert f"failed at  {FLOWS_FILE}:{BROKEN_LINE} in broken_code" in status.stdout
    assert "Traceback" not in status.stdout
    full = CliRunner().invoke(cli, ["--debug", "status", wid, "--db", url])
    assert "Traceback (most recent call last)" in full.stdout and "KeyError: 'b'" in full.stdout
    history = CliRunner().invoke(cli, ["history", failing, "--db", url])
    assert history.exit_code == 0 and "Traceback" not in history.stdout
    retried = CliRunner().invoke(cli, ["status", failing, "--db", url])
    assert f"(at {FLOWS_FILE}:{HELPER_LINE} in inner_helper_of_explode)" in retried.stdout.replace("\n", "")
    debug = CliRunner().invoke(cli, ["--debug", "history", failing, "--db", url])
    assert "Traceback (most recent call last)" in debug.stdout and "inner_helper_of_explode" in debug.stdout
