"""Steps for ``batch.wf`` and its twin."""

from __future__ import annotations

import wfc


@wfc.step
def fetch_prices(sku: str) -> dict[str, float]:
    return {"list": 10.0 + len(sku), "sale": 8.5 + len(sku)}


@wfc.step
def price_line(sku: str, qty: int) -> float:
    if qty <= 0:
        raise ValueError(f"bad quantity {qty} for {sku}")
    return round(qty * (2.5 + len(sku)), 2)


@wfc.step
def save(report: dict[str, object]) -> str:
    return f"report-{len(report)}"


@wfc.step
def audit(entry: str) -> None:
    return None
