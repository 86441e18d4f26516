"""Reading a live instance's variables straight from its cursor, without running any of its code.

A suspended instance's cursor is its state id plus the live variables the transition that suspended it
persisted (the snapshot on its current history rows). Decoding that snapshot gives exactly what the workflow will
continue with — what ``rt.query(id)`` and ``wfc status --vars`` show. Names the compiler made for itself (loop
cursors, the exception a handler runs under) are left out: they are not the user's variables. A value whose class
this process cannot import (a reader without the application's code) is shown as
``{"undecoded": <its stored JSON form>, "why": <the error>}``, as ``wfc status`` shows such a result, instead of
failing the whole read.
"""

from __future__ import annotations

import json
from typing import Any

from wfc import convert
from wfc.runtime.store.protocol import LeafRow

_COMPILER_PREFIX = "_wfc_"


def snapshot_of(rows: list[LeafRow]) -> str | None:
    """The persisted live variables of a suspension: every row of it carries the same snapshot (or none)."""
    for row in rows:
        if row.snapshot is not None:
            return row.snapshot
    return None


def live_variables(snapshot: str | None) -> dict[str, Any]:
    """The user's variables in ``snapshot`` (in the order the cursor keeps them), decoded."""
    if not snapshot:
        return {}
    try:
        decoded = convert.loads_vars(snapshot)
    except Exception:
        decoded = _readable(snapshot)
    return {name: value for name, value in decoded.items() if not name.startswith(_COMPILER_PREFIX)}


def _readable(snapshot: str) -> dict[str, Any]:
    """Each variable decoded on its own where it can be; the others as their stored JSON data, marked so."""
    data = json.loads(snapshot)
    out: dict[str, Any] = {}
    for name, encoded in data.items():
        try:
            out[name] = convert.decode_vars({name: encoded})[name]
        except Exception as exc:
            why = f"{exc.args[0] if exc.args else exc}; import the application (--app MODULE) to decode it"
            out[name] = {"undecoded": encoded, "why": why}
    return out
