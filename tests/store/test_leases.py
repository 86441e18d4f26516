"""Lease timing on every store (docs/deploy.md, "Leases, heartbeats and machine death"): a step claimed by a
worker that stops heartbeating becomes claimable by another exactly when its lease ends — so a shorter lease is a
faster takeover — and the waiting worker learns that moment from the store (``next_due(leases=True)``) instead
of polling for it."""

from __future__ import annotations

import pytest

import wfc
from wfc.runtime.engine import Engine
from wfc.testing import FakeClock

from . import flows


@pytest.mark.parametrize("lease", [1.0, 5.0, 30.0])
def test_a_dead_workers_step_is_taken_over_when_its_lease_ends(url: str, lease: float) -> None:
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock, lease=lease) as rt:
        wid = rt.start(flows.chain, 2)
        (first,) = rt.engine.cycle([], claim=10, capacity=10)  # claimed, then the worker "dies": no heartbeat
        claimed_at = clock.now()
        other = Engine(rt.store, rt.deployment, clock, owner="other", lease=rt.lease)
        # the other worker's idle wait: the store tells it when the lease ends
        assert rt.store.next_due(clock.now(), leases=True) == pytest.approx(claimed_at + lease)
        clock.advance(lease - 0.01)
        assert other.cycle([], claim=10, capacity=10) == []  # still reserved
        clock.advance(0.02)
        (taken,) = other.cycle([], claim=10, capacity=10)
        assert taken.leaf.key == first.leaf.key
        assert taken.leaf.lease_owner == "other" and taken.leaf.lease_until == pytest.approx(clock.now() + lease)
        assert rt.run_until_complete(wid) == 2


def test_a_shorter_lease_gives_a_faster_takeover(url: str) -> None:
    """The same dead worker, two lease settings: the takeover time is the lease (measured on the store's clock)."""
    takeovers = {}
    clock = FakeClock()
    for lease in (2.0, 8.0):
        with wfc.Runtime(url, clock=clock, lease=lease) as rt:
            wid = rt.start(flows.chain, 1)
            rt.engine.cycle([], claim=10, capacity=10)
            died = clock.now()
            other = Engine(rt.store, rt.deployment, clock, owner=f"other-{lease}", lease=lease)
            while not other.cycle([], claim=10, capacity=10):
                clock.advance(0.25)
            takeovers[lease] = clock.now() - died
            clock.advance(lease + 1)  # the other one dies too: this runtime finishes the instance
            assert rt.run_until_complete(wid) == 1
    assert takeovers[2.0] == pytest.approx(2.0, abs=0.26) and takeovers[8.0] == pytest.approx(8.0, abs=0.26)


def test_a_heartbeat_pushes_the_takeover_back(url: str) -> None:
    clock = FakeClock()
    with wfc.Runtime(url, clock=clock, lease=3.0) as rt:
        rt.start(flows.chain, 1)
        (task,) = rt.engine.cycle([], claim=10, capacity=10)
        other = Engine(rt.store, rt.deployment, clock, owner="other", lease=3.0)
        clock.advance(2.0)
        rt._heartbeat([task.leaf.key])  # the worker is alive: its lease runs 3 s from now
        clock.advance(2.0)
        assert other.cycle([], claim=10, capacity=10) == []
        assert rt.store.next_due(clock.now(), leases=True) == pytest.approx(clock.now() + 1.0)
        clock.advance(1.01)
        assert len(other.cycle([], claim=10, capacity=10)) == 1


@pytest.mark.parametrize("lease", [0, -1, float("nan"), float("inf"), "30", True])
def test_a_bad_lease_is_refused(lease: object) -> None:
    with pytest.raises(wfc.WfcError) as err:
        wfc.Runtime("sqlite:///:memory:", lease=lease)  # type: ignore[arg-type]
    assert err.value.code == "WFC429" and "lease" in str(err.value)
