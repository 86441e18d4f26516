"""The hand-written Python twin of ``approval.wf``."""

from __future__ import annotations

import approval_steps as docs

import wfc


@wfc.workflow
def approve(doc_id: str, approver: str, reminders: int = 2) -> str:
    yield docs.request_approval(doc_id, approver).options(name=f"ask {approver}")
    attempt = 0
    while attempt < reminders:
        winner, value = yield wfc.any_of(wfc.wait_event("decision"), wfc.sleep(3600))
        if winner == 0:
            return (yield finish(doc_id, value))
        attempt += 1
        yield docs.send_reminder(approver, attempt).options(run_after=300)
    try:
        decision = yield wfc.wait_event("decision", timeout=86400)
    except wfc.Timeout:
        escalation = yield docs.escalate(doc_id, attempt)
        wfc.log.warning(f"no answer for {doc_id}, escalated as {escalation}")
        raise wfc.WorkflowFailed(f"approval of {doc_id} timed out")  # noqa: B904
    return (yield finish(doc_id, decision))


@wfc.workflow
def finish(doc_id: str, decision: dict) -> str:
    if decision["approved"] == True:  # noqa: E712
        url = yield docs.publish(doc_id)
        return url
    elif "reason" not in decision:
        raise wfc.WorkflowFailed("malformed decision")
    else:
        yield docs.archive(doc_id)
        return f"rejected: {decision['reason']}"


CASES = [
    ("approve", ("doc-1", "ana"), {"events": {"decision": {"approved": True}}}),
    (
        "approve",
        ("doc-2", "bo"),
        {"events": [wfc.testing.Event("decision", {"approved": False, "reason": "typo"}, at=5000)]},
    ),
    ("approve", ("doc-3", "cy"), {"reminders": 1}),
    ("approve", ("doc-4", "di"), {"events": {"decision": {"approved": False}}}),
]
