"""How the format-2 fixture was made (run once, with wfc at IR format 2 — commit 39ed21d — from the repository
root):

    python -m tests.runtime.format2.make_fixture

It leaves ``instances.db``: an instance of each workflow of :mod:`tests.runtime.format2.flows` waiting for the
event ``go``, and prints the two tables' hashes (pinned in ``tests/runtime/test_format2.py``). Running it again with
a newer wfc would record that wfc's tables instead, which is not the point: the fixture is history.
"""

from __future__ import annotations

from pathlib import Path

import wfc
from wfc.compiler.driver import compile_workflow
from wfc.testing import FakeClock

from . import flows

HERE = Path(__file__).parent


def main() -> None:
    db = HERE / "instances.db"
    db.unlink(missing_ok=True)
    rt = wfc.Runtime(f"sqlite:///{db}", clock=FakeClock())
    ids = {
        "inspect": rt.start(flows.inspect, 1, 2, id="inspect-1"),
        "plain": rt.start(flows.plain, 3, id="plain-1"),
    }
    rt.run_until_idle()
    for name, wid in ids.items():
        table = compile_workflow(getattr(flows, name))
        print(name, wid, table.format_version, table.hash, rt.status(wid).state)
    rt.close()


if __name__ == "__main__":
    main()
