"""A real HTTP server for the tests of ``wfc.stdlib.http``: ``http.server`` on a free local port, in a thread.

Its answers depend only on the request and on what it has seen since :meth:`Server.reset` — never on the time —
so a run in memory and a durable run of one workflow see the same responses: a response's ``Date`` is a fixed
date, which is also what an HTTP-date ``Retry-After`` is measured against.

Paths:

* ``/echo``: 200 and a JSON echo of the method, the query, the body and the ``Idempotency-Key`` header;
* ``/flaky/N/STATUS[?after=...]``: the first ``N`` requests (counted per ``Idempotency-Key``) answer ``STATUS``,
  with ``Retry-After: after`` when given (``date+S``: an HTTP-date ``S`` seconds after the ``Date``), then as
  ``/echo``;
* ``/status/STATUS``: always ``STATUS``, with a short text body.
"""

from __future__ import annotations

import collections
import email.utils
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DATE = 1735689600.0  # 2025-01-01T00:00:00Z: the fake clock's start, and every response's Date
_DATE = email.utils.formatdate(DATE, usegmt=True)


class Server:
    def __init__(self, base: str) -> None:
        self.base = base
        self.requests: list[dict[str, Any]] = []
        self.seen: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.seen.clear()


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response_only(status)
            for name, value in {"Date": _DATE, "Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            parsed = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            key = self.headers.get("Idempotency-Key")
            seen = {"method": self.command, "path": parsed.path, "query": query, "body": body, "key": key}
            with server.lock:
                server.requests.append(seen)
                server.seen[f"{parsed.path}|{key}"] += 1
                count = server.seen[f"{parsed.path}|{key}"]
            parts = parsed.path.strip("/").split("/")
            if parts[0] == "flaky" and count <= int(parts[1]):
                headers = {}
                after = query.get("after")
                if after is not None and after.startswith("date+"):
                    after = email.utils.formatdate(DATE + float(after[5:]), usegmt=True)
                if after is not None:
                    headers["Retry-After"] = after
                self._answer(int(parts[2]), f"try again ({count})".encode(), headers)
            elif parts[0] == "status":
                self._answer(int(parts[1]), f"status {parts[1]}".encode(), {"Content-Type": "text/plain"})
            else:
                echo = json.dumps({k: v for k, v in seen.items() if k != "path"}, sort_keys=True).encode()
                self._answer(200, echo, {"Content-Type": "application/json"})

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    return Handler


@contextmanager
def serving() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server = Server(f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(server)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def closed_port() -> str:
    """A local URL nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
