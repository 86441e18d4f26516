"""The dashboard's queues over both stores: ``/api/queues`` (the same queues and keys as ``wfc queue list --json``),
one queue's partitions, line and admissions against its rate limit, the instance list filtered by queue, the
HTML pages, live updates, and the errors (an unknown queue is a 404 with ``WFC445``)."""

from __future__ import annotations

import json

import httpx

import wfc
from wfc.testing import FakeClock
from wfc.ui import create_app

from ..cli.helpers import invoke
from . import flows
from .conftest import Server, client
from .test_live import _first_change


def _fill(rt: wfc.Runtime, clock: FakeClock) -> None:
    """``ui-line`` (concurrency 1): q-1 admitted, q-2 and q-3 in line. ``ui-lanes`` (2 a partition, 3 a minute,
    by priority): in ``acme`` the two lowest priorities admitted and two in line, in ``zed`` one admitted."""
    for i in range(1, 4):
        rt.start(flows.queued, f"q{i}", id=f"q-{i}", queue=flows.one_at_a_time)
        clock.advance(1)
    for i, priority in enumerate([5, 1, 3, 0], 1):
        rt.start(flows.queued, f"a{i}", id=f"a-{i}", queue=flows.lanes, partition_key="acme", priority=priority)
        clock.advance(1)
    rt.start(flows.queued, "z", id="z-1", queue=flows.lanes, partition_key="zed", priority=7)
    rt.run_until_idle()


def test_queues_api(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    _fill(rt, clock)
    with client(create_app(url, clock=clock)) as c:
        listed = {q["name"]: q for q in c.get("/api/queues").json()}
        assert {"ui-line", "ui-lanes"} <= set(listed)
        line = listed["ui-line"]
        # the keys and values `wfc queue list --json` prints (the same Runtime.queues underneath)
        cli = {q["name"]: q for q in json.loads(invoke("queue", "list", "--db", url, "--json").output)}
        for name in ("ui-line", "ui-lanes"):
            assert {k: listed[name][k] for k in cli[name]} == cli[name]
        assert (line["enqueued"], line["active"], line["concurrency"], line["partitions"]) == (2, 1, 1, None)
        assert line["rate"] == {"window_seconds": 60.0, "admitted": 1, "per_second": 1 / 60, "limit": None,
                                "limit_per_second": None}  # fmt: skip
        lanes = listed["ui-lanes"]
        assert (lanes["enqueued"], lanes["active"], lanes["partitions"]) == (2, 3, 2)
        assert lanes["rate"]["admitted"] == 3 and lanes["rate"]["limit"] == 3 and lanes["rate"]["window_seconds"] == 60

        one = c.get("/api/queues/ui-line").json()
        assert [(i["position"], i["id"], i["partition"]) for i in one["line"]] == [(1, "q-2", None), (2, "q-3", None)]
        assert one["partitions"] == [] and one["line_more"] is False
        assert one["line"][0]["workflow"] == "tests.ui.flows:queued"
        assert one["line"][0]["enqueued_at"] < one["line"][1]["enqueued_at"]
        assert c.get("/api/queues/ui-line", params={"limit": 1}).json()["line_more"] is True

        detail = c.get("/api/queues/ui-lanes").json()
        # admitted: the two lowest priority numbers of acme (a-4: 0, a-2: 1); in line by priority: a-3 (3), a-1 (5)
        assert [(i["partition"], i["position"], i["id"], i["priority"]) for i in detail["line"]] == [
            ("acme", 1, "a-3", 3), ("acme", 2, "a-1", 5)]  # fmt: skip
        assert {s: rt.status(s).state for s in ("a-2", "a-4", "z-1")} == dict.fromkeys(("a-2", "a-4", "z-1"), "waiting")
        parts = {p["partition"]: p for p in detail["partitions"]}
        assert set(parts) == {"acme", "zed"}
        assert (parts["acme"]["enqueued"], parts["acme"]["active"], parts["acme"]["rate"]["admitted"]) == (2, 2, 2)
        assert (parts["zed"]["enqueued"], parts["zed"]["active"], parts["zed"]["rate"]["admitted"]) == (0, 1, 1)
        assert parts["acme"]["rate"]["limit_per_second"] == 3 / 60
        zed = c.get("/api/queues/ui-lanes", params={"partition": "zed"}).json()
        assert zed["line"] == [] and [p["partition"] for p in zed["partitions"]] == ["zed"]

        # the instance list filtered by queue, each item naming its queue; counts under the filter
        page = c.get("/api/instances", params={"queue": "ui-line"}).json()
        assert [i["id"] for i in page["items"]] == ["q-3", "q-2", "q-1"]
        assert {i["queue"] for i in page["items"]} == {"ui-line"}
        assert page["counts"]["enqueued"] == 2 and page["counts"]["waiting"] == 1
        assert [i["id"] for i in c.get("/api/instances", params={"queue": "ui-line", "state": "enqueued"}).json()[
            "items"]] == ["q-3", "q-2"]  # fmt: skip

        # q-1 ends: q-2 is admitted, and the queue shows it
        rt.send_event("q-1", "go", "now")
        rt.run_until_idle()
        after = c.get("/api/queues/ui-line").json()
        assert [i["id"] for i in after["line"]] == ["q-3"]
        assert (after["enqueued"], after["active"], after["rate"]["admitted"]) == (1, 1, 2)
        clock.advance(61)  # the window moves on: the admissions leave it
        assert c.get("/api/queues/ui-line").json()["rate"]["admitted"] == 0

        # errors: the API's {error: {code, message, hint}}
        r = c.get("/api/queues/nowhere")
        assert r.status_code == 404 and r.json()["error"]["code"] == "WFC445", r.text
        assert "nowhere" in r.json()["error"]["message"] and r.json()["error"]["hint"]
        for path, params in (("/api/queues/ui-line", {"partition": "acme"}), ("/api/queues/ui-line", {"limit": "0"}),
                             ("/api/queues/ui-line", {"limit": "501"})):  # fmt: skip
            r = c.get(path, params=params)
            assert r.status_code == 400 and r.json()["error"]["code"] == "WFC402", (params, r.text)
        r = c.get("/api/live", params={"queue_page": "nowhere"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "WFC445"


def test_queue_pages(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    _fill(rt, clock)
    with client(create_app(url, clock=clock)) as c:
        listed = c.get("/queues")
        assert listed.status_code == 200
        assert 'href="/queues/ui-lanes"' in listed.text and "concurrency 2, 3 per 60s, by priority, per partition" in (
            listed.text)  # fmt: skip
        assert 'href="/queues"' in c.get("/").text  # in the navigation
        page = c.get("/queues/ui-lanes").text
        assert page.index('data-id="a-3"') < page.index('data-id="a-1"')  # the line, in admission order
        assert 'href="/instances/a-3"' in page and 'href="/queues/ui-lanes?partition=acme"' in page
        assert 'data-live="/api/live?queue_page=ui-lanes&amp;limit=100"' in page
        assert '<meter min="0" max="3" value="2">' in page  # acme's admissions against the rate limit
        partial = c.get("/queues/ui-lanes", params={"partition": "acme", "partial": "1"}).text
        assert partial.startswith('<dl class="facts">') and 'data-partition="zed"' not in partial
        # the list's queue filter, and an instance's queue with its place in line
        assert '<option value="ui-line">ui-line</option>' in c.get("/").text
        instance = c.get("/instances/q-3").text
        assert 'href="/queues/ui-line"' in instance and "place 2 in line" in instance
        missing = c.get("/queues/nowhere")
        assert missing.status_code == 404 and "WFC445" in missing.text

    # a name with a '/' and markup: routed whole, shown as text
    odd = wfc.Queue("ui/<i>odd</i>", concurrency=1)
    rt.start(flows.queued, "o", id="o-1", queue=odd)
    rt.start(flows.queued, "o", id="o-2", queue=odd)
    rt.run_until_idle()
    with client(create_app(url, clock=clock, read_only=True)) as c:  # looking needs no writes
        assert [i["id"] for i in c.get("/api/queues/ui/<i>odd</i>").json()["line"]] == ["o-2"]
        listed = c.get("/queues").text
        assert "ui/&lt;i&gt;odd&lt;/i&gt;" in listed and "<i>odd</i>" not in listed
        assert 'href="/queues/ui%2F%3Ci%3Eodd%3C%2Fi%3E"' in listed
        assert "o-2" in c.get("/queues/ui%2F%3Ci%3Eodd%3C%2Fi%3E").text


def test_the_queue_page_is_live(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    """``/api/live?queue_page=NAME`` says ``change`` when the line moves: q-1 ends, q-2 is admitted (another
    runtime on the database does it; the stream sees it at the wake-up, or at the tick at the latest)."""
    _fill(rt, clock)

    def move() -> None:
        rt.send_event("q-1", "go", "now")
        rt.run_until_idle()

    with Server(create_app(url, clock=clock, tick=0.5)) as server:
        assert _first_change(server, {"queue_page": "ui-line"}, move, 20) < 10
        with httpx.Client(base_url=server.url) as http:
            assert [i["id"] for i in http.get("/api/queues/ui-line").json()["line"]] == ["q-3"]
            rt.start(flows.queued, "q4", id="q-4", queue=flows.one_at_a_time)
        assert _first_change(server, {"queues": "1"}, lambda: rt.start(flows.queued, "q5", id="q-5",
                                                                       queue=flows.one_at_a_time), 20) < 10  # fmt: skip
