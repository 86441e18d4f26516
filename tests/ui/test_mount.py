"""The dashboard mounted under a prefix in another service (examples/ui_mount.py): links, assets, actions, the
token's cookie and the live stream all live under the prefix."""

from __future__ import annotations

import re

import httpx

import wfc
from examples import ui_mount
from wfc.testing import FakeClock

from . import flows
from .conftest import Server, client, csrf_headers


def test_mounted_under_a_prefix(rt: wfc.Runtime, url: str, clock: FakeClock) -> None:
    rt.start(flows.approval, "m", id="m-1")
    rt.run_until_idle()
    with client(ui_mount.build(url), follow_redirects=False) as c:
        assert c.get("/health").text == "ok"
        page = c.get("/wfc/").text
        links = re.findall(r'(?:href|src)="([^"#]+)"', page)
        assert links and all(link.startswith(("/wfc/", "data:")) for link in links), links
        assert 'href="/wfc/instances/m-1"' in page
        assert c.get("/wfc/static/ui.js").status_code == 200
        r = c.post(
            "/wfc/api/instances/m-1/events",
            json={"name": "approved", "value": "x"},
            headers=csrf_headers(c, "/wfc"),
        )
        assert r.json() == {"sent": True}
    with client(ui_mount.build(url, token="t0k"), follow_redirects=False, base_url="http://example.com") as c:
        r = c.get("/wfc/instances/m-1?token=t0k")
        assert r.status_code == 303 and r.headers["location"] == "/wfc/instances/m-1"
        assert "Path=/wfc" in r.headers["set-cookie"]
        assert c.get("/wfc/api/instances").status_code == 200  # with the cookie just set
        c.cookies.clear()
        assert c.get("/wfc/api/instances").status_code == 401


def test_mounted_live_stream(rt: wfc.Runtime, url: str, clock: FakeClock) -> None:
    """The mounted app's stream says "change" when the instance moves (here: an event sent from elsewhere)."""
    rt.start(flows.approval, "m", id="m-1")
    rt.run_until_idle()
    with Server(ui_mount.build(url)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        with http.stream("GET", "/wfc/api/live", params={"instance": "m-1"}) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            rt.send_event("m-1", "approved", "by mount")
            for line in lines:
                if line == "event: change":
                    break


def test_the_docs_show_the_example_verbatim() -> None:
    from pathlib import Path

    root = Path(__file__).parent.parent.parent
    example = (root / "examples" / "ui_mount.py").read_text().rstrip()
    assert f"```python\n{example}\n```" in (root / "docs" / "ui.md").read_text()
    for shot in ("list", "instance", "failed", "workflows"):
        assert f"(ui/{shot}.png)" in (root / "docs" / "ui.md").read_text()
        assert (root / "docs" / "ui" / f"{shot}.png").read_bytes().startswith(b"\x89PNG")


def test_the_docs_show_the_webhook_flow_verbatim() -> None:
    from pathlib import Path

    root = Path(__file__).parent.parent.parent
    flows_text = (root / "tests" / "ui" / "flows.py").read_text()
    start = flows_text.index("@wfc.step\ndef ask_payment")
    end = flows_text.index("    return paid\n", start) + len("    return paid")
    snippet = flows_text[start:end]
    assert f"```python\n{snippet}\n```" in (root / "docs" / "ui.md").read_text()



def test_the_docs_show_the_scoped_webhook_flow_verbatim() -> None:
    from pathlib import Path

    root = Path(__file__).parent.parent.parent
    flows_text = (root / "tests" / "ui" / "flows.py").read_text()
    start = flows_text.index("@wfc.step\ndef ask_scoped_payment")
    end = flows_text.index('    return "no payment"\n', start) + len('    return "no payment"')
    assert f"```python\n{flows_text[start:end]}\n```" in (root / "docs" / "ui.md").read_text()
