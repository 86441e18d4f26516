"""Checking a value against a type hint, for :func:`wfc.convert.check_type` (workflow arguments and return values).

A hint is compiled once into a checker: value -> value (the same object when it already fits, else a structured
copy built from plain data), raising :class:`Mismatch`. The path is collected on the way up, like the encoder's.
Private: import ``check_type`` and ``hint_name`` from ``wfc.convert``.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import datetime as dt
import decimal
import inspect
import reprlib
import types
import typing
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal, TypeVar, Union, get_args, get_origin

import attrs

from wfc import _codecs
from wfc._classes import class_kind
from wfc._converter import converter

_Checker = Callable[[Any], Any]


class Mismatch(Exception):
    """Raised by a checker; ``check_type`` turns it into the public ``TypeMismatch`` with :meth:`describe`."""

    def __init__(self, expected: str, value: object, detail: str | None = None) -> None:
        super().__init__(expected)
        self.expected, self.value, self.detail = expected, value, detail
        self.path: list[str] = []

    def describe(self) -> str:
        """``expected float, got str ('12')``, with `` @ $.items[2].qty`` when the problem is inside the value."""
        path = "".join(reversed(self.path))
        where = f" @ ${path}" if path else ""
        detail = (
            self.detail
            or f"expected {self.expected}, got {_type_label(self.value)} ({reprlib.repr(self.value)})"
        )
        return detail + where


_CHECKERS: dict[Any, _Checker] = {}
_codecs.on_change(_CHECKERS.clear)  # a class given a codec is checked (and structured) through it from now on


def checker(hint: Any) -> _Checker:
    """The checker for ``hint``, compiled on first use and cached."""
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
    try:
        return _compile_hint(hint)
    except Exception:  # a typing construct this version cannot introspect: accepted, never a crash
        return _same


def _compile_hint(hint: Any) -> _Checker:
    if hint is Any or hint is object or hint is inspect.Parameter.empty:  # no annotation: anything goes
        return _same
    if hint is None or hint is type(None):
        return _exact_check(lambda v: v is None, "None")
    if isinstance(hint, TypeVar):
        return checker(hint.__bound__) if hint.__bound__ is not None else _same
    if isinstance(hint, typing.NewType):
        return checker(hint.__supertype__)
    origin, args = get_origin(hint), get_args(hint)
    name = hint_name(hint)
    if origin is Annotated or origin in (typing.ClassVar, typing.Final):
        return checker(args[0])
    if origin is Union or origin is types.UnionType:
        return _union(name, [checker(a) for a in args])
    if origin is Literal:
        allowed = [(type(a), a) for a in args]
        return _exact_check(lambda v: (type(v), v) in allowed, name)
    if origin is list or origin in (abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection):
        return _sequence(origin, name, checker(args[0]) if args else _same)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(tuple, name, checker(args[0]))
        return _fixed_tuple(name, [checker(a) for a in args])
    if origin in (set, frozenset, abc.Set, abc.MutableSet):
        return _set(origin, name, checker(args[0]) if args else _same)
    if origin in (dict, abc.Mapping, abc.MutableMapping):
        key, val = (checker(args[0]), checker(args[1])) if args else (_same, _same)
        return _mapping(origin, name, key, val)
    if origin is type:
        target = args[0] if args and isinstance(args[0], type) else object
        return _exact_check(lambda v: isinstance(v, type) and issubclass(v, target), name)
    if origin is abc.Callable:
        return _exact_check(callable, name)
    if isinstance(origin, type):  # a user generic, e.g. Box[int]: the class is checked, not its parameters
        return _exact_check(lambda v: isinstance(v, origin), name)
    if typing.is_typeddict(hint):
        return _typed_dict(hint)
    if isinstance(hint, type):
        return _class(hint)
    return _same  # forward references as strings and other typing constructs: not checked


def _exact_check(test: Callable[[Any], bool], name: str) -> _Checker:
    def check(value: Any) -> Any:
        try:
            fits = test(value)
        except TypeError:  # isinstance() refused: a Protocol that is not runtime_checkable, say: not checkable
            return value
        if fits:
            return value
        raise Mismatch(name, value)

    return check


def _typed_dict(cls: Any) -> _Checker:
    """A ``TypedDict``: a dict with its required keys, no others, each value checked against its hint."""
    name = cls.__qualname__
    spec: dict[str, _Checker] = {}

    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise Mismatch(name, value)
        if not spec:
            try:
                hints = typing.get_type_hints(cls)
            except Exception:
                hints = dict.fromkeys(getattr(cls, "__annotations__", {}), Any)
            spec.update((k, checker(h)) for k, h in hints.items())
        for k in value:
            if k not in spec:
                raise Mismatch(name, value, f"unexpected key {k!r} for {name}")
        for k in getattr(cls, "__required_keys__", ()):
            if k not in value:
                raise Mismatch(name, value, f"missing key {k!r} for {name}")
        out: dict[str, Any] = {}
        changed = False
        for k, v in value.items():
            try:
                out[k] = spec[k](v)
            except Mismatch as m:
                m.path.append(f".{k}" if isinstance(k, str) and k.isidentifier() else f"[{reprlib.repr(k)}]")
                raise
            changed = changed or out[k] is not v
        return out if changed else value

    return check


def _union(name: str, members: list[_Checker]) -> _Checker:
    def check(value: Any) -> Any:
        converted: Any = _same
        errors: list[Mismatch] = []
        for member in members:
            try:
                out = member(value)
            except Mismatch as m:
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
        raise Mismatch(name, value)

    return check


def _elements(value: Any, item: _Checker, seg: Callable[[int, Any], str]) -> tuple[list[Any], bool]:
    out: list[Any] = []
    changed = False
    for i, x in enumerate(value):
        try:
            y = item(x)
        except Mismatch as m:
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
            raise Mismatch(name, value)
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
            raise Mismatch(name, value)
        out: list[Any] = []
        for i, (x, item) in enumerate(zip(value, items)):
            try:
                out.append(item(x))
            except Mismatch as m:
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
            raise Mismatch(name, value)
        items, changed = _elements(value, item, lambda i, x: f"{{{reprlib.repr(x)}}}")
        return target if target is not None and not changed else make(items)

    return check


def _mapping(origin: Any, name: str, key: _Checker, val: _Checker) -> _Checker:
    accepts = dict if origin is dict else abc.Mapping

    def check(value: Any) -> Any:
        if not isinstance(value, accepts):
            raise Mismatch(name, value)
        if key is _same and val is _same:
            return value
        out: dict[Any, Any] = {}
        changed = False
        for k, v in value.items():
            try:
                k2 = key(k)
                v2 = val(v)
            except Mismatch as m:
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
    if kind == "custom":
        return _custom(cls)
    if kind == "obj":
        return _record(cls)
    if kind == "ntuple":
        return _ntuple(cls)
    if kind == "enum" or cls in _PARSED:

        def parse(value: Any) -> Any:
            if isinstance(value, cls):
                return value
            if isinstance(value, bool | type(None)):
                raise Mismatch(name, value)
            try:
                return converter.structure(value, cls)
            except Exception:
                raise Mismatch(name, value) from None

        return parse
    return _exact_check(lambda v: isinstance(v, cls), name)


def _custom(cls: type) -> _Checker:
    """A class with a codec: an instance fits; other data is given to the codec's decode (a dict for a pydantic
    model is validated into it), whose error, if any, is the mismatch."""
    name = cls.__qualname__

    def check(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        codec = _codecs.codec_of(cls)
        assert codec is not None
        try:
            return codec.decode(cls, value)
        except Exception as exc:
            raise Mismatch(name, value, f"cannot build {name} from {_type_label(value)}: {exc}") from None

    return check


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
                out[a.name] = _Field(a.name, a.alias or a.name, checker(hints.get(a.name, Any)), required)
    else:
        for f in dataclasses.fields(cls):
            if f.init:
                required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                out[f.name] = _Field(f.name, f.name, checker(hints.get(f.name, Any)), required)
    return out


def _record(cls: type) -> _Checker:
    name = cls.__qualname__
    spec: dict[str, _Field] = {}

    def check(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise Mismatch(name, value)
        if not spec:
            spec.update(_fields(cls))
        for k in value:
            if k not in spec:
                raise Mismatch(name, value, f"unexpected field {k!r} for {name}")
        kwargs: dict[str, Any] = {}
        for field in spec.values():
            if field.name in value:
                try:
                    kwargs[field.param] = field.check(value[field.name])
                except Mismatch as m:
                    m.path.append(f".{field.name}")
                    raise
            elif field.required:
                raise Mismatch(name, value, f"missing field {field.name!r} for {name}")
        try:
            return cls(**kwargs)
        except Exception as exc:
            raise Mismatch(name, value, f"cannot build {name}: {exc}") from None

    return check


def _ntuple(cls: type) -> _Checker:
    name = cls.__qualname__

    def check(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        fields: tuple[str, ...] = getattr(cls, "_fields", ())
        if not isinstance(value, list | tuple) or len(value) != len(fields):
            raise Mismatch(name, value)
        hints = typing.get_type_hints(cls) if getattr(cls, "__annotations__", None) else {}
        out = []
        for i, (f, x) in enumerate(zip(fields, value)):
            try:
                out.append(checker(hints.get(f, Any))(x))
            except Mismatch as m:
                m.path.append(f"[{i}]")
                raise
        return cls(*out)

    return check
