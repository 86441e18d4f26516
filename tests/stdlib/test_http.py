"""wfc.stdlib.http against a real HTTP server (tests/stdlib/server.py), in both runners on both stores: retries
on 5xx/429/no answer honouring Retry-After, no retry on other 4xx, one Idempotency-Key per call, a worker restart
during the wait between attempts."""

from __future__ import annotations

import datetime as dt

import pytest

import wfc
from examples import stdlib_http
from wfc.stdlib import http
from wfc.testing import EPOCH, FakeClock

from . import flows
from .harness import agree, both, durable, in_memory, observe
from .server import Server, closed_port

T0 = EPOCH


def at(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat()


def keys(server: Server) -> list[str | None]:
    return [r["key"] for r in server.requests]


def test_retry_after_in_seconds(url: str, server: Server) -> None:
    seen = both(url, flows.fetch, server.url("/flaky/2/503?after=5"), before=server.reset)
    assert seen.outcome[1][:2] == ("ok", 200)
    assert seen.outcome[1][3] == at(10)  # two waits of the 5 s the server asked for, not the 2 s backoff
    assert len(server.requests) == 3 and len(set(keys(server))) == 1 and keys(server)[0]
    assert [r[3] for r in seen.instances[1][2]] == ["http.send", "sleep 5s", "http.send", "sleep 5s", "http.send"]


def test_retry_after_as_an_http_date_counts_from_the_response_date(url: str, server: Server) -> None:
    seen = both(url, flows.fetch, server.url("/flaky/1/503?after=date%2B7"), before=server.reset)
    assert seen.outcome[1][:2] == ("ok", 200) and seen.outcome[1][3] == at(7)


def test_429_without_retry_after_backs_off_by_the_policy(url: str, server: Server) -> None:
    seen = both(url, flows.fetch, server.url("/flaky/2/429"), before=server.reset)
    assert seen.outcome[1][:2] == ("ok", 200) and seen.outcome[1][3] == at(2 + 4)


def test_a_client_error_is_not_retried(url: str, server: Server) -> None:
    seen = both(url, flows.fetch, server.url("/status/404"), before=server.reset)
    kind, status, attempts, message, body = seen.outcome[1]
    assert (kind, status, attempts, body) == ("status", 404, 1, "status 404")
    assert "HTTP 404, not retried (a client error)" in message
    assert len(server.requests) == 1


def test_a_server_error_until_the_last_attempt(url: str, server: Server) -> None:
    seen = both(url, flows.fetch, server.url("/status/503"), before=server.reset)
    assert seen.outcome[1][:3] == ("status", 503, 3) and "after 3 attempt(s)" in seen.outcome[1][3]
    assert len(server.requests) == 3


def test_a_retry_after_longer_than_allowed_is_not_waited_for(url: str, server: Server) -> None:
    seen = both(url, flows.fetch, server.url("/flaky/1/429?after=600"), "GET", 60.0, before=server.reset)
    assert seen.outcome[1][:3] == ("status", 429, 1)
    assert "asked to wait 600 s, more than max_retry_after=60 s" in seen.outcome[1][3]


def test_no_answer_is_retried_then_raised(url: str) -> None:
    seen = both(url, flows.fetch, closed_port() + "/x")
    assert seen.outcome == ("ok", ("unavailable", True))
    assert seen.steps == ("http.send",) * 3


def test_given_or_no_idempotency_key(url: str, server: Server) -> None:
    given = both(url, flows.fetch_with, server.url("/echo"), "order-7", before=server.reset)
    assert given.outcome[1]["key"] == "order-7" and given.outcome[1]["body"] == "raw"
    none = both(url, flows.fetch_with, server.url("/echo"), False, before=server.reset, wid="t2")
    assert none.outcome[1]["key"] is None and none.outcome[1]["method"] == "PUT"


@pytest.mark.parametrize("what", ["method", "url", "body", "timeout", "retry", "headers", "key"])
def test_bad_arguments_fail_at_the_call(url: str, what: str) -> None:
    seen = both(url, flows.bad_request, what)
    assert seen.outcome[:2] == ("error", "WfcError") and "wfc.stdlib.http.request()" in seen.outcome[2]
    with pytest.raises(wfc.WfcError) as info:
        wfc.testing.run(flows.bad_request, what)
    assert info.value.code == "WFC480" and info.value.hint


def test_the_example(url: str, server: Server) -> None:
    args = (server.url("/flaky/1/503?after=3"), server.url("/status/404"), "A-7", 1250)
    seen = both(url, stdlib_http.create_invoice, *args, before=server.reset)
    invoice = seen.outcome[1]["invoice"]
    assert invoice["method"] == "POST" and invoice["body"] == '{"order":"A-7","cents":1250}'
    assert seen.outcome[1]["lookup"] == 404 and seen.outcome[1]["discount"] is None
    found = both(url, stdlib_http.create_invoice, args[0], server.url("/echo"), "A-8", 1, before=server.reset, wid="t2")
    assert found.outcome[1]["discount"]["query"] == {"order": "A-8"}


def test_a_worker_restart_during_the_wait_between_attempts(tmp_path: object, server: Server) -> None:
    db = f"sqlite:///{tmp_path}/restart.db"
    target = server.url("/flaky/1/503?after=30")
    server.reset()
    want = in_memory(flows.fetch, target)
    server.reset()
    clock = FakeClock()
    rt = wfc.Runtime(db, clock=clock, max_parallelism=1)
    wid = rt.start(flows.fetch, target, id="test")
    rt.run_until_idle()  # the first attempt got its 503; the child sleeps the 30 s the server asked for
    assert rt.status(wid).state == wfc.WorkflowState.WAITING
    assert len(server.requests) == 1
    rt.close()  # the worker dies
    clock.advance(30)
    with wfc.Runtime(db, clock=clock, max_parallelism=1) as again:  # a new process on the same file
        assert again.run_until_complete(wid, timeout=30)[:2] == ("ok", 200)
        got = observe(again, wid)
    assert len(server.requests) == 2 and len(set(keys(server))) == 1
    agree(got, want)


def test_the_response_is_a_plain_value() -> None:
    r = http.Response(200, {"content-type": "application/json"}, '{"a": 1}', "http://x/", "GET")
    assert r.ok and r.json() == {"a": 1}
    assert wfc.convert.decode(wfc.convert.encode(r)) == r
    assert http.retry_after(attrs_evolve_headers(r, {"retry-after": "soon"}), T0) is None


def attrs_evolve_headers(r: http.Response, headers: dict[str, str]) -> http.Response:
    import attrs

    return attrs.evolve(r, headers=headers)


def test_durable_alone_runs(url: str, server: Server) -> None:
    server.reset()
    assert durable(url, flows.fetch, server.url("/echo")).outcome[1][:2] == ("ok", 200)
