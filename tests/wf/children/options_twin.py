"""The Python twin of ``options.wf``: the spelling docs/language.md gives each construct ("The Python twin"), so
both compile to the same tables."""

from __future__ import annotations

import shop

import wfc


@wfc.workflow
def ship(order_id: str) -> str:
    yield wfc.sleep(3600)
    return (yield shop.ship(order_id))


@wfc.workflow
def job(x: int) -> int:
    yield wfc.sleep(10)
    return x * 2


@wfc.workflow
def named(orders: list[str]) -> list:
    handles = []
    for order_id in orders:
        h = yield wfc.start_child(ship(order_id).options(id=f"ship-{order_id}", name=f"ship {order_id}"))
        handles += [h]
    parcels = yield wfc.all_of([wfc.join(h) for h in handles])
    return [[h.id for h in handles], parcels]


@wfc.workflow
def detaching(order_id: str) -> str:
    kept = yield wfc.start_child(ship(order_id).options(id=f"kept-{order_id}", detached=True))
    dropped = yield wfc.start_child(ship(order_id).options(id=f"dropped-{order_id}"))
    yield wfc.sleep(60)
    return f"{kept.id} {dropped.id}"


@wfc.workflow
def queued(priorities: list[int], tenant: str) -> list:
    handles = []
    for i, p in enumerate(priorities):
        h = yield wfc.start_child(job(i).options(queue="ranked", priority=p, dedup_id=f"job-{i}"))
        handles += [h]
    mine = yield wfc.start_child(job(100).options(queue="tenants", partition_key=tenant, id=f"{tenant}-job"))
    results = yield wfc.all_of([wfc.join(h) for h in handles])
    last = yield wfc.join(mine)
    return [results, last]


@wfc.workflow
def called(order_id: str) -> str:
    return (yield ship(order_id).options(id=f"called-{order_id}"))
