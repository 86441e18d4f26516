"""Webhook URLs (wfc.ui.webhooks): a step makes one, an external system POSTs to it, the waiting instance gets the
event — once: a second delivery is dropped; a forged or altered URL is refused; no token or CSRF header needed."""

from __future__ import annotations

import pytest

import wfc
from wfc.testing import FakeClock
from wfc.ui import create_app, webhook_url
from wfc.ui.webhooks import make_token

from . import flows
from .conftest import client


def test_a_webhook_delivers_its_event_once(
    rt: wfc.Runtime, url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WFC_UI_WEBHOOK_SECRET", "hook-secret")
    monkeypatch.setenv("WFC_UI_URL", "https://ops.example.com/wfc/")
    rt.start(flows.paying, "o", id="pay-1")
    rt.start(flows.paying, "p", id="pay-2")
    rt.run_until_idle()
    hook = rt.history("pay-1")[0].result
    assert hook.startswith("https://ops.example.com/wfc/hooks/")
    path = hook.removeprefix("https://ops.example.com/wfc")
    app = create_app(url, clock=clock, token="dash-token", webhook_secret="hook-secret")
    with client(app, base_url="https://provider.example.net") as c:  # another host, no token, no CSRF header
        r = c.post(path, json={"amount": 5})
        assert r.status_code == 200 and r.json() == {"sent": True}
        r = c.post(path, json={"amount": 6})
        assert r.status_code == 200 and r.json() == {"sent": False}  # a retried delivery: dropped
        # altered or forged: refused, nothing sent
        other = rt.history("pay-2")[0].result.removeprefix("https://ops.example.com/wfc")
        body, _, mac = other.rpartition(".")
        for bad in (
            body + "." + mac[:-1] + ("0" if mac[-1] != "0" else "1"),
            "/hooks/x.y",
            "/hooks/" + make_token("wrong-secret", "pay-2", "paid"),
        ):
            r = c.post(bad, json=1)
            assert r.status_code == 403 and r.json()["error"]["code"] == "WFC471", bad
        assert c.get(path).status_code == 401  # only the POST is open; the rest needs the token
        assert c.post("/api/instances/pay-2/cancel").status_code == 401
    rt.run_until_idle()
    assert rt.result("pay-1") == {"amount": 5}
    assert rt.status("pay-2").state == "waiting"


def test_without_a_secret_there_are_no_webhooks(rt: wfc.Runtime, url: str, clock: FakeClock) -> None:
    token = make_token("s", "pay-1", "paid")
    with client(create_app(url, clock=clock)) as c:
        assert (
            c.post(
                f"/hooks/{token}", json=1, headers={"X-WFC-CSRF": c.get("/api/csrf").json()["csrf"]}
            ).status_code
            == 404
        )
    with pytest.raises(wfc.WfcError) as err:
        webhook_url("paid", instance_id="pay-1", base="https://x")  # no secret anywhere
    assert err.value.code == "WFC402"


def test_a_scoped_webhook_is_taken_only_by_its_own_wait(
    rt: wfc.Runtime, url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first link expires (its wait times out) and a second is handed out; the provider then POSTs the first
    # link late. With webhook_url("paid") the second wait would take that stale payment; with webhook("paid")
    # it goes to an event nothing waits for, and only the second link's POST ends the wait.
    monkeypatch.setenv("WFC_UI_WEBHOOK_SECRET", "hook-secret")
    monkeypatch.setenv("WFC_UI_URL", "https://ops.example.com/wfc")
    rt.start(flows.paying_once_per_link, "o", id="link-1")
    rt.run_until_idle()
    clock.advance(61)
    rt.run_until_idle()
    links = [r.result for r in rt.history("link-1") if r.name == "ask_scoped_payment"]
    assert len(links) == 2 and links[0].event != links[1].event and links[0].event.startswith("paid#")
    app = create_app(url, clock=clock, webhook_secret="hook-secret")
    with client(app, base_url="https://provider.example.net") as c:
        late = c.post(links[0].url.removeprefix("https://ops.example.com/wfc"), json={"amount": 1})
        assert late.status_code == 200 and late.json() == {"sent": True}  # accepted, and kept for its own wait
        rt.run_until_idle()
        assert rt.status("link-1").state == "waiting"  # not taken by the second link's wait
        r = c.post(links[1].url.removeprefix("https://ops.example.com/wfc"), json={"amount": 2})
        assert r.status_code == 200 and r.json() == {"sent": True}
        again = c.post(links[1].url.removeprefix("https://ops.example.com/wfc"), json={"amount": 3})
        assert again.json() == {"sent": False}  # single-use
    rt.run_until_idle()
    assert rt.result("link-1") == {"amount": 2}
    assert wfc.testing.run(flows.paying_once_per_link, "o") == "no payment"  # every link expired, in memory


def test_a_scoped_webhook_needs_an_event_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from wfc.ui import webhook

    monkeypatch.setenv("WFC_UI_WEBHOOK_SECRET", "s")
    for bad in ("", None, 3):
        with pytest.raises(wfc.WfcError, match="needs the event's name") as info:
            webhook(bad, instance_id="i", base="https://x")  # type: ignore[arg-type]
        assert info.value.code == "WFC402"
    hook = webhook("paid", instance_id="i", base="https://x")
    assert hook.url.startswith("https://x/hooks/") and hook.event.startswith("paid#") and len(hook.event) == 37
