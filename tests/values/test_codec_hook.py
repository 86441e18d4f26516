"""``wfc.register_type(cls, encode=..., decode=...)``: the one codec hook for users' types, and the pydantic and
msgspec codecs registered through it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pydantic
import pytest

import wfc
from wfc.convert import TypeMismatch, UnknownType, check_type, decode, dumps, encode, loads, loads_vars
from wfc.errors import NotSerializable, WfcError

from .flows import PARIS, Line, Money, Order, Point, Receipt, sample_order

ROOT = Path(__file__).resolve().parents[2]


def round_trip(value: Any) -> Any:
    return loads(json.dumps(json.loads(dumps(value))))


# ---- the persisted form -----------------------------------------------------------------------------------------


def test_a_user_type_is_stored_as_its_codec_says_under_its_stable_name() -> None:
    assert encode(Money(1250, "EUR")) == {"$type": "tests.values.Money", "$data": "12.50 EUR"}
    assert round_trip(Money(1250, "EUR")) == Money(1250, "EUR")
    assert decode({"$type": "tests.values.Money", "$data": "0.99 USD"}) == Money(99, "USD")


def test_a_pydantic_model_is_stored_as_its_python_mode_dump() -> None:
    order = sample_order()
    assert encode(order) == {
        "$type": "tests.values.flows.Order",
        "$data": {
            "id": "o-1",
            "lines": [
                {"sku": "book", "qty": 2, "price": {"$decimal": "12.50"}},
                {"sku": "pen", "qty": 1, "price": {"$decimal": "1.20"}},
            ],
            "placed": {"$datetime": "2024-03-31T01:30:00+01:00[Europe/Paris]"},
            "tags": {"$set": ["gift"]},
            "note": None,
        },
    }  # the computed field `total` is not stored: it is computed again
    back = round_trip(order)
    assert type(back) is Order and back == order and type(back.lines[0]) is Line
    assert back.placed.tzinfo is PARIS and back.total == decimal.Decimal("26.20")


def test_msgspec_structs_round_trip() -> None:
    p = Point(1, 2, dt.date(2024, 1, 2))
    assert encode(p) == {"$type": "tests.values.flows.Point", "$data": {"x": 1, "y": 2, "at": {"$date": "2024-01-02"}}}
    assert round_trip(p) == p and type(round_trip(p)) is Point


def test_values_inside_values_and_sharing() -> None:
    receipt = Receipt(order="o", total=decimal.Decimal(3), paid=Money(300, "EUR"))
    back = round_trip({"r": receipt, "list": [receipt, receipt]})
    assert back["r"] == receipt and back["r"].paid == Money(300, "EUR")
    assert back["list"][0] is back["list"][1] is back["r"]  # one object reachable three times stays one
    text = wfc.convert.dumps_vars({"a": receipt, "b": receipt})
    variables = loads_vars(text)
    assert variables["a"] is variables["b"]


def test_jsonb_key_order_still_decodes() -> None:
    order = sample_order()
    node = encode([order, order])
    reordered = json.loads(json.dumps(node, sort_keys=True))  # PostgreSQL jsonb reorders object keys
    back = decode(reordered)
    assert back[0] == order and back[0] is back[1]


# ---- type hints: plain data structured through the codec -------------------------------------------------------


def test_type_hints_structure_plain_data_through_the_codec() -> None:
    got = check_type({"id": "o", "lines": [{"sku": "a", "qty": "2", "price": "1.5"}], "placed": "2024-01-01T00:00Z"},
                     Order, what="argument 'order'")  # fmt: skip
    assert type(got) is Order and got.lines[0].qty == 2
    assert check_type("1.00 EUR", Money, what="x") == Money(100, "EUR")
    assert check_type([{"x": 1, "y": 2, "at": "2024-01-02"}], list[Point], what="x") == [Point(1, 2, dt.date(2024, 1, 2))]
    order = sample_order()
    assert check_type(order, Order | None, what="x") is order
    assert check_type(None, Order | None, what="x") is None


def test_validation_errors_are_wfc405_with_pydantic_locations() -> None:
    bad = {"id": "o", "lines": [{"sku": "a", "qty": 0, "price": "x"}]}
    with pytest.raises(TypeMismatch) as info:
        check_type([bad], list[Order], what="argument 'orders' of workflow w")
    text = str(info.value)
    assert info.value.code == "WFC405"
    assert text.startswith("argument 'orders' of workflow w: cannot build Order from dict: ")
    assert "lines[0].qty: Input should be greater than 0 (got 0)" in text
    assert "lines[0].price: Input should be a valid decimal (got 'x')" in text
    assert "placed: Field required" in text and text.endswith("@ $[0]")
    with pytest.raises(TypeMismatch, match=r"cannot build Money from int: expected '<amount> <currency>', got 5"):
        check_type(5, Money, what="x")


def test_strict_models_accept_json_input() -> None:
    class Strict(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(strict=True)
        when: dt.datetime
        key: uuid.UUID

    wfc.register_type(Strict)  # defined in a function: it needs a name to be found again
    u = uuid.uuid4()
    got = check_type({"when": "2024-01-01T00:00:00Z", "key": str(u)}, Strict, what="x")
    assert got.key == u and got.when.tzinfo is not None
    value = Strict(when=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), key=u)
    assert round_trip(value) == value  # the Python-mode data is exact: strict validation accepts it


# ---- registering -------------------------------------------------------------------------------------------------


class Celsius:
    def __init__(self, degrees: float) -> None:
        self.degrees = degrees


class Fahrenheit(Celsius):
    pass


def test_registration_errors() -> None:
    with pytest.raises(WfcError, match="already has a codec") as info:
        wfc.register_type(Money, encode=str, decode=_money_from)
    assert info.value.code == "WFC402"
    with pytest.raises(WfcError, match="already registered for another class"):
        wfc.register_type(Celsius, encode=lambda c: c.degrees, decode=Celsius, name="tests.values.Money")
    with pytest.raises(WfcError, match="persists int itself"):
        wfc.register_type(int, encode=str, decode=int)
    with pytest.raises(WfcError, match="exception class"):
        wfc.register_type(KeyError, encode=str, decode=KeyError)
    with pytest.raises(WfcError, match="both encode= and decode="):
        wfc.register_type(Celsius, encode=str)  # type: ignore[call-overload]
    with pytest.raises(WfcError, match="takes no name"):
        wfc.register_type(Celsius, encode=str, decode=lambda c, d: c(), subclasses=True, name="x")  # type: ignore[call-overload]
    with pytest.raises(WfcError, match="takes a class the codec can rebuild"):
        wfc.register_type(Celsius)
    with pytest.raises(WfcError, match="already has a codec"):
        wfc.register_type(pydantic.BaseModel, encode=str, decode=lambda c, d: c(), subclasses=True)


def _money_from(data: Any) -> Money:
    return Money(0, str(data))


def test_a_type_met_before_it_was_registered_is_persisted_once_it_is() -> None:
    class Kelvin:
        def __init__(self, k: float) -> None:
            self.k = k

    with pytest.raises(NotSerializable, match="Kelvin cannot be persisted"):
        encode([Kelvin(1.0)])
    with pytest.raises(TypeMismatch):
        check_type(3.0, Kelvin, what="x")
    wfc.register_type(Kelvin, encode=lambda v: v.k, decode=Kelvin, name="tests.values.Kelvin")
    assert round_trip([Kelvin(2.5)])[0].k == 2.5
    assert check_type(3.0, Kelvin, what="x").k == 3.0


def test_a_family_codec_covers_subclasses_and_the_nearest_base_wins() -> None:
    class Base(pydantic.BaseModel):
        n: int

    class Child(Base):
        pass

    def enc(v: Base) -> list[Any]:
        return ["v1", v.n]

    def dec(cls: type[Base], data: Any) -> Base:
        assert data[0] == "v1"
        return cls(n=data[1])

    wfc.register_type(Base, encode=enc, decode=dec, subclasses=True)
    with pytest.raises(NotSerializable, match="defined inside a function"):
        encode(Child(n=1))
    wfc.register_type(Child, name="tests.values.Child")  # a name for a family member (here: a local class)
    assert encode(Child(n=1)) == {"$type": "tests.values.Child", "$data": ["v1", 1]}  # Base's codec, not pydantic's
    assert type(round_trip(Child(n=3))) is Child


def test_codec_failures_are_clear() -> None:
    class Broken:
        pass

    wfc.register_type(Broken, encode=lambda b: 1 / 0, decode=lambda d: Broken(), name="tests.values.Broken")
    with pytest.raises(NotSerializable, match=r"variable 'b' \(\$\.b\[1\]\): its codec could not encode it "
                       r"\(ZeroDivisionError: division by zero\)"):  # fmt: skip
        wfc.convert.dumps_vars({"b": [1, Broken()]})

    class Cyclic:
        def __init__(self) -> None:
            self.me: list[Any] = [self]

    wfc.register_type(Cyclic, encode=lambda c: c.me, decode=lambda d: Cyclic(), name="tests.values.Cyclic")
    with pytest.raises(NotSerializable, match="cannot contain itself"):
        encode(Cyclic())
    # Stored data the class no longer accepts (a field became required): WFC404, naming the class and why.
    with pytest.raises(UnknownType, match=r"cannot rebuild a persisted tests.values.flows.Line from its stored "
                       r"data: price: Field required") as info:  # fmt: skip
        decode({"$type": "tests.values.flows.Line", "$data": {"sku": "a", "qty": 1}})
    assert info.value.code == "WFC404"
    with pytest.raises(UnknownType, match="refusing to rebuild"):
        decode({"$type": f"{__name__}.Celsius", "$data": 1})  # no codec: never instantiated from data


# ---- optional imports -------------------------------------------------------------------------------------------

NO_IMPORT = """
import sys
import wfc, dataclasses
from wfc.convert import dumps, loads, check_type
OPTIONAL = ("pydantic", "msgspec", "opentelemetry")
after_import = sorted(m for m in OPTIONAL if m in sys.modules)

@dataclasses.dataclass
class D:
    n: int

@wfc.step
def s(x: D) -> D:
    return D(x.n + 1)

@wfc.workflow
def w(x: D) -> wfc.Workflow[D]:
    y = yield from s(x)
    yield from wfc.sleep(1)
    return y

assert wfc.testing.run(w, {"n": 1}) == D(2)
rt = wfc.Runtime("sqlite:///:memory:", clock=wfc.testing.FakeClock())
h = rt.start(w, D(5))
assert rt.run_until_complete(h) == D(6)
# A runtime imports opentelemetry-api when it is there (its spans: docs/integration.md), never the others.
print(after_import, sorted(m for m in OPTIONAL[:2] if m in sys.modules))
"""


@pytest.mark.parametrize("blocked", [False, True])
def test_wfc_imports_no_optional_library(blocked: bool, tmp_path: Path) -> None:
    """Installed (dev) or not (``sys.modules[name] = None`` makes ``import name`` fail, as when absent)."""
    prelude = "import sys\nfor m in ('pydantic', 'msgspec', 'opentelemetry'):\n    sys.modules[m] = None\n"
    code = (prelude if blocked else "") + NO_IMPORT
    if blocked:
        code = code.replace("if m in sys.modules", "if sys.modules.get(m) is not None")
    script = tmp_path / "no_optional.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"


def test_dataclass_values_are_unchanged() -> None:
    @dataclasses.dataclass
    class Plain:
        n: int

    wfc.register_type(Plain)
    assert encode(Plain(1)) == {"$obj": f"{Plain.__module__}.{Plain.__qualname__}", "$fields": {"n": 1}}


def test_pydantic_time_zones_and_errors_persist() -> None:
    parsed = check_type({"id": "o", "lines": [], "placed": "2024-03-31T01:30:00+01:00"}, Order, what="x")
    tz = parsed.placed.tzinfo
    assert type(tz).__name__ == "TzInfo"  # pydantic's own fixed-offset zone
    back = round_trip(parsed)
    assert back == parsed and type(back.placed.tzinfo) is type(tz) and back.placed.tzname() == "+01:00"
    # pydantic's ValidationError cannot be created without its arguments: stored with a failure, it comes back
    # as its nearest builtin base, saying so.
    try:
        Line.model_validate({"sku": "a"})
    except pydantic.ValidationError as exc:
        error = exc
    again = round_trip(error)
    assert type(again) is ValueError and str(again) == str(error)
    assert "ValidationError cannot be rebuilt from stored data; stored as ValueError" in again.__notes__[-1]


FIRST_ENCODE_AFTER_BOTH = """
import attrs
import wfc.convert

@attrs.frozen
class Early:
    n: int

@attrs.frozen
class Link:
    url: str

print(wfc.convert.loads(wfc.convert.dumps(Early(1))) == Early(1))  # classified before the libraries are there
import msgspec, pydantic  # then the app imports both (a web framework does)
# The next new class asks for the integrations; installing pydantic's registers types, which re-classifies Early,
# which asks for the integrations again (msgspec still pending) in the same thread.
print(wfc.convert.loads(wfc.convert.dumps(Link("u"))) == Link("u"))
"""


def test_the_first_encode_with_pydantic_and_msgspec_imported_does_not_hang(tmp_path: Path) -> None:
    # This deadlocked: the integrations' lock was taken again by the thread holding it.
    script = tmp_path / "both.py"
    script.write_text(FIRST_ENCODE_AFTER_BOTH)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
