"""The dashboard's gate, an ASGI middleware in front of every route.

* **Access token** (``--token``/``WFC_UI_TOKEN``; required when bound off-localhost): every request carries it as
  ``Authorization: Bearer TOKEN``, or in the ``wfc_token`` cookie that opening any page with ``?token=TOKEN``
  sets (HttpOnly, SameSite=Strict; the token is then dropped from the address). Compared in constant time.
* **Host check** without a token: only ``localhost``/``127.0.0.1``/``[::1]`` are served, so a page of another site
  whose name resolves to 127.0.0.1 (DNS rebinding) cannot read the dashboard or its CSRF value.
* **Webhooks** (``POST /hooks/TOKEN``, only when the app has a webhook secret) pass without token, host check or
  CSRF header: the signed, single-use URL is the credential (:mod:`wfc.ui.webhooks`).
* **CSRF**: every POST needs the ``X-WFC-CSRF`` header with the dashboard's CSRF value (in each page's
  ``<meta name="wfc-csrf">``; ``GET /api/csrf``), unless it carries the token in its ``Authorization`` header, which
  no browser sends on its own. A form of another site cannot set a header, and a script of another site cannot
  read the value (no CORS headers are ever sent). Only JSON bodies are accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.parse
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
COOKIE = "wfc_token"
CSRF_HEADER = "x-wfc-csrf"


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("127.")


def csrf_value(token: str | None, secret: str) -> str:
    """The CSRF value: derived from the token when there is one (every replica of a deployment agrees), else from
    a secret of this process."""
    key = (token or secret).encode()
    return hmac.new(key, b"wfc-ui-csrf", hashlib.sha256).hexdigest()[:32]


class Gate:
    def __init__(self, app: ASGIApp, *, token: str | None, hooks: bool = False) -> None:
        self.app = app
        self.token = token
        self.hooks = hooks
        self.csrf = csrf_value(token, secrets.token_hex(16))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        scope.setdefault("state", {})["csrf"] = self.csrf
        if self.hooks and scope["method"] == "POST" and _route_path(scope).startswith("/hooks/"):
            await self.app(scope, receive, send)  # a webhook URL is its own credential (wfc.ui.webhooks)
            return
        bearer = False
        if self.token is None:
            host = headers.get("host", "").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if not is_local(name):
                await _refuse(
                    send,
                    403,
                    "WFC471",
                    f"host {name[:60]!r} is not served",
                    "without a token the dashboard answers only to localhost/127.0.0.1",
                )
                return
        else:
            auth = headers.get("authorization", "")
            query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = query.get("token", [None])[0]
            if given is not None and scope["method"] == "GET" and self._ok(given):
                await _redirect_with_cookie(scope, send, given)
                return
            bearer = auth.startswith("Bearer ") and self._ok(auth[7:])
            if not bearer and not self._ok(_cookie(headers.get("cookie", ""))):
                await _refuse(
                    send,
                    401,
                    "WFC471",
                    "this dashboard needs its access token",
                    "open it with ?token=TOKEN, or send Authorization: Bearer TOKEN",
                )
                return
        if scope["method"] not in ("GET", "HEAD"):
            if not bearer and not hmac.compare_digest(headers.get(CSRF_HEADER, ""), self.csrf):
                await _refuse(
                    send,
                    403,
                    "WFC471",
                    "a POST needs the X-WFC-CSRF header",
                    "send the value of GET /api/csrf (or the page's wfc-csrf meta tag)",
                )
                return
            if headers.get("content-length", "0") != "0" and not headers.get("content-type", "").startswith(
                "application/json"
            ):
                await _refuse(
                    send, 415, "WFC402", "a POST body must be JSON", "send Content-Type: application/json"
                )
                return
        await self.app(scope, receive, send)

    def _ok(self, given: str | None) -> bool:
        if not given or self.token is None:
            return False
        return hmac.compare_digest(given.encode(), self.token.encode())


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "") or ""
    return path[len(root) :] if root and path.startswith(root) else path


def _cookie(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return urllib.parse.unquote(value)
    return None


async def _refuse(send: Send, status: int, code: str, message: str, hint: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "hint": hint}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(scope: Scope, send: Send, token: str) -> None:
    query = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        if k != "token"
    ]
    root = scope.get("root_path", "") or ""
    path = scope["path"]
    if root and not path.startswith(root):
        path = root + path  # servers that strip the mount prefix from the path
    target = path + ("?" + urllib.parse.urlencode(query) if query else "")
    cookie = f"{COOKIE}={urllib.parse.quote(token)}; HttpOnly; SameSite=Strict; Path={root or '/'}"
    headers: list[Any] = [
        (b"location", target.encode()),
        (b"set-cookie", cookie.encode()),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
