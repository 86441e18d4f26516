"""examples/values.py (embedded in docs/values.md) runs as the doc says, in both runners, and the stored forms
the doc shows are what the codec writes."""

from __future__ import annotations

import datetime as dt
import decimal
import subprocess
import sys
from pathlib import Path

import pytest

import wfc
from examples import values
from wfc.convert import dumps

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "values.md").read_text()
JSON_ARGS = {"order": {"id": "o-1", "placed": "2024-03-01T10:00:00Z",
                       "lines": [{"sku": "book", "qty": 2, "price": "12.50"}]}, "fee": [30, "EUR"]}  # fmt: skip


def test_the_doc_embeds_the_example_verbatim() -> None:
    assert f"```python\n{(ROOT / 'examples' / 'values.py').read_text().rstrip()}\n```" in DOC


def test_the_example_runs_as_a_script() -> None:
    done = subprocess.run([sys.executable, "-m", "examples.values"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["25.00", "2530", "EUR"]


def test_the_example_in_the_durable_runtime_from_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'values.db'}"
    clock = wfc.testing.FakeClock()
    with wfc.Runtime(url, clock=clock) as rt, wfc.Client(url, clock=clock) as client:
        h = client.start("invoice", **JSON_ARGS)
        rt.run_until_idle()
        client.send_event(h.id, "confirmed", True)
        bill, paid = rt.run_until_complete(h.id)
        assert type(bill) is values.Invoice and bill.total == decimal.Decimal("25.00")
        assert paid == values.Money(2530, "EUR")
        bad = client.start("invoice", {**JSON_ARGS["order"], "lines": [{"sku": "x", "qty": 0, "price": 1}]},
                           fee=[30])  # fmt: skip
        rt.run_until_idle()
        with pytest.raises(wfc.WfcError, match=r"lines\[0\].qty: Input should be greater than 0") as info:
            client.result(bad.id, timeout=30)
        assert info.value.code == "WFC405"  # the first argument that does not fit; nothing ran


def test_the_stored_forms_in_the_doc_are_the_codecs() -> None:
    order = values.Order(id="o-1", lines=[values.Line(sku="book", qty=2, price=decimal.Decimal("12.50"))],
                         placed=dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC))  # fmt: skip
    parsed = values.Order.model_validate({"id": "o", "lines": [], "placed": "2024-03-31T01:30:00+01:00"})
    shared = values.Money(5, "EUR")
    twice = dumps([shared, shared])
    assert twice == '[{"$id":1,"$type":"shop.Money","$data":[5,"EUR"]},{"$ref":1}]'
    for text in (dumps(values.Money(1250, "EUR")), dumps(order), dumps(parsed.placed),
                 twice[1:-1].replace('"$id":1', '"$id":3').replace('},{"$ref":1}', '} ... {"$ref":3}')):  # fmt: skip
        assert text in DOC, text
