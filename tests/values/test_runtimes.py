"""pydantic models, msgspec Structs and a user codec's values in both runners: workflow arguments (also as plain
JSON from ``wfc.Client``, validated by the worker), step arguments and results, a child workflow's result, live
variables across a sleep and an event wait (mutated, aliased), return values; after a process restart; on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import decimal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.testing import FakeClock

from ..pg import schema_url
from . import flows
from .restart import summary

ROOT = Path(__file__).resolve().parents[2]


def args() -> tuple[Any, ...]:
    return flows.sample_order(), flows.Money(300, "EUR"), flows.Point(1, 2, dt.date(2024, 1, 2))


def check(result: dict[str, Any]) -> None:
    receipt, order = result["receipt"], result["order"]
    assert type(receipt) is flows.Receipt and receipt.total == decimal.Decimal("26.20")
    assert receipt.paid == flows.Money(2620, "EUR")
    assert type(order) is flows.Order and type(order.lines[1]) is flows.Line and order.tags == {"gift"}
    assert order.note == "slept" and result["same"] is True and result["note"] == "slept"
    assert result["moved"] == flows.Point(3, 2, dt.date(2024, 1, 2)) and type(result["moved"]) is flows.Point
    assert result["fees"] == flows.Money(600, "EUR") and result["decision"] == "yes"


def test_wfc_testing_compiled_and_native() -> None:
    compiled = wfc.testing.run(flows.checkout, *args(), events={"approve": "yes"})
    native = wfc.testing.run(flows.checkout, *args(), events={"approve": "yes"}, native=True)
    check(compiled)
    check(native)
    assert summary(compiled) == summary(native)


def test_wfc_testing_structures_json_arguments() -> None:
    plain = flows.sample_json()
    result = wfc.testing.run(flows.checkout, plain["order"], plain["fee"], plain["where"], events={"approve": "yes"})
    check(result)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'values.db'}"
    else:
        with schema_url("values") as pg:
            yield pg


def test_durable_runtime(url: str) -> None:
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock) as rt:
        h = rt.start(flows.checkout, *args())
        rt.run_until_idle()
        clock.advance(61)
        rt.run_until_idle()
        rt.send_event(h, "approve", "yes")
        result = rt.run_until_complete(h)
    check(result)
    assert summary(result) == summary(wfc.testing.run(flows.checkout, *args(), events={"approve": "yes"}))


def test_client_starts_by_name_with_json_and_the_worker_validates(url: str) -> None:
    clock = FakeClock()
    plain = flows.sample_json()
    with wfc.Runtime(url, clock=clock) as rt, wfc.Client(url, clock=clock) as client:
        h = client.start("values_checkout", plain["order"], fee=plain["fee"], where=plain["where"])
        bad_order = {**plain["order"], "lines": [{"sku": "x", "qty": 0, "price": "1"}], "placed": "soon"}
        bad = client.start("values_checkout", bad_order, fee="3 EUR", where=plain["where"])
        rt.run_until_idle()
        clock.advance(61)
        rt.run_until_idle()
        client.send_event(h.id, "approve", "yes")
        rt.run_until_idle()
        check(client.result(h.id, timeout=30))
        with pytest.raises(wfc.WfcError) as info:
            client.result(bad.id, timeout=30)
    assert info.value.code == "WFC405"
    message = str(info.value)
    assert "argument 'order' of workflow values_checkout: cannot build Order from dict" in message, message
    assert "lines[0].qty: Input should be greater than 0 (got 0)" in message
    assert "placed: Input should be a valid datetime" in message


def test_a_steps_validation_error_is_caught_as_value_error(url: str) -> None:
    assert wfc.testing.run(flows.parse, {"sku": "a", "qty": 1, "price": "2"}) == "ok: a"
    want = "invalid: 1 validation error for Line"
    assert wfc.testing.run(flows.parse, {"sku": "a", "qty": -1, "price": "2"}) == want
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        assert rt.run_until_complete(rt.start(flows.parse, {"sku": "a", "qty": -1, "price": "2"})) == want


@pytest.mark.slow
def test_values_survive_a_process_restart(tmp_path: Path) -> None:
    db = tmp_path / "restart.db"

    def phase(name: str) -> str:
        done = subprocess.run([sys.executable, "-m", "tests.values.restart", str(db), name], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    assert phase("start") == "waiting"
    import json

    got = json.loads(phase("finish"))
    want = summary(wfc.testing.run(flows.checkout, *args(), events={"approve": "yes"}))
    assert got == json.loads(json.dumps(want))
