"""The one codec for persisted values: workflow variables, step arguments and results, events.

Two faces, one public module (the implementation is in private modules, listed at the end):

* :data:`converter`, the project's single ``cattrs.Converter``, for *typed* data (``structure(data, Cls)``). It has
  hooks for ``datetime``/``date``/``time`` (ISO 8601, a ``ZoneInfo`` key in brackets:
  ``2024-03-01T10:00:00+01:00[Europe/Paris]``), ``timedelta`` (``[days, seconds, microseconds]``; a number of
  seconds is accepted too), ``Decimal``/``UUID`` (strings), ``bytes`` (base64) and enums (their value). Other
  modules register their own hooks on it.
* :func:`encode`/:func:`decode` (and ``*_vars``, :func:`dumps`, :func:`loads`): a *dynamic* encoding that needs no
  type hints and gives back a value that behaves exactly like the original, types, aliasing and cycles included.

Dynamic format
--------------
Plain JSON is itself: ``None``, ``bool``, ``int``, ``str``, finite ``float`` (not ``-0.0``), ``list``, and ``dict``
whose keys are all ``str`` not starting with ``$`` (key order kept). Everything else is a *tagged object*: a JSON
object whose keys all start with ``$``, the tag naming its kind::

    {"$tuple": [...]}  {"$set": [...]}  {"$frozenset": [...]}  {"$list": [...]} (only with $id)
    {"$dict": [[key, value], ...]}      other keys, or {"$dict": {...}} for a shared str-keyed dict
    {"$float": "nan" | "-nan" | "inf" | "-inf" | "-0.0"}         {"$int": "0x..."} (over 2000 bits)
    {"$bytes": "<base64>"}  {"$bytearray": "<base64>"}           {"$decimal": "1.50"}  {"$uuid": "..."}
    {"$datetime": "<ISO 8601>[Zone/Key]", "$tzname": "EST", "$fold": 1}   (optional keys only when needed)
    {"$time": ...same as $datetime...}  {"$date": "2024-03-01"}  {"$timedelta": [days, seconds, microseconds]}
    {"$timezone": [days, seconds, microseconds], "$tzname": ...}  {"$zoneinfo": "Europe/Paris"}
    {"$fraction": "3/4"}  {"$complex": [re, im]}  {"$range": [start, stop, step]}
    {"$counter": {...} | [[key, value], ...]}  {"$odict": ...same...}  {"$deque": [...], "$maxlen": 3}
    {"$defaultdict": ...same..., "$factory": {"$class": "list"} | null}
    {"$class": "KeyError" | "pkg.mod.Order"}   a class: a rebuildable kind, or a builtins/collections/... type
    {"$enum": "pkg.mod.Color", "$name": "RED"}     ("$value": v instead of "$name" for composite flags)
    {"$obj": "pkg.mod.Order", "$fields": {"id": 1, ...}}     attrs classes and dataclasses
    {"$ntuple": "pkg.mod.Point", "$items": [1, 2]}
    {"$type": "pkg.mod.Money", "$data": ...}     a class with a codec (wfc.register_type; pydantic, msgspec)
    {"$datetime": "2024-03-01T10:00:00", "$tzinfo": {"$type": ...}}     a time zone class with a codec
    {"$exc": "ValueError" | "pkg.mod.MyError", "$args": [...], "$attrs": {...}}
    {"$failed": "ValueError", "$args": [...], "$attrs": {"type_name": ..., "step": ..., ...}}
    {"$step": "pkg.mod:charge"}  {"$workflow": "pkg.mod:order_flow"}          by registry key, never by code
    {"$id": 3, ...} / {"$ref": 3}

Classes are named ``module.qualname`` (builtins bare). **Aliasing**: a mutable object (list, dict, set,
bytearray, Counter, OrderedDict, defaultdict, deque, attrs/dataclass instance, exception) reachable more than once gets ``"$id": n`` where first emitted and
is ``{"$ref": n}`` afterwards, so decoding shares one object again; this also makes cycles work. Immutable
containers (tuple, frozenset, NamedTuple) are copied per occurrence. :func:`encode_vars` numbers across all the
variables, so two variables pointing at one list still do after a round trip. Store the JSON as text or ``json``;
``jsonb`` reorders keys, which loses dict order (refs are still resolved).

**Rebuilding objects**: attrs/dataclass instances are built with their generated ``__init__`` (validators and
post-init hooks run), then non-init fields are set directly; a class with attrs converters, ``InitVar``\\ s or a
hand-written ``__init__`` is rebuilt field by field instead. Exceptions never run a user ``__init__``; they keep
their ``args`` and their state (instance attributes such as fields set in ``__init__``, ``__notes__``, the slots of
builtin exceptions such as ``OSError.filename``); an attribute that cannot be persisted is kept as its ``repr`` text
and a note on the exception says so. Their ``__cause__``/``__context__``/traceback are not kept. Step failures
(:func:`wfc.errors.step_failure`) come back as the same combined class; if the original exception type is not
known, as a plain :class:`~wfc.errors.StepFailed` with the same fields.

**Codecs** (``_codecs``): a class given ``encode``/``decode`` by :func:`register_type` (or covered by a family
codec, ``subclasses=True``: pydantic models and ``msgspec.Struct`` classes, registered once their library is imported)
is ``$type`` with what ``encode`` gave, itself encoded; decoding gives the decoded data to ``decode``. Its values
carry identity (``$id``), but the data cannot contain the value itself. ``docs/values.md`` documents it.

**Security**: decoding never imports a module. A class named in data is looked up among classes given to
:func:`register_type`, error types given to ``wfc.register_error`` and modules already in ``sys.modules``, and
must be an attrs class, dataclass, Enum, NamedTuple, exception class or a class with a codec to be rebuilt (a ``$class`` reference may
also name a class of ``builtins``, ``collections``, ``datetime``... — never a function, so a ``defaultdict``'s
factory is always a class); anything else raises :class:`UnknownType` (``WFC404``). Values that cannot be persisted raise :class:`wfc.errors.NotSerializable` (``WFC401``) naming the
path (``$.orders[2].customer``, ``variable 'f'``).

Implementation: ``_encode`` and ``_decode`` (the dynamic codec; the invariants between them in ``_values``),
``_classes`` (naming, registering and finding classes), ``_codecs`` (users' codecs; ``_pydantic``, ``_msgspec``), ``_datetimes`` (the text form of datetimes),
``_converter`` (the cattrs converter and its hooks) and ``_typecheck`` (checking values against type hints).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from wfc import _typecheck
from wfc._classes import class_kind as class_kind
from wfc._classes import register_type, type_name
from wfc._converter import converter
from wfc._datetimes import datetime_from_str as datetime_from_str
from wfc._datetimes import datetime_to_str as datetime_to_str
from wfc._decode import decode, decode_vars
from wfc._encode import encode, encode_vars
from wfc._typecheck import hint_name as hint_name
from wfc._values import UnknownType
from wfc.errors import NotSerializable, WfcError, WorkflowRuntimeError

__all__ = [
    "TypeMismatch",
    "UnknownType",
    "check_type",
    "converter",
    "decode",
    "decode_vars",
    "dumps",
    "dumps_vars",
    "encode",
    "encode_vars",
    "loads",
    "loads_vars",
    "register_type",
    "roundtrip_vars",
    "storable",
    "type_name",
]


class TypeMismatch(WorkflowRuntimeError):
    """A value does not match its type hint (a workflow argument or return value): ``WFC405``."""

    code = "WFC405"


# ---- JSON text ----------------------------------------------------------------------------------------------------

# check_circular is off: encode() output is always a tree (sharing is expressed with $ref).
_JSON: Final = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False
)


def dumps(value: Any) -> str:
    """Compact JSON text of :func:`encode` (value)."""
    return storable(_JSON.encode(encode(value)), lambda: "the value")


_ASCII_JSON: Final = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), check_circular=False
)


def dumps_failure(error: BaseException) -> str:
    """JSON text of a failure that is always storable. A failure must never fail to be recorded: where its text
    holds a lone surrogate (the error may be *about* such a string, or chain one through ``__context__``), the
    surrogate is written as a JSON ``\\u`` escape, which is ASCII and which :func:`loads` reads back to the same
    string: lossless, unlike values, which are refused so that what a database shows equals what code reads."""
    encoded = encode(error)
    text = _JSON.encode(encoded)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _ASCII_JSON.encode(encoded)
    return text


def loads(text: str | bytes) -> Any:
    """Inverse of :func:`dumps`."""
    return decode(json.loads(text))


def dumps_vars(variables: dict[str, Any]) -> str:
    """Compact JSON text of :func:`encode_vars` (variables)."""
    return storable(_JSON.encode(encode_vars(variables)), lambda: _surrogate_holder(variables))


def storable(text: str, where: Callable[[], str]) -> str:
    """``text`` if a database can store it: valid UTF-8, so no lone surrogate (``'\\udc80'``, which Python strings
    may hold, e.g. from ``os.fsdecode`` of undecodable bytes). Else :class:`NotSerializable` naming ``where()``."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise NotSerializable(
                f"cannot persist {where()}: a string in it holds a lone surrogate "
                f"({exc.object[exc.start : exc.end]!r}), which is not valid UTF-8 text",
                hint="decode the bytes it came from with errors='replace', or keep them as bytes",
            ) from None
    return text


def _surrogate_holder(variables: dict[str, Any]) -> str:
    for name, value in variables.items():
        try:
            storable(_JSON.encode(encode(value)), str)
        except NotSerializable:
            return f"variable {name!r}"
    return "the variables"


def roundtrip_vars(variables: dict[str, Any], text: str) -> dict[str, Any]:
    """The variables a workflow continues with after suspending: exactly what decoding their stored ``text`` gives
    (a dataclass's ``__post_init__`` runs again, sharing is what was stored), whether or not the process restarts.
    A value that cannot be rebuilt raises :class:`NotSerializable`, as one that cannot be stored does."""
    try:
        return loads_vars(text)
    except WfcError:
        raise
    except Exception as exc:
        raise NotSerializable(
            f"cannot persist the live variables: they cannot be rebuilt from what was stored "
            f"({type(exc).__name__}: {exc})",
            hint="a dataclass or attrs class must be rebuildable from its fields (its __init__/__post_init__ "
            "run again on decoding)",
        ) from None


def loads_vars(text: str | bytes) -> dict[str, Any]:
    """Inverse of :func:`dumps_vars`."""
    return decode_vars(json.loads(text))


# ---- type hints ---------------------------------------------------------------------------------------------------


def check_type(value: Any, hint: Any, *, what: str) -> Any:
    """``value`` checked against the type ``hint``, structured where it is plain data for a richer type (a dict for
    an attrs class or dataclass, an ISO string for a datetime, an enum's value, a list for a tuple or set). A value
    that already fits is returned as is (same object); an ``int`` fits ``float``. Raises :class:`TypeMismatch`
    (``WFC405``): ``argument 'amount': expected float, got str ('12')``, with ``@ $.items[2].qty`` when the problem
    is inside the value."""
    try:
        return _typecheck.checker(hint)(value)
    except _typecheck.Mismatch as m:
        raise TypeMismatch(f"{what}: {m.describe()}") from None
