"""A named queue: newsletters go out one tenant at a time, at most 10 a minute per tenant (docs/queues.md)."""

from __future__ import annotations

import wfc

newsletters = wfc.Queue("newsletters", concurrency=1, rate_limit=(10, 60.0), priority=True, partitioned=True)


@wfc.step
def render(tenant: str) -> str:
    return f"news for {tenant}"


@wfc.step
def send(tenant: str, body: str) -> int:
    return len(body)  # a real step would call the mail provider


@wfc.workflow
def send_newsletter(tenant: str) -> wfc.Workflow[int]:
    body = yield from render(tenant)
    return (yield from send(tenant, body))


@wfc.workflow
def newsletter_round(tenants: list[str]) -> wfc.Workflow[list[int]]:
    """From a workflow: one child per tenant on the queue, joined together (each waits in its tenant's line)."""
    handles = []
    for tenant in tenants:
        handle = yield from wfc.start_child(send_newsletter.options(queue=newsletters, partition_key=tenant), tenant)
        handles.append(handle)
    sent = yield from wfc.all_of(*[wfc.join(h) for h in handles])
    return list(sent)


def enqueue(rt: wfc.Runtime, tenant: str, issue: str, urgent: bool = False) -> wfc.Handle[int]:
    """Start one issue's send on the queue: its tenant's partition, urgent ones first, each issue once."""
    return rt.start(
        send_newsletter,
        tenant,
        queue=newsletters,
        partition_key=tenant,
        priority=0 if urgent else 10,
        dedup_id=f"{tenant}/{issue}",
    )
