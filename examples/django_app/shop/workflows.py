"""The shop's workflows (docs/integration.md embeds this file): a welcome sequence after a sign-up. Only the
worker (the ``wfc_worker`` command) imports this module; the views start it by its name, ``welcome``."""

from __future__ import annotations

import wfc


@wfc.step
def make_coupon(email: str) -> str:
    return "WELCOME-" + email.split("@")[0].upper()


@wfc.step(retry=wfc.RetryPolicy(max_attempts=5, initial_backoff=1.0))
def send_email(email: str, body: str) -> str:
    # Your mail provider's call (django.core.mail.send_mail), retried on failure: at least once, so make it
    # idempotent where it matters. A step that uses the ORM calls django.db.close_old_connections() first.
    return f"to {email}: {body}"


@wfc.workflow(name="welcome")
def welcome(email: str) -> wfc.Workflow[str]:
    coupon = yield from make_coupon(email)
    return (yield from send_email(email, f"your coupon is {coupon}"))
