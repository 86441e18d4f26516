"""``send_event(..., event_id=)``: a delivery sent twice (a webhook retried, a client that timed out and sent
again) is recorded once, on both stores, also when the copies race from several connections, and after the
instance has ended; ids are per instance. ``wfc.testing`` drops the same events (its ``Event(id=)``)."""

from __future__ import annotations

import threading

import pytest

import wfc
import wfc.testing
from wfc.testing import Event, FakeClock

from . import flows


def test_a_second_event_with_an_id_is_dropped(url: str) -> None:
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.waiter, ["paid", "paid"])
        other = rt.start(flows.waiter, ["paid"])
        assert rt.send_event(wid, "paid", 1, event_id="evt_1") is True
        assert rt.send_event(wid, "paid", 2, event_id="evt_1") is False  # the same delivery again
        assert rt.send_event(other, "paid", 3, event_id="evt_1") is True  # ids are per instance
        rt.run_until_idle()
        assert not rt.status(wid).finished  # its second wait got nothing: the copy was dropped
        assert rt.send_event(wid, "paid", 4) is True  # events without an id are never dropped
        assert rt.send_event(wid, "paid", 5, event_id="evt_2") is True
        assert rt.run_until_complete(wid) == [1, 4]
        assert rt.result(other) == [3]
        # after the end: a copy of a delivery it had is dropped quietly, a new event is still an error
        assert rt.send_event(wid, "paid", 6, event_id="evt_1") is False
        with pytest.raises(wfc.WfcError) as finished:
            rt.send_event(wid, "paid", 7, event_id="evt_3")
        assert finished.value.code == "WFC421"


def test_copies_sent_at_once_from_several_connections_are_recorded_once(url: str) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.waiter, ["hook"])
    runtimes = [wfc.Runtime(url) for _ in range(4)]
    results: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(runtimes))

    def deliver(rt: wfc.Runtime, k: int) -> None:
        try:
            barrier.wait(10)
            results.append(rt.send_event(wid, "hook", k, event_id="delivery-42"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(rt, k)) for k, rt in enumerate(runtimes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert not errors, errors
        assert sorted(results) == [False, False, False, True]
        rt = runtimes[0]
        value = rt.run_until_complete(wid)
        assert value in ([0], [1], [2], [3])
        assert rt.send_event(wid, "hook", 9, event_id="delivery-42") is False
    finally:
        for r in runtimes:
            r.close()


@pytest.mark.parametrize("bad", ["", 7, "x" * 501, "bad\udcff"])
def test_a_bad_event_id_is_a_clear_error_in_both_runners(url: str, bad: object) -> None:
    with wfc.Runtime(url) as rt:
        wid = rt.start(flows.waiter, ["a"])
        with pytest.raises(wfc.WfcError) as durable:
            rt.send_event(wid, "a", 1, event_id=bad)  # type: ignore[arg-type]
    with pytest.raises(wfc.WfcError) as in_memory:
        wfc.testing.run(flows.waiter, ["a"], events=[Event("a", 1, id=bad)])  # type: ignore[arg-type]
    assert durable.value.code == in_memory.value.code == "WFC402"
    assert str(durable.value) == str(in_memory.value)


def test_wfc_testing_drops_the_same_copies(url: str) -> None:
    events = [Event("paid", 1, id="e1"), Event("paid", 2, id="e1", at=1), Event("paid", 3, at=2)]
    assert wfc.testing.run(flows.waiter, ["paid", "paid"], events=events) == [1, 3]
    with wfc.Runtime(url, clock=FakeClock()) as rt:
        wid = rt.start(flows.waiter, ["paid", "paid"])
        sent = [rt.send_event(wid, e.name, e.value, event_id=e.id) for e in events]
        assert sent == [True, False, True]
        assert rt.run_until_complete(wid) == [1, 3]
