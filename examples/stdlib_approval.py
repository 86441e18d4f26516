"""An expense that waits for a manager's approval, with reminders, for at most three days
(docs/stdlib.md embeds this file)."""

from __future__ import annotations

from typing import Any

import wfc
from wfc.stdlib import Notice, wait_for_approval

OUTBOX: list[str] = []  # stands in for your mail service


@wfc.step
def ask_manager(notice: Notice) -> None:
    approval_id = wfc.step_context().workflow_id  # the approval's instance: send the event there
    OUTBOX.append(f"{notice.kind} {notice.number} for {notice.subject}: answer {approval_id}")


@wfc.step
def pay_out(expense: str) -> str:
    return f"paid {expense}"


@wfc.workflow
def expense(expense_id: str) -> wfc.Workflow[dict[str, Any]]:
    decision = yield from wait_for_approval(notify=ask_manager, remind_every=24 * 3600, timeout=3 * 24 * 3600,
                                            subject=expense_id)  # fmt: skip
    if not decision.approved:
        return {"paid": None, "timed_out": decision.timed_out, "reminders": decision.reminders}
    receipt = yield from pay_out(expense_id)
    return {"paid": receipt, "by": decision.value, "reminders": decision.reminders}
