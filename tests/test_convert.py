"""wfc.convert: the persisted-value codec (dynamic encoding, aliasing, refusals), the cattrs converter and
check_type."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import fractions
import inspect
import io
import json
import math
import re
import socket
import sys
import typing
import uuid
import zoneinfo
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfc.commands import (
    AllOf,
    AnyOf,
    CallOptions,
    ChildCall,
    RetryPolicy,
    Sleep,
    StepDef,
    WaitEvent,
    WorkflowDef,
    register_error,
    register_step,
    register_workflow,
)
from wfc.convert import (
    TypeMismatch,
    UnknownType,
    check_type,
    converter,
    decode,
    decode_vars,
    dumps,
    dumps_vars,
    encode,
    encode_vars,
    loads,
    loads_vars,
    register_type,
)
from wfc.errors import (
    InternalError,
    NotSerializable,
    StepFailed,
    Timeout,
    WfcError,
    step_failure,
    step_failure_class,
)
from wfc.runtime.context import TransitionContext, transition

# ---- classes the data names -----------------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Perm(enum.Flag):
    R = 1
    W = 2


@attrs.define
class Item:
    sku: str
    qty: int


@attrs.define
class Order:
    id: int
    items: list[Item] = attrs.field(factory=list)
    note: str | None = None


@attrs.frozen
class Money:
    amount: decimal.Decimal
    currency: str = "EUR"


@attrs.define
class Box:
    value: Any
    other: Any = None


@attrs.define
class WithPrivate:
    _secret: int
    computed: int = attrs.field(init=False, default=0)


@attrs.define
class Doubler:
    value: int = attrs.field(converter=lambda v: v * 2)  # not idempotent: must not run again on decode


@attrs.define
class Counted:
    x: int
    inits: typing.ClassVar[int] = 0

    def __attrs_post_init__(self) -> None:
        Counted.inits += 1


@dataclasses.dataclass
class Point:
    x: float
    y: float
    tags: list[str] = dataclasses.field(default_factory=list)
    norm: float = dataclasses.field(init=False, default=0.0)


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: int
    b: tuple[int, ...] = ()


@dataclasses.dataclass(eq=False)
class Node:
    name: str
    children: list[Node] = dataclasses.field(default_factory=list)
    parent: Node | None = None


@dataclasses.dataclass
class DBox:
    value: Any


class Pair(typing.NamedTuple):
    left: Any
    right: Any = "r"


Legacy = collections.namedtuple("Legacy", "a b")


class AppError(Exception):
    def __init__(self, status: int, detail: str) -> None:  # needs arguments: never called on decode
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class PlainThing:
    made = 0

    def __init__(self) -> None:
        PlainThing.made += 1


def charge(order_id: str) -> str:
    return order_id


CHARGE = register_step(StepDef(fn=charge, name="charge", key=f"{__name__}:charge"))
FLOW = register_workflow(
    WorkflowDef(fn=None, name="flow", key=f"{__name__}:flow", signature=inspect.Signature(), namespace={})
)


# ---- comparing values exactly ---------------------------------------------------------------------------------------


def same(a: Any, b: Any, seen: set[tuple[int, int]] | None = None) -> bool:
    """Equal *and* of the same type at every node (``1 == 1.0 == True``), nan equal to nan, -0.0 not 0.0.
    Pairs already being compared count as equal, so cycles terminate."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (a != a and b != b) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    seen = set() if seen is None else seen
    if (id(a), id(b)) in seen:
        return True
    seen.add((id(a), id(b)))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y, seen) for x, y in zip(a, b))
    if isinstance(a, dict):
        pairs = zip(a.items(), b.items())
        return len(a) == len(b) and all(
            same(k1, k2, seen) and same(v1, v2, seen) for (k1, v1), (k2, v2) in pairs
        )
    if isinstance(a, set | frozenset):
        return len(a) == len(b) and all(any(same(x, y, seen) for y in b) for x in a)
    if attrs.has(type(a)) or dataclasses.is_dataclass(a):
        return same(_state(a), _state(b), seen)
    if isinstance(a, BaseException):
        return same(a.args, b.args, seen) and same(vars(a), vars(b), seen)
    return repr(a) == repr(b)


def _state(obj: Any) -> dict[str, Any]:
    return vars(obj) if hasattr(obj, "__dict__") else attrs.asdict(obj, recurse=False)


def round_trip(value: Any) -> Any:
    out = decode(encode(value))
    text_out = loads(dumps(value))
    assert same(out, text_out)
    return out


def assert_json(data: Any) -> None:
    """Only JSON types, str keys, no non-finite floats."""
    if isinstance(data, dict):
        for k, v in data.items():
            assert type(k) is str
            assert_json(v)
    elif isinstance(data, list):
        for v in data:
            assert_json(v)
    else:
        assert data is None or type(data) in (bool, int, str, float)
        if type(data) is float:
            assert math.isfinite(data)


# ---- strategies -----------------------------------------------------------------------------------------------------

fixed_zones = st.builds(
    dt.timezone,
    st.timedeltas(min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23)),
) | st.builds(
    dt.timezone, st.timedeltas(min_value=dt.timedelta(hours=-5), max_value=dt.timedelta(hours=5)), st.text()
)
zones = st.none() | st.timezones() | fixed_zones | st.just(dt.UTC)
huge = st.integers(min_value=2**1990, max_value=2**2100)
keys = st.text() | st.sampled_from(["$id", "$ref", "$", "", "$tuple", "$$"])

hashables = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | huge
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.dates()
    | st.uuids()
    | st.sampled_from([*Color, *Level, Perm.R, Perm.R | Perm.W]),
    lambda inner: st.lists(inner, max_size=3).map(tuple) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)

leaves = st.one_of(
    hashables,
    st.floats(),  # nan, inf, -0.0 included
    st.binary().map(bytearray),
    st.datetimes(timezones=zones),
    st.times(timezones=zones),
    st.timedeltas(),
    st.decimals(),
    st.fractions(),
    st.complex_numbers(),
    st.builds(range, st.integers(), st.integers() | huge, st.integers().filter(bool)),
    st.timezones(),
    fixed_zones,
)


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
        st.dictionaries(hashables, inner, max_size=3),
        st.sets(hashables, max_size=3),
        st.frozensets(hashables, max_size=3),
        st.builds(Box, inner, inner),
        st.builds(DBox, inner),
        st.builds(Pair, inner, inner),
        st.builds(lambda args: ValueError(*args), st.lists(inner, max_size=2)),
    )


values = st.recursive(leaves, containers, max_leaves=25)

plain_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != 0 or math.copysign(1, f) > 0)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text().filter(lambda k: not k.startswith("$")), inner, max_size=4)
    ),
    max_leaves=20,
)


# ---- properties -----------------------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=300)
@given(values)
def test_round_trip_is_exact(value: Any) -> None:
    data = encode(value)
    assert_json(data)
    assert same(decode(data), value)
    text = dumps(value)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert same(loads(text), value)


@settings(deadline=None)
@given(plain_json)
def test_plain_json_is_itself(value: Any) -> None:
    assert same(encode(value), value)
    assert same(decode(value), value)


@settings(deadline=None)
@given(values)
def test_shared_mutable_values_stay_shared(value: Any) -> None:
    holder = Box([value], {"again": value})
    out = round_trip(holder)
    assert same(out.value[0], value)
    if isinstance(value, list | dict | set | bytearray | Box | DBox | BaseException):
        assert out.value[0] is out.other["again"]


@settings(deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from(["list", "dict", "box"]), min_size=n, max_size=n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=15),
        )
    )
)
def test_any_graph_of_references_survives(spec: tuple[list[str], list[tuple[int, int]]]) -> None:
    kinds, edges = spec
    nodes: list[Any] = [[] if k == "list" else {} if k == "dict" else Box([]) for k in kinds]

    def children(node: Any) -> list[Any]:
        return (
            list(node.values()) if isinstance(node, dict) else node.value if isinstance(node, Box) else node
        )

    for a, b in edges:
        node = nodes[a]
        if isinstance(node, dict):
            node[f"k{len(node)}"] = nodes[b]
        else:
            children(node).append(nodes[b])
    out = decode_vars(encode_vars({f"v{i}": n for i, n in enumerate(nodes)}))
    copies = list(out.values())
    for original, copy in zip(nodes, copies):
        assert type(copy) is type(original)
        for child, copied_child in zip(children(original), children(copy), strict=True):
            assert copied_child is copies[next(i for i, n in enumerate(nodes) if n is child)]


# ---- the format -----------------------------------------------------------------------------------------------------


def test_tag_format() -> None:
    assert encode((1, "a")) == {"$tuple": [1, "a"]}
    assert encode({1: "a"}) == {"$dict": [[1, "a"]]}
    assert encode({"$x": 1}) == {"$dict": [["$x", 1]]}
    assert encode(float("nan")) == {"$float": "nan"}
    assert encode(-0.0) == {"$float": "-0.0"}
    assert encode(b"hi") == {"$bytes": "aGk="}
    assert encode(Color.RED) == {"$enum": f"{__name__}.Color", "$name": "RED"}
    assert encode(Item("a", 2)) == {"$obj": f"{__name__}.Item", "$fields": {"sku": "a", "qty": 2}}
    assert encode(ValueError("x")) == {"$exc": "ValueError", "$args": ["x"]}
    a: list[int] = []
    assert encode([a, a]) == [{"$id": 1, "$list": []}, {"$ref": 1}]
    assert dumps({"é": [1, 2.5]}) == '{"é":[1,2.5]}'


def test_dict_order_and_key_types() -> None:
    value = {"b": 1, "a": 2, 3: "x", (1, 2): "t", "$ref": 5}
    out = round_trip(value)
    assert list(out) == ["b", "a", 3, (1, 2), "$ref"]
    assert list(round_trip({"z": 1, "a": 2})) == ["z", "a"]


def test_numbers() -> None:
    for value in (
        2**5000,
        -(2**5000),
        10**20,
        float("inf"),
        float("-inf"),
        -0.0,
        1.0,
        5e-324,
        complex(-0.0, math.nan),
    ):
        assert same(round_trip(value), value)
    assert math.copysign(1, round_trip(-math.nan)) == -1
    for d in ("1.50", "-0", "NaN", "sNaN", "-Infinity", "1E+3"):
        assert str(round_trip(decimal.Decimal(d))) == d
    assert round_trip(fractions.Fraction(-3, 4)) == fractions.Fraction(-3, 4)
    assert round_trip(range(2, 10, 3)) == range(2, 10, 3)


def test_datetimes() -> None:
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    ny = zoneinfo.ZoneInfo("America/New_York")
    cases = [
        dt.datetime(2024, 3, 1, 10, 0, 0, 123456),
        dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")),
        dt.datetime(2024, 3, 1, 10, tzinfo=paris),
        dt.datetime(2024, 11, 3, 1, 30, tzinfo=ny),  # ambiguous, first
        dt.datetime(2024, 11, 3, 1, 30, tzinfo=ny, fold=1),  # ambiguous, second
        dt.datetime(2024, 3, 10, 2, 30, tzinfo=ny, fold=1),  # in the gap
        dt.datetime(2024, 3, 1, 10, fold=1),
        dt.date(2024, 2, 29),
        dt.time(23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        dt.time(8, tzinfo=paris),
        dt.timedelta(days=-3, seconds=5, microseconds=7),
        dt.timedelta.max,
        paris,
        dt.timezone(dt.timedelta(hours=2), "CEST"),
    ]
    for value in cases:
        out = round_trip(value)
        assert same(out, value), (value, out)
    assert round_trip(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).tzinfo is dt.UTC
    assert round_trip(cases[5]).utcoffset() == dt.timedelta(hours=-5)


def test_attrs_and_dataclasses() -> None:
    order = Order(7, [Item("a", 1), Item("b", 2)], note="fragile")
    assert round_trip(order) == order
    assert round_trip(Money(decimal.Decimal("9.90"))) == Money(decimal.Decimal("9.90"))
    assert round_trip(Frozen(1, (2, 3))) == Frozen(1, (2, 3))

    private = WithPrivate(5)
    private.computed = 42  # a non-init field keeps its value
    out = round_trip(private)
    assert (out._secret, out.computed) == (5, 42)

    assert round_trip(Doubler(2)).value == 4  # the converter did not run twice

    counted = Counted(1)
    before = Counted.inits
    assert decode(encode(counted)) == counted
    assert Counted.inits == before + 1  # normal construction: __attrs_post_init__ ran for the copy

    p = Point(1.0, 2.5, ["a"])
    p.norm = 3.0
    p.extra = {"cached": True}  # type: ignore[attr-defined]  # an attribute outside the fields
    out = round_trip(p)
    assert out == p and out.norm == 3.0 and out.extra == {"cached": True}


def test_enums_and_named_tuples() -> None:
    for value in (Color.GREEN, Level.HIGH, Perm.R, Perm.R | Perm.W, Pair(1, (2,)), Legacy([1], b={2})):
        out = round_trip(value)
        assert same(out, value) and type(out) is type(value)
    assert round_trip(Color.RED) is Color.RED


def test_aliasing_and_cycles() -> None:
    shared: list[int] = [1]
    value = {"x": shared, "y": shared, "z": [shared]}
    out = round_trip(value)
    assert out["x"] is out["y"] is out["z"][0]

    loop: list[Any] = [1]
    loop.append(loop)
    out = round_trip(loop)
    assert out[1] is out

    d: dict[str, Any] = {}
    d["self"] = d
    out = round_trip(d)
    assert out["self"] is out

    root = Node("root")
    child = Node("child", parent=root)
    root.children.append(child)
    out = round_trip(root)
    assert out.children[0].parent is out

    n = Node("n")  # eq=False: hashable by identity, so it can sit in a set it refers back to
    s = {n}
    n.children.append(s)  # type: ignore[arg-type]
    out = round_trip(s)
    (m,) = out
    assert m.children[0] is out

    b = bytearray(b"x")
    out = round_trip((b, b))
    assert out[0] is out[1]

    err = ValueError("boom")
    err.context = [err]  # type: ignore[attr-defined]
    out = round_trip({"a": err, "b": err})
    assert out["a"] is out["b"] and out["a"].context[0] is out["a"]

    t = ([],)
    t[0].append(t)
    out = round_trip(t)
    assert out[0][0][0] is out[0]  # tuples are copied per occurrence, the list inside stays one object


def test_aliasing_between_variables() -> None:
    shared = [1, 2]
    obj = Box(shared)
    out = decode_vars(encode_vars({"a": shared, "b": obj, "c": 3}))
    assert out["a"] is out["b"].value
    assert list(out) == ["a", "b", "c"]
    out = loads_vars(dumps_vars({"a": shared, "b": shared}))
    assert out["a"] is out["b"] and out["a"] == [1, 2]


def test_reordered_keys_still_decode() -> None:
    # A jsonb column reorders object keys: a $ref may then come before its $id.
    shared = [1]
    data = encode_vars({"a": shared, "b": {"x": shared}})
    out = decode_vars(dict(reversed(list(data.items()))))
    assert out["a"] is out["b"]["x"]


# ---- exceptions -----------------------------------------------------------------------------------------------------


def test_builtin_exceptions() -> None:
    err = ValueError("bad", 3)
    err.order_id = "o-1"  # type: ignore[attr-defined]
    err.socket = socket.socket()  # type: ignore[attr-defined]  # cannot be persisted: kept as its repr
    err.add_note("while charging")
    try:
        out = round_trip(err)
        shown = repr(err.socket)  # type: ignore[attr-defined]
    finally:
        err.socket.close()  # type: ignore[attr-defined]
    assert type(out) is ValueError and out.args == ("bad", 3)
    assert out.order_id == "o-1" and out.__notes__ == [
        "while charging",
        "wfc: attribute 'socket' (socket) could not be persisted; its repr is kept",
    ]
    assert out.socket == (shown if len(shown) <= 200 else f"{shown[:197]}...")
    assert err.__notes__ == ["while charging"]  # the original is not changed

    fnf = FileNotFoundError(2, "No such file", "/x")
    out = round_trip(fnf)
    assert type(out) is FileNotFoundError and (out.errno, out.strerror, out.filename) == (
        2,
        "No such file",
        "/x",
    )

    group = ExceptionGroup("many", [KeyError("k"), ValueError("v")])
    out = round_trip(group)
    assert type(out) is ExceptionGroup and [type(e) for e in out.exceptions] == [KeyError, ValueError]


def test_user_exception_is_rebuilt_without_init() -> None:
    out = round_trip(AppError(404, "missing"))
    assert type(out) is AppError and out.args == ("404: missing",)
    assert (out.status, out.detail) == (404, "missing")


def test_wfc_errors() -> None:
    out = round_trip(Timeout("waited too long", hint="raise the timeout"))
    assert type(out) is Timeout and isinstance(out, TimeoutError)
    assert (str(out), out.code, out.hint) == (
        "waited too long\n  = hint: raise the timeout",
        None,
        "raise the timeout",
    )
    out = round_trip(WfcError("x", code="WFC499"))
    assert out.code == "WFC499"
    plain = StepFailed("card declined", type_name="pkg.Declined", step="charge", attempts=2)
    out = round_trip(plain)
    assert type(out) is StepFailed and vars(out) == vars(plain) and str(out) == str(plain)


@pytest.mark.parametrize("exc_type", [ValueError, KeyError, AppError, OSError])
def test_step_failures_round_trip_as_the_combined_class(exc_type: type[BaseException]) -> None:
    args: tuple[Any, ...] = (404, "gone") if exc_type is AppError else ("bad",)
    failure = step_failure(
        exc_type, args, type_name=exc_type.__name__, message="bad", step="charge", attempts=3
    )
    failure.extra = [1]  # type: ignore[attr-defined]
    out = round_trip(failure)
    assert type(out) is type(failure) is step_failure_class(exc_type)
    assert type(out).__name__ == exc_type.__name__
    assert isinstance(out, StepFailed) and isinstance(out, exc_type)
    assert out.args == failure.args
    assert (out.type_name, out.message, out.step, out.attempts) == (exc_type.__name__, "bad", "charge", 3)
    assert out.extra == [1]  # type: ignore[attr-defined]


def test_step_failure_of_an_unknown_type_is_a_plain_step_failed() -> None:
    data = {"$failed": "gone_module.GoneError", "$args": ["x"],
            "$attrs": {"type_name": "gone_module.GoneError", "message": "x", "step": "s", "attempts": 2}}  # fmt: skip
    out = decode(data)
    assert type(out) is StepFailed
    assert (out.type_name, out.message, out.step, out.attempts) == ("gone_module.GoneError", "x", "s", 2)


# ---- commands -------------------------------------------------------------------------------------------------------


def test_commands_round_trip() -> None:
    with in_workflow():
        call = CHARGE("o-1", amount=decimal.Decimal("10.00")).options(
            name="charge o-1", retry=RetryPolicy(max_attempts=3, non_retryable=[ValueError])
        )
        second = CHARGE("o-2")
    commands = [
        call,
        AllOf((call, second)),
        AnyOf((Sleep(3.5), WaitEvent("approved", timeout=60.0))),
        ChildCall(FLOW, (1,), {}, CallOptions(run_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))),
    ]
    out = round_trip(commands)
    assert out == commands
    assert out[0].step is CHARGE and out[3].workflow is FLOW
    assert out[0].opts.retry.non_retryable == ("ValueError",)
    assert encode(CHARGE) == {"$step": f"{__name__}:charge"}


def test_unknown_step_or_workflow() -> None:
    with pytest.raises(UnknownType, match="step 'gone:step' is not registered in this deployment") as info:
        decode({"$step": "gone:step"})
    assert info.value.code == "WFC404"
    with pytest.raises(UnknownType, match="workflow 'gone:wf' is not registered"):
        decode({"$workflow": "gone:wf"})
    stray = StepDef(fn=charge, name="stray", key="nowhere:stray")
    with in_workflow():
        call = stray("x")
    with pytest.raises(NotSerializable, match="not registered"):
        encode(call)


def in_workflow() -> Any:
    """Step calls make commands only while workflow code runs (a transition of either runner)."""
    return transition(TransitionContext("convert-test", 0, dt.datetime(2030, 1, 1, tzinfo=dt.UTC)))


# ---- refusals -------------------------------------------------------------------------------------------------------


def test_never_imports_a_module() -> None:
    assert "this" not in sys.modules  # importing it prints the Zen of Python
    with pytest.raises(UnknownType, match="no such class is loaded") as info:
        decode({"$obj": "this.Anything", "$fields": {}})
    assert info.value.code == "WFC404" and "wfc.register_type" in str(info.value)
    assert "this" not in sys.modules


@pytest.mark.parametrize(
    "data",
    [
        {"$obj": f"{__name__}.PlainThing", "$fields": {}},
        {"$obj": "subprocess.Popen", "$fields": {"args": "true"}},
        {"$exc": "os.system", "$args": ["true"]},
        {"$exc": f"{__name__}.charge", "$args": []},
        {"$enum": "ValueError", "$name": "x"},
        {"$ntuple": f"{__name__}.Item", "$items": ["a", 1]},
        {"$obj": f"{__name__}.Color", "$fields": {}},
    ],
)
def test_refuses_classes_that_are_not_allowed(data: dict[str, Any]) -> None:
    with pytest.raises(UnknownType, match=r"refusing to rebuild|no such class") as info:
        decode(data)
    assert info.value.code == "WFC404"
    assert PlainThing.made == 0


def test_register_type() -> None:
    @attrs.define
    class Local:
        n: int

    with pytest.raises(NotSerializable, match="defined inside a function") as info:
        encode(Local(1))
    assert "register_type" in str(info.value)
    assert register_type(Local) is Local
    assert round_trip(Local(1)) == Local(1)

    register_type(Local, name="legacy.Renamed")  # the newest name is written, every name stays readable
    assert encode(Local(2))["$obj"] == "legacy.Renamed"
    assert decode({"$obj": f"{Local.__module__}.{Local.__qualname__}", "$fields": {"n": 3}}) == Local(3)

    @register_type
    @dataclasses.dataclass
    class Decorated:
        v: int

    assert round_trip(Decorated(4)) == Decorated(4)

    class LocalError(Exception):
        pass

    register_error(LocalError)  # wfc.register_error is enough for exception classes
    assert type(round_trip(LocalError("x"))) is LocalError
    failure = step_failure(LocalError, ("y",), type_name="LocalError", message="y", step="s", attempts=1)
    assert type(round_trip(failure)) is step_failure_class(LocalError)
    with pytest.raises(WfcError, match="register_type\\(\\) takes") as err:
        register_type(PlainThing)
    assert err.value.code == "WFC402"


def gen() -> typing.Iterator[int]:
    yield 1


@pytest.mark.parametrize(
    "bad",
    [
        lambda: 1,
        charge,
        gen(),
        io.StringIO(),
        sys,
        object(),
        iter([1]),
        PlainThing.__new__(PlainThing),
        {1: 2}.items(),
    ],
)
def test_unsupported_values_name_the_path(bad: Any) -> None:
    value = {"orders": [1, 2, {"customer": bad}]}
    with pytest.raises(NotSerializable) as info:
        encode(value)
    assert info.value.code == "WFC401"
    message = str(info.value)
    assert message.startswith("cannot persist the value at $.orders[2].customer: ")
    assert type(bad).__name__ in message and "hint" in message

    with pytest.raises(NotSerializable, match=r"^cannot persist variable 'f': "):
        encode_vars({"ok": 1, "f": bad})
    with pytest.raises(NotSerializable, match=re.escape("variable 'o' ($.o.value[0])")):
        encode_vars({"o": Box([bad])})


def test_unsupported_value_messages() -> None:
    with pytest.raises(NotSerializable, match="persist plain data"):
        encode(object())
    with pytest.raises(NotSerializable, match="list\\(\\.\\.\\.\\)"):
        encode([gen()])
    with pytest.raises(NotSerializable, match=re.escape("$.args[0]")):
        encode(ValueError(print))

    class Tz(dt.tzinfo):
        def utcoffset(self, d: Any) -> dt.timedelta:
            return dt.timedelta(0)

    with pytest.raises(NotSerializable, match="tzinfo Tz"):
        encode(dt.datetime(2024, 1, 1, tzinfo=Tz()))
    deep: list[Any] = []
    for _ in range(10000):
        deep = [deep]
    with pytest.raises(NotSerializable, match="nested too deeply"):
        encode(deep)


def test_malformed_data() -> None:
    with pytest.raises(InternalError, match="malformed"):
        decode({"$nonsense": 1})
    with pytest.raises(InternalError, match="malformed"):
        decode([{"$ref": 9}])
    with pytest.raises(UnknownType, match="has no member 'BLUE'"):
        decode({"$enum": f"{__name__}.Color", "$name": "BLUE"})


# ---- the cattrs converter -------------------------------------------------------------------------------------------


def test_converter_typed_values() -> None:
    paris = zoneinfo.ZoneInfo("Europe/Paris")

    @attrs.define
    class Typed:
        when: dt.datetime
        day: dt.date
        at: dt.time
        span: dt.timedelta
        price: decimal.Decimal
        ident: uuid.UUID
        blob: bytes
        color: Color
        items: list[Item]

    value = Typed(
        dt.datetime(2024, 10, 27, 2, 30, tzinfo=paris, fold=1),
        dt.date(2024, 1, 2),
        dt.time(9, 15),
        dt.timedelta(days=1, microseconds=5),
        decimal.Decimal("1.10"),
        uuid.UUID(int=7),
        b"\x00\xff",
        Color.GREEN,
        [Item("a", 1)],
    )
    data = converter.unstructure(value)
    assert data["when"] == "2024-10-27T02:30:00+01:00[Europe/Paris]"
    assert data["color"] == "green" and data["blob"] == "AP8=" and data["price"] == "1.10"
    assert json.loads(json.dumps(data)) == data
    back = converter.structure(data, Typed)
    assert back == value and back.when.fold == 1
    assert converter.structure(90, dt.timedelta) == dt.timedelta(seconds=90)


# ---- check_type -----------------------------------------------------------------------------------------------------


def test_check_type_accepts_and_returns_the_same_object() -> None:
    order = Order(1, [Item("a", 1)])
    items = [1, 2, 3]
    cases: list[tuple[Any, Any]] = [
        (3, int),
        (3, float),
        (2.5, float),
        ("x", str),
        (None, None),
        (None, int | None),
        (items, list[int]),
        ({"o": order}, dict[str, Order]),
        ((1, "a"), tuple[int, str]),
        ((1, 2), tuple[int, ...]),
        ({1}, set[int]),
        (order, Order),
        (Color.RED, Color),
        ("anything", Any),
        ("unannotated", inspect.Parameter.empty),
        ("a", typing.Literal["a", "b"]),
        (dt.datetime(2024, 1, 1), dt.date),
        ([order], typing.Sequence[Order]),
        (Point(1, 2), typing.Optional[Point]),  # noqa: UP045
    ]
    for value, hint in cases:
        assert check_type(value, hint, what="x") is value, hint


def test_check_type_structures_plain_data() -> None:
    out = check_type({"id": 1, "items": [{"sku": "a", "qty": 2}]}, Order, what="argument 'order'")
    assert out == Order(1, [Item("a", 2)])
    assert check_type("green", Color, what="x") is Color.GREEN
    assert check_type("2024-01-02T03:04:05+00:00", dt.datetime, what="x") == dt.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC
    )
    assert check_type([1, 2], tuple[int, int], what="x") == (1, 2)
    assert check_type([1, 2], frozenset[int], what="x") == frozenset({1, 2})
    assert check_type({"x": 1, "y": 2.0}, Point, what="x") == Point(1, 2.0)
    assert check_type([1, "b"], Pair, what="x") == Pair(1, "b")
    assert check_type({"o": {"id": 2}}, dict[str, Order | None], what="x") == {"o": Order(2)}
    assert check_type("1.5", decimal.Decimal, what="x") == decimal.Decimal("1.5")


@pytest.mark.parametrize(
    ("value", "hint", "message"),
    [
        ("12", float, "argument 'amount': expected float, got str ('12')"),
        (1.5, int, "argument 'amount': expected int, got float (1.5)"),
        (None, int, "argument 'amount': expected int, got None (None)"),
        ((1, 2), list[int], "argument 'amount': expected list[int], got tuple ((1, 2))"),
        (
            {"id": 1, "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 1}, {"sku": "c", "qty": "x"}]},
            Order,
            "argument 'amount': expected int, got str ('x') @ $.items[2].qty",
        ),
        ({"id": 1, "nope": 2}, Order, "argument 'amount': unexpected field 'nope' for Order"),
        ({"sku": "a"}, Item, "argument 'amount': missing field 'qty' for Item"),
        ("pink", Color, "argument 'amount': expected Color, got str ('pink')"),
        ("x", int | None, "argument 'amount': expected int | None, got str ('x')"),
        ({"o": {"id": "x"}}, dict[str, Order | None], "expected int, got str ('x') @ $.o.id"),
        (True, typing.Literal[1], "expected Literal[1], got bool (True)"),
        ([1, "a"], tuple[int, int], "expected int, got str ('a') @ $[1]"),
        ("2024-13-01", dt.date, "expected date, got str ('2024-13-01')"),
    ],
)
def test_check_type_mismatches(value: Any, hint: Any, message: str) -> None:
    with pytest.raises(TypeMismatch) as info:
        check_type(value, hint, what="argument 'amount'")
    assert info.value.code == "WFC405"
    assert isinstance(info.value, WfcError)
    assert message in str(info.value)
