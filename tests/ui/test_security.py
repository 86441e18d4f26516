"""The dashboard's gate: the access token, the host check without one, CSRF on every POST, escaping, and
``wfc ui`` refusing to bind off-localhost without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import wfc
from wfc.testing import FakeClock
from wfc.ui import create_app

from . import flows
from .conftest import client, csrf_headers

ROOT = Path(__file__).parent.parent.parent


def _one(rt: wfc.Runtime) -> None:
    rt.start(flows.approval, "<img src=x onerror=alert(1)>", id="o-1")
    rt.run_until_idle()


def test_a_token_is_required_on_every_request(rt: wfc.Runtime, url: str, clock: FakeClock) -> None:
    _one(rt)
    app = create_app(url, token="s3cret", clock=clock)
    # bound off-localhost: any Host is served, but only with the token
    with client(app, base_url="http://dash.example.com", follow_redirects=False) as c:
        for path in (
            "/",
            "/api/instances",
            "/instances/o-1",
            "/api/openapi.json",
            "/static/ui.js",
            "/api/live",
        ):
            r = c.get(path)
            assert r.status_code == 401 and r.json()["error"]["code"] == "WFC471", path
        assert c.get("/api/instances", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/instances", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        c.cookies.set("wfc_token", "s3cre")
        assert c.get("/").status_code == 401
        # ?token= once: a cookie (HttpOnly, SameSite=Strict) and a redirect that drops the token from the address
        r = c.get("/instances/o-1?token=s3cret&x=1")
        assert r.status_code == 303 and r.headers["location"] == "/instances/o-1?x=1"
        cookie = r.headers["set-cookie"]
        assert "wfc_token=s3cret" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        c.cookies.set("wfc_token", "s3cret")
        assert c.get("/instances/o-1").status_code == 200
        # a POST with the bearer token needs no CSRF header (no browser sends that header by itself) ...
        r = c.post(
            "/api/instances/o-1/events",
            json={"name": "approved", "value": "x"},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert r.status_code == 200, r.text
        # ... one with the cookie does
        r = c.post("/api/instances/o-1/cancel")
        assert r.status_code == 403 and r.json()["error"]["code"] == "WFC471"
        r = c.post("/api/instances/o-1/cancel", headers=csrf_headers(c))
        assert r.status_code == 200, r.text


def test_without_a_token_only_localhost_is_served(rt: wfc.Runtime, url: str, clock: FakeClock) -> None:
    """A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) cannot read the dashboard."""
    _one(rt)
    with client(create_app(url, clock=clock), base_url="http://evil.example.com") as c:
        r = c.get("/api/csrf")
        assert r.status_code == 403 and r.json()["error"]["code"] == "WFC471"
    for host in ("http://localhost:8270", "http://127.0.0.1:8270", "http://[::1]:8270"):
        with client(create_app(url, clock=clock), base_url=host) as c:
            assert c.get("/api/instances").status_code == 200, host


def test_posts_need_the_csrf_header_and_json(rt: wfc.Runtime, url: str, clock: FakeClock) -> None:
    _one(rt)
    with client(create_app(url, clock=clock)) as c:
        r = c.post("/api/instances/o-1/cancel")
        assert r.status_code == 403 and r.json()["error"]["code"] == "WFC471"
        r = c.post("/api/instances/o-1/cancel", headers={"X-WFC-CSRF": "guess"})
        assert r.status_code == 403
        # a form post of another site: no header, and not JSON
        r = c.post("/api/instances/o-1/events", data={"name": "approved"}, headers=csrf_headers(c))
        assert r.status_code == 415
        assert c.get("/api/instances/o-1").json()["state"] == "waiting"  # nothing happened
        assert "access-control-allow-origin" not in {k.lower() for k in r.headers}


def test_values_are_escaped(rt: wfc.Runtime, url: str, clock: FakeClock) -> None:
    """A step result holding ``<script>`` and an id holding an ``<img onerror>`` are shown as text."""
    _one(rt)
    with client(create_app(url, clock=clock)) as c:
        page = c.get("/instances/o-1")
        assert page.status_code == 200
        html = page.text
        assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
        assert "<script>window" not in html and "<img src=x" not in html
        assert "script-src 'self'" in page.headers["content-security-policy"]
        listing = c.get("/").text
        assert (
            "&lt;img src=x onerror=alert(1)&gt;" not in listing
        )  # the id is o-1; its argument is not listed
        assert "<script" not in html.replace('<script src="/static/ui.js" defer></script>', "")


def test_wfc_ui_refuses_to_bind_off_localhost_without_a_token(tmp_path: Path) -> None:
    env = {**os.environ, "WFC_UI_TOKEN": ""}
    r = subprocess.run(
        [sys.executable, "-m", "wfc", "ui", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 2
    assert r.stderr.startswith(
        "error[WFC470]: refusing to serve the dashboard on 0.0.0.0 without an access token"
    )
    assert "Traceback" not in r.stderr
