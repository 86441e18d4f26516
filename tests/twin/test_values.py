"""wfc.testing is production's twin for values: the same type checks and conversions of arguments and return
values, the same refusals (values that cannot be persisted, ``max_value_size``, lone surrogates), and the same
round trip of live variables at every suspension (what a decode gives, with or without a restart)."""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import datetime as dt
import enum
from pathlib import Path
from typing import Annotated, Any, Literal, NewType, Optional, TypedDict, Union

import pytest

import wfc
from wfc.dsl.loader import load
from wfc.testing import FakeClock

from .harness import both

HERE = Path(__file__).parent


@wfc.step
def echo(x: Any) -> Any:
    return x


@wfc.step
def big(n: int) -> str:
    return "x" * n


@wfc.workflow
def days_until(when: dt.date, start: dt.date = dt.date(2024, 1, 1)) -> int:
    yield echo(1)
    return (when - start).days


def test_arguments_are_checked_and_converted_in_both() -> None:
    assert both(days_until, "2024-03-01").outcome == ("ok", 60)  # an ISO string becomes a date
    seen = both(days_until, 12).outcome
    assert seen[:2] == ("error", "TypeMismatch") and "argument 'when'" in seen[2]


@wfc.workflow
def says_int(x: Any) -> int:
    value = yield echo(x)
    return value


def test_the_return_value_is_checked_in_both() -> None:
    assert both(says_int, 3).outcome == ("ok", 3)
    seen = both(says_int, "3").outcome
    assert seen[:2] == ("error", "TypeMismatch") and "the return value of workflow" in seen[2]


@wfc.workflow
def returns_a_lock() -> Any:
    yield echo(1)
    return lambda: 1


def test_a_return_value_that_cannot_be_persisted_fails_in_both() -> None:
    seen = both(returns_a_lock).outcome
    assert seen[:2] == ("error", "NotSerializable") and "cannot persist" in seen[2]


@wfc.workflow
def large(n: int) -> int:
    try:
        text = yield big(n)
    except wfc.WfcError as exc:
        return -len(str(exc))
    return len(text)


@wfc.workflow
def large_argument(text: str) -> int:
    yield echo(1)
    return len(text)


@wfc.workflow
def large_result(n: int) -> str:
    yield echo(1)
    return "y" * n


def test_max_value_size_in_both() -> None:
    assert both(large, 100, limit=2000).outcome == ("ok", 100)
    failed = both(large, 5000, limit=2000).outcome  # the step's result is over the limit: raises at its yield
    assert failed[0] == "ok" and failed[1] < 0
    seen = both(large_argument, "z" * 5000, limit=2000).outcome  # refused at the start
    assert seen[:2] == ("error", "ValueTooLarge")
    seen = both(large_result, 5000, limit=2000).outcome
    assert seen[:2] == ("error", "ValueTooLarge") and "the result of workflow" in seen[2]


@wfc.step
def undecodable() -> str:
    return "caf\udce9"  # what os.fsdecode gives for undecodable bytes


@wfc.workflow
def holds_a_surrogate() -> str:
    name = "x"
    try:
        name = yield undecodable()
    except wfc.WfcError as exc:
        return f"refused: {exc.code}"
    yield echo(1)
    return name


@wfc.workflow
def makes_a_surrogate() -> int:
    text = b"caf\xe9".decode("utf-8", "surrogateescape")
    yield echo(1)
    return len(text)


def test_a_lone_surrogate_fails_cleanly_in_both() -> None:
    # a step result that cannot be stored raises at its yield; a live variable the workflow makes fails it
    assert both(holds_a_surrogate).outcome == ("ok", "refused: WFC401")
    seen = both(makes_a_surrogate).outcome
    assert seen[:2] == ("error", "NotSerializable") and "lone surrogate" in seen[2] and "variable 'text'" in seen[2]


@dataclasses.dataclass
class Audit:
    entries: list[str]

    def __post_init__(self) -> None:
        self.entries.append("built")


@wfc.workflow
def audited() -> list[str]:
    audit = Audit([])
    yield echo(1)
    audit.entries.append("one")
    yield echo(2)
    return audit.entries


def test_live_variables_are_what_a_decode_gives_at_every_suspension() -> None:
    # __post_init__ runs again at each decode: the same in both runners, and the same after a restart
    expected = ["built", "built", "one", "built"]
    assert both(audited).outcome == ("ok", expected)
    assert both(audited).outcome == ("ok", expected)


def test_the_same_with_a_restart_in_between(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rt.db'}"
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock) as rt:
        wid = rt.start(audited)
        assert rt.run_until_complete(wid) == ["built", "built", "one", "built"]
    rt2 = wfc.Runtime(url, clock=clock)
    wid = rt2.start(audited)
    rt2.close()  # started in one process, run by another
    with wfc.Runtime(url, clock=clock) as rt3:
        assert rt3.run_until_complete(wid) == ["built", "built", "one", "built"]


class Point(TypedDict):
    x: int
    y: int


class Maybe(TypedDict, total=False):
    label: str


class Shade(enum.Enum):
    DARK = "dark"


UserId = NewType("UserId", int)
HINTS: list[tuple[Any, Any, bool]] = [
    (Point, {"x": 1, "y": 2}, True),
    (Point, {"x": 1}, False),
    (Point, {"x": 1, "y": "2"}, False),
    (Point, {"x": 1, "y": 2, "z": 3}, False),
    (Maybe, {}, True),
    (Literal["a", "b"], "a", True),
    (Literal["a", "b"], "c", False),
    (Literal[1, Shade.DARK], Shade.DARK, True),
    (UserId, 7, True),
    (UserId, "7", False),
    (Annotated[int, "meta"], 3, True),
    (Optional[int], None, True),  # noqa: UP045
    (Union[int, str], "s", True),  # noqa: UP007
    (int | list[int], [1, 2], True),
    (int | list[int], [1, "2"], False),
    (abc.Sequence[int], [1, 2], True),
    (abc.Mapping[str, int], {"a": 1}, True),
    (abc.Mapping[str, int], {"a": "b"}, False),
    (abc.Iterable[str], ["a"], True),
    (abc.Collection[int], (1, 2), True),
    (abc.Set[int], [1, 2], True),
    (abc.Callable[[], int], 3, False),
    (list[Point], [{"x": 1, "y": 2}], True),
    (dict[str, Point], {"p": {"x": 1}}, False),
    (abc.Sized, [1], True),
    (abc.Hashable, 1, True),
]


def _flow_for(i: int, hint: Any) -> Any:
    def typed(value: Any) -> Any:
        same = yield echo(value)
        return same

    typed.__annotations__ = {"value": hint, "return": hint}
    return wfc.workflow(typed, name=f"tests.twin.test_values.typed_{i}")


FLOWS = [_flow_for(i, hint) for i, (hint, _, _) in enumerate(HINTS)]


@pytest.mark.parametrize("i", range(len(HINTS)))
def test_typing_constructs_as_argument_and_return_types(i: int) -> None:
    _hint, value, fits = HINTS[i]
    seen = both(FLOWS[i], value).outcome  # checked or accepted, never a raw TypeError or a blocked instance
    if fits:
        assert seen[0] == "ok", seen
    else:
        assert seen[:2] == ("error", "TypeMismatch"), seen


def test_wf_workflows_declared_types_are_enforced_like_python_ones() -> None:
    flows = load(HERE / "wf" / "returns.wf")
    assert both(flows["right_return"], 4).outcome == ("ok", 5)
    seen = both(flows["wrong_return"], 4).outcome
    assert seen[:2] == ("error", "TypeMismatch") and "the return value of workflow" in seen[2]
    seen = both(flows["typed_args"], 1, ["a", 2]).outcome  # arguments: refused at the start (WFC405), in both
    assert seen[0] == "error" and "argument `names` must be list[str]" in seen[2]
