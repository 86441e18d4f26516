"""Instances in flight on IR format-2 tables keep running after format 3 changed how ``locals()`` is cut.

The fixture (``tests/runtime/format2``) was made by wfc at IR format 2 (``make_fixture.py`` says how): a database
with an instance of each workflow of ``flows.py`` waiting for an event, pinned to its format-2 table. Without any
versions directory, the current code must still produce those tables (:func:`compile_in_format`), so both
instances complete with what the format-2 code computes, while new instances start on format 3 and see what
Python's ``locals()`` sees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import wfc
from wfc.compiler import ir, serialize
from wfc.compiler.driver import compile_in_format, compile_workflow
from wfc.runtime.serving import served
from wfc.runtime.versions import Deployment
from wfc.testing import FakeClock

from .format2 import flows

FIXTURE = Path(__file__).parent / "format2"
INSPECT_V2 = "08f8d244b83e8676158a652aff7be1511213def5ac28662fea40a397669e90de"
PLAIN_V2 = "6855c8e227ac06270328ef8f43326c7a939c891b49baff2c5c6fd9c01cfa61fd"

# What format 2's cut gave: `a` (assigned by the `finally` after the body's `locals()`) and `snap` (assigned by
# the statement that calls it, seen from the loop's second round on) were not kept across the `yield` before.
INSPECT_AS_FORMAT_2 = (
    7,
    [
        ["b", "c", "got", "i", "trace"],
        ["b", "c", "got", "i", "trace"],
        ["a", "b", "c", "d", "got", "i", "k", "trace"],
        ["a", "b", "c", "d", "e", "got", "i", "k", "trace"],
    ],
)
# What Python gives, and format 3.
INSPECT_NATIVE = (
    7,
    [
        ["a", "b", "c", "got", "i", "trace"],
        ["a", "b", "c", "got", "i", "trace"],
        ["a", "b", "c", "d", "got", "i", "k", "trace"],
        ["a", "b", "c", "d", "e", "got", "i", "k", "snap", "trace"],
    ],
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    shutil.copy(FIXTURE / "instances.db", tmp_path / "instances.db")
    return tmp_path / "instances.db"


def _native_inspect(a: int, b: int, got: int) -> tuple[int, list[list[str]]]:
    """``flows.inspect`` as plain Python: each ``yield`` replaced by its value."""
    trace = []
    c = a
    try:
        for i in [1, 2]:  # noqa: B007 - `i` is what locals() shows
            trace.append(sorted(locals()))
    finally:
        a = b + got
    d = c
    for k in range(2):
        snap = sorted(locals())
        trace.append(snap)
        e = k
    return a, trace


def test_the_expected_results_are_pythons() -> None:
    assert _native_inspect(1, 2, 5) == INSPECT_NATIVE


def test_the_current_code_reproduces_its_format_2_tables() -> None:
    inspect, plain = compile_workflow(flows.inspect), compile_workflow(flows.plain)
    assert inspect.format_version == plain.format_version == ir.FORMAT_VERSION == 3
    assert compile_in_format(flows.inspect, 2).hash == INSPECT_V2
    assert compile_in_format(flows.plain, 2).hash == PLAIN_V2
    # `plain` calls no locals(): its format-2 table is the current one relabelled; `inspect`'s is cut again.
    assert serialize.as_format(plain, 2).hash == PLAIN_V2
    assert serialize.as_format(inspect, 2).hash != INSPECT_V2
    assert inspect.hash != INSPECT_V2
    # Format 1 is still derived from whichever table format 2 had (the format-1 fixture pins plain tables).
    assert compile_in_format(flows.plain, 1).hash == serialize.as_format(plain, 1).hash
    assert compile_in_format(flows.inspect, 1).hash == serialize.as_format(compile_in_format(flows.inspect, 2), 1).hash


def test_instances_in_flight_complete_as_format_2_ran_them(db: Path) -> None:
    rt = wfc.Runtime(f"sqlite:///{db}", clock=FakeClock())
    try:
        assert rt.status("inspect-1").table_hash == INSPECT_V2
        assert rt.status("plain-1").table_hash == PLAIN_V2
        for wid in ("inspect-1", "plain-1"):
            rt.send_event(wid, "go", 5)
        assert rt.run_until_complete("inspect-1", timeout=30) == INSPECT_AS_FORMAT_2
        assert rt.run_until_complete("plain-1", timeout=30) == [3, 2, 1]
        # A new instance of the same code starts on format 3, and sees what Python sees.
        wid = rt.start(flows.inspect, 1, 2)
        assert rt.status(wid).table_hash == compile_workflow(flows.inspect).hash
        rt.run_until_idle()
        rt.send_event(wid, "go", 5)
        assert rt.run_until_complete(wid, timeout=30) == INSPECT_NATIVE
    finally:
        rt.close()


def test_workers_advertise_the_format_2_hashes() -> None:
    deployment = Deployment([flows.inspect, flows.plain])
    assert INSPECT_V2 in deployment.versions(flows.inspect)
    assert PLAIN_V2 in deployment.versions(flows.plain)
    assert deployment.machine(flows.inspect.key, INSPECT_V2).table.hash == INSPECT_V2
    serves = served(deployment)
    assert INSPECT_V2 in serves[flows.inspect.key] and PLAIN_V2 in serves[flows.plain.key]
    assert serves[flows.inspect.key][0] == compile_workflow(flows.inspect).hash
