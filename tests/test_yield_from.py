"""``x = yield from cmd`` is ``x = yield cmd``: the same table (same hash), the same behaviour in both runners and
natively, and a plain generator after ``yield from`` is refused (WFC109)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import wfc
from wfc.compiler.driver import diagnose

from .programgen import load_module, programs, with_yield_from
from .test_differential import observed

MODULE = '''
import datetime as dt

import wfc


@wfc.step
def add(a: int, b: int = 1) -> int:
    return a + b


@wfc.step
async def label(n: int) -> str:
    return f"n{n}"


@wfc.step
def boom(n: int) -> int:
    raise ValueError(f"boom {n}")


@wfc.workflow
def child(n: int) -> wfc.Workflow[int]:
    return (yield add(n, 10))


@wfc.workflow
def wf(a: int, b: int) -> wfc.Workflow[object]:
    x = yield add(a)
    y: int = yield add(x, b=b)
    x += yield add(y)
    p, q = yield wfc.all_of(add(x), label(y))
    parts = yield wfc.all_of([add(i) for i in range(3)])
    idx, won = yield wfc.any_of(wfc.sleep(5), add(1).options(retry=False))
    c = yield child(a)
    yield wfc.sleep(dt.timedelta(seconds=1))
    got = yield wfc.wait_event("go", timeout=3)
    try:
        yield boom(a)
    except ValueError as exc:
        caught = str(exc)
    last = yield label(a)
    yield add(0)
    return (x, y, p, q, parts, idx, won, c, got, caught, last)
'''


def _load(tmp_path: Path, source: str, name: str) -> Any:
    d = tmp_path / name
    d.mkdir()
    return load_module(source, d)


def _hashes(source: str, directory: Path) -> dict[str, str]:
    """Table hashes of the module's workflows, loaded under one module name (step keys name their module)."""
    directory.mkdir()
    module = load_module(source, directory, name="wfc_yield_from_twin")
    return {name: wfc.compile(getattr(module, name)).hash for name in ("wf", "child") if hasattr(module, name)}


def test_handwritten_forms_compile_to_the_same_table(tmp_path: Path) -> None:
    assert "y: int = yield from add(x, b=b)" in with_yield_from(MODULE)
    assert "return (yield from add(n, 10))" in with_yield_from(MODULE)
    plain = _hashes(MODULE, tmp_path / "plain")
    assert plain == _hashes(with_yield_from(MODULE), tmp_path / "typed")
    assert plain != _hashes(MODULE.replace("add(y)", "add(y, 2)"), tmp_path / "other")  # the hash can differ


def test_handwritten_forms_run_the_same_in_both_runners_and_natively(tmp_path: Path) -> None:
    plain = _load(tmp_path, MODULE, "plain")
    typed = _load(tmp_path, with_yield_from(MODULE), "typed")
    events = {"go": "ok"}
    expected = wfc.testing.run(plain.wf, 2, 3, events=events)
    assert expected == (10, 6, 11, "n6", [1, 2, 3], 1, 2, 12, "ok", "boom 2", "n2")
    assert wfc.testing.run(typed.wf, 2, 3, events=events) == expected
    native = wfc.testing.execute(typed.wf, 2, 3, native=True, events=events)
    assert native.error is None and native.value == expected
    with wfc.Runtime(f"sqlite:///{tmp_path / 'rt.db'}", clock=wfc.testing.FakeClock()) as rt:
        wid = rt.start(typed.wf, 2, 3)
        rt.send_event(wid, "go", "ok")
        assert rt.run_until_complete(wid) == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=programs())
def test_random_programs_with_yield_from(source: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    d = tmp_path_factory.mktemp("yf")
    assert _hashes(source, d / "plain") == _hashes(with_yield_from(source), d / "typed")
    plain = load_module(source, d)
    typed = load_module(with_yield_from(source), d)
    for args in [(0, 1), (4, 3)]:
        native = wfc.testing.execute(typed.wf, *args, native=True)
        assert observed(wfc.testing.execute(typed.wf, *args)) == observed(native)
        # Python's own tracebacks of the two programs differ (the command's frame, the carets, the file): the
        # texts are compared above, against Python; here the rest of what they observed.
        plain_native = observed(wfc.testing.execute(plain.wf, *args, native=True))
        assert _without_tracebacks(observed(native)) == _without_tracebacks(plain_native)


def _without_tracebacks(value: Any) -> Any:
    """``value`` with every traceback text in it cut to its last line (the exception)."""
    if isinstance(value, str) and value.startswith("Traceback (most recent call last):"):
        return value.rstrip("\n").rpartition("\n")[2]
    if isinstance(value, tuple | list):
        return type(value)(_without_tracebacks(v) for v in value)
    return value


TRACED = '''
import traceback

import wfc


@wfc.step
def f(n):
    raise ValueError(f"bad {n}")


@wfc.step
def s(n):
    return n


@wfc.workflow
def wf(a):
    try:
        x = yield from f(a)
    except ValueError:
        first = traceback.format_exc()
    try:
        p, q = yield from wfc.all_of(
            s(a),
            f(a + 1),
        )
    except ValueError:
        yield from s(0)  # the handler resumes after a suspension: the traceback is the persisted one
        second = traceback.format_exc()
    try:
        y = yield f(a + 2)
    except ValueError:
        third = traceback.format_exc()
    return first, second, third
'''


def test_a_failure_thrown_in_at_yield_from_shows_the_commands_frame_as_python_does(tmp_path: Path) -> None:
    module = _load(tmp_path, TRACED, "traced")
    native = wfc.testing.execute(module.wf, 1, native=True)
    assert native.error is None
    first, second, third = native.value
    assert "in __iter__\n    result: R = yield self\n" in first and "in __iter__" in second
    assert "in __iter__" not in third  # a plain `yield` has no such frame
    assert wfc.testing.run(module.wf, 1) == native.value
    with wfc.Runtime(f"sqlite:///{tmp_path / 'rt.db'}", clock=wfc.testing.FakeClock()) as rt:
        wid = rt.start(module.wf, 1)
        assert rt.run_until_complete(wid) == native.value


HEADER = """
import wfc

@wfc.step
def s(n):
    return n

def plain_gen():
    yield 1

@wfc.workflow
"""


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ("def wf():\n    yield from plain_gen()\n", "WFC109", "generator function"),
        ("def wf():\n    x = yield from [s(1), s(2)]\n    return x\n", "WFC109", "not a command"),
        ("def wf():\n    yield from (s(1), s(2))\n", "WFC109", "tuple"),
        ("def wf():\n    x = yield from len('ab')\n    return x\n", "WFC109", "plain value"),
        ("def wf():\n    x = 1 + (yield from s(1))\n    return x\n", "WFC101", "yield"),
        ("def wf():\n    print((yield from s(1)))\n", "WFC101", "yield"),
    ],
)
def test_yield_from_takes_what_yield_takes(tmp_path: Path, body: str, code: str, fragment: str) -> None:
    module = load_module(textwrap.dedent(HEADER) + body, tmp_path)
    table, diags = diagnose(module.wf)
    assert table is None
    found = [d for d in diags if d.code == code]
    assert found, diags
    assert fragment in found[0].message
    assert found[0].span is not None and found[0].span.line > 0


def test_a_command_iterates_as_itself_once() -> None:
    cmd = wfc.sleep(3)
    it = iter(cmd)
    assert next(it) is cmd
    with pytest.raises(StopIteration) as stop:
        it.send("sent")
    assert stop.value.value == "sent"
