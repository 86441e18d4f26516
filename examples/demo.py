"""The README's demo: an order fulfilled durably on SQLite, with the progress view of ``wfc run``.

    python -m examples.demo        # Ctrl-C it and run it again: the order continues where it stopped

Order A-1001 (the workflow of ``examples/orders.py``) is started in ``.wfc/demo.db`` and run to its end by ``wfc run``
in this process: the payment step fails once and is retried, the items are reserved in parallel, the order (over
100) waits for an approval that a second process (``examples/send_approval.py``) sends a few seconds later, a 5 s
durable sleep passes, and a child workflow ships it. Then ``wfc graph --instance`` draws the run, and the last line
is the path of that page.

The order lives in the database, not in this process: stop the demo at any point and run the same command again,
and the same order continues (finished steps are not run again; the sleep ends when it was due). Once an order has
completed, the next run starts the next order (``--new``: a new order even if one is unfinished).
"""

from __future__ import annotations

import _thread
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import wfc
from examples import orders
from examples.send_approval import waiting_for_approval
from wfc.cli.main import main as wfc_main

HERE = Path(__file__).resolve().parent
WORKDIR = Path(".wfc")
ITEMS = {"book": 1, "lamp": 2}
ADDRESS = "1 Main St"
AMOUNT = 129  # over 100: needs an approval


def wfc_cli(*args: str) -> int:
    """Run a ``wfc`` command in this process; its exit code."""
    try:
        wfc_main(list(args))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def pick_order(db: str, new: bool) -> tuple[str, bool]:
    """The newest unfinished demo order (to resume it), else the next order id; and whether it is resumed."""
    with wfc.Runtime(db) as rt:
        existing = [s for s in rt.list(orders.fulfil_order, limit=1000) if s.parent_id is None]
    unfinished = [s for s in existing if not s.finished]
    if unfinished and not new:
        return unfinished[0].id, True
    return f"A-{1001 + len(existing)}", False


def start_approver(db_file: Path, order_id: str, after: float) -> subprocess.Popen[bytes] | None:
    """The second process: it approves the order a few seconds after the order starts waiting for it."""
    with wfc.Runtime(f"sqlite:///{db_file.resolve()}") as rt:
        if waiting_for_approval(rt, order_id) is None:
            return None  # approved already (this is a resumed run), or over
    log = (WORKDIR / "send_approval.log").open("wb")
    command = [sys.executable, "-m", "examples.send_approval", order_id, "--db", f"sqlite:///{db_file.resolve()}",
               "--after", str(after)]  # fmt: skip
    return subprocess.Popen(command, cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=log)


def watch_approver(proc: subprocess.Popen[bytes], stopping: threading.Event) -> None:
    """If the approver fails, stop the run (it would wait for its approval for a day) and say why."""
    code = proc.wait()
    if code not in (0, 130, -2, -15) and not stopping.is_set():
        print(
            f"\nthe approver process failed (exit {code}); see {WORKDIR / 'send_approval.log'}",
            file=sys.stderr,
        )
        _thread.interrupt_main()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--new", action="store_true", help="start a new order even if one is unfinished")
    parser.add_argument("--approve-after", type=float, default=3.0, metavar="SECONDS",
                        help="how long the approver takes once the order waits (default 3)")  # fmt: skip
    opts = parser.parse_args(argv)
    WORKDIR.mkdir(exist_ok=True)
    if not (WORKDIR / ".gitignore").exists():
        (WORKDIR / ".gitignore").write_text("*\n")
    db_file = WORKDIR / "demo.db"
    db = f"sqlite:///{db_file}"
    order_id, resumed = pick_order(db, opts.new)
    target = f"{_shown(HERE / 'orders.py')}:fulfil_order"
    wfc_cmd = "wfc" if shutil.which("wfc") else _shown(Path(sys.executable).with_name("wfc"))
    run_args = ["run", target, "--db", db, "--id", order_id, f"order_id={order_id}",
                f"items={json.dumps(ITEMS)}", f"address={ADDRESS}", f"amount={AMOUNT}"]  # fmt: skip
    if resumed:
        print(f"Resuming order {order_id}, which a previous run left unfinished in {db_file}.")
    else:
        print(f"Order {order_id}: a flaky payment (retried), {len(ITEMS)} items reserved in parallel, an approval "
              "from another process, a 5 s durable sleep, a child workflow that ships it.")  # fmt: skip
    print(f"  $ {wfc_cmd} {' '.join(_quoted(a) for a in run_args)}")
    print(
        "Press Ctrl-C at any time, then run the demo again: the order continues where it stopped.\n",
        flush=True,
    )

    stopping = threading.Event()
    approver = start_approver(db_file, order_id, opts.approve_after)
    if approver is not None:
        threading.Thread(target=watch_approver, args=(approver, stopping), daemon=True).start()
    try:
        code = wfc_cli(*run_args)
    except KeyboardInterrupt:
        code = 130
    finally:
        stopping.set()
        if approver is not None and approver.poll() is None:
            approver.terminate()
            approver.wait()
    if code == 130:
        print(f"\nStopped. Order {order_id} is saved in {db_file}: run the same command again "
              f"(python -m examples.demo) to continue it.")  # fmt: skip
        return 130
    if code != 0:
        return code

    page = WORKDIR / f"{order_id}.html"
    code = wfc_cli("graph", target, "--instance", order_id, "--db", db, "--format", "html", "-o", str(page))
    if code != 0:
        return code
    print("\nLook closer:")
    print(f"  {wfc_cmd} status {order_id} --db {db}")
    print(f"  {wfc_cmd} history {order_id} --db {db}")
    print(f"graph of the run: {page.resolve()}")
    return 0


def _shown(path: Path) -> str:
    """A path as short as it can be written from here."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)
    return relative if not relative.startswith("..") else str(path)


def _quoted(arg: str) -> str:
    return arg if all(c.isalnum() or c in "-_./:=" for c in arg) else "'" + arg.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    sys.exit(main())
