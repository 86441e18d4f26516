"""Called children on a named queue in the durable runtime, on both stores: the parent waits at the call while
its child waits in line and runs; a window holds them first; a restart of the parent enqueues the child again
with its call's options."""

from __future__ import annotations

import wfc
from wfc.testing import FakeClock

from . import flows


@wfc.workflow
def calls_one(x: int) -> wfc.Workflow[int]:
    r = yield flows.job.options(queue=flows.tenants, partition_key="acme")(x)
    return r + 1


@wfc.workflow(max_parallelism=1)
def calls_in_a_window(n: int) -> wfc.Workflow[list[int]]:
    out = yield wfc.all_of(*[flows.quick.options(queue=flows.ranked, priority=n - i)(i) for i in range(n)])
    return list(out)


def _runtime(url: str, clock: FakeClock) -> wfc.Runtime:
    return wfc.Runtime(url, workflows=[flows.job, flows.quick, calls_one, calls_in_a_window], clock=clock)


def test_the_parent_waits_at_the_call_while_its_child_waits_in_line(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        holder = rt.start(flows.job, 0, queue=flows.tenants, partition_key="acme")
        other = rt.start(flows.job, 0, queue=flows.tenants, partition_key="other")
        rt.run_until_idle()
        parent = rt.start(calls_one, 5)
        rt.run_until_idle()
        child = f"{parent}/1"
        status = rt.status(child)
        assert (status.state.value, status.queue, status.queue_position) == ("enqueued", "tenants", 1)
        assert rt.status(parent).state.value == "waiting"
        assert rt.status(other).state.value == "sleeping"  # another partition: not in the child's way
        clock.advance(10)
        rt.run_until_idle()  # the holder ends: the child is admitted
        assert rt.status(holder).state.value == "completed"
        assert rt.status(child).state.value == "sleeping"
        clock.advance(10)
        rt.run_until_idle()
        assert rt.result(parent) == 11
        (call,) = [r for r in rt.history(parent) if r.kind == "child"]
        assert call.result == 10


def test_a_window_holds_called_children_then_their_queue_orders_them(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        parent = rt.start(calls_in_a_window, 3)
        rt.run_until_idle()
        assert rt.result(parent) == [0, 2, 4]
        children = [rt.status(f"{parent}/1.{i}") for i in range(3)]
        assert [c.queue for c in children] == ["ranked"] * 3  # a released call was enqueued too


def test_a_restart_of_the_parent_enqueues_its_child_again(url: str) -> None:
    clock = FakeClock()
    with _runtime(url, clock) as rt:
        parent = rt.start(calls_one, 1)
        rt.run_until_idle()
        clock.advance(10)
        rt.run_until_idle()
        assert rt.result(parent) == 3
        holder = rt.start(flows.job, 0, queue=flows.tenants, partition_key="acme")
        rt.run_until_idle()
        rt.restart(parent, 1)  # the child call again: it waits behind the holder, on the same partition
        rt.run_until_idle()
        again = [c for c in rt.list(limit=50) if c.id.startswith(f"{parent}/") and c.id != f"{parent}/1"]
        (child,) = again
        assert (rt.status(child.id).state.value, rt.status(child.id).queue) == ("enqueued", "tenants")
        clock.advance(10)
        rt.run_until_idle()
        assert rt.status(holder).state.value == "completed"
        clock.advance(10)
        rt.run_until_idle()
        assert rt.result(parent) == 3
