"""The one codec for persisted values: workflow variables, step arguments and results, events.

Two faces, one module:

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
    {"$enum": "pkg.mod.Color", "$name": "RED"}     ("$value": v instead of "$name" for composite flags)
    {"$obj": "pkg.mod.Order", "$fields": {"id": 1, ...}}     attrs classes and dataclasses
    {"$ntuple": "pkg.mod.Point", "$items": [1, 2]}
    {"$exc": "ValueError" | "pkg.mod.MyError", "$args": [...], "$attrs": {...}}
    {"$failed": "ValueError", "$args": [...], "$attrs": {"type_name": ..., "step": ..., ...}}
    {"$step": "pkg.mod:charge"}  {"$workflow": "pkg.mod:order_flow"}          by registry key, never by code
    {"$id": 3, ...} / {"$ref": 3}

Classes are named ``module.qualname`` (builtins bare). **Aliasing**: a mutable object (list, dict, set,
bytearray, attrs/dataclass instance, exception) reachable more than once gets ``"$id": n`` where first emitted and
is ``{"$ref": n}`` afterwards, so decoding shares one object again; this also makes cycles work. Immutable
containers (tuple, frozenset, NamedTuple) are copied per occurrence. :func:`encode_vars` numbers across all the
variables, so two variables pointing at one list still do after a round trip. Store the JSON as text or ``json``;
``jsonb`` reorders keys, which loses dict order (refs are still resolved).

**Rebuilding objects**: attrs/dataclass instances are built with their generated ``__init__`` (validators and
post-init hooks run), then non-init fields are set directly; a class with attrs converters, ``InitVar``\\ s or a
hand-written ``__init__`` is rebuilt field by field instead. Exceptions never run a user ``__init__``; their
``__cause__``/``__context__``/traceback are not kept, nor attributes that cannot be persisted. Step failures
(:func:`wfc.errors.step_failure`) come back as the same combined class; if the original exception type is not
known, as a plain :class:`~wfc.errors.StepFailed` with the same fields.

**Security**: decoding never imports a module. A class named in data is looked up among classes given to
:func:`register_type`, error types given to ``wfc.register_error`` and modules already in ``sys.modules``, and
must be an attrs class, dataclass, Enum, NamedTuple or exception class; anything else raises :class:`UnknownType`
(``WFC404``). Values that cannot be persisted raise :class:`wfc.errors.NotSerializable` (``WFC401``) naming the
path (``$.orders[2].customer``, ``variable 'f'``).
"""

from __future__ import annotations

import base64
import collections.abc as abc
import dataclasses
import datetime as dt
import decimal
import enum
import inspect
import json
import reprlib
import types
import typing
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal, TypeVar, Union, get_args, get_origin

import attrs
import cattrs

from wfc._values import (
    UnknownType,
    _Unsupported,
    class_kind,
    datetime_from_str,
    datetime_to_str,
    decode,
    decode_vars,
    encode,
    encode_vars,
    register_type,
    type_name,
)
from wfc.errors import NotSerializable, WorkflowRuntimeError

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
    "type_name",
]


class TypeMismatch(WorkflowRuntimeError):
    """A value does not match its type hint (a workflow argument or return value): ``WFC405``."""

    code = "WFC405"


# ---- the cattrs converter -------------------------------------------------------------------------------------------

converter: Final = cattrs.Converter()
"""The one cattrs converter for persisted typed values. Register hooks on it; do not make another."""

_C = TypeVar("_C")


def _scalar(
    cls: type[_C], unstructure: Callable[[Any], Any], parse: Callable[[Any], _C], accepts: tuple[type, ...]
) -> None:
    """Hooks for a scalar type: ``structure`` passes instances through and parses values of ``accepts``."""

    def structure(value: Any, _: Any) -> _C:
        if isinstance(value, cls):
            return value
        if isinstance(value, accepts) and not isinstance(value, bool):
            return parse(value)
        names = " or ".join(t.__name__ for t in accepts)
        raise TypeError(f"expected {cls.__name__} (as {names}), got {type(value).__name__}")

    converter.register_unstructure_hook(cls, unstructure)
    converter.register_structure_hook(cls, structure)


def _when_to_str(value: dt.datetime | dt.time) -> str:
    try:
        return datetime_to_str(value)
    except _Unsupported as exc:
        raise NotSerializable(f"cannot persist {value!r}: {exc.reason}", hint=exc.hint) from None


def _timedelta(value: Any) -> dt.timedelta:
    if isinstance(value, int | float):
        return dt.timedelta(seconds=value)
    return dt.timedelta(*value)


_scalar(dt.datetime, _when_to_str, datetime_from_str, (str,))
_scalar(dt.time, _when_to_str, lambda s: datetime_from_str(s, dt.time), (str,))
_scalar(dt.date, dt.date.isoformat, dt.date.fromisoformat, (str,))
_scalar(dt.timedelta, lambda v: [v.days, v.seconds, v.microseconds], _timedelta, (int, float, list, tuple))
_scalar(decimal.Decimal, str, lambda v: decimal.Decimal(v), (str, int))
_scalar(uuid.UUID, str, uuid.UUID, (str,))
_scalar(
    bytes, lambda b: base64.b64encode(b).decode("ascii"), lambda s: base64.b64decode(s, validate=True), (str,)
)


def _is_enum(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, enum.Enum)


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        if isinstance(value, list):  # a tuple value came back from JSON as a list
            return cls(tuple(value))
        raise


converter.register_unstructure_hook_func(_is_enum, lambda member: converter.unstructure(member.value))
converter.register_structure_hook_func(_is_enum, _structure_enum)


# ---- JSON text ----------------------------------------------------------------------------------------------------

# check_circular is off: encode() output is always a tree (sharing is expressed with $ref).
_JSON: Final = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False
)


def dumps(value: Any) -> str:
    """Compact JSON text of :func:`encode` (value)."""
    return _JSON.encode(encode(value))


def loads(text: str | bytes) -> Any:
    """Inverse of :func:`dumps`."""
    return decode(json.loads(text))


def dumps_vars(variables: dict[str, Any]) -> str:
    """Compact JSON text of :func:`encode_vars` (variables)."""
    return _JSON.encode(encode_vars(variables))


def loads_vars(text: str | bytes) -> dict[str, Any]:
    """Inverse of :func:`dumps_vars`."""
    return decode_vars(json.loads(text))


# ---- check_type -----------------------------------------------------------------------------------------------------
# A hint is compiled once into a checker: value -> value (the same object when it already fits, else a structured
# copy), raising _Mismatch. The path is collected on the way up, like the encoder's.

_Checker = Callable[[Any], Any]


class _Mismatch(Exception):
    def __init__(self, expected: str, value: object, detail: str | None = None) -> None:
        super().__init__(expected)
        self.expected, self.value, self.detail = expected, value, detail
        self.path: list[str] = []


def check_type(value: Any, hint: Any, *, what: str) -> Any:
    """``value`` checked against the type ``hint``, structured where it is plain data for a richer type (a dict for
    an attrs class or dataclass, an ISO string for a datetime, an enum's value, a list for a tuple or set). A value
    that already fits is returned as is (same object); an ``int`` fits ``float``. Raises :class:`TypeMismatch`
    (``WFC405``): ``argument 'amount': expected float, got str ('12')``, with ``@ $.items[2].qty`` when the problem
    is inside the value."""
    try:
        return _checker(hint)(value)
    except _Mismatch as m:
        path = "".join(reversed(m.path))
        where = f" @ ${path}" if path else ""
        detail = m.detail or f"expected {m.expected}, got {_type_label(m.value)} ({reprlib.repr(m.value)})"
        raise TypeMismatch(f"{what}: {detail}{where}") from None


_CHECKERS: dict[Any, _Checker] = {}


def _checker(hint: Any) -> _Checker:
    try:
        found = _CHECKERS.get(hint)
    except TypeError:  # an unhashable hint, e.g. Annotated with a list in it
        return _compile(hint)
    if found is None:
        found = _CHECKERS[hint] = _compile(hint)
    return found


def _type_label(value: object) -> str:
    t = type(value)
    return "None" if value is None else t.__qualname__


def hint_name(hint: Any) -> str:
    """``list[Order]``, ``int | None``: a hint as people write it, without module prefixes."""
    if hint is None or hint is type(None):
        return "None"
    if hint is Ellipsis:
        return "..."
    origin, args = get_origin(hint), get_args(hint)
    if origin is Union or origin is types.UnionType:
        return " | ".join(hint_name(a) for a in args)
    if origin is Literal:
        return f"Literal[{', '.join(map(repr, args))}]"
    if origin is Annotated:
        return hint_name(args[0])
    if origin is not None:
        inner = ", ".join(hint_name(a) for a in args)
        return f"{hint_name(origin)}[{inner}]" if args else hint_name(origin)
    if isinstance(hint, type):
        return hint.__qualname__
    return repr(hint).replace("typing.", "")


def _same(value: Any) -> Any:
    return value


def _compile(hint: Any) -> _Checker:
    if hint is Any or hint is object or hint is inspect.Parameter.empty:  # no annotation: anything goes
        return _same
    if hint is None or hint is type(None):
        return _exact_check(lambda v: v is None, "None")
    if isinstance(hint, TypeVar):
        return _checker(hint.__bound__) if hint.__bound__ is not None else _same
    if isinstance(hint, typing.NewType):
        return _checker(hint.__supertype__)
    origin, args = get_origin(hint), get_args(hint)
    name = hint_name(hint)
    if origin is Annotated or origin in (typing.ClassVar, typing.Final):
        return _checker(args[0])
    if origin is Union or origin is types.UnionType:
        return _union(name, [_checker(a) for a in args])
    if origin is Literal:
        allowed = [(type(a), a) for a in args]
        return _exact_check(lambda v: (type(v), v) in allowed, name)
    if origin is list or origin in (abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection):
        return _sequence(origin, name, _checker(args[0]) if args else _same)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(tuple, name, _checker(args[0]))
        return _fixed_tuple(name, [_checker(a) for a in args])
    if origin in (set, frozenset, abc.Set, abc.MutableSet):
        return _set(origin, name, _checker(args[0]) if args else _same)
    if origin in (dict, abc.Mapping, abc.MutableMapping):
        key, val = (_checker(args[0]), _checker(args[1])) if args else (_same, _same)
        return _mapping(origin, name, key, val)
    if origin is type:
        target = args[0] if args and isinstance(args[0], type) else object
        return _exact_check(lambda v: isinstance(v, type) and issubclass(v, target), name)
    if origin is abc.Callable:
        return _exact_check(callable, name)
    if isinstance(origin, type):  # a user generic, e.g. Box[int]: the class is checked, not its parameters
        return _exact_check(lambda v: isinstance(v, origin), name)
    if isinstance(hint, type):
        return _class(hint)
    return _same  # forward references as strings and other typing constructs: not checked


def _exact_check(test: Callable[[Any], bool], name: str) -> _Checker:
    def check(value: Any) -> Any:
        if test(value):
            return value
        raise _Mismatch(name, value)

    return check


def _union(name: str, members: list[_Checker]) -> _Checker:
    def check(value: Any) -> Any:
        converted: Any = _same
        errors: list[_Mismatch] = []
        for member in members:
            try:
                out = member(value)
            except _Mismatch as m:
                errors.append(m)
                continue
            if out is value:  # a member the value already is wins over one it could be converted to
                return value
            if converted is _same:
                converted = out
        if converted is not _same:
            return converted
        deepest = max(errors, key=lambda m: (len(m.path), m.detail is not None))
        if deepest.path or deepest.detail:  # the value has the shape of one member but is wrong inside it
            raise deepest
        raise _Mismatch(name, value)

    return check


def _elements(value: Any, item: _Checker, seg: Callable[[int, Any], str]) -> tuple[list[Any], bool]:
    out: list[Any] = []
    changed = False
    for i, x in enumerate(value):
        try:
            y = item(x)
        except _Mismatch as m:
            m.path.append(seg(i, x))
            raise
        changed = changed or y is not x
        out.append(y)
    return out, changed


def _sequence(origin: Any, name: str, item: _Checker) -> _Checker:
    # list[X] takes a list; tuple[X, ...] a tuple or a list (JSON has no tuples); abstract types any instance.
    accepts: tuple[type, ...] = (tuple, list) if origin is tuple else (origin,)

    def check(value: Any) -> Any:
        if not isinstance(value, accepts):
            raise _Mismatch(name, value)
        if origin is tuple and type(value) is not tuple:
            items, _ = _elements(value, item, lambda i, _: f"[{i}]")
            return tuple(items)
        if item is _same or not isinstance(value, list | tuple):  # never consume an iterator to check it
            return value
        items, changed = _elements(value, item, lambda i, _: f"[{i}]")
        if not changed:
            return value
        return tuple(items) if isinstance(value, tuple) else items

    return check


def _fixed_tuple(name: str, items: list[_Checker]) -> _Checker:
    def check(value: Any) -> Any:
        if not isinstance(value, tuple | list) or len(value) != len(items):
            raise _Mismatch(name, value)
        out: list[Any] = []
        for i, (x, item) in enumerate(zip(value, items)):
            try:
                out.append(item(x))
            except _Mismatch as m:
                m.path.append(f"[{i}]")
                raise
        if type(value) is tuple and all(a is b for a, b in zip(out, value)):
            return value
        return tuple(out)

    return check


def _set(origin: Any, name: str, item: _Checker) -> _Checker:
    make = frozenset if origin is frozenset else set

    def check(value: Any) -> Any:
        if isinstance(value, origin if isinstance(origin, type) else abc.Set):
            target = value
        elif isinstance(value, list | tuple | set | frozenset):
            target = None  # plain data for a set: built below
        else:
            raise _Mismatch(name, value)
        items, changed = _elements(value, item, lambda i, x: f"{{{reprlib.repr(x)}}}")
        return target if target is not None and not changed else make(items)

    return check


def _mapping(origin: Any, name: str, key: _Checker, val: _Checker) -> _Checker:
    accepts = dict if origin is dict else abc.Mapping

    def check(value: Any) -> Any:
        if not isinstance(value, accepts):
            raise _Mismatch(name, value)
        if key is _same and val is _same:
            return value
        out: dict[Any, Any] = {}
        changed = False
        for k, v in value.items():
            try:
                k2 = key(k)
                v2 = val(v)
            except _Mismatch as m:
                m.path.append(f".{k}" if isinstance(k, str) and k.isidentifier() else f"[{reprlib.repr(k)}]")
                raise
            changed = changed or k2 is not k or v2 is not v
            out[k2] = v2
        return out if changed else value

    return check


_NUMBERS: Final = {float: (int, float), complex: (int, float, complex)}
# Plain data that the converter's hooks parse into these types (JSON has no dates, UUIDs, decimals).
_PARSED: Final = {dt.datetime, dt.date, dt.time, dt.timedelta, decimal.Decimal, uuid.UUID}


def _class(cls: type) -> _Checker:
    name = cls.__qualname__
    if cls in _NUMBERS:
        return _exact_check(lambda v: isinstance(v, _NUMBERS[cls]), name)
    kind = class_kind(cls)
    if kind == "obj":
        return _record(cls)
    if kind == "ntuple":
        return _ntuple(cls)
    if kind == "enum" or cls in _PARSED:

        def parse(value: Any) -> Any:
            if isinstance(value, cls):
                return value
            if isinstance(value, bool | type(None)):
                raise _Mismatch(name, value)
            try:
                return converter.structure(value, cls)
            except Exception:
                raise _Mismatch(name, value) from None

        return parse
    return _exact_check(lambda v: isinstance(v, cls), name)


@attrs.frozen
class _Field:
    name: str
    param: str
    check: _Checker
    required: bool


def _fields(cls: type) -> dict[str, _Field]:
    """The init fields of an attrs class or dataclass with their checkers (made lazily: classes may recurse)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation naming something not importable here: that field is not checked
        hints = {}
    out: dict[str, _Field] = {}
    if attrs.has(cls):
        for a in attrs.fields(cls):
            if a.init:
                required = a.default is attrs.NOTHING
                out[a.name] = _Field(a.name, a.alias or a.name, _checker(hints.get(a.name, Any)), required)
    else:
        for f in dataclasses.fields(cls):
            if f.init:
                required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                out[f.name] = _Field(f.name, f.name, _checker(hints.get(f.name, Any)), required)
    return out


def _record(cls: type) -> _Checker:
    name = cls.__qualname__
    spec: dict[str, _Field] = {}

    def check(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise _Mismatch(name, value)
        if not spec:
            spec.update(_fields(cls))
        for k in value:
            if k not in spec:
                raise _Mismatch(name, value, f"unexpected field {k!r} for {name}")
        kwargs: dict[str, Any] = {}
        for field in spec.values():
            if field.name in value:
                try:
                    kwargs[field.param] = field.check(value[field.name])
                except _Mismatch as m:
                    m.path.append(f".{field.name}")
                    raise
            elif field.required:
                raise _Mismatch(name, value, f"missing field {field.name!r} for {name}")
        try:
            return cls(**kwargs)
        except Exception as exc:
            raise _Mismatch(name, value, f"cannot build {name}: {exc}") from None

    return check


def _ntuple(cls: type) -> _Checker:
    name = cls.__qualname__

    def check(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        fields: tuple[str, ...] = getattr(cls, "_fields", ())
        if not isinstance(value, list | tuple) or len(value) != len(fields):
            raise _Mismatch(name, value)
        hints = typing.get_type_hints(cls) if getattr(cls, "__annotations__", None) else {}
        out = []
        for i, (f, x) in enumerate(zip(fields, value)):
            try:
                out.append(_checker(hints.get(f, Any))(x))
            except _Mismatch as m:
                m.path.append(f"[{i}]")
                raise
        return cls(*out)

    return check
