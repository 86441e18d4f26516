"""The dashboard's HTML pages, rendered on the server. Every value from the database goes through :func:`e`
(``html.escape``): a step result holding ``<script>`` is shown as text. No inline scripts: the page's one script
(``/static/ui.js``) reads what it needs from ``data-`` attributes, so a strict Content-Security-Policy
(``script-src 'self'``) holds and an injected script would not run even if escaping were missed.

A live page re-fetches itself with ``?partial=1`` (just its ``#live`` region) when ``/api/live`` says it changed.
"""

from __future__ import annotations

import json
import urllib.parse
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from wfc.errors import WfcError
from wfc.ui import layout
from wfc.ui.service import STATES, Service, plain
from wfc.ui.timeline import Axis

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _json(value: Any) -> str:
    return json.dumps(plain(value), indent=1, ensure_ascii=False, default=str)


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _href(request: Request, path: str, **query: Any) -> str:
    q = urllib.parse.urlencode([(k, v) for k, v in query.items() if v not in (None, "")], doseq=True)
    return e(_base(request) + path + ("?" + q if q else ""))


def _instance_href(request: Request, iid: str) -> str:
    return _href(request, "/instances/" + urllib.parse.quote(iid, safe="/"))


def _state(state: Any) -> str:
    return f'<span class="state {e(state)}">{e(state)}</span>'


def _time(value: Any) -> str:
    if not value:
        return ""
    text = str(value)
    return f'<time datetime="{e(text)}">{e(text[:19].replace("T", " "))}</time>'


def respond(request: Request, title: str, live: str, body: str, live_url: str | None) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin",
    }
    if request.query_params.get("partial"):
        return HTMLResponse(live, headers=headers)
    service: Service = request.app.state.service
    csrf = request.scope["state"]["csrf"]
    nav = (
        f'<a href="{_href(request, "/")}">Instances</a><a href="{_href(request, "/workflows")}">Workflows</a>'
        f'<a href="{_href(request, "/queues")}">Queues</a>'
        f'<a href="{_href(request, "/api/openapi.json")}">API</a>'
    )
    banner = '<span class="ro">read-only</span>' if service.read_only else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)} · wfc</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<meta name="wfc-csrf" content="{e(csrf)}">
<link rel="stylesheet" href="{_href(request, "/static/ui.css")}">
<script src="{_href(request, "/static/ui.js")}" defer></script></head>
<body data-base="{e(_base(request))}" data-live="{e(live_url or "")}" data-read-only="{int(service.read_only)}">
<header><strong class="logo">wfc</strong><nav>{nav}</nav>{banner}<span id="live-dot" title="live updates"></span></header>
<main>{body}<div id="live">{live}</div></main>
<div id="toast" role="status" aria-live="polite"></div>
</body></html>"""
    return HTMLResponse(page, headers=headers)


def error_page(request: Request, status: int, exc: WfcError) -> HTMLResponse:
    hint = getattr(exc, "hint", None)
    body = f'<h1>{e(exc.code)}</h1><p class="error">{e(getattr(exc, "message", str(exc)))}</p>'
    if hint:
        body += f'<p class="hint">{e(hint)}</p>'
    response = respond(request, "error", "", body, None)
    response.status_code = status
    return response


async def _thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from wfc.ui.app import run

    return await run(fn, *args, **kwargs)


# ---- the instance list ------------------------------------------------------------------------------------------


async def list_page(request: Request) -> HTMLResponse:
    from wfc.ui.app import _limit, list_query

    service: Service = request.app.state.service
    query = list_query(request)
    f = await _thread(service.filter_of, **query)
    limit = _limit(request)
    cursor = request.query_params.get("cursor")
    page = await _thread(service.page, f, limit, cursor)
    counts = await _thread(service.counts, f)
    workflows = await _thread(service.workflows)
    queues = [r.name for r in await _thread(service.call, service.store.list_queues)]
    wanted = set(query["states"])
    options = "".join(
        f'<option value="{e(w["name"])}"{" selected" if w["name"] == query["workflow"] else ""}>'
        f"{e(w['name'])}</option>"
        for w in workflows
    )
    checks = "".join(
        f'<label class="check"><input type="checkbox" name="state" value="{s}"{" checked" if s in wanted else ""}>'
        f" {s}</label>"
        for s in STATES
    )
    queue_filter = ""
    if queues or query["queue"]:  # only a database with named queues shows the filter
        queue_options = "".join(
            f'<option value="{e(q)}"{" selected" if q == query["queue"] else ""}>{e(q)}</option>' for q in queues
        )
        queue_filter = f'<label>Queue <select name="queue"><option value="">any</option>{queue_options}</select></label>'
    form = f"""<form class="filters" method="get" action="{_href(request, "/")}" id="filters">
<label>Workflow <select name="workflow"><option value="">any</option>{options}</select></label>
{queue_filter}<label>Id prefix <input name="id_prefix" value="{e(query["id_prefix"])}" size="14"></label>
<label>Parent <input name="parent" value="{e(query["parent"])}" size="14"></label>
<label>Created from <input name="created_from" value="{e(query["created_from"])}" placeholder="2026-01-31T00:00" size="16"></label>
<label>to <input name="created_to" value="{e(query["created_to"])}" size="16"></label>
<fieldset>{checks}</fieldset>
<button type="submit">Filter</button> <a href="{_href(request, "/")}">clear</a></form>"""
    base_query = {k: v for k, v in query.items() if k != "states"} | {"state": list(query["states"])}
    chips = "".join(
        f'<a class="count {s}" href="{_href(request, "/", **(base_query | {"state": [s]}))}">{s} '
        f"<b>{counts[s]}</b></a>"
        for s in STATES
    )
    rows = []
    for item in page["items"]:
        parent = item["parent_id"]
        rows.append(
            f'<tr data-id="{e(item["id"])}"><td><a href="{_instance_href(request, item["id"])}">{e(item["id"])}</a></td>'
            f"<td>{e(item['workflow'])}{_queue_tag(request, item['queue'])}</td><td>{_state(item['state'])}"
            f"{' <span class=blocked>blocked</span>' if item['blocked'] else ''}</td>"
            f"<td>{_time(item['created_at'])}</td><td>{_time(item['updated_at'])}</td>"
            f"<td>{f'<a href={chr(34)}{_instance_href(request, parent)}{chr(34)}>{e(parent)}</a>' if parent else ''}</td></tr>"
        )
    more = ""
    if page["cursor"]:
        more = f'<a class="more" href="{_href(request, "/", **base_query, limit=limit, cursor=page["cursor"])}">next page →</a>'
    table = (
        '<table class="instances"><thead><tr><th>Id</th><th>Workflow</th><th>State</th><th>Created (UTC)</th>'
        f"<th>Updated</th><th>Parent</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + ("" if rows else '<p class="empty">No instances match.</p>')
        + more
    )
    live = f'<div class="counts">{chips}</div>{table}'
    live_url = (
        _base(request)
        + "/api/live?"
        + urllib.parse.urlencode(
            [(k, v) for k, v in base_query.items() if v and k != "state"]
            + [("state", s) for s in query["states"]]
            + [("limit", str(limit))]
            + ([("cursor", cursor)] if cursor else [])
        )
    )
    return respond(request, "instances", live, f"<h1>Instances</h1>{form}", live_url)


def _queue_tag(request: Request, queue: str | None) -> str:
    if not queue:
        return ""
    href = _href(request, "/queues/" + urllib.parse.quote(queue, safe=""))
    return f' <a class="queue-tag" href="{href}" title="its queue">{e(queue)}</a>'


# ---- an instance ------------------------------------------------------------------------------------------------


def instance_svg(service: Service, instance_id: str) -> str | None:
    with service._lock:
        st = service.rt.status(instance_id)
        records = service.rt.history(instance_id)
    graph = service.graph(st.table_hash)
    if graph is None:
        return None
    hl, visits = service.highlight(graph, st, records)
    return layout.render_svg(graph, hl, visits)


async def instance_page(request: Request) -> HTMLResponse:
    service: Service = request.app.state.service
    iid = request.path_params["id"]
    status = await _thread(service.status, iid)
    history = await _thread(service.history, iid)
    variables = await _thread(service.variables, iid)
    svg = await _thread(instance_svg, service, iid)
    finished = status["state"] in ("completed", "failed", "canceled")
    head = f"<h1>{e(iid)} {_state(status['state'])}</h1>"
    actions = ""
    if not service.read_only:
        api = _base(request) + "/api/instances/" + urllib.parse.quote(iid, safe="/")
        steps = "".join(f'<option value="{r["seq"]}">{r["seq"]}: {e(r["name"])}</option>' for r in history)
        actions = f"""<section class="actions">
<form data-action="{e(api)}/events" data-confirm="Send this event to {e(iid)}?" id="send-event">
<label>Event <input name="name" required size="12"></label>
<label>Value (JSON) <input name="value" data-json size="18" placeholder='"yes"'></label>
<button type="submit">Send event</button></form>
<form data-action="{e(api)}/restart" data-confirm="Restart {e(iid)} from this step?" id="restart">
<label>From step <select name="from_step" data-int><option value="0">0: start</option>{steps}</select></label>
<button type="submit">Restart</button></form>
<form data-action="{e(api)}/fork" data-confirm="Fork {e(iid)} from this step into a new instance?" data-go="id" id="fork">
<label>From step <select name="from_step" data-int><option value="0">0: start</option>{steps}</select></label>
<button type="submit">Fork</button></form>
<form data-action="{e(api)}/cancel" data-confirm="Cancel {e(iid)}? Its pending steps are canceled." id="cancel">
<button type="submit" class="danger"{" disabled" if finished else ""}>Cancel</button></form>
</section>"""
    live = _instance_live(request, status, history, variables, svg)
    live_url = _base(request) + "/api/live?" + urllib.parse.urlencode({"instance": iid})
    return respond(request, iid, live, head + actions, live_url)


def _instance_live(
    request: Request,
    st: dict[str, Any],
    history: list[dict[str, Any]],
    variables: dict[str, Any],
    svg: str | None,
) -> str:
    facts = [
        (
            "State",
            _state(st["state"])
            + (f' at <code class="current-state">{e(st["state_id"])}</code>' if st["state_id"] else ""),
        ),
        ("Workflow", e(st["workflow"])),
        ("Version", f"<code>{e(st['table_hash'][:12])}</code>"),
        ("Created", _time(st["created_at"])),
        ("Updated", _time(st["updated_at"])),
    ]
    if st["finished_at"]:
        facts.append(("Finished", _time(st["finished_at"])))
    if st["queue"]:
        place = f" · place {st['queue_position']} in line" if st["queue_position"] else ""
        facts.append(("Queue", _queue_tag(request, st["queue"]).strip() + e(place)))
    if st["parent_id"]:
        facts.append(
            ("Parent", f'<a href="{_instance_href(request, st["parent_id"])}">{e(st["parent_id"])}</a>')
        )
    for key in ("blocked", "stalled"):
        if st[key]:
            facts.append((key.capitalize(), f'<span class="error">{e(st[key])}</span>'))
    out = ['<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"]
    if st["error"]:
        out.append(
            f'<section class="failure"><h2>Error</h2><p class="error">{e(st["error"])}</p>'
            + (f'<pre class="traceback">{e(st["traceback"])}</pre>' if st["traceback"] else "")
            + "</section>"
        )
    if st["outstanding"]:
        items = "".join(
            f"<li>{e(o['kind'])} <b>{e(o['name'])}</b>{' (' + e(o['path']) + ')' if o['path'] else ''}"
            + (f" · due {_time(o['due'])}" if o["due"] else "")
            + (f" · attempts {o['attempts']}" if o["attempts"] else "")
            + (
                f' · child <a href="{_instance_href(request, o["child_id"])}">{e(o["child_id"])}</a>'
                if o["child_id"]
                else ""
            )
            + (f'<div class="error">{e(o["last_error"])}</div>' if o["last_error"] else "")
            + "</li>"
            for o in st["outstanding"]
        )
        out.append(f'<section><h2>Waiting on</h2><ul class="outstanding">{items}</ul></section>')
    graph = svg or '<p class="empty">No graph: the table version is not saved in the database yet.</p>'
    out.append(
        f'<section class="graph"><h2>Graph</h2><div class="graph-box" id="graph">{graph}</div></section>'
    )
    if variables:
        rows = "".join(
            f"<tr><th>{e(k)}</th><td><pre>{e(_json(v))}</pre></td></tr>" for k, v in variables.items()
        )
        out.append(f'<section><h2>Live variables</h2><table class="vars">{rows}</table></section>')
    now = None if st["finished_at"] else request.app.state.service.rt.clock.now()
    out.append(_history(history, now))
    if st["children"]:
        rows = "".join(
            f'<li><a href="{_instance_href(request, c["id"])}">{e(c["id"])}</a> {e(c["workflow"])} {_state(c["state"])}</li>'
            for c in st["children"]
        )
        out.append(f'<section><h2>Children</h2><ul class="children">{rows}</ul></section>')
    return "".join(out)


def _history(history: list[dict[str, Any]], now: float | None = None) -> str:
    """``now``: for an instance not ended, the axis runs to the present, so what is still open shows its age."""
    if not history:
        return '<section><h2>History</h2><p class="empty">Nothing yet.</p></section>'
    axis = Axis(history, now)
    rows = []
    for r in history:
        outcome = (
            r["error"]
            if r["error"]
            else _json(r["result"])
            if r["status"] in ("completed", "canceled")
            else ""
        )
        bar = axis.row(r)
        trace = ""
        if r["traceback"]:
            trace = f'<details><summary>traceback</summary><pre class="traceback">{e(r["traceback"])}</pre></details>'
        for a in r["failed_attempts"]:
            trace += (
                f"<details><summary>attempt {a['attempt']}: {e(a['error'])}</summary>"
                f'<pre class="traceback">{e(a["traceback"] or "")}</pre></details>'
            )
        duration = f"{r['duration']:.3f}s" if r["duration"] is not None else ""
        args = _json(r["args"]) if r["args"] else ""
        rows.append(
            f'<tr data-state="{e(r["state_id"])}" class="{e(r["status"])}"><td>{r["seq"]}{"." + e(r["path"]) if r["path"] else ""}</td>'
            f"<td><code>{e(r['state_id'])}</code></td><td>{e(r['kind'])}</td><td>{e(r['name'])}</td>"
            f"<td>{_state(r['status'])}</td><td>{r['attempts']}</td><td><pre>{e(args)}</pre></td>"
            f'<td class="{"error" if r["error"] else ""}"><pre>{e(outcome)}</pre>{trace}</td>'
            f'<td>{duration}</td><td class="timeline">{bar}</td></tr>'
        )
    head = (
        "<tr><th>Seq</th><th>State</th><th>Kind</th><th>Name</th><th>Status</th><th>Attempts</th><th>Args</th>"
        f"<th>Result / error</th><th>Duration</th><th>{axis.header()}</th></tr>"
    )
    return (
        f'<section><h2>History <small id="history-filter"></small></h2><table class="history"><thead>{head}'
        f"</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


# ---- workflows --------------------------------------------------------------------------------------------------


async def workflows_page(request: Request) -> HTMLResponse:
    service: Service = request.app.state.service
    workflows = await _thread(service.workflows)
    out = []
    for w in workflows:
        versions = []
        previous: str | None = None
        for v in w["versions"]:
            graph = await _thread(service.graph, v["table_hash"])
            states = " ".join(f"{_state(s)} {n}" for s, n in sorted(v["states"].items()))
            marks: dict[str, str] = {}
            changes = ""
            if (
                previous is not None
                and graph is not None
                and await _thread(service.graph, previous) is not None
            ):
                diff = await _thread(service.diff, previous, v["table_hash"])
                marks = {c.new: c.kind for c in diff.changes if c.new and c.kind in ("added", "changed")}
                counts = ", ".join(f"{len(diff.of_kind(k))} {k}" for k in ("changed", "added", "removed"))
                removed = "".join(
                    f"<li><code>{e(c.old)}</code> {e(c.label)}</li>" for c in diff.of_kind("removed")
                )
                changes = (
                    f'<p class="diff">Against <code>{e(previous[:12])}</code>: {e(counts)} '
                    '(<span class="mark added">added</span>, <span class="mark changed">changed</span>)</p>'
                    + (f'<ul class="removed">Removed: {removed}</ul>' if removed else "")
                )
            drawing = (
                layout.render_svg(graph, marks=marks)
                if graph is not None
                else '<p class="empty">not saved</p>'
            )
            link = _href(request, "/", workflow=w["name"])
            versions.append(
                f'<details class="version" data-hash="{e(v["table_hash"])}"><summary><code>'
                f'{e(v["table_hash"][:12] or "(not admitted)")}</code> · <a href="{link}">{v["instances"]} instances</a> '
                f'{states}</summary>{changes}<div class="graph-box">{drawing}</div></details>'
            )
            if graph is not None:
                previous = v["table_hash"]
        start = ""
        if not service.read_only:
            api = _base(request) + "/api/instances"
            start = (
                f'<form class="start" data-action="{e(api)}" data-confirm="Start {e(w["name"])}?" data-go="id">'
                f'<input type="hidden" name="workflow" value="{e(w["name"])}">'
                '<label>Arguments (a JSON array) <input name="args" data-json data-optional size="28" '
                "placeholder='[\"order-1\"]'></label>"
                '<label>Id (optional) <input name="id" data-optional size="14"></label>'
                '<button type="submit">Start</button></form>'
            )
        out.append(
            f'<section class="workflow"><h2>{e(w["workflow"])}</h2>{start}{"".join(versions)}</section>'
        )
    body = "".join(out) or '<p class="empty">No workflow has run on this database yet.</p>'
    return respond(request, "workflows", body, "<h1>Workflows</h1>", None)
