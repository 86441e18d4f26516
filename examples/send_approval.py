"""An approver in another process: once order ID waits for its approval, approve it after a delay.

    python -m examples.send_approval A-1001 --db sqlite:///.wfc/demo.db --after 3

Sending is one call, ``Runtime.send_event`` — or, from a shell, ``wfc send-event A-1001 approval --value true
--db sqlite:///.wfc/demo.db``. An event sent before the workflow waits for it is kept for it; this script waits
first only so that the demo shows the order waiting.
"""

from __future__ import annotations

import argparse
import sys
import time

import wfc
from wfc.runtime.errors import UnknownInstance


def waiting_for_approval(rt: wfc.Runtime, order_id: str) -> bool | None:
    """True when the order waits for its approval, None when it no longer needs one, False when not yet."""
    try:
        status = rt.status(order_id)
    except UnknownInstance:
        return False  # not started yet
    if status.finished:
        return None
    if any(o.kind == "event" and o.name == "approval" for o in status.outstanding):
        return True
    approved = any(
        r.kind == "event" and r.name == "approval" and r.status != "pending" for r in rt.history(order_id)
    )
    return None if approved else False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("order_id")
    parser.add_argument("--db", default="sqlite:///.wfc/demo.db", help="the database the order runs on")
    parser.add_argument("--after", type=float, default=3.0, help="seconds to wait once the order is waiting")
    parser.add_argument("--reject", action="store_true", help="reject the order instead")
    parser.add_argument("--patience", type=float, default=120.0, help="give up after this many seconds")
    opts = parser.parse_args(argv)
    try:
        with wfc.Runtime(opts.db) as rt:
            give_up = time.monotonic() + opts.patience
            while (waiting := waiting_for_approval(rt, opts.order_id)) is False:
                if time.monotonic() > give_up:
                    print(f"order {opts.order_id} never waited for an approval", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            if waiting is None:
                return 0  # it has its approval already, or it has ended
            time.sleep(opts.after)
            rt.send_event(opts.order_id, "approval", not opts.reject)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
