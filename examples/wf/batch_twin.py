"""The hand-written Python twin of ``batch.wf``."""

from __future__ import annotations

import batch_steps as shop

import wfc


@wfc.workflow
def price_batch(lines: dict[str, int], discount: float = 0.0, limit: int = 10) -> dict:
    skus = sorted(list(lines.keys()))
    prices = yield wfc.all_of([shop.fetch_prices(sku) for sku in skus])
    totals = {}
    skipped = []
    for sku, qty in lines.items():
        if qty == 0:
            continue
        if len(totals) >= limit:
            break
        try:
            totals[sku] = yield shop.price_line(sku, qty)
        except ValueError as e:
            skipped += [sku]
            yield shop.audit(f"skipped {sku}: {e}")
    for i in range(len(skus)):
        sale = prices[i]["sale"]
        if sale < 10 and (not skus[i] in skipped):  # noqa: E713
            yield shop.audit(f"{skus[i]} on sale at {sale:.2f}")
    subtotal = sum(list(totals.values()))
    total = round(subtotal * (1 - discount), 2)
    report = {
        "lines": len(totals),
        "skipped": skipped,
        "total": total,
        "cheapest": min(list(totals.values()), default=None),
        "first": skus[:1],
        "codes": str.join(", ", [str.upper(s) for s in skus]),
    }
    saved, _ = yield wfc.all_of(shop.save(report), wfc.sleep(1))
    return {"report": saved, "total": total}


CASES = [
    ("price_batch", ({"ab": 2, "c": 0, "xyz": -1, "q": 3},), {"discount": 0.1}),
    ("price_batch", ({"a": 1, "b": 2, "c": 3},), {"limit": 2}),
    ("price_batch", ({},), {}),
]
