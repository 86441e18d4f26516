"""HTTP calls from a workflow: ``resp = yield from wfc.stdlib.http.request("POST", url, json=body)``.

A call is a small child workflow, :func:`http_request`, that sends the request with the step :func:`send` (one
attempt per step, so every attempt is a record in the history) and decides between attempts in workflow code:

* a 2xx or 3xx response is the result, a persistable :class:`Response`;
* a 429 or 5xx response, or no response at all (refused connection, timeout: :class:`HTTPUnavailable`), is
  retried after a *durable* sleep: the server's ``Retry-After`` (seconds, or an HTTP-date measured against the
  response's own ``Date``, so a skewed clock does not shorten it), else the backoff of the call's
  :class:`wfc.RetryPolicy`. A worker killed during the wait resumes it; nothing holds a thread;
* any other 4xx is final: :class:`HTTPStatusError` at the caller's ``yield``, as is the last retryable one.

The retries are workflow code rather than the step's retry policy because a step's policy has a fixed backoff:
only a workflow can wait exactly as long as the server asked. Every attempt carries one ``Idempotency-Key``
header, drawn with ``wfc.uuid4()`` when the child starts (seeded by its instance id, stored in its cursor), so a
server that honours the header applies a retried POST once even when an earlier attempt's response was lost.

httpx is imported by the step only (``pip install 'wfc[http]'``): importing ``wfc.stdlib`` does not need it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json as _json
from collections.abc import Mapping
from typing import Any

import attrs

import wfc
from wfc.commands import ChildCall
from wfc.errors import WfcError
from wfc.stdlib import _checks

CODE = "WFC480"
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
DEFAULT_RETRY = wfc.RetryPolicy(max_attempts=5, initial_backoff=1.0, max_backoff=60.0)
"""Five attempts, 1 s doubling to at most 60 s (±50% jitter) between them, when the server gives no Retry-After."""


@attrs.frozen
class Response:
    """What the server answered: a plain value, stored in the history and the caller's variables."""

    status: int
    headers: dict[str, str]
    """Lower-case names; a header sent several times is joined with ``", "``."""
    text: str
    """The body decoded as text (httpx's choice of encoding)."""
    url: str
    method: str

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not JSON)."""
        return _json.loads(self.text)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400


class HTTPStatusError(Exception):
    """A final status that is not a success: a 4xx other than 429, or a 429/5xx after the last attempt.

    ``status``, ``url``, ``method``, ``body`` (the first 1,000 characters) and ``requests`` (how many were sent)
    survive the trip to the caller (they are the exception's ``args``), so ``except HTTPStatusError as e:
    e.status`` works in a workflow, also in another process. (Not ``attempts``: at the caller's ``yield`` the
    error is also a ``wfc.StepFailed``, whose ``attempts`` counts the child workflow's, always 1.)"""

    def __init__(self, message: str, status: int, method: str, url: str, body: str, requests: int) -> None:
        super().__init__(message, status, method, url, body, requests)
        self.status, self.method, self.url, self.body, self.requests = status, method, url, body, requests

    def __str__(self) -> str:
        return str(self.args[0])


class HTTPUnavailable(Exception):
    """No response: the connection was refused or reset, or the request timed out (raised by :func:`send`; by
    :func:`request` once the last attempt also got none)."""

    def __str__(self) -> str:
        return str(self.args[0])


wfc.register_error(HTTPStatusError)
wfc.register_error(HTTPUnavailable)


@wfc.step(name="http.send")
def send(
    method: str,
    url: str,
    headers: dict[str, str],
    params: dict[str, str],
    json: Any,
    content: str | bytes | None,
    timeout: float,
    follow_redirects: bool,
) -> Response:
    """One attempt: the response whatever its status, or :class:`HTTPUnavailable` when there is none."""
    import httpx  # the optional extra: only a process that sends needs it

    body: dict[str, Any] = {"json": json} if json is not None else {"content": content}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=follow_redirects) as client:
            # params=None, not {}: httpx replaces the URL's own query string with any params given
            r = client.request(method, url, headers=headers, params=params or None, **body)
    except httpx.TransportError as exc:  # connect, read, write, pool, timeout, protocol errors
        raise HTTPUnavailable(f"{method} {url}: no response ({type(exc).__name__}: {exc})") from exc
    merged: dict[str, str] = {}
    for name, value in r.headers.multi_items():
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return Response(r.status_code, merged, r.text, str(r.url), method)


def retryable(status: int) -> bool:
    """429 Too Many Requests and every 5xx: the server may answer differently later."""
    return status == 429 or 500 <= status <= 599


def retry_after(response: Response, now: dt.datetime) -> float | None:
    """The seconds the server asked to wait (``Retry-After``), or ``None`` when it did not say (or said nothing
    readable). An HTTP-date is measured from the response's ``Date`` header when there is one (the server's own
    clock), else from ``now``; a date already past means at once."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    sent = _http_date(response.headers.get("date", "")) or now
    return max(0.0, (when - sent).total_seconds())


def _http_date(value: str) -> dt.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@wfc.workflow(name="wfc.stdlib.http_request")
def http_request(
    method: str,
    url: str,
    headers: dict[str, str],
    params: dict[str, str],
    json: Any,
    content: str | bytes | None,
    timeout: float,
    follow_redirects: bool,
    retry: wfc.RetryPolicy,
    idempotency_key: str | bool,
    max_retry_after: float,
) -> wfc.Workflow[Response]:
    """Send until a final answer (see the module's documentation); started by :func:`request`."""
    if idempotency_key is True:
        idempotency_key = str(wfc.uuid4())  # once, in the first transition: every attempt sends the same key
    if idempotency_key:
        headers = {**headers, "Idempotency-Key": str(idempotency_key)}
    attempt = 0
    while True:
        attempt += 1
        last = retry.max_attempts is not None and attempt >= retry.max_attempts
        try:
            response = yield from send(method, url, headers, params, json, content, timeout, follow_redirects)
        except HTTPUnavailable:
            if last:
                raise
            delay = retry.backoff(attempt, wfc.random())
        else:
            if response.status < 400:
                return response
            asked = retry_after(response, wfc.now()) if retryable(response.status) else None
            if last or not retryable(response.status) or (asked is not None and asked > max_retry_after):
                raise _status_error(response, attempt, asked, max_retry_after)
            delay = asked if asked is not None else retry.backoff(attempt, wfc.random())
        wfc.log.info("%s %s: attempt %d failed, next in %.1f s", method, url, attempt, delay)
        yield from wfc.sleep(delay)


def _status_error(response: Response, attempts: int, asked: float | None, cap: float) -> HTTPStatusError:
    why = "not retried (a client error)" if not retryable(response.status) else f"after {attempts} attempt(s)"
    if asked is not None and asked > cap:
        why = f"the server asked to wait {asked:.0f} s, more than max_retry_after={cap:.0f} s"
    message = f"{response.method} {response.url}: HTTP {response.status}, {why}"
    return HTTPStatusError(message, response.status, response.method, response.url, response.text[:1000], attempts)


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    content: str | bytes | None = None,
    timeout: float | dt.timedelta = 30.0,
    retry: wfc.RetryPolicy | None = None,
    idempotency_key: str | bool = True,
    max_retry_after: float | dt.timedelta = 3600.0,
    follow_redirects: bool = False,
) -> ChildCall[Response]:
    """The command that sends ``method url`` until a final answer: ``resp = yield from request(...)``.

    ``json`` (any JSON value) or ``content`` is the body; ``timeout`` bounds each attempt; ``retry`` gives the
    attempts and the backoff used when the server sends no ``Retry-After`` (default :data:`DEFAULT_RETRY`);
    ``idempotency_key``: ``True`` draws one per call, a string is sent as is, ``False`` sends none; a
    ``Retry-After`` longer than ``max_retry_after`` is not waited for (the error is raised instead).
    """
    where = "wfc.stdlib.http.request()"
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise WfcError(
            f"{where}: method must be one of {', '.join(METHODS)}, not {method!r}",
            code=CODE,
            hint='for example request("GET", "https://api.example.com/orders/7")',
        )
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise WfcError(
            f"{where}: url must be an http:// or https:// URL, not {url!r}",
            code=CODE,
            hint="give the full URL, with its scheme and host",
        )
    if json is not None and content is not None:
        raise WfcError(
            f"{where}: give the body as json= or as content=, not both",
            code=CODE,
            hint="json= sends a JSON value with its content type; content= sends text or bytes as they are",
        )
    if content is not None and not isinstance(content, str | bytes):
        raise WfcError(
            f"{where}: content must be str or bytes, not {type(content).__name__}",
            code=CODE,
            hint="send structured data with json= instead",
        )
    seconds = _checks.seconds(timeout, "timeout", CODE, where=where)
    cap = _checks.seconds(max_retry_after, "max_retry_after", CODE, where=where, zero=True)
    if retry is not None and not isinstance(retry, wfc.RetryPolicy):
        raise WfcError(
            f"{where}: retry must be a wfc.RetryPolicy, not {type(retry).__name__}",
            code=CODE,
            hint="for example retry=wfc.RetryPolicy(max_attempts=3, initial_backoff=2); max_attempts=1: no retry",
        )
    if not isinstance(idempotency_key, str | bool) or idempotency_key == "":
        raise WfcError(
            f"{where}: idempotency_key must be True, False or a non-empty string, not {idempotency_key!r}",
            code=CODE,
            hint="True (the default) draws one key per call; give your own, e.g. the order id, to share it",
        )
    return http_request(
        method.upper(), url, _text_map(headers, "headers", where), _text_map(params, "params", where), json,
        content, seconds, bool(follow_redirects), retry or DEFAULT_RETRY, idempotency_key, cap,
    )  # fmt: skip


def _text_map(value: Mapping[str, str] | None, what: str, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise WfcError(
            f"{where}: {what} must be a mapping of str to str, not {value!r}",
            code=CODE,
            hint=f'for example {what}={{"Accept": "application/json"}}',
        )
    return dict(value)
