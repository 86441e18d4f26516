"""Containment: whatever a workflow raises or runs, its instance ends (failed, with a recorded error) and the
process that runs it goes on. BaseException from workflow code, budgets of `.wf` code (fuel, value sizes),
transitions without progress, fan-out width, child nesting and descendants, a tampered cursor."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

import wfc
from wfc import convert
from wfc.dsl.loader import load_text
from wfc.runtime import budget
from wfc.testing import FakeClock


@pytest.fixture
def rt() -> Iterator[wfc.Runtime]:
    runtime = wfc.Runtime("sqlite:///:memory:", clock=FakeClock())
    yield runtime
    runtime.close()


def outcome(rt: wfc.Runtime, wid: str) -> tuple[str, str]:
    """How an instance ended: ("completed", repr(result)) or ("failed", "Type: message")."""
    try:
        rt.run_until_complete(wid)
    except wfc.WfcError:
        pass  # its failure, re-raised: the status says the same
    status = rt.status(wid)
    if status.state.value == "completed":
        return "completed", repr(rt.result(wid))
    return status.state.value, status.error or ""


def failed_with(rt: wfc.Runtime, wid: str) -> str:
    rt.run_until_idle()
    status = rt.status(wid)
    assert status.state.value == "failed", status
    assert status.error
    return status.error


# ---- BaseException in workflow code ------------------------------------------------------------------------------


@wfc.step
def one() -> int:
    return 1


@wfc.workflow
def exits(code: int) -> int:
    x = yield one()
    if code >= 0:
        raise SystemExit(code)
    return x


@wfc.workflow
def interrupts() -> int:
    yield one()
    raise KeyboardInterrupt("from the workflow")


@wfc.workflow
def catches_base() -> str:
    try:
        yield one()
        raise SystemExit(4)
    except BaseException as exc:
        caught = f"caught {type(exc).__name__} {exc}"
    return caught


@wfc.workflow
def finally_runs() -> int:
    done = 0
    try:
        yield one()
        raise KeyboardInterrupt
    finally:
        done = yield one()
        yield wfc.sleep(0)
    return done


@pytest.mark.parametrize(
    ("workflow", "args", "expected"),
    [
        (exits, (3,), "SystemExit"),
        (interrupts, (), "KeyboardInterrupt"),
        (finally_runs, (), "KeyboardInterrupt"),
    ],
)
def test_base_exceptions_in_workflow_code_fail_the_instance(
    rt: wfc.Runtime, workflow: Any, args: tuple[Any, ...], expected: str
) -> None:
    wid = rt.start(workflow, *args)
    assert expected in failed_with(rt, wid)
    healthy = rt.start(exits, -1)  # the process goes on
    assert outcome(rt, healthy) == ("completed", "1")
    # wfc.testing says the same, compiled and native
    for native in (False, True):
        result = wfc.testing.execute(workflow, *args, native=native)
        assert type(result.error).__name__ == expected


def test_base_exceptions_are_caught_where_python_catches_them(rt: wfc.Runtime) -> None:
    wid = rt.start(catches_base)
    assert outcome(rt, wid) == ("completed", repr("caught SystemExit 4"))
    assert wfc.testing.run(catches_base) == wfc.testing.run_native(catches_base) == "caught SystemExit 4"


@wfc.workflow
def waits() -> str:
    try:
        value = yield wfc.wait_event("go", timeout=60)
    except BaseException as exc:
        return f"caught {type(exc).__name__}"
    return str(value)


@wfc.workflow
def waits_plain() -> str:
    value = yield wfc.wait_event("go", timeout=60)
    return str(value)


def _tamper(rt: wfc.Runtime, wid: str, exc: BaseException) -> None:
    """Write ``exc`` as the outcome of the event the instance waits for, as a hand on the database could."""
    inst = rt.store.get_instance(wid)
    assert inst is not None
    (row,) = rt.store.current(inst.n)
    with rt.store.transaction():
        rt.store.deliver_external(row.key, None, convert.dumps(exc), rt.clock.now())


@pytest.mark.parametrize("exc", [SystemExit(9), KeyboardInterrupt(), GeneratorExit(), budget.Interrupted()])
def test_a_tampered_cursor_cannot_stop_the_process(rt: wfc.Runtime, exc: BaseException) -> None:
    plain = rt.start(waits_plain)
    catching = rt.start(waits)
    rt.run_until_idle()
    _tamper(rt, plain, exc)
    _tamper(rt, catching, exc)
    rt.run_until_idle()  # returns: nothing escapes the engine
    for wid in (plain, catching):
        status = rt.status(wid)
        assert status.finished or status.blocked, status
    seen = "WorkflowRuntimeError" if isinstance(exc, budget.Interrupted) else type(exc).__name__
    assert rt.status(plain).state.value == "failed"
    assert seen in (rt.status(plain).error or "")
    assert rt.result(catching) == f"caught {seen}"
    assert outcome(rt, rt.start(exits, -1)) == ("completed", "1")


# ---- budgets of .wf code -----------------------------------------------------------------------------------------

WF = """
workflow spin() {
  x = 0
  while true { x = 1 }
}

workflow spin_caught() -> str {
  while true {
    try {
      while true { x = 1 }
    } catch Exception as e {
      log "caught {e}"
    }
  }
  return "never"
}

workflow spin_list() -> int {
  xs = [0]
  while true { xs = [x for x in xs] }
  return 0
}

workflow spin_states(n: int) -> int {
  i = 0
  while true {
    i = i + 1
    if i < 0 { sleep 1 }
  }
  return i
}

workflow doubling() -> int {
  s = "x"
  while true { s = s + s }
  return len(s)
}

workflow repeat(n: int) -> int {
  s = "ab" * n
  return len(s)
}

workflow power(n: int) -> int {
  x = 3 ** n
  return x % 7
}

workflow big_sum(n: int) -> int {
  return sum(range(n))
}

workflow big_list(n: int) -> int {
  return len(list(range(n)))
}

workflow zipped(n: int) -> int {
  return len([a for a, b in zip(range(n), range(n))])
}

workflow replaced(n: int) -> int {
  s = "a" * 1000
  for i in range(n) { s = replace(s, "a", "aa") }
  return len(s)
}

workflow joined(n: int) -> int {
  s = "x" * 1000
  parts = [s, s, s, s, s, s, s, s, s, s]
  for i in range(n) { parts = [join(",", parts), join(",", parts)] }
  return len(parts)
}

workflow idle() {
  while true { sleep 0 }
}

workflow idle_timeouts() {
  while true {
    try { wait "never" timeout 0 } catch { }
  }
}

workflow countdown(n: int) -> int {
  total = 0
  for i in range(n) {
    total += i
    sleep 0
  }
  return total
}

workflow ok(n: int) -> int {
  total = 0
  for i in range(n) { total += i * 2 }
  names = ["n{i}" for i in range(5)]
  text = join("-", names)
  return total + len(text) + 2 ** 10 + (10 % 3)
}

workflow bomb(depth: int) -> int {
  results = all of (bomb(depth + 1), bomb(depth + 1))
  return 0
}

workflow chain(depth: int) -> int {
  if depth <= 0 { return 0 }
  below = chain(depth - 1)
  return below + 1
}

workflow wide(n: int) -> int {
  xs = all of (steps.echo(i) for i in range(n))
  return len(xs)
}
"""


@wfc.step
def echo(i: int) -> int:
    return i


@pytest.fixture(scope="module")
def wf(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    here = tmp_path_factory.mktemp("wf")
    (here / "budget_steps.py").write_text("from tests.runtime.test_containment import echo as echo\n")
    text = 'import "./budget_steps.py" as steps\n' + WF
    return load_text(text, str(here / "budgets.wf"), base_dir=str(here))


CODES = {"WFC450": "OutOfFuel", "WFC451": "ValueTooLong", "WFC452": "NoProgress", "WFC453": "FanoutTooWide",
         "WFC454": "TooManyChildren"}  # fmt: skip


def code_of(error: str) -> str:
    """The code of a budget's error as the instance's status shows it (``OutOfFuel: ...``)."""
    name = error.split(":", 1)[0]
    return next((code for code, cls in CODES.items() if cls == name), name)


@pytest.mark.parametrize(
    ("name", "args", "code"),
    [
        ("spin", (), "WFC450"),
        ("spin_caught", (), "WFC450"),
        ("spin_list", (), "WFC450"),
        ("spin_states", (0,), "WFC450"),
        ("doubling", (), "WFC451"),
        ("repeat", (10**8,), "WFC451"),
        ("power", (10**8,), "WFC451"),
        ("big_sum", (10**12,), "WFC450"),
        ("big_list", (10**9,), "WFC450"),
        ("zipped", (10**9,), "WFC450"),
        ("replaced", (40,), "WFC451"),
        ("joined", (40,), "WFC451"),
        ("idle", (), "WFC452"),
        ("idle_timeouts", (), "WFC452"),
    ],
)
def test_wf_budgets_end_the_instance_with_their_code(
    rt: wfc.Runtime, wf: dict[str, Any], name: str, args: tuple[Any, ...], code: str
) -> None:
    started = time.monotonic()
    wid = rt.start(wf[name], *args)
    error = failed_with(rt, wid)
    assert code_of(error) == code, error
    assert time.monotonic() - started < 20
    if code != "WFC452":  # wfc.testing meters .wf code alike (its own guard against endless steps is WFC408)
        result = wfc.testing.execute(wf[name], *args)
        assert getattr(result.error, "code", None) == code, result.error


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [("ok", (100,), 9900 + 14 + 1024 + 1), ("countdown", (500,), 124750), ("chain", (10,), 10)],
)
def test_wf_within_budget_runs_as_python(
    rt: wfc.Runtime, wf: dict[str, Any], name: str, args: tuple[Any, ...], expected: int
) -> None:
    wid = rt.start(wf[name], *args)
    assert outcome(rt, wid) == ("completed", repr(expected))
    assert wfc.testing.run(wf[name], *args) == expected


def test_limits_are_the_platforms(wf: dict[str, Any]) -> None:
    limits = wfc.Limits(operations=1_000, value_length=100, idle_transitions=3, fanout=5, descendants=20)
    with wfc.Runtime("sqlite:///:memory:", clock=FakeClock(), limits=limits) as rt:
        assert code_of(failed_with(rt, rt.start(wf["ok"], 2_000))) == "WFC450"
        assert outcome(rt, rt.start(wf["ok"], 100))[0] == "completed"
        assert code_of(failed_with(rt, rt.start(wf["repeat"], 51))) == "WFC451"
        assert outcome(rt, rt.start(wf["repeat"], 50)) == ("completed", "100")
        assert code_of(failed_with(rt, rt.start(wf["countdown"], 5))) == "WFC452"
        assert outcome(rt, rt.start(wf["countdown"], 3))[0] == "completed"
        assert code_of(failed_with(rt, rt.start(wf["wide"], 6))) == "WFC453"
        assert outcome(rt, rt.start(wf["wide"], 5)) == ("completed", "5")
    unlimited = wfc.Limits(None, None, None, None, None, None)
    with wfc.Runtime("sqlite:///:memory:", clock=FakeClock(), limits=unlimited) as rt:
        assert outcome(rt, rt.start(wf["countdown"], 2_000))[0] == "completed"
    with pytest.raises(wfc.WfcError, match="operations"):
        wfc.Limits(operations=0)
    with pytest.raises(wfc.WfcError, match="limits must be"):
        wfc.Runtime(limits={"operations": 3})  # type: ignore[arg-type]


@contextlib.contextmanager
def store_url(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        yield "sqlite:///:memory:"
    else:
        from tests import pg

        with pg.schema_url("bomb") as url:
            yield url


def _sql(rt: wfc.Runtime, query: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in rt.store._x(query).fetchall()] if hasattr(rt.store, "_x") else [
        tuple(r) for r in rt.store.conn.execute(query.replace("{s}", "")).fetchall()  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_child_fork_bomb_stops_at_the_limit(wf: dict[str, Any], kind: str) -> None:
    limits = wfc.Limits(descendants=50)
    with store_url(kind) as url, wfc.Runtime(url, clock=FakeClock(), limits=limits) as rt:
        root = rt.start(wf["bomb"], 0)
        started = time.monotonic()
        live_sql = "SELECT count(*) FROM {s}instances WHERE state NOT IN ('completed', 'failed', 'canceled')"
        for _ in range(200):
            rt.run_until_idle()
            assert _sql(rt, live_sql)[0][0] <= 1 + 50  # the root and its live descendants
            if rt.status(root).finished:
                break
        assert rt.status(root).state.value == "failed"
        assert time.monotonic() - started < 30
        count = _sql(rt, "SELECT count(*) FROM {s}instances")[0][0]
        assert count <= 1 + 4 * 50  # failures free room for a few more before the failure reaches the root
        errors = [row[0] or "" for row in _sql(rt, "SELECT error FROM {s}instances")]
        assert any("TooManyChildren" in e and "fork bomb" in e for e in errors), errors
        assert _sql(rt, live_sql)[0][0] == 0  # every instance of the tree has ended: nothing keeps spawning


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_child_nesting_is_bounded(wf: dict[str, Any], kind: str) -> None:
    limits = wfc.Limits(child_depth=5)
    with store_url(kind) as url, wfc.Runtime(url, clock=FakeClock(), limits=limits) as rt:
        assert outcome(rt, rt.start(wf["chain"], 5)) == ("completed", "5")
        deep = rt.start(wf["chain"], 6)
        assert outcome(rt, deep)[0] == "failed"
        assert rt.status(deep).state.value == "failed"
        errors = [r[0] for r in _sql(rt, "SELECT error FROM {s}instances") if r[0]]
        assert any("TooManyChildren" in e and "nested 6 deep" in e for e in errors), errors


def test_fuel_is_charged_for_python_workflows_never(rt: wfc.Runtime) -> None:
    wid = rt.start(python_loop, 3_000_000)  # more iterations than a .wf transition may run
    assert outcome(rt, wid) == ("completed", repr(3_000_000))


@wfc.workflow
def python_loop(n: int) -> int:
    yield one()
    i = 0
    while i < n:
        i += 1
    return i


def test_metering_leaves_the_table_unchanged(wf: dict[str, Any]) -> None:
    """Only the linked code is instrumented: the table (its hash) is what the compiler made."""
    from wfc.compiler.driver import compile_workflow
    from wfc.runtime.link import machine_for

    defn = wf["ok"]
    table = compile_workflow(defn)
    machine = machine_for(defn)
    assert machine.metered and machine.table.hash == table.hash
    assert not machine_for(python_loop).metered


# ---- steps raising BaseException, run in the caller's thread ------------------------------------------------------


@wfc.step
def step_exits() -> int:
    raise SystemExit(5)


@wfc.step
async def async_step_interrupts() -> int:
    raise KeyboardInterrupt("from an async step")


PRESSED: list[int] = []


@wfc.step
def presses_ctrl_c() -> int:
    if not PRESSED:
        PRESSED.append(1)
        signal.raise_signal(signal.SIGINT)  # as if the user pressed Ctrl-C while the step ran
    return 7


@wfc.workflow
def calls_step(kind: str) -> int:
    if kind == "exit":
        value = yield step_exits()
    elif kind == "async":
        value = yield async_step_interrupts()
    else:
        value = yield presses_ctrl_c()
    return value


@pytest.mark.parametrize(("kind", "expected"), [("exit", "SystemExit: 5"), ("async", "KeyboardInterrupt")])
def test_a_step_raising_a_base_exception_fails_like_any_step(rt: wfc.Runtime, kind: str, expected: str) -> None:
    wid = rt.start(calls_step, kind)
    state, error = outcome(rt, wid)
    assert state == "failed" and expected in error
    result = wfc.testing.execute(calls_step, kind)
    assert expected in str(result.error)


def test_ctrl_c_in_the_callers_thread_is_the_callers(rt: wfc.Runtime) -> None:
    """A real Ctrl-C while run_until_complete runs a step is the caller's KeyboardInterrupt, not the step's
    failure: nothing is recorded, and the step runs again later."""
    PRESSED.clear()
    wid = rt.start(calls_step, "ctrl-c")
    with pytest.raises(KeyboardInterrupt):
        rt.run_until_complete(wid)
    assert rt.status(wid).state.value == "running" and rt.status(wid).error is None
    rt.clock.advance(rt.lease + 1)  # type: ignore[attr-defined]  # the lease of the abandoned attempt ends
    assert rt.run_until_complete(wid) == 7
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
