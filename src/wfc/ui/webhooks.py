"""Webhook URLs for events: a URL an external system POSTs to (a payment provider's callback), which sends one
event to one instance, at most once — the equivalent of ``wait_event("paid", webhook=True)``.

A step makes the URL (``webhook_url("paid")``: the running step's instance, the event's name, a random nonce,
signed with the dashboard's webhook secret) and hands it out; the workflow then waits with
``wfc.wait_event("paid")``. ``webhook("paid")`` scopes the URL to one wait: its event's name carries the nonce
(``paid#NONCE``), and the workflow waits for ``hook.event``. ``POST /hooks/TOKEN`` on the dashboard checks the signature (constant time) and
sends the body (JSON; anything else as text) as the event with ``event_id="webhook:NONCE"``: a second delivery
of the same URL is dropped (``{"sent": false}``, still ``200``, so the sender stops retrying). A URL is
unguessable (128 random bits and an HMAC-SHA256), single-use, and scoped to its instance and event name; it needs
neither the dashboard's token nor its CSRF header (the URL is the credential). Without a webhook secret the
dashboard has no ``/hooks`` route at all.

This module needs nothing of the web stack: workers import it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets

import attrs

from wfc.errors import WfcError

SECRET_ENV = "WFC_UI_WEBHOOK_SECRET"
URL_ENV = "WFC_UI_URL"


def _mac(secret: str, instance_id: str, event: str, nonce: str) -> str:
    message = json.dumps([instance_id, event, nonce], ensure_ascii=False).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def make_token(secret: str, instance_id: str, event: str, nonce: str | None = None) -> str:
    nonce = nonce or secrets.token_hex(16)
    body = base64.urlsafe_b64encode(json.dumps([instance_id, event, nonce]).encode()).decode().rstrip("=")
    return f"{body}.{_mac(secret, instance_id, event, nonce)}"


def read_token(secret: str, token: str) -> tuple[str, str, str]:
    """``(instance id, event, nonce)`` of a token signed with ``secret``; ``WFC471`` for any other text."""
    body, _, mac = token.partition(".")
    try:
        instance_id, event, nonce = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        ok = all(isinstance(v, str) for v in (instance_id, event, nonce))
    except (ValueError, TypeError):
        ok = False
    if not ok or not hmac.compare_digest(mac, _mac(secret, instance_id, event, nonce)):
        raise WfcError(
            "not a webhook URL of this dashboard",
            code="WFC471",
            hint="use the URL webhook_url() made, with the same WFC_UI_WEBHOOK_SECRET",
        )
    return instance_id, event, nonce


@attrs.frozen
class Webhook:
    """A webhook for one wait (:func:`webhook`): hand ``url`` out, then ``wait_event(hook.event)``. The event's
    name is the name asked for with the URL's nonce after a ``#``, so only the wait given it takes the delivery —
    a late POST to an earlier URL (after its wait timed out) is not taken by a later wait for the same kind of
    event. A persisted value: keep it in a variable across suspensions."""

    url: str
    event: str


def webhook(
    event: str, *, instance_id: str | None = None, base: str | None = None, secret: str | None = None
) -> Webhook:
    """A single-use URL scoped to one wait, and the event name to wait for: ``hook = webhook("paid")`` in a step
    that returns it, then ``yield from wfc.wait_event(hook.event)`` in the workflow. Arguments as for
    :func:`webhook_url`."""
    if not isinstance(event, str) or not event:
        raise WfcError("webhook() needs the event's name", code="WFC402")
    nonce = secrets.token_hex(16)
    scoped = f"{event}#{nonce}"
    return Webhook(_url(scoped, instance_id, base, secret, nonce), scoped)


def webhook_url(
    event: str, *, instance_id: str | None = None, base: str | None = None, secret: str | None = None
) -> str:
    """A single-use URL that sends ``event`` to an instance when POSTed to. Inside a step, the instance is the
    step's own (``wfc.step_context().workflow_id``). ``base``: the dashboard's address as the sender reaches it
    (default ``$WFC_UI_URL``); ``secret``: the dashboard's webhook secret (default ``$WFC_UI_WEBHOOK_SECRET``).
    Any wait for ``event`` takes its delivery; :func:`webhook` makes one that only its own wait takes."""
    return _url(event, instance_id, base, secret, None)


def _url(event: str, instance_id: str | None, base: str | None, secret: str | None, nonce: str | None) -> str:
    if instance_id is None:
        from wfc.runtime.step_context import step_context

        instance_id = step_context().workflow_id
    secret = secret or os.environ.get(SECRET_ENV)
    base = base or os.environ.get(URL_ENV)
    if not secret or not base:
        raise WfcError(
            "webhook_url() needs the dashboard's webhook secret and address",
            code="WFC402",
            hint=f"set {SECRET_ENV} (as the dashboard has it) and {URL_ENV} (e.g. https://ops.example.com/wfc)",
        )
    if not isinstance(event, str) or not event:
        raise WfcError("webhook_url() needs the event's name", code="WFC402")
    return base.rstrip("/") + "/hooks/" + make_token(secret, instance_id, event, nonce)


__all__ = ["SECRET_ENV", "URL_ENV", "Webhook", "make_token", "read_token", "webhook", "webhook_url"]
