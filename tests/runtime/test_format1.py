"""Instances in flight on IR format-1 tables keep running after the format changed.

The fixture (``tests/runtime/format1``) was made by wfc at IR format 1: the tables of ``flows.py`` written by
``wfc compile --versions`` and a database with an instance of each workflow waiting for an event (``tally`` in
the middle of its loop over a dict, so its persisted cursor holds a format-1 loop cursor). Whatever the current
format, those instances must complete, with the results the format-1 code computes:

* with the versions directory shipped (``Runtime(versions=DIR)``): the format-1 tables are read from it;
* without it: where the current code's table *in format 1* is exactly the recorded one, it is recognised as the
  same version (the instance is pinned to the format-1 hash); where the compiler now lowers the same code
  differently, the instance waits (WFC423) until the old table is shipped, and nothing is lost.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import wfc
from wfc.compiler import ir, serialize
from wfc.compiler.driver import compile_workflow
from wfc.runtime.runtime import Blocked
from wfc.runtime.versions import Deployment
from wfc.testing import FakeClock

from .format1 import flows

FIXTURE = Path(__file__).parent / "format1"
TALLY_V1 = "1ed6a560c1340c8911af4c4b220ba12eef09cf08fe5040b9c5bffe97f950faf1"
COUNTDOWN_V1 = "9e238ce512c7cabc53ef0e5a2479c1b45bc60ce301255da1d1d42b1e396a4929"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(FIXTURE / "instances.db", tmp_path / "instances.db")
    shutil.copytree(FIXTURE / "versions", tmp_path / "versions")
    return tmp_path


def _finish(rt: wfc.Runtime) -> dict[str, object]:
    assert rt.status("tally-1").table_hash == TALLY_V1
    assert rt.status("countdown-1").table_hash == COUNTDOWN_V1
    for wid in ("tally-1", "countdown-1"):
        rt.send_event(wid, "go", 5)
    return {wid: rt.run_until_complete(wid, timeout=30) for wid in ("tally-1", "countdown-1")}


EXPECTED = {"tally-1": (115, ["a", "b", "c", "done"]), "countdown-1": [3, 2, 1]}


def test_format1_tables_load_and_keep_their_hashes() -> None:
    for key, digest in (("tally", TALLY_V1), ("countdown", COUNTDOWN_V1)):
        path = FIXTURE / "versions" / "tests.runtime.format1.flows" / key / f"{digest}.json"
        table = serialize.from_json(path.read_text())
        assert table.format_version == 1
        assert table.hash == digest
        # Written back in its own format, a format-1 table is byte for byte what format-1 wfc wrote.
        assert serialize.to_json(table) + "\n" == path.read_text()


def test_instances_in_flight_complete_with_the_versions_directory(copy: Path) -> None:
    rt = wfc.Runtime(f"sqlite:///{copy / 'instances.db'}", clock=FakeClock(), versions=copy / "versions")
    try:
        assert _finish(rt) == EXPECTED
    finally:
        rt.close()


def test_instances_in_flight_continue_from_the_current_code_when_its_table_is_the_same(copy: Path) -> None:
    """Without the versions directory: ``countdown``'s code compiles, in format 1, to exactly the table its
    instance started on, so it continues. ``tally``'s does not (wfc now lowers ``total += yield`` and code inside
    a ``finally`` differently), so its instance waits, blocked with WFC423, until its table is shipped; then it
    completes."""
    url = f"sqlite:///{copy / 'instances.db'}"
    rt = wfc.Runtime(url, clock=FakeClock())
    try:
        assert serialize.as_format(compile_workflow(flows.countdown), 1).hash == COUNTDOWN_V1
        for wid in ("tally-1", "countdown-1"):
            rt.send_event(wid, "go", 5)
        assert rt.run_until_complete("countdown-1", timeout=30) == EXPECTED["countdown-1"]
        with pytest.raises(Blocked) as info:
            rt.run_until_complete("tally-1", timeout=30)
        assert "WFC423" in str(info.value) and TALLY_V1[:12] in str(info.value)
    finally:
        rt.close()
    rt = wfc.Runtime(url, clock=FakeClock(), versions=copy / "versions")
    try:
        assert rt.run_until_complete("tally-1", timeout=30) == EXPECTED["tally-1"]
    finally:
        rt.close()


def test_the_deployment_lists_the_old_versions(copy: Path) -> None:
    deployment = Deployment([flows.tally, flows.countdown], copy / "versions")
    current = compile_workflow(flows.tally)
    assert current.format_version == ir.FORMAT_VERSION
    assert TALLY_V1 in deployment.versions(flows.tally)
    assert deployment.machine(flows.tally.key, TALLY_V1).table.hash == TALLY_V1
    # Fresh instances start on the current version.
    rt = wfc.Runtime(clock=FakeClock(), workflows=[flows.tally])
    try:
        wid = rt.start(flows.tally, {"x": 1})
        assert rt.status(wid).table_hash == current.hash
    finally:
        rt.close()
