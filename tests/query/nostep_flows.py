"""Workflows with no steps, and a parent that runs them as children (tests/query/test_no_steps.py)."""

from __future__ import annotations

import wfc


@wfc.workflow
def nostep_total(prices: list[float]) -> float:
    return round(sum(prices) * 1.2, 2)


@wfc.workflow(name="nostep_refuse")
def refuse(reason: str) -> str:
    raise PermissionError(reason)


@wfc.step
def fetch(n: int) -> list[float]:
    return [float(i) for i in range(n)]


@wfc.workflow
def nostep_invoice(n: int) -> wfc.Workflow[list[object]]:
    prices = yield from fetch(n)
    amount = yield from nostep_total(prices)
    try:
        yield from refuse(f"no credit for {amount}")
    except PermissionError as e:
        return [amount, str(e)]
    return [amount]
