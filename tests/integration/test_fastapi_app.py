"""examples/fastapi_app over HTTP (httpx, through Starlette's TestClient, which runs the app's lifespan: the
in-process worker starts and stops with it): start by name, read status, send an event, pydantic values in and
out, validation errors as HTTP 422."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from examples.fastapi_app.app import create_app


@pytest.fixture
def http(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(f"sqlite:///{tmp_path / 'orders.db'}")) as client:
        yield client


def wait_for(http: TestClient, order_id: str, *states: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        got = http.get(f"/orders/{order_id}")
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        if body["state"] in states:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_a_small_order_is_paid(http: TestClient) -> None:
    created = http.post("/orders", json={"customer": "ann", "items": [{"sku": "book", "qty": 2}]})
    assert created.status_code == 201, created.text
    body = wait_for(http, created.json()["id"], "completed", "failed")
    assert body["receipt"] == {"customer": "ann", "total_cents": 2500, "charge_id": "ch_ann_2500",
                               "approved_by": None, "status": "paid"}  # fmt: skip


def test_a_large_order_waits_for_approval(http: TestClient) -> None:
    order_id = http.post("/orders", json={"customer": "bob", "items": [{"sku": "desk", "qty": 1}]}).json()["id"]
    assert wait_for(http, order_id, "waiting")["receipt"] is None
    sent = http.post(f"/orders/{order_id}/approval", json={"approved": True, "by": "carol"})
    assert sent.status_code == 202, sent.text
    receipt = wait_for(http, order_id, "completed")["receipt"]
    assert receipt["approved_by"] == "carol" and receipt["status"] == "paid" and receipt["total_cents"] == 25000
    again = http.post(f"/orders/{order_id}/approval", json={"approved": True, "by": "carol"})
    assert again.status_code == 409 and "WFC" in again.json()["detail"]  # it has ended


def test_bad_input_and_unknown_ids(http: TestClient) -> None:
    bad = http.post("/orders", json={"customer": "", "items": [{"sku": "book", "qty": 0}]})
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("body", "customer"), ("body", "items", 0, "qty")}
    failed = http.post("/orders", json={"customer": "dan", "items": [{"sku": "spaceship", "qty": 1}]})
    body = wait_for(http, failed.json()["id"], "failed")
    assert "unknown products: spaceship" in body["error"]
    assert http.get("/orders/nope").status_code == 404
