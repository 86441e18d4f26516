"""`.wf` children started without waiting (`async child(x)`, `await handle`) and `return continue_as_new(...)`, in
both runners record for record (tests/twin/harness), on the same tables Python's wfc.start_child/wfc.join and
wfc.continue_as_new make."""

from __future__ import annotations

from pathlib import Path

import wfc
import wfc.dsl
from wfc.testing import Cancel

from ..twin.harness import ID, both

SOURCE = """\
workflow later(x: int) -> int {
    try {
        sleep 5s
    } finally {
        log "child {x} ends"
    }
    return x * 2
}

workflow overlap(x: int) -> list {
    handle = async later(x)
    mine = later(x + 1)
    theirs = await handle
    slow = async later(10)
    winner, value = first of (await slow, sleep 1s)
    return [mine, theirs, winner, value, slow]
}

workflow countdown(n: int, total: int = 0) -> int {
    sleep 1s
    if n > 0 {
        return continue_as_new(n - 1, total + n)
    }
    return total
}
"""


def _load(tmp_path: Path) -> dict[str, wfc.commands.WorkflowDef]:
    path = tmp_path / "flows.wf"
    path.write_text(SOURCE)
    return wfc.dsl.load(path)


def test_async_and_await_run_as_start_child_and_join(tmp_path: Path) -> None:
    flows = _load(tmp_path)
    seen = both(flows["overlap"], 1)
    value = seen.outcome[1]
    assert value[:4] == [4, 2, 1, None] and isinstance(value[4], wfc.ChildHandle)
    kinds = [(r[2], r[3]) for r in seen.instances[0][2]]
    assert kinds[0] == ("start_child", "later") and ("join", "join later") in kinds
    assert {iid: state for iid, state, _ in seen.instances}[f"{ID}/4"] == "canceled"  # ended with its parent


def test_a_graceful_cancel_reaches_a_child_started_with_async(tmp_path: Path) -> None:
    seen = both(_load(tmp_path)["overlap"], 1, events=[Cancel(at=2)])
    assert seen.outcome[:2] == ("error", "Canceled")
    assert {iid: state for iid, state, _ in seen.instances} == {ID: "canceled", f"{ID}/1": "canceled",
                                                                f"{ID}/2": "canceled"}  # fmt: skip


def test_continue_as_new_in_a_wf_file(tmp_path: Path) -> None:
    seen = both(_load(tmp_path)["countdown"], 4)
    assert seen.outcome == ("ok", 10) and seen.runs == ((ID, 5),)


def test_async_takes_a_workflow_call(tmp_path: Path) -> None:
    path = tmp_path / "bad.wf"
    path.write_text("workflow w(x: int) -> int {\n    h = async x + 1\n    return await h\n}\n")
    try:
        wfc.dsl.load(path)
    except wfc.CompileError as exc:
        assert [d.code for d in exc.diagnostics] == ["WFC155"]
    else:
        raise AssertionError("async of a plain value compiled")
