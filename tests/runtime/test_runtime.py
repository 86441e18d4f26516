"""The public API of wfc.Runtime: start, run, status, result, list, history, events, on_complete, clocks, logs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

import wfc
from wfc.runtime.errors import NotFinished, UnknownInstance, UnknownWorkflow, WaitTimeout, WorkflowFinished
from wfc.testing import FakeClock

from . import flows

UTC = dt.UTC


def test_start_and_result(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.adder, 2, 3)
    assert isinstance(wid, str)
    assert rt.status(wid).state is wfc.WorkflowState.RUNNING
    with pytest.raises(NotFinished, match="has not finished"):
        rt.result(wid)
    assert rt.run_until_complete(wid) == 5
    assert rt.result(wid) == 5
    status = rt.status(wid)
    assert status.state is wfc.WorkflowState.COMPLETED and status.finished
    assert status.state_id is None and status.outstanding == ()
    assert status.workflow == flows.adder.key


def test_given_id_makes_start_idempotent(rt: wfc.Runtime) -> None:
    assert rt.start(flows.adder, 1, 1, id="order-1") == "order-1"
    assert rt.start(flows.adder, 1, 1, id="order-1") == "order-1"
    rt.run_until_idle()
    assert rt.start(flows.adder, 1, 1, id="order-1") == "order-1"
    assert len(rt.list()) == 1
    assert rt.result("order-1") == 2


def test_start_by_name_or_key(rt: wfc.Runtime) -> None:
    assert rt.run_until_complete(rt.start(flows.adder.key, 1, 2)) == 3
    with pytest.raises(UnknownWorkflow, match="no workflow 'nope'"):
        rt.start("nope")


def test_status_while_waiting_and_sleeping(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.approval)
    rt.run_until_idle()
    status = rt.status(wid)
    assert status.state is wfc.WorkflowState.WAITING
    assert status.state_id is not None
    (waiting,) = status.outstanding
    assert (waiting.kind, waiting.name) == ("event", "approved")
    sid = rt.start(flows.sleeper, 60)
    rt.run_until_idle()
    status = rt.status(sid)
    assert status.state is wfc.WorkflowState.SLEEPING
    assert status.outstanding[0].due == clock.datetime + dt.timedelta(seconds=60)


def test_fake_clock_makes_sleeps_instant(rt: wfc.Runtime, clock: FakeClock) -> None:
    start = clock.now()
    wid = rt.start(flows.sleeper, 3600)
    assert rt.run_until_complete(wid) == "3600"
    assert clock.now() - start == pytest.approx(3600)


def test_clock_advanced_by_hand() -> None:
    clock = FakeClock(auto_advance=False)
    with wfc.Runtime(clock=clock) as rt:
        wid = rt.start(flows.sleeper, 10)
        rt.run_until_idle()
        clock.advance(9)
        rt.run_until_idle()
        assert rt.status(wid).state is wfc.WorkflowState.SLEEPING
        clock.advance(dt.timedelta(seconds=1))
        rt.run_until_idle()
        assert rt.result(wid) == "10"


def test_run_until_complete_timeout(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.approval)
    with pytest.raises(WaitTimeout, match="did not finish within 5s"):
        rt.run_until_complete(wid, timeout=5)


def test_result_raises_the_workflows_failure(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.failing_child)
    with pytest.raises(KeyError, match="missing"):
        rt.run_until_complete(wid)
    with pytest.raises(KeyError):
        rt.result(wid)
    status = rt.status(wid)
    assert status.state is wfc.WorkflowState.FAILED
    assert status.error == "KeyError: 'missing'"


def test_unknown_instance(rt: wfc.Runtime) -> None:
    for call in (rt.status, rt.result, rt.history):
        with pytest.raises(UnknownInstance, match="no workflow instance 'nope'"):
            call("nope")


def test_history_records_each_step(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.not_retried, "h1")
    assert rt.run_until_complete(wid).startswith("caught attempt 1 of h1")
    (record,) = rt.history(wid)
    assert record.kind == "step" and record.name == "flaky"
    assert record.args == ("h1", 1) and record.kwargs == {}
    assert record.status == "failed" and record.error == "ConnectionError: attempt 1 of h1"
    assert record.attempts == 1 and record.seq == 1 and record.path == ""
    assert record.state_id is not None
    assert record.scheduled_at is not None and record.finished_at is not None

    wid = rt.start(flows.chain, 3)
    rt.run_until_complete(wid)
    records = rt.history(wid)
    assert [r.result for r in records] == [1, 2, 3]
    assert [r.seq for r in records] == [1, 2, 3]
    assert all(r.status == "completed" for r in records)


def test_list_filters_and_pages(rt: wfc.Runtime) -> None:
    ids = [rt.start(flows.adder, i, i) for i in range(5)]
    waiting = rt.start(flows.approval)
    rt.run_until_idle()
    page = rt.list(limit=3)
    assert [s.id for s in page] == [waiting, ids[4], ids[3]]
    rest = rt.list(limit=3, cursor=page.cursor)
    assert [s.id for s in rest] == [ids[2], ids[1], ids[0]]
    assert rest.cursor is None
    assert [s.id for s in rt.list(state="waiting")] == [waiting]
    assert len(rt.list(workflow=flows.adder)) == 5
    assert len(rt.list(workflow=flows.adder.key, state=wfc.WorkflowState.COMPLETED)) == 5


def test_events(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.approval)
    rt.run_until_idle()
    rt.send_event(wid, "approved", {"by": "ann"})
    assert rt.run_until_complete(wid) == {"by": "ann"}
    (record,) = rt.history(wid)
    assert (record.kind, record.name, record.result) == ("event", "approved", {"by": "ann"})


def test_event_sent_before_the_wait_is_kept(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.two_events)
    rt.send_event(wid, "e", 1)  # before the workflow even ran
    rt.send_event(wid, "e", 2)
    rt.send_event(wid, "e", 3)
    assert rt.run_until_complete(wid) == [1, 2]


def test_event_with_an_error_raises_at_the_wait(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.approval)
    rt.send_event(wid, "approved", error="no budget")
    assert rt.run_until_complete(wid) == "rejected: no budget"


def test_event_wait_times_out(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.approval, 30)
    assert rt.run_until_complete(wid) == "timeout: event 'approved' did not arrive within 30s"


def test_event_to_unknown_or_finished_workflow(rt: wfc.Runtime) -> None:
    with pytest.raises(UnknownInstance, match="no workflow instance 'ghost'"):
        rt.send_event("ghost", "approved")
    wid = rt.start(flows.adder, 1, 2)
    rt.run_until_complete(wid)
    with pytest.raises(WorkflowFinished, match="has completed") as info:
        rt.send_event(wid, "approved")
    assert info.value.code == "WFC421"


def test_children(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.parent, 3)
    assert rt.run_until_complete(wid) == 6
    (child,) = rt.list(parent=wid)
    assert child.id == f"{wid}/1" and child.parent_id == wid and child.state is wfc.WorkflowState.COMPLETED
    assert rt.result(child.id) == 3
    assert rt.history(wid)[0].kind == "child"


def test_child_failure_raises_in_parent(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.parent_of_failure)
    assert rt.run_until_complete(wid) == "caught KeyError 'missing'"


def test_on_complete_step(rt: wfc.Runtime) -> None:
    flows.DONE.clear()
    wid = rt.start(flows.adder, 1, 2, on_complete=flows.on_done, context={"user": "ann"})
    rt.run_until_complete(wid)
    rt.run_until_idle()
    ((done_id, completion, context),) = flows.DONE
    assert done_id == wid and completion.state == "completed" and completion.value == 3 and completion.ok
    assert context == {"user": "ann"}
    failed = rt.start(flows.failing_child, on_complete=flows.on_done)
    with pytest.raises(KeyError):
        rt.run_until_complete(failed)
    rt.run_until_idle()
    assert flows.DONE[-1][1].state == "failed" and "missing" in flows.DONE[-1][1].error


def test_on_complete_transaction_runs_once(rt: wfc.Runtime) -> None:
    with rt.db() as db:
        db.execute("CREATE TABLE ledger (key TEXT, value INTEGER)")
    wid = rt.start(flows.adder, 1, 2, on_complete=flows.on_done_tx)
    rt.run_until_complete(wid)
    rt.run_until_idle()
    with rt.db() as db:
        rows = db.execute("SELECT key FROM ledger").fetchall()
    assert rows == [(f"done:{wid}:completed",)]


def test_logs_are_emitted_once_after_commit(rt: wfc.Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wfc.workflow")
    wid = rt.start(flows.logs, 4)
    rt.run_until_complete(wid)
    messages = [r.getMessage() for r in caplog.records if r.name == "wfc.workflow"]
    assert messages == [f"[{wid}] start 4", f"[{wid}] got 5"]


def test_now_random_uuid_are_deterministic_per_transition(rt: wfc.Runtime, clock: FakeClock) -> None:
    wid = rt.start(flows.deterministic, id="det")
    a, b = rt.run_until_complete(wid)
    expected = wfc.testing.run(flows.deterministic, workflow_id="det", start=clock.datetime)
    assert expected == [a, b]


def test_an_event_sent_before_wins_over_a_step_started_with_it(rt: wfc.Runtime) -> None:
    wid = rt.start(flows.instant_race)
    rt.send_event(wid, "go", "sent before")
    assert rt.run_until_complete(wid) == (1, "sent before")
    assert wfc.testing.run(flows.instant_race, events={"go": "sent before"}) == (1, "sent before")


def test_async_steps(rt: wfc.Runtime) -> None:
    assert rt.run_until_complete(rt.start(flows.parent, 2)) == 4


def test_not_a_command_raises_in_the_workflow(rt: wfc.Runtime) -> None:
    with pytest.raises(wfc.WfcError, match="which is not a command"):
        rt.run_until_complete(rt.start(flows.bad_yield))


def test_a_workflow_that_does_not_compile_cannot_start(rt: wfc.Runtime) -> None:
    with pytest.raises(wfc.CompileError, match="is not a command"):
        rt.start(flows.does_not_compile)
    assert len(rt.list()) == 0


@pytest.mark.parametrize(
    ("workflow", "args", "events"),
    [
        (flows.fan_out, (4,), None),
        (flows.race, (10.0,), None),
        (flows.all_of_failure, (), None),
        (flows.nested_groups, (), None),
        (flows.nested_groups, (), {"a": "early"}),
        (flows.approval, (5.0,), {"approved": "yes"}),
        (flows.parent, (2,), None),
        (flows.instant_race, (), {"go": "sent before"}),
        (flows.instant_race, (), None),
        (flows.parent_of_failure, (), None),
        (flows.sleeper, (7,), None),
        (flows.delayed, (3.0,), None),
    ],
)
def test_same_results_as_the_in_memory_runner(workflow: Any, args: tuple[Any, ...], events: Any) -> None:
    expected = wfc.testing.execute(workflow, *args, events=events)
    with wfc.Runtime(clock=FakeClock()) as rt:
        wid = rt.start(workflow, *args)
        for name, value in (events or {}).items():
            rt.send_event(wid, name, value)
        try:
            got: Any = ("ok", rt.run_until_complete(wid))
        except Exception as exc:
            got = ("error", type(exc).__name__, str(exc))
    want = (
        ("ok", expected.value)
        if expected.error is None
        else ("error", type(expected.error).__name__, str(expected.error))
    )
    assert got == want


def test_list_by_name_works_without_the_module_imported(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'names.db'}"
    rt = wfc.Runtime(url)
    wid = rt.start(flows.adder, 2, 3)
    rt.close()
    # A process that does not deploy (or import) the workflow: its name still finds the instance.
    other = wfc.Runtime(url, workflows=[])
    assert [s.id for s in other.list(workflow="adder").items] == [wid]
    assert [s.id for s in other.list(workflow=flows.adder.key).items] == [wid]
    assert other.list(workflow="nothing").items == ()
    other.close()


@wfc.workflow
def _parallel_with_timer():
    values = yield wfc.all_of(flows.echo(1), wfc.sleep(5), flows.echo(2))
    return values


def test_every_command_of_a_suspension_reports_its_state(rt: wfc.Runtime) -> None:
    wid = rt.start(_parallel_with_timer)
    assert rt.run_until_complete(wid) == (1, None, 2)  # separate commands: a tuple
    records = rt.history(wid)
    assert len(records) == 3
    assert {r.state_id for r in records} == {"start"}
