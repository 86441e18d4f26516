"""The contract between the encoder (``_encode.py``) and decoder (``_decode.py``) of the value codec behind
:mod:`wfc.convert`, and the errors both raise. Private: import from ``wfc.convert``.

The tag format is documented in ``wfc.convert``'s docstring. Invariants the encoder and decoder rely on:

* A JSON object is *tagged* iff its first key starts with ``$``; every key of a tagged object starts with ``$``
  (so key reordering by a store cannot turn one into the other), and a plain dict is only ever emitted as a JSON
  object when none of its keys starts with ``$``.
* Only mutable objects (list, dict, set, bytearray, Counter/OrderedDict/defaultdict/deque, attrs/dataclass
  instances, exceptions) carry identity: they get
  ``$id`` when reachable more than once, and the decoder registers them *before* decoding their children, which
  is what makes cycles work. Immutable containers (tuple, frozenset, NamedTuple) are copied per occurrence.

``UnknownType`` stays in this module because persisted data names an exception by its module and class
(``wfc._values.UnknownType``): moving it would change what is written and stop old data from being read.
"""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import fractions
import reprlib
import uuid
import zoneinfo
from typing import Final

from wfc.errors import InternalError, WorkflowRuntimeError

MISSING: Final = object()
# JSON scalars: the decoder returns them as-is, and the first encoding pass need not visit them.
JSON_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
# Classes whose *objects* data may name (``$class``; referred to, never built, by decoding): the rebuildable kinds,
# and the classes of these standard modules.
CLASS_MODULES: Final = frozenset({"builtins", "collections", "datetime", "decimal", "fractions", "uuid", "zoneinfo"})
# The types the codec persists by itself (exactly these classes; a subclass is not one of them): they cannot be
# given a codec of their own.
NATIVE_TYPES: Final = frozenset({
    type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset, range, type,
    collections.Counter, collections.OrderedDict, collections.defaultdict, collections.deque,
    dt.datetime, dt.date, dt.time, dt.timedelta, dt.timezone, zoneinfo.ZoneInfo,
    decimal.Decimal, uuid.UUID, fractions.Fraction,
})  # fmt: skip


class UnknownType(WorkflowRuntimeError):
    """Persisted data names a type (class, step, workflow, time zone) this process cannot or may not rebuild."""

    code = "WFC404"


class Unsupported(Exception):
    """Raised inside the encoder. The path is collected on the way *up* (each container appends its segment), so
    the normal path pays nothing for it."""

    def __init__(self, value: object, reason: str | None = None, hint: str | None = None) -> None:
        super().__init__(reason)
        self.value, self.reason, self.hint = value, reason, hint
        self.path: list[str] = []


def malformed(node: object) -> InternalError:
    """The error for data that this codec cannot have written (corrupted, or edited by hand)."""
    return InternalError(f"malformed persisted value: {reprlib.repr(node)}")
