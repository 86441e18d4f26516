"""How the format-1 fixture was made (run once, with wfc at IR format 1, from the repository root):

    wfc compile tests/runtime/format1/flows.py --versions tests/runtime/format1/versions
    python -m tests.runtime.format1.make_fixture

It leaves ``instances.db``: instances of :mod:`tests.runtime.format1.flows` in flight, each waiting for the event
``go`` (``tally`` in the middle of its loop over a dict, ``countdown`` inside its ``while``). Running it again with
a newer wfc would record that wfc's tables instead, which is not the point: the fixture is history.
"""

from __future__ import annotations

from pathlib import Path

import wfc
from wfc.testing import FakeClock

from . import flows

HERE = Path(__file__).parent


def main() -> None:
    db = HERE / "instances.db"
    db.unlink(missing_ok=True)
    rt = wfc.Runtime(f"sqlite:///{db}", clock=FakeClock())
    ids = {
        "tally": rt.start(flows.tally, {"a": 1, "b": 2, "c": 3}, id="tally-1"),
        "countdown": rt.start(flows.countdown, 3, id="countdown-1"),
    }
    rt.run_until_idle()
    for name, wid in ids.items():
        print(name, wid, rt.status(wid))
    rt.close()


if __name__ == "__main__":
    main()
