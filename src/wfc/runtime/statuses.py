"""Values a running workflow publishes for readers: ``wfc.set_status(key, value)`` inside the workflow,
``rt.get_status(id, key)`` / ``rt.statuses(id)`` (and the clients') outside — DBOS's ``set_event``/``get_event``,
Azure's custom status.

A status is written in the transaction of the transition that set it, so a reader never sees a value of a
transition that did not commit (a transition re-run after a crash sets it again, to the same value: workflow code
is deterministic). Each key holds the last value set; the values go through the one codec, as every persisted
value does, and :func:`get_status` decodes them. A reader can wait for a key: it sleeps on the store's wake-ups
(a commit that sets a status sends one) and reads again, and stops waiting once the instance has ended without
setting it (nothing will).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from wfc import convert
from wfc.errors import WfcError
from wfc.runtime import context, steps
from wfc.runtime.store.protocol import InstanceRow, Store

_MAX_KEY = 200  # characters: a name, never data

FINISHED = ("completed", "failed", "canceled")


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise WfcError(
            f"a status key must be a non-empty string, not {key!r}"[:200],
            code="WFC402",
            hint='name what you publish: wfc.set_status("progress", 0.5)',
        )
    if len(key) > _MAX_KEY:
        raise WfcError(
            f"a status key has at most {_MAX_KEY} characters (this one has {len(key)})",
            code="WFC402",
            hint="keep the key a short name and put the data in the value",
        )
    try:
        key.encode()
    except UnicodeEncodeError:
        raise WfcError(
            f"the status key {key!r} is not valid text (it holds a lone surrogate)",
            code="WFC402",
            hint="use a plain string key",
        ) from None
    return key


def set_status(key: str, value: Any) -> None:
    """Publish ``value`` under ``key`` for readers of this instance (``Runtime.get_status``): the last value set
    for a key wins. Call it in workflow code (between steps); the value must be one wfc can persist, like a
    step's result, and readers see it once the transition that set it has committed."""
    ctx = context.require("wfc.set_status()")
    _check_key(key)
    text = convert.dumps(value)
    if ctx.limit is not None:
        steps.check_size(text, ctx.limit, "the status {!r}", key)
    if ctx.statuses is None:
        ctx.statuses = {}
    ctx.statuses[key] = text


def publish(store: Store, instance: int, ctx: context.TransitionContext, now: float) -> None:
    """Write what the transition set (call it inside the transition's transaction)."""
    if ctx.statuses:
        store.set_statuses(instance, ctx.statuses, now)
        ctx.statuses = None


def read_all(store: Store, instance: int) -> dict[str, Any]:
    """Every published value, decoded; one whose class this process cannot import is shown as
    ``{"undecoded": <stored JSON>, "why": ...}`` (as ``rt.query`` shows such a variable), not a failed read."""
    out: dict[str, Any] = {}
    for key, text in store.statuses(instance).items():
        try:
            out[key] = convert.loads(text)
        except Exception as exc:
            why = f"{exc.args[0] if exc.args else exc}; import the application (--app MODULE) to decode it"
            out[key] = {"undecoded": json.loads(text), "why": why}
    return out


_MISSING = object()


def get_status(
    store: Store,
    lookup: Callable[[], InstanceRow],
    key: str,
    default: Any = None,
    timeout: float | None = 0.0,
    poll: float = 0.2,
) -> Any:
    """The value published under ``key``; while there is none, wait up to ``timeout`` seconds (``None``: until
    there is one) and return ``default`` then, or at once when the instance ended without publishing it.
    ``lookup`` reads the instance (and raises for an unknown id)."""
    _check_key(key)
    if timeout is not None and (timeout != timeout or timeout < 0):
        raise WfcError(f"timeout must be a number of seconds >= 0, not {timeout!r}", code="WFC402")
    deadline = None if timeout is None else time.monotonic() + timeout
    changed = threading.Event()
    stop = store.subscribe(changed.set) if timeout != 0 else None
    try:
        while True:
            inst = lookup()
            found = store.statuses(inst.n).get(key, _MISSING)
            if found is not _MISSING:
                return convert.loads(str(found))
            if inst.state in FINISHED:
                return default
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return default
            changed.wait(poll if left is None else min(poll, left))
            changed.clear()
    finally:
        if stop is not None:
            stop()
