"""The dashboard's queue pages: ``/queues`` (every named queue, its limits and load) and ``/queues/NAME`` (one
queue: its partitions, its line in admission order, its admissions against its rate limit). Rendered on the
server from :mod:`wfc.ui.queue_view` (what ``/api/queues`` returns), every value escaped; the queue page is live
(``/api/live?queue_page=NAME``), as the instance pages are.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from wfc.ui import queue_view
from wfc.ui.pages import _base, _href, _instance_href, _thread, _time, e, respond
from wfc.ui.service import Service


def queue_href(request: Request, name: str, **query: Any) -> str:
    return _href(request, "/queues/" + urllib.parse.quote(name, safe=""), **query)


def limits_text(q: dict[str, Any]) -> str:
    """The limits in words, as ``wfc queue list`` prints them."""
    parts = []
    if q["concurrency"] is not None:
        parts.append(f"concurrency {q['concurrency']}")
    if q["worker_concurrency"] is not None:
        parts.append(f"{q['worker_concurrency']} per worker")
    if q["rate_limit"] is not None:
        parts.append(f"{q['rate_limit']['count']} per {q['rate_limit']['per_seconds']:g}s")
    if q["priority"]:
        parts.append("by priority")
    if q["partitioned"]:
        parts.append("per partition")
    return ", ".join(parts) or "no limits"


def _meter(value: int, limit: int | None) -> str:
    """A count against its limit: ``<meter>`` needs no inline style (the pages' CSP allows none)."""
    if limit is None:
        return f"<b>{value}</b>"
    return f'<b>{value}</b> / {limit} <meter min="0" max="{limit}" value="{min(value, limit)}"></meter>'


def _rate(rate: dict[str, Any], per_partition: bool = False) -> str:
    """Admissions in the window against the rate limit; a partitioned queue's whole is not held to it (each
    partition is), so it shows no meter."""
    seconds = f"{rate['window_seconds']:g}s"
    text = f"{_meter(rate['admitted'], None if per_partition else rate['limit'])} in the last {seconds}"
    text += f' <span class="hint">({rate["per_second"]:.2f}/s)</span>'
    if per_partition and rate["limit"] is not None:
        text += f" · at most {rate['limit']} a partition"
    return text


def _ago(since: str, now: str) -> str:
    seconds = (dt.datetime.fromisoformat(now) - dt.datetime.fromisoformat(since)).total_seconds()
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


async def queues_page(request: Request) -> HTMLResponse:
    service: Service = request.app.state.service
    queues = await _thread(queue_view.queues, service)
    rows = []
    for q in queues:
        name = q["name"]
        rows.append(
            f'<tr data-queue="{e(name)}"><td><a href="{queue_href(request, name)}">{e(name)}</a></td>'
            f"<td>{e(limits_text(q))}</td><td><b>{q['enqueued']}</b></td>"
            f"<td>{_meter(q['active'], None if q['partitioned'] else q['concurrency'])}</td>"
            f"<td>{_rate(q['rate'], q['partitioned'])}</td><td>{'' if q['partitions'] is None else q['partitions']}</td>"
            f'<td><a href="{_href(request, "/", queue=name)}">instances</a></td></tr>'
        )
    table = (
        '<table class="queues"><thead><tr><th>Queue</th><th>Limits</th><th>Enqueued</th><th>Active</th>'
        f"<th>Admitted</th><th>Partitions</th><th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="empty">No queue is recorded in this database (a worker records those its code declares).</p>'
    )
    live_url = _base(request) + "/api/live?queues=1"
    return respond(request, "queues", table, "<h1>Queues</h1>", live_url)


async def queue_page(request: Request) -> HTMLResponse:
    from wfc.ui.app import _limit

    service: Service = request.app.state.service
    name = request.path_params["name"]
    partition = request.query_params.get("partition") or None
    limit = _limit(request, queue_view.LINE)
    q = await _thread(queue_view.queue, service, name, partition, limit)
    head = (
        f'<h1>Queue {e(name)}{" · partition " + e(partition) if partition else ""}</h1>'
        f'<p class="hint">{e(limits_text(q))} · <a href="{_href(request, "/", queue=name)}">all its instances</a>'
        + (f' · <a href="{queue_href(request, name)}">every partition</a>' if partition else "")
        + "</p>"
    )
    query = {"queue_page": name, "limit": str(limit)} | ({"partition": partition} if partition else {})
    live_url = _base(request) + "/api/live?" + urllib.parse.urlencode(query)
    return respond(request, f"queue {name}", _queue_live(request, q), head, live_url)


def _queue_live(request: Request, q: dict[str, Any]) -> str:
    rate = q["rate_limit"]
    facts = [
        ("Concurrency", e(q["concurrency"] if q["concurrency"] is not None else "no limit")
         + (" per partition" if q["partitioned"] and q["concurrency"] is not None else "")),
        ("Per worker", e(q["worker_concurrency"] if q["worker_concurrency"] is not None else "no limit")),
        ("Rate limit", f"{rate['count']} per {rate['per_seconds']:g}s" if rate else "no limit"),
        ("Priority", "lower first, then enqueue order" if q["priority"] else "no: first come, first served"),
        ("Partitioned", "yes: each key is a queue of its own" if q["partitioned"] else "no"),
        ("Enqueued", f'<b class="enqueued-count">{q["enqueued"]}</b>'),
        ("Active", f'<span class="active-count">{_meter(q["active"], None if q["partitioned"] else q["concurrency"])}</span>'),
        ("Admitted", _rate(q["rate"], q["partitioned"])),
    ]  # fmt: skip
    out = ['<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"]
    if q["partitioned"]:
        rows = "".join(
            f'<tr data-partition="{e(p["partition"])}"><td><a href="{queue_href(request, q["name"], partition=p["partition"])}">'
            f'{e(p["partition"])}</a></td><td>{p["enqueued"]}</td><td>{_meter(p["active"], q["concurrency"])}</td>'
            f"<td>{_rate(p['rate'])}</td></tr>"
            for p in q["partitions"]
        )
        out.append(
            '<section><h2>Partitions</h2><table class="partitions"><thead><tr><th>Key</th><th>Enqueued</th>'
            f"<th>Active</th><th>Admitted</th></tr></thead><tbody>{rows}</tbody></table>"
            + ("" if rows else '<p class="empty">No partition has instances now.</p>')
            + "</section>"
        )
    out.append(_line(request, q))
    return "".join(out)


def _line(request: Request, q: dict[str, Any]) -> str:
    cols = ["Place", "Instance", "Workflow"] + (["Priority"] if q["priority"] else [])
    cols += (["Partition"] if q["partitioned"] else []) + ["Enqueued since (UTC)", "Waiting"]
    rows = []
    for item in q["line"]:
        cells = [
            str(item["position"]),
            f'<a href="{_instance_href(request, item["id"])}">{e(item["id"])}</a>',
            e(item["workflow"]),
        ]
        if q["priority"]:
            cells.append(str(item["priority"]))
        if q["partitioned"]:
            cells.append(e(item["partition"]))
        cells += [_time(item["enqueued_at"]), e(_ago(item["enqueued_at"], q["now"]))]
        rows.append(f'<tr data-id="{e(item["id"])}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{c}</th>" for c in cols)
    more = ""
    if q["line_more"]:
        more = f'<p class="hint">The first {len(q["line"])} shown: the API takes <code>limit</code> up to {queue_view.MAX_LINE}.</p>'
    order = "partition by partition, each " if q["partitioned"] and not q["partition"] else ""
    return (
        f'<section><h2>The line <small class="hint">({order}in the order they are admitted)</small></h2>'
        f'<table class="line"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        + ("" if rows else '<p class="empty">Nothing waits in line.</p>')
        + more
        + "</section>"
    )
