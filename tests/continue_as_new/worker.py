"""A worker process for the SIGKILL test: ``python -m tests.continue_as_new.worker URL``. Prints ``ready`` once
it serves, then runs until killed."""

from __future__ import annotations

import sys

import wfc
from tests.continue_as_new import flows  # noqa: F401 - registers the workflows and steps


def main(url: str) -> None:
    with wfc.Runtime(url, lease=1.0, poll_interval=0.02) as rt:
        w = rt.worker(concurrency=4)
        print("ready", flush=True)
        w.run()


if __name__ == "__main__":
    main(*sys.argv[1:])
