"""Steps for ``approval.wf`` and its twin."""

from __future__ import annotations

import wfc


@wfc.step
def request_approval(doc_id: str, approver: str) -> str:
    return f"request-{doc_id}-{approver}"


@wfc.step
def publish(doc_id: str) -> str:
    return f"https://docs.example/{doc_id}"


@wfc.step
def escalate(doc_id: str, level: int) -> str:
    return f"escalated-{doc_id}-{level}"


@wfc.step
def send_reminder(approver: str, attempt: int) -> None:
    return None


@wfc.step
def archive(doc_id: str) -> None:
    return None
