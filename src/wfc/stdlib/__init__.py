"""wfc.stdlib: reusable workflows and steps, written in wfc.

Each module is an ordinary workflow module — read it, graph it (``wfc graph src/wfc/stdlib/saga.py``), copy it.
A helper is a plain function that checks its arguments (a bad one is a ``WfcError`` at the caller's line, codes
``WFC480``-``WFC484``) and returns a command to ``yield from``: a child workflow when it needs several steps (a
loop must keep its place across them), else a plain command. What a helper is given is persisted with that
command, so callbacks are steps, passed as themselves (``poll_until(check_job, ...)``): a step is stored by its
key, a plain function could not be stored at all.

Importing ``wfc.stdlib`` registers its workflows, so a runtime in a process that imported it serves them:
import it (or the module using it) in every worker. ``docs/stdlib.md`` describes each helper.
"""

from __future__ import annotations

from wfc.stdlib.http import HTTPStatusError as HTTPStatusError
from wfc.stdlib.http import HTTPUnavailable as HTTPUnavailable
from wfc.stdlib.http import Response as Response
from wfc.stdlib.saga import CompensationFailed as CompensationFailed
from wfc.stdlib.saga import Saga as Saga

__all__ = [
    "CompensationFailed",
    "HTTPStatusError",
    "HTTPUnavailable",
    "Response",
    "Saga",
]
