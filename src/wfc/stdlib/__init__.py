"""wfc.stdlib: reusable workflows and steps, written in wfc.

Each module is an ordinary workflow module — read it, graph it (``wfc graph src/wfc/stdlib/saga.py``), copy it.
A helper is a plain function that checks its arguments (a bad one is a ``WfcError`` at the caller's line, codes
``WFC480``-``WFC484``) and returns a command to ``yield from``: a child workflow, because a helper that takes
several steps needs a loop that keeps its place across them, and the compiler delegates ``yield from`` only to
commands. What a helper is given is persisted with that command, so callbacks are steps, passed as themselves
(``poll_until(check_job, ...)``): a step is stored by its key, a plain function could not be stored at all.

Importing ``wfc.stdlib`` registers its workflows, so a runtime in a process that imported it serves them:
import it (or the module using it) in every worker. ``docs/stdlib.md`` describes each helper.
"""

from __future__ import annotations

from wfc.stdlib import http as http
from wfc.stdlib.approval import Decision as Decision
from wfc.stdlib.approval import Notice as Notice
from wfc.stdlib.approval import wait_for_approval as wait_for_approval
from wfc.stdlib.http import HTTPStatusError as HTTPStatusError
from wfc.stdlib.http import HTTPUnavailable as HTTPUnavailable
from wfc.stdlib.http import Response as Response
from wfc.stdlib.mapping import MapWindow as MapWindow
from wfc.stdlib.mapping import map_batches as map_batches
from wfc.stdlib.mapping import map_items as map_items
from wfc.stdlib.mapping import map_window as map_window
from wfc.stdlib.polling import PollTimedOut as PollTimedOut
from wfc.stdlib.polling import poll_until as poll_until
from wfc.stdlib.saga import CompensationFailed as CompensationFailed
from wfc.stdlib.saga import Saga as Saga

__all__ = [
    "CompensationFailed",
    "Decision",
    "HTTPStatusError",
    "HTTPUnavailable",
    "MapWindow",
    "Notice",
    "PollTimedOut",
    "Response",
    "Saga",
    "http",
    "map_batches",
    "map_items",
    "map_window",
    "poll_until",
    "wait_for_approval",
]
