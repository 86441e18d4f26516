"""The dynamic, type-tagged value codec behind :mod:`wfc.convert`. Private: import from ``wfc.convert``.

The tag format is documented in ``wfc.convert``'s docstring. Invariants the encoder and decoder rely on:

* A JSON object is *tagged* iff its first key starts with ``$``; every key of a tagged object starts with ``$``
  (so key reordering by a store cannot turn one into the other), and a plain dict is only ever emitted as a JSON
  object when none of its keys starts with ``$``.
* Only mutable objects (list, dict, set, bytearray, attrs/dataclass instances, exceptions) carry identity: they get
  ``$id`` when reachable more than once, and the decoder registers them *before* decoding their children, which
  is what makes cycles work. Immutable containers (tuple, frozenset, NamedTuple) are copied per occurrence.
"""

from __future__ import annotations

import base64
import builtins
import dataclasses
import datetime as dt
import decimal
import enum
import fractions
import math
import reprlib
import sys
import types
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs

from wfc.commands import ERRORS, STEPS, WORKFLOWS, StepDef, WorkflowDef, error_type_name
from wfc.errors import (
    InternalError,
    NotSerializable,
    StepFailed,
    WfcError,
    WorkflowRuntimeError,
    step_failure,
    step_failure_class,
)

_T = TypeVar("_T", bound=type)
_MISSING: Final = object()
_NoneType = type(None)
# Values of these types are emitted as themselves without a call: the fast path for plain JSON.
_FAST: Final = frozenset({str, bool, _NoneType})
# JSON scalars: the decoder returns them as-is, and the first encoding pass need not visit them.
_JSON_SCALARS: Final = frozenset({str, int, float, bool, _NoneType})
# Ints beyond this go as hex: json cannot print ints above sys.get_int_max_str_digits() (min 640) digits.
_BIG_INT: Final = 1 << 2000
_INF: Final = math.inf


class UnknownType(WorkflowRuntimeError):
    """Persisted data names a type (class, step, workflow, time zone) this process cannot or may not rebuild."""

    code = "WFC404"


class _Unsupported(Exception):
    """Raised inside the encoder. The path is collected on the way *up* (each container appends its segment), so
    the normal path pays nothing for it."""

    def __init__(self, value: object, reason: str | None = None, hint: str | None = None) -> None:
        super().__init__(reason)
        self.value, self.reason, self.hint = value, reason, hint
        self.path: list[str] = []


# ---- class names --------------------------------------------------------------------------------------------------

_BY_NAME: dict[str, type] = {}
_NAME_OF: dict[type, str] = {}
_KIND_WORDS: Final = {"obj": "an attrs class or dataclass", "enum": "an Enum", "ntuple": "a NamedTuple",
                      "exc": "an exception class"}  # fmt: skip


def class_kind(cls: object) -> str | None:
    """Which of the rebuildable kinds ``cls`` is, or ``None``: only these are ever instantiated from data."""
    if not isinstance(cls, type):
        return None
    if issubclass(cls, BaseException):
        return "exc"
    if issubclass(cls, enum.Enum):
        return "enum"
    if issubclass(cls, tuple):
        return "ntuple" if hasattr(cls, "_fields") and hasattr(cls, "_make") else None
    if attrs.has(cls) or dataclasses.is_dataclass(cls):
        return "obj"
    return None


def register_type(cls: _T, *, name: str | None = None) -> _T:
    """Allow instances of ``cls`` to be rebuilt from persisted data even where its name cannot be looked up in
    ``sys.modules``: a class defined inside a function, one whose module is imported under another name, or one
    that was moved or renamed (pass the old ``name``, ``module.QualName``, to keep reading old data)."""
    if class_kind(cls) is None:
        msg = f"register_type() takes an attrs class, dataclass, Enum, NamedTuple or exception class, not {cls!r}"
        raise WfcError(msg, code="WFC402")
    key = name or f"{cls.__module__}.{cls.__qualname__}"
    _BY_NAME[key] = cls
    _NAME_OF[cls] = key  # every name registered stays readable; the latest one is written
    return cls


def type_name(cls: type) -> str:
    """The name data uses for ``cls``: its registered name, else ``module.qualname`` (bare for builtins)."""
    name = _NAME_OF.get(cls)
    if name is None:
        name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    return name


def _persistable_name(cls: type) -> str:
    name = type_name(cls)
    if "<locals>" in name and cls not in _NAME_OF and ERRORS.get(name) is not cls:
        hint = (
            f"define {cls.__qualname__} at module level, or call wfc.register_type({cls.__name__}) before use"
        )
        raise _Unsupported(None, f"class {name} is defined inside a function and cannot be found again", hint)
    return name


def _lookup(name: str) -> object:
    """Find a class by name without running or importing anything: only registered classes and attributes of
    modules already in ``sys.modules``. ``vars()`` rather than ``getattr`` so no module ``__getattr__`` (lazy
    imports) or descriptor runs."""
    found: object = _BY_NAME.get(name) or ERRORS.get(name)
    if found is not None:
        return found
    if "." not in name:
        return vars(builtins).get(name)
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        obj: object = sys.modules.get(".".join(parts[:i]))
        if obj is None:
            continue
        for part in parts[i:]:
            obj = vars(obj).get(part) if isinstance(obj, type | types.ModuleType) else None
        return obj
    return None


def resolve(name: object, kind: str) -> type[Any]:
    """The class named in data, which must be of ``kind`` (see :func:`class_kind`), or :class:`UnknownType`."""
    if not isinstance(name, str):
        raise _malformed(name)
    cls = _lookup(name)
    if cls is None:
        msg = f"cannot rebuild a persisted {name}: no such class is loaded in this process"
        hint = f"import the module that defines {name} before loading workflow state, or register it with wfc.register_type()"
        raise UnknownType(msg, hint=hint)
    if class_kind(cls) != kind:
        msg = f"refusing to rebuild a persisted {name}: data may only name {_KIND_WORDS[kind]}, and it is {cls!r}"
        raise UnknownType(
            msg, hint="only attrs classes, dataclasses, Enums, NamedTuples and exceptions are rebuilt"
        )
    assert isinstance(cls, type)
    return cls


# ---- attrs classes and dataclasses ----------------------------------------------------------------------------------


@attrs.frozen
class _ObjInfo:
    fields: tuple[str, ...]  # attribute names, definition order
    field_set: frozenset[str]
    init: tuple[tuple[str, str], ...]  # (attribute name, __init__ parameter name) of init fields
    # Calling __init__ with the stored values rebuilds the object exactly: no attrs converters (they would run
    # twice), no dataclass InitVars (not stored), and the class's __init__ is the generated one.
    exact_init: bool


_OBJ_INFO: dict[type, _ObjInfo] = {}


def _obj_info(cls: type) -> _ObjInfo:
    info = _OBJ_INFO.get(cls)
    if info is not None:
        return info
    if attrs.has(cls):
        afs = attrs.fields(cls)
        names = tuple(a.name for a in afs)
        init = tuple((a.name, a.alias or a.name) for a in afs if a.init)
        exact = all(a.converter is None for a in afs) and not hasattr(cls, "__attrs_init__")
    else:
        dfs = dataclasses.fields(cls)
        names = tuple(f.name for f in dfs)
        init = tuple((f.name, f.name) for f in dfs if f.init)
        initvar = getattr(dataclasses, "_FIELD_INITVAR", None)
        pseudo = getattr(cls, "__dataclass_fields__", {}).values()
        params = getattr(cls, "__dataclass_params__", None)
        exact = bool(getattr(params, "init", False)) and not any(
            getattr(f, "_field_type", None) is initvar for f in pseudo
        )
    info = _OBJ_INFO[cls] = _ObjInfo(names, frozenset(names), init, exact)
    return info


def _obj_items(v: object, info: _ObjInfo) -> list[tuple[str, Any]]:
    """An instance's state: its fields (unset ones skipped), then other instance ``__dict__`` entries (e.g. a
    ``cached_property``), so that the rebuilt object has exactly the same attributes."""
    items = [(f, x) for f in info.fields if (x := getattr(v, f, _MISSING)) is not _MISSING]
    extra = getattr(v, "__dict__", None)
    if extra:
        items.extend((k, x) for k, x in extra.items() if k not in info.field_set)
    return items


def _failure_origin(cls: type) -> type[BaseException] | None:
    """The step's own exception type when ``cls`` is a combined class made by ``step_failure_class``."""
    bases = cls.__bases__
    if len(bases) == 2 and bases[1] is StepFailed and step_failure_class(bases[0]) is cls:
        return bases[0]
    return None


# ---- encoding -----------------------------------------------------------------------------------------------------

# Kinds drive the first pass. Order matters: kinds above _SEQ are tracked for identity.
_LEAF, _BAD, _SEQ, _BYTEARRAY, _LIST, _DICT, _SET, _OBJ, _EXC = range(9)
_Handler = Callable[["_Encoder", Any, "dict[str, Any] | None"], Any]


class _Encoder:
    __slots__ = ("exc_states", "ids", "seen", "shared")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.shared: set[int] = set()  # ids of tracked objects reachable more than once
        self.ids: dict[int, int] = {}  # object id -> $id, assigned at first emission
        self.exc_states: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}

    # Pass 1: find tracked objects reachable more than once. Objects visited are all reachable from the root, so
    # their ids stay unique for the whole encode.
    def scan(self, v: Any) -> None:
        t = type(v)
        k = _KIND.get(t)
        if k is None:
            k = _kind(t)
        if k < _SEQ:
            return
        if k > _SEQ:
            i = id(v)
            if i in self.seen:
                self.shared.add(i)
                return
            self.seen.add(i)
        if k == _DICT:
            for key, x in v.items():
                if type(key) not in _JSON_SCALARS:
                    self.scan(key)
                if type(x) not in _JSON_SCALARS:
                    self.scan(x)
        elif k == _OBJ:
            for _, x in _obj_items(v, _obj_info(t)):
                self.scan(x)
        elif k == _EXC:
            args, state = self.exc_state(v)
            for x in (*args, *state.values()):
                self.scan(x)
        elif k != _BYTEARRAY:
            for x in v:
                if type(x) not in _JSON_SCALARS:
                    self.scan(x)

    # Pass 2: emit.
    def enc(self, v: Any) -> Any:
        t = type(v)
        if t is int:
            return v if -_BIG_INT < v < _BIG_INT else {"$int": hex(v)}
        if t is float:
            # Finite and not -0.0 (a store may keep JSON numbers as decimals, which lose the sign of zero).
            if -_INF < v < _INF and (v or math.copysign(1.0, v) > 0):
                return v
            return {"$float": _float_name(v)}
        if t in _FAST:
            return v
        handler = _HANDLERS.get(t)
        if handler is None:
            handler = _handler(t)
        if _KIND[t] > _SEQ and id(v) in self.shared:
            n = self.ids.get(id(v))
            if n is not None:
                return {"$ref": n}
            n = self.ids[id(v)] = len(self.ids) + 1
            return handler(self, v, {"$id": n})  # registered before the children: cycles emit $ref
        return handler(self, v, None)

    def exc_state(self, e: BaseException) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``args`` and the persistable attributes of an exception (computed once, used by both passes).
        Attributes that cannot be persisted (a response object, a traceback frame...) are dropped: an exception
        stays catchable and readable without them."""
        state = self.exc_states.get(id(e))
        if state is None:
            names = dict(vars(e)) if hasattr(e, "__dict__") else {}
            if attrs.has(type(e)):
                names.update((f, x) for f, x in _obj_items(e, _obj_info(type(e))))
            for cls, slots in _EXC_SLOTS:  # attributes of builtin exceptions kept outside args and __dict__
                if isinstance(e, cls):
                    names.update((a, x) for a in slots if (x := getattr(e, a, None)) is not None)
            keep = {k: x for k, x in names.items() if _encodable(x, {id(e)})}
            state = self.exc_states[id(e)] = (e.args, keep)
        return state


_EXC_SLOTS: Final = ((OSError, ("filename", "filename2")), (ImportError, ("name", "path")),
                     (NameError, ("name",)), (AttributeError, ("name",)))  # fmt: skip


def _encodable(v: Any, seen: set[int]) -> bool:
    t = type(v)
    k = _KIND.get(t)
    if k is None:
        k = _kind(t)
    if k == _BAD:
        return False
    if k in (_LEAF, _BYTEARRAY) or id(v) in seen:
        return True
    seen.add(id(v))
    if k == _DICT:
        return all(_encodable(a, seen) and _encodable(b, seen) for a, b in v.items())
    if k == _OBJ:
        return all(_encodable(x, seen) for _, x in _obj_items(v, _obj_info(t)))
    if k == _EXC:
        return all(_encodable(x, seen) for x in v.args)
    return all(_encodable(x, seen) for x in v)


def _float_name(v: float) -> str:
    if v != v:
        return "nan" if math.copysign(1.0, v) > 0 else "-nan"
    return "inf" if v == _INF else "-inf" if v == -_INF else "-0.0"


def _items(e: _Encoder, v: Any, seg: Callable[[int], str] = "[{}]".format) -> list[Any]:
    out: list[Any] = []
    try:
        for x in v:
            out.append(x if type(x) in _FAST else e.enc(x))
    except _Unsupported as exc:
        exc.path.append(seg(len(out)))  # len(out) is the index of the element that failed
        raise
    return out


def _key_seg(k: object) -> str:
    return f".{k}" if isinstance(k, str) and k.isidentifier() else f"[{reprlib.repr(k)}]"


def _tagged(head: dict[str, Any] | None, tag: str, payload: Any) -> dict[str, Any]:
    if head is None:
        return {tag: payload}
    head[tag] = payload
    return head


def _e_list(e: _Encoder, v: list[Any], head: dict[str, Any] | None) -> Any:
    out = _items(e, v)
    return out if head is None else _tagged(head, "$list", out)


def _e_dict(e: _Encoder, v: dict[Any, Any], head: dict[str, Any] | None) -> Any:
    k: Any = None
    try:
        if all(type(key) is str and key[:1] != "$" for key in v):
            plain: dict[str, Any] = {}
            for k, x in v.items():
                plain[k] = x if type(x) in _FAST else e.enc(x)
            return plain if head is None else _tagged(head, "$dict", plain)
        pairs = []
        for k, x in v.items():  # keys that are not plain strings: [key, value] pairs, in order
            pairs.append([e.enc(k), e.enc(x)])
    except _Unsupported as exc:
        exc.path.append(_key_seg(k))
        raise
    return _tagged(head, "$dict", pairs)


def _e_seq(tag: str) -> _Handler:
    seg: Callable[[int], str] = (lambda i: "{…}") if tag.endswith("set") else "[{}]".format
    return lambda e, v, head: _tagged(head, tag, _items(e, v, seg))


def _e_ntuple(e: _Encoder, v: tuple[Any, ...], head: dict[str, Any] | None) -> Any:
    out = _tagged(head, "$ntuple", _persistable_name(type(v)))
    out["$items"] = _items(e, v, lambda i: f".{type(v)._fields[i]}")  # type: ignore[attr-defined]
    return out


def _e_obj(e: _Encoder, v: Any, head: dict[str, Any] | None) -> Any:
    out = _tagged(head, "$obj", _persistable_name(type(v)))
    fields: dict[str, Any] = {}
    name = ""
    try:
        for name, x in _obj_items(v, _obj_info(type(v))):
            fields[name] = x if type(x) in _FAST else e.enc(x)
    except _Unsupported as exc:
        exc.path.append(f".{name}")
        raise
    out["$fields"] = fields
    return out


def _e_exc(e: _Encoder, v: BaseException, head: dict[str, Any] | None) -> Any:
    args, state = e.exc_state(v)
    origin = _failure_origin(type(v)) if isinstance(v, StepFailed) else None
    if origin is not None:
        out = _tagged(head, "$failed", error_type_name(origin))
    else:
        out = _tagged(head, "$exc", _persistable_name(type(v)))
    out["$args"] = _items(e, args, ".args[{}]".format)
    if state:
        attributes: dict[str, Any] = {}
        name = ""
        try:
            for name, x in state.items():
                attributes[name] = e.enc(x)
        except _Unsupported as exc:
            exc.path.append(f".{name}")
            raise
        out["$attrs"] = attributes
    return out


def _e_enum(e: _Encoder, v: enum.Enum, head: dict[str, Any] | None) -> Any:
    cls = type(v)
    out = {"$enum": _persistable_name(cls)}
    if v._name_ is not None and cls.__members__.get(v._name_) is v:
        out["$name"] = v._name_
    else:  # a composite Flag value has no member name
        out["$value"] = e.enc(v._value_)
    return out


def datetime_to_str(v: dt.datetime | dt.time) -> str:
    """ISO 8601; a ``ZoneInfo`` adds its key in brackets (RFC 9557): ``2024-03-01T10:00:00+01:00[Europe/Paris]``.
    Any other tzinfo than ``datetime.timezone`` and keyed ``ZoneInfo`` cannot be persisted."""
    tz = v.tzinfo
    if tz is None or type(tz) is dt.timezone:
        return v.isoformat()
    if type(tz) is zoneinfo.ZoneInfo and tz.key is not None:
        return f"{v.isoformat()}[{tz.key}]"
    raise _Unsupported(v, f"its tzinfo {type(tz).__name__} cannot be persisted",
                       "use datetime.timezone or zoneinfo.ZoneInfo time zones")  # fmt: skip


def datetime_from_str(text: str, cls: type[dt.datetime] | type[dt.time] = dt.datetime) -> Any:
    """Inverse of :func:`datetime_to_str`. For a ``ZoneInfo``, the stored offset picks ``fold``."""
    base, _, key = text.partition("[")
    value = cls.fromisoformat(base)
    if type(value.tzinfo) is dt.timezone and value.utcoffset() != (offset := _offset(base)):
        value = value.replace(tzinfo=dt.timezone(offset))  # Python 3.11 misreads "+00:00:00.000001"
    if not key:
        return value
    zone = zone_info(key.rstrip("]"))
    local = value.replace(tzinfo=zone)
    if isinstance(value, dt.datetime) and local.utcoffset() != value.utcoffset():
        local = local.replace(fold=1)
    return local


def _offset(text: str) -> dt.timedelta:
    """The UTC offset at the end of an ISO 8601 text (``+05:30``, ``-00:00:00.000001``, ``Z``)."""
    at = max(text.rfind("+"), text.rfind("-"))
    if (at < 10 and "T" in text) or at < 0:  # the "-" of a date, or no offset ("Z" or none)
        return dt.timedelta(0)
    parts = text[at + 1 :].split(":")
    # Seconds have at most 6 decimals, so the float is exact once timedelta rounds it to microseconds.
    seconds = float(parts[2]) if len(parts) > 2 else 0
    size = dt.timedelta(hours=int(parts[0]), minutes=int(parts[1]) if len(parts) > 1 else 0, seconds=seconds)
    return -size if text[at] == "-" else size


def zone_info(key: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownType(
            f"time zone {key!r} is not available: {exc}", hint="install the tzdata package"
        ) from None


def _e_when(e: _Encoder, v: dt.datetime | dt.time, head: dict[str, Any] | None) -> Any:
    out: dict[str, Any] = {"$datetime" if type(v) is dt.datetime else "$time": datetime_to_str(v)}
    tz = v.tzinfo
    if type(tz) is dt.timezone and len(tz.__getinitargs__()) == 2:  # type: ignore[attr-defined]
        out["$tzname"] = tz.__getinitargs__()[1]  # type: ignore[attr-defined]
    if v.fold:
        out["$fold"] = 1
    return out


def _e_timezone(e: _Encoder, v: dt.timezone, head: dict[str, Any] | None) -> Any:
    offset, *name = v.__getinitargs__()  # type: ignore[attr-defined]
    out = {"$timezone": [offset.days, offset.seconds, offset.microseconds]}
    if name:
        out["$tzname"] = name[0]
    return out


def _e_zoneinfo(e: _Encoder, v: zoneinfo.ZoneInfo, head: dict[str, Any] | None) -> Any:
    if v.key is None:
        raise _Unsupported(v, "a ZoneInfo loaded from a file has no key", "use zoneinfo.ZoneInfo(key)")
    return {"$zoneinfo": v.key}


def _e_step(e: _Encoder, v: StepDef | WorkflowDef, head: dict[str, Any] | None) -> Any:
    step = isinstance(v, StepDef)
    registry: dict[str, Any] = STEPS if step else WORKFLOWS
    if v.key not in registry:
        what = "step" if step else "workflow"
        raise _Unsupported(v, f"{what} {v.key!r} is not registered", f"define it with @wfc.{what}")
    return {"$step" if step else "$workflow": v.key}


def _leaf(tag: str, fn: Callable[[Any], Any]) -> _Handler:
    return lambda e, v, head: _tagged(head, tag, fn(v))


def _b64(v: bytes | bytearray) -> str:
    return base64.b64encode(v).decode("ascii")


_KIND: dict[type, int] = {list: _LIST, dict: _DICT, set: _SET, bytearray: _BYTEARRAY}
_HANDLERS: dict[type, _Handler] = {
    list: _e_list,
    dict: _e_dict,
    tuple: _e_seq("$tuple"),
    set: _e_seq("$set"),
    frozenset: _e_seq("$frozenset"),
    bytes: _leaf("$bytes", _b64),
    bytearray: _leaf("$bytearray", _b64),
    dt.datetime: _e_when,
    dt.time: _e_when,
    dt.date: _leaf("$date", dt.date.isoformat),
    dt.timedelta: _leaf("$timedelta", lambda v: [v.days, v.seconds, v.microseconds]),
    dt.timezone: _e_timezone,
    zoneinfo.ZoneInfo: _e_zoneinfo,
    decimal.Decimal: _leaf("$decimal", str),
    uuid.UUID: _leaf("$uuid", str),
    fractions.Fraction: _leaf("$fraction", str),
    complex: lambda e, v, head: {"$complex": [e.enc(v.real), e.enc(v.imag)]},
    range: lambda e, v, head: {"$range": [e.enc(v.start), e.enc(v.stop), e.enc(v.step)]},
    StepDef: _e_step,
    WorkflowDef: _e_step,
}
for _t in _HANDLERS:
    _KIND.setdefault(_t, _SEQ if _t in (tuple, frozenset) else _LEAF)
for _t in (str, int, float, bool, _NoneType):
    _KIND[_t] = _LEAF


def _e_bad(e: _Encoder, v: Any, head: dict[str, Any] | None) -> Any:
    raise _Unsupported(v)


def _kind(t: type) -> int:
    """Classify a class not seen before (cached: classes are few, values many)."""
    kind, handler = _classify(t)
    _KIND[t] = kind  # before _HANDLERS: a thread that finds the handler also finds the kind
    _HANDLERS[t] = handler
    return kind


def _handler(t: type) -> _Handler:
    _kind(t)
    return _HANDLERS[t]


def _classify(t: type) -> tuple[int, _Handler]:
    what = class_kind(t)
    if what == "exc":
        return _EXC, _e_exc
    if what == "enum":
        return _LEAF, _e_enum
    if what == "ntuple":
        return _SEQ, _e_ntuple
    if what == "obj":
        return _OBJ, _e_obj
    return _BAD, _e_bad


# ---- decoding -----------------------------------------------------------------------------------------------------

_Decoding = Callable[["_Decoder", dict[str, Any], Any, Any], Any]


def _malformed(node: object) -> InternalError:
    return InternalError(f"malformed persisted value: {reprlib.repr(node)}")


class _Decoder:
    __slots__ = ("objs", "pending", "raw", "roots")

    def __init__(self, roots: list[Any]) -> None:
        self.objs: dict[Any, Any] = {}  # $id -> the rebuilt object
        self.roots = roots
        self.raw: dict[Any, dict[str, Any]] | None = None  # $id -> its node, built only for a forward $ref
        self.pending: set[Any] = set()

    def dec(self, x: Any) -> Any:
        t = type(x)
        if t is dict:
            for k in x:
                if k[:1] == "$":
                    return self.tagged(x)
                break
            return {k: y if type(y) in _JSON_SCALARS else self.dec(y) for k, y in x.items()}
        if t is list:
            return [y if type(y) in _JSON_SCALARS else self.dec(y) for y in x]
        if t in _JSON_SCALARS:
            return x
        raise _malformed(x)

    def tagged(self, node: dict[str, Any]) -> Any:
        ref = node.get("$ref", _MISSING)
        if ref is not _MISSING:
            obj = self.objs.get(ref, _MISSING)
            return self.forward(ref) if obj is _MISSING else obj
        n = node.get("$id")
        if n is not None and n in self.objs:  # already rebuilt because of a forward $ref
            return self.objs[n]
        for key in node:
            fn = _DECODERS.get(key)
            if fn is not None:
                if n is None:
                    return fn(self, node, node[key], None)
                self.pending.add(n)
                try:
                    return fn(self, node, node[key], n)
                finally:
                    self.pending.discard(n)
        raise _malformed(node)

    def forward(self, ref: Any) -> Any:
        """A ``$ref`` met before its ``$id``: only when a store reordered object keys (PostgreSQL ``jsonb`` does),
        or for an exception whose ``args`` contain the exception itself (not supported)."""
        if self.raw is None:
            self.raw = {}
            stack = list(self.roots)
            while stack:
                x = stack.pop()
                if type(x) is dict:
                    if "$id" in x:
                        self.raw[x["$id"]] = x
                    stack.extend(x.values())
                elif type(x) is list:
                    stack.extend(x)
        node = self.raw.get(ref)
        if node is None or ref in self.pending:
            raise _malformed({"$ref": ref})
        self.tagged(node)
        return self.objs[ref]

    def fill(self, node: dict[str, Any], key: str) -> dict[str, Any]:
        items = node.get(key, {})
        return {k: y if type(y) in _JSON_SCALARS else self.dec(y) for k, y in items.items()}


def _d_container(make: Callable[[], Any], add: str) -> _Decoding:
    def decode(d: _Decoder, node: dict[str, Any], payload: Any, n: Any) -> Any:
        out = make()
        if n is not None:
            d.objs[n] = out
        put = getattr(out, add)
        for y in payload:
            put(y if type(y) in _JSON_SCALARS else d.dec(y))
        return out

    return decode


def _d_dict(d: _Decoder, node: dict[str, Any], payload: Any, n: Any) -> Any:
    out: dict[Any, Any] = {}
    if n is not None:
        d.objs[n] = out
    if type(payload) is dict:
        for k, y in payload.items():
            out[k] = d.dec(y)
    else:
        for k, y in payload:
            key = d.dec(k)
            out[key] = d.dec(y)
    return out


def _d_obj(d: _Decoder, node: dict[str, Any], name: Any, n: Any) -> Any:
    cls: Any = resolve(name, "obj")
    info = _obj_info(cls)
    # Created before its fields are decoded so that a field may refer back to it (cycles).
    obj = cls.__new__(cls)
    if n is not None:
        d.objs[n] = obj
    values = d.fill(node, "$fields")
    if info.exact_init:  # normal construction: validators and __attrs_post_init__/__post_init__ run
        kwargs = {param: values.pop(f) for f, param in info.init if f in values}
        cls.__init__(obj, **kwargs)
    for f, x in values.items():  # non-init fields, extra attributes, or everything when __init__ is not exact
        object.__setattr__(obj, f, x)
    return obj


def _d_exc(d: _Decoder, node: dict[str, Any], name: Any, n: Any) -> Any:
    args = tuple(d.dec(x) for x in node.get("$args", ()))
    if "$failed" in node:
        exc: BaseException = _d_failed(d, node, name, args)
    else:
        cls = resolve(name, "exc")
        exc = _new_exception(cls, args)
    if n is not None:
        d.objs[n] = exc
    for k, x in d.fill(node, "$attrs").items():
        object.__setattr__(exc, k, x)
    return exc


def _new_exception(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    if cls.__module__ == "builtins":
        # Builtin initialisers are side-effect free and fill in fields such as OSError.errno from args.
        try:
            return cls(*args)
        except Exception:
            pass
    exc = cls.__new__(cls, *args)  # never a user __init__: it may need arguments we do not have
    exc.args = args
    return exc


def _d_failed(d: _Decoder, node: dict[str, Any], name: Any, args: tuple[Any, ...]) -> StepFailed:
    found = _lookup(name) if isinstance(name, str) else None
    # An unknown type gives a plain StepFailed with the same fields: still caught by `except wfc.StepFailed`.
    origin = found if isinstance(found, type) and issubclass(found, BaseException) else None
    state = node.get("$attrs", {})
    return step_failure(
        origin,
        args,
        type_name=d.dec(state.get("type_name", name)),
        message=d.dec(state.get("message", "")),
        step=d.dec(state.get("step", "")),
        attempts=d.dec(state.get("attempts", 1)),
    )


def _d_enum(d: _Decoder, node: dict[str, Any], name: Any, n: Any) -> Any:
    cls = resolve(name, "enum")
    if "$name" in node:
        member = cls.__members__.get(node["$name"])
        if member is None:
            raise UnknownType(
                f"{name} has no member {node['$name']!r}", hint="was the member renamed or removed?"
            )
        return member
    return cls(d.dec(node["$value"]))


def _d_ntuple(d: _Decoder, node: dict[str, Any], name: Any, n: Any) -> Any:
    return resolve(name, "ntuple")._make(d.dec(x) for x in node["$items"])


def _d_registry(what: str, registry: dict[str, Any]) -> _Decoding:
    def decode(d: _Decoder, node: dict[str, Any], key: Any, n: Any) -> Any:
        found = registry.get(key)
        if found is None:
            msg = f"{what} {key!r} is not registered in this deployment"
            hint = f"import the module that defines the {what} before loading workflow state, or keep the old {what} until its runs finish"
            raise UnknownType(msg, hint=hint)
        return found

    return decode


def _d_when(d: _Decoder, node: dict[str, Any], text: Any, n: Any) -> Any:
    value = datetime_from_str(text, dt.datetime if "$datetime" in node else dt.time)
    if "$tzname" in node:
        value = value.replace(tzinfo=dt.timezone(value.utcoffset(), node["$tzname"]))
    return value.replace(fold=1) if node.get("$fold") else value


def _d_timezone(d: _Decoder, node: dict[str, Any], parts: Any, n: Any) -> Any:
    offset = dt.timedelta(*parts)
    return dt.timezone(offset, node["$tzname"]) if "$tzname" in node else dt.timezone(offset)


def _d_bytearray(d: _Decoder, node: dict[str, Any], text: Any, n: Any) -> Any:
    out = bytearray(base64.b64decode(text))
    if n is not None:
        d.objs[n] = out
    return out


def _simple(fn: Callable[[Any], Any]) -> _Decoding:
    return lambda d, node, payload, n: fn(payload)


_FLOATS: Final = {"nan": math.nan, "-nan": -math.nan, "inf": _INF, "-inf": -_INF, "-0.0": -0.0}
_DECODERS: dict[str, _Decoding] = {
    "$list": _d_container(list, "append"),
    "$dict": _d_dict,
    "$set": _d_container(set, "add"),
    "$tuple": lambda d, node, items, n: tuple(d.dec(x) for x in items),
    "$frozenset": lambda d, node, items, n: frozenset(d.dec(x) for x in items),
    "$float": _simple(_FLOATS.__getitem__),
    "$int": _simple(lambda s: int(s, 16)),
    "$bytes": _simple(base64.b64decode),
    "$bytearray": _d_bytearray,
    "$datetime": _d_when,
    "$time": _d_when,
    "$date": _simple(dt.date.fromisoformat),
    "$timedelta": _simple(lambda p: dt.timedelta(*p)),
    "$timezone": _d_timezone,
    "$zoneinfo": _simple(zone_info),
    "$decimal": _simple(decimal.Decimal),
    "$uuid": _simple(uuid.UUID),
    "$fraction": _simple(fractions.Fraction),
    "$complex": lambda d, node, p, n: complex(d.dec(p[0]), d.dec(p[1])),
    "$range": lambda d, node, p, n: range(*(d.dec(x) for x in p)),
    "$enum": _d_enum,
    "$ntuple": _d_ntuple,
    "$obj": _d_obj,
    "$exc": _d_exc,
    "$failed": _d_exc,
    "$step": _d_registry("step", STEPS),
    "$workflow": _d_registry("workflow", WORKFLOWS),
}


# ---- entry points -------------------------------------------------------------------------------------------------

_HINT: Final = (
    "persist plain data: None, bool, int, float, str, bytes, list, tuple, dict, set, datetime, Decimal, UUID, "
    "enums, attrs classes and dataclasses; create files, connections, clients and the like inside steps"
)


def _not_serializable(exc: _Unsupported, var: str | None) -> NotSerializable:
    path = "".join(reversed(exc.path))
    if var is None:
        where = f"the value at ${path}"
    else:
        where = f"variable {var!r}" + (f" ($.{var}{path})" if path else "")
    v = exc.value
    t = type(v)
    tname = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    hint = exc.hint or _HINT
    if isinstance(
        v, types.GeneratorType | types.CoroutineType | types.AsyncGeneratorType
    ) or t.__name__.endswith("iterator"):
        hint = "generators and iterators cannot be persisted: turn them into a list first, e.g. list(...)"
    elif callable(v) and not isinstance(v, type):
        hint = "functions cannot be persisted: store the data they need instead (steps and workflows are stored by name)"
    reason = exc.reason or f"a {tname} cannot be persisted"
    shown = f" ({reprlib.repr(v)})" if v is not None else ""
    return NotSerializable(f"cannot persist {where}: {reason}{shown}", hint=hint)


def _too_deep(var: str | None) -> NotSerializable:
    where = "the value" if var is None else f"variable {var!r}"
    return NotSerializable(f"cannot persist {where}: it is nested too deeply", hint="flatten the data")


def encode(value: Any) -> Any:
    """A JSON-compatible form of ``value`` that :func:`decode` turns back into an equal value (see the module
    documentation of ``wfc.convert``). Raises :class:`wfc.errors.NotSerializable` naming the offending path."""
    if type(value) in _FAST:
        return value
    e = _Encoder()
    try:
        e.scan(value)
        return e.enc(value)
    except _Unsupported as exc:
        raise _not_serializable(exc, None) from None
    except RecursionError:
        raise _too_deep(None) from None


def encode_vars(variables: dict[str, Any]) -> dict[str, Any]:
    """:func:`encode` for a mapping of variable names to values, preserving aliasing *between* variables."""
    e = _Encoder()
    out: dict[str, Any] = {}
    name: str | None = None
    try:
        for v in variables.values():
            if type(v) not in _JSON_SCALARS:
                e.scan(v)
        for name, v in variables.items():
            out[name] = v if type(v) in _FAST else e.enc(v)
    except _Unsupported as exc:
        raise _not_serializable(exc, name) from None
    except RecursionError:
        raise _too_deep(name) from None
    return out


def decode(data: Any) -> Any:
    """The value :func:`encode` gave ``data`` for. Never imports a module: see :func:`resolve`."""
    if type(data) in _JSON_SCALARS:
        return data
    return _Decoder([data]).dec(data)


def decode_vars(data: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`encode_vars`."""
    d = _Decoder(list(data.values()))
    return {name: d.dec(v) for name, v in data.items()}
