"""The dashboard's JSON API over both stores: listing with filters, paging and counts; an instance's status,
history and live variables; the actions; errors as ``{error: {code, message, hint}}``; the OpenAPI schema."""

from __future__ import annotations

import json
import re

import wfc
from wfc.testing import FakeClock
from wfc.ui import create_app

from . import flows
from .conftest import client, csrf_headers


def _started(rt: wfc.Runtime, clock: FakeClock) -> None:
    for i in range(6):
        rt.start(flows.approval, f"a-{i}", id=f"order-{i}")
        clock.advance(60)
    rt.start(flows.broken, "b", id="broken-1")
    rt.start(flows.batch, ["x", "y"], id="batch-1")
    rt.run_until_idle()


def test_list_filters_and_counts(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    t0 = clock.now()
    _started(rt, clock)
    with client(create_app(url, clock=clock)) as c:
        page = c.get("/api/instances").json()
        ids = [i["id"] for i in page["items"]]
        assert ids[:3] == ["batch-1/1", "batch-1", "broken-1"]  # newest first; the child started last
        assert set(ids) == {f"order-{i}" for i in range(6)} | {"broken-1", "batch-1", "batch-1/1"}
        assert page["counts"] == {
            "enqueued": 0,
            "running": 0,
            "sleeping": 0,
            "waiting": 8,
            "completed": 0,
            "failed": 1,
            "canceled": 0,
        }
        assert page["cursor"] is None

        def ids_of(**query: object) -> list[str]:
            r = c.get("/api/instances", params=query)
            assert r.status_code == 200, r.text
            return [i["id"] for i in r.json()["items"]]

        assert ids_of(workflow="broken") == ["broken-1"]
        assert ids_of(workflow="tests.ui.flows:broken") == ["broken-1"]
        assert ids_of(state="failed") == ["broken-1"]
        assert ids_of(state="failed,waiting", workflow="broken") == ["broken-1"]
        assert ids_of(id_prefix="order-") == [f"order-{i}" for i in reversed(range(6))]
        assert ids_of(id_prefix="order-3") == ["order-3"]
        assert ids_of(id_prefix="%") == []  # a prefix is text, not a pattern
        assert ids_of(parent="batch-1") == ["batch-1/1"]
        # the time range [from, to): orders 1 and 2 were created at t0+60 and t0+120
        assert ids_of(created_from=str(t0 + 60), created_to=str(t0 + 180)) == ["order-2", "order-1"]
        iso = wfc.testing.FakeClock(t0 + 60)
        assert ids_of(created_from=_iso(iso.now()), id_prefix="order-", created_to=_iso(t0 + 121)) == [
            "order-2",
            "order-1",
        ]
        counted = c.get("/api/instances", params={"workflow": "approval", "state": "failed"}).json()["counts"]
        assert counted["waiting"] == 7 and counted["failed"] == 0  # counts ignore the state filter itself

        for bad in (
            {"state": "sleepy"},
            {"limit": "0"},
            {"limit": "x"},
            {"cursor": "!!"},
            {"created_from": "soon"},
        ):
            r = c.get("/api/instances", params=bad)
            assert r.status_code == 400 and r.json()["error"]["code"] == "WFC402", (bad, r.text)
        r = c.get("/api/instances", params={"parent": "nobody"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "WFC420"


def _iso(t: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


def test_status_history_variables(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    _started(rt, clock)
    with client(create_app(url, clock=clock)) as c:
        st = c.get("/api/instances/order-0").json()
        assert st["state"] == "waiting" and st["state_id"] and st["outstanding"][0]["name"] == "approved"
        history = c.get("/api/instances/order-0/history").json()
        assert [h["name"] for h in history] == ["prepare", "approved"]
        assert history[0]["result"]["note"].startswith("<script>")
        assert c.get("/api/instances/order-0/variables").json() == {
            "order": "a-0",
            "prepared": {"order": "a-0", "note": "<script>window.__xss = 1</script>"},
        }
        failed = c.get("/api/instances/broken-1").json()
        assert failed["error"] == "ValueError: cannot pack b" and "raise ValueError" in failed["traceback"]
        assert c.get("/api/instances/broken-1/history").json()[0]["traceback"]
        parent = c.get("/api/instances/batch-1").json()
        assert [ch["id"] for ch in parent["children"]] == ["batch-1/1"]
        assert c.get("/api/instances/batch-1/1").json()["parent_id"] == "batch-1"  # an id with a slash
        svg = c.get("/api/instances/order-0/graph.svg")
        assert (
            svg.headers["content-type"].startswith("image/svg+xml")
            and 'class="node event current running"' in svg.text
        )
        for path in (
            "/api/instances/nobody",
            "/api/instances/nobody/history",
            "/api/instances/nobody/variables",
        ):
            r = c.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "WFC420"
            assert r.json()["error"]["hint"]


def test_actions(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    _started(rt, clock)
    with client(create_app(url, clock=clock)) as c:
        h = csrf_headers(c)
        r = c.post("/api/instances/order-0/events", json={"name": "approved", "value": "bike"}, headers=h)
        assert r.status_code == 200 and r.json() == {"sent": True}
        r = c.post(
            "/api/instances/order-0/events",
            json={"name": "confirmed", "value": 1, "event_id": "d1"},
            headers=h,
        )
        assert r.json() == {"sent": True}
        r = c.post(
            "/api/instances/order-0/events",
            json={"name": "confirmed", "value": 2, "event_id": "d1"},
            headers=h,
        )
        assert r.json() == {"sent": False}  # a duplicate delivery
        rt.run_until_idle()
        assert rt.result("order-0")["receipt"] == "a-0 shipped by bike"
        assert c.get("/api/instances/order-0").json()["state"] == "completed"

        r = c.post("/api/instances/order-1/cancel", headers=h)
        assert r.status_code == 200 and r.json() == {"canceled": False, "outcome": "requested"}
        rt.run_until_idle()  # wfc.Canceled at its yield: it ends canceled
        assert c.get("/api/instances/order-1").json()["state"] == "canceled"
        r = c.post("/api/instances/order-1/cancel", headers=h)
        assert r.status_code == 409 and r.json()["error"]["code"] == "WFC433"

        r = c.post("/api/instances/order-0/restart", json={"from_step": "ship"}, headers=h)
        assert r.status_code == 200 and r.json() == {"id": "order-0"}
        rt.run_until_idle()
        assert rt.status("order-0").state == "waiting"  # at `confirmed` again
        r = c.post("/api/instances/order-2/fork", json={"from_step": 0, "new_id": "order-2b"}, headers=h)
        assert r.json() == {"id": "order-2b"}

        r = c.post(
            "/api/instances",
            json={"workflow": "tests.ui.flows:approval", "args": ["by-name"], "id": "named-1"},
            headers=h,
        )
        assert r.status_code == 201 and r.json() == {"id": "named-1"}
        rt.run_until_idle()
        assert rt.status("named-1").state == "waiting"
        assert rt.query("named-1")["order"] == "by-name"
        r = c.post("/api/instances", json={"workflow": "broken", "id": "named-1"}, headers=h)
        assert r.status_code == 409 and r.json()["error"]["code"] == "WFC430"

        for path, body in [
            ("/api/instances/order-3/events", {}),
            ("/api/instances/order-3/restart", {"from_step": 1.5}),
            ("/api/instances", {"workflow": ""}),
            ("/api/instances", {"workflow": "x", "args": {}}),
            ("/api/instances/order-3/cancel", {"force": "yes"}),
        ]:
            r = c.post(path, json=body, headers=h)
            assert r.status_code == 400 and r.json()["error"]["code"] == "WFC402", (path, r.text)
        assert "force must be true or false" in r.json()["error"]["message"]
        r = c.post(
            "/api/instances/order-3/events", content=b"[1]", headers=h | {"content-type": "application/json"}
        )
        assert r.status_code == 400
        r = c.post("/api/instances/nobody/cancel", headers=h)
        assert r.status_code == 404


def test_read_only_refuses_actions(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    _started(rt, clock)
    rt.close()
    with client(create_app(url, read_only=True, clock=clock)) as c:
        assert c.get("/api/instances/order-0").json()["state"] == "waiting"
        h = csrf_headers(c)
        assert c.get("/api/csrf").json()["read_only"] is True
        for path, body in [
            ("/api/instances/order-0/events", {"name": "approved"}),
            ("/api/instances/order-0/cancel", {}),
            ("/api/instances/order-0/restart", {"from_step": 0}),
            ("/api/instances", {"workflow": "approval"}),
        ]:
            r = c.post(path, json=body, headers=h)
            assert r.status_code == 403 and r.json()["error"]["code"] == "WFC471", (path, r.text)
        page = c.get("/instances/order-0").text
        assert "read-only" in page and 'id="cancel"' not in page and 'id="send-event"' not in page


def test_openapi_schema_names_every_api_route(url: str) -> None:
    app = create_app(url)
    with client(app) as c:
        schema = c.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    documented = set(schema["paths"])
    routes = {
        re.sub(r"\{(\w+):path\}", r"{\1}", r.path) for r in app.routes if getattr(r, "path", "").startswith("/api/")
    }
    routes.discard("/api/openapi.json")
    assert routes == documented - {"/hooks/{token}"}
    hooked = create_app(url, webhook_secret="s")
    with client(hooked):  # (closes it)
        assert "/hooks/{token}" in {getattr(r, "path", "") for r in hooked.routes}
    json.dumps(schema)  # plain JSON


def test_workflows_and_their_versions(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    _started(rt, clock)
    with wfc.Client(url) as by_name:
        by_name.start("broken", "c", id="by-name")  # recorded under its name until a worker admits it
    with client(create_app(url, clock=clock)) as c:
        listed = {w["workflow"]: w for w in c.get("/api/workflows").json()}
        assert set(listed) == {
            "tests.ui.flows:approval",
            "tests.ui.flows:broken",
            "tests.ui.flows:batch",
            "broken",
        }
        approval = listed["tests.ui.flows:approval"]
        assert approval["name"] == "approval" and approval["instances"] == 7  # 6 orders and the batch's child
        [version] = approval["versions"]
        assert version["states"] == {"waiting": 7} and len(version["table_hash"]) == 64
        assert listed["broken"]["versions"][0]["table_hash"] == ""  # not admitted yet: no version
        page = c.get("/workflows").text
        assert page.count('class="wfc-graph"') == 3


def test_versions_and_their_diff(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    from wfc.compiler import serialize
    from wfc.compiler.driver import compile_workflow

    _started(rt, clock)
    old = compile_workflow(flows.approval)
    new = compile_workflow(flows.approval_v2)
    with rt.db():  # the next version of approval, saved as a worker that runs it would save it
        rt.store.save_table(new.hash, flows.approval.key, serialize.to_json(new), clock.now() + 1)
    with client(create_app(url, clock=clock)) as c:
        approval = {w["workflow"]: w for w in c.get("/api/workflows").json()}[flows.approval.key]
        assert [v["table_hash"] for v in approval["versions"]] == [old.hash, new.hash]
        diff = c.get("/api/workflows/diff", params={"old": old.hash, "new": new.hash}).json()
        kinds = {ch["kind"] for ch in diff["changes"]}
        assert "added" in kinds and diff["text"].startswith(f"--- {old.hash[:12]}")
        page = c.get("/workflows").text
        assert page.count('class="node ') and "added</span>" in page and 'class="node step added"' in page
        r = c.get("/api/workflows/diff", params={"old": "nope", "new": new.hash})
        assert r.status_code == 400 and r.json()["error"]["code"] == "WFC435"


def test_retries_show_on_the_timeline(rt: wfc.Runtime, clock: FakeClock, url: str) -> None:
    flows.FLAKY_CALLS.clear()
    rt.start(flows.retried, "r", id="retried-1")
    assert rt.run_until_complete("retried-1") == "r done"
    with client(create_app(url, clock=clock)) as c:
        [record] = c.get("/api/instances/retried-1/history").json()
        assert record["attempts"] == 3 and len(record["failed_attempts"]) == 2
        page = c.get("/instances/retried-1").text
        assert "attempt 2: ConnectionError: attempt 2 lost" in page
        # one segment per failed attempt, in order, each titled with its error; then the last attempt, completed
        segments = re.findall(r'<div class="bar ([a-z ]+)" data-l="([0-9.]+)" data-w="([0-9.]+)" title="([^"]*)"', page)
        failed = [s for s in segments if s[0] == "attempt failed"]
        assert [t.split(":")[0].split(" failed")[0] for *_, t in failed] == ["attempt 1", "attempt 2"]
        assert "ConnectionError" in failed[1][3]
        assert segments[-1][0] == "completed" and segments[-1][3].startswith("backoff and attempt 3: completed")
        lefts = [float(s[1]) for s in segments]
        assert lefts == sorted(lefts) and float(segments[-1][1]) + float(segments[-1][2]) <= 100.1
        assert "Timeline <small" in page  # the axis's length in the heading
