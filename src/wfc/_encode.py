"""The encoder of the value codec: any persistable value to JSON-compatible data, in two passes (find what is shared,
then emit). Raises :class:`wfc.errors.NotSerializable` naming the path to what cannot be persisted. Private: import
from ``wfc.convert``; the format is documented there, the invariants in ``_values.py``."""

from __future__ import annotations

import base64
import collections
import datetime as dt
import decimal
import enum
import fractions
import math
import reprlib
import types
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any, Final

import attrs

from wfc import _codecs, _frames
from wfc._classes import KINDS_TEXT, class_kind, obj_info, obj_items, persistable_name, type_name
from wfc._datetimes import datetime_to_str
from wfc._values import CLASS_MODULES, JSON_SCALARS, NATIVE_TYPES, Unsupported
from wfc.commands import STEPS, WORKFLOWS, StepDef, WorkflowDef, error_type_name
from wfc.errors import NotSerializable, StepFailed, step_failure_class

_NoneType = type(None)
# Values of these types are emitted as themselves without a call: the fast path for plain JSON.
_FAST: Final = frozenset({str, bool, _NoneType})
# Ints beyond this go as hex: json cannot print ints above sys.get_int_max_str_digits() (min 640) digits.
_BIG_INT: Final = 1 << 2000
_INF: Final = math.inf

# Kinds drive the first pass. Order matters: kinds above _SEQ are tracked for identity.
_LEAF, _BAD, _SEQ, _BYTEARRAY, _LIST, _DICT, _SET, _OBJ, _EXC, _CUSTOM = range(10)
_Handler = Callable[["_Encoder", Any, "dict[str, Any] | None"], Any]


class _Encoder:
    __slots__ = ("custom", "exc_states", "ids", "open", "seen", "shared")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.shared: set[int] = set()  # ids of tracked objects reachable more than once
        self.ids: dict[int, int] = {}  # object id -> $id, assigned at first emission
        self.exc_states: dict[int, tuple[tuple[Any, ...], dict[str, Any], type[BaseException]]] = {}
        self.custom: dict[int, Any] = {}  # object id -> what its codec's encode gave (called once per object)
        self.open: set[int] = set()  # values of registered types being emitted (a $ref to one is a cycle)

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
                if type(key) not in JSON_SCALARS:
                    self.scan(key)
                if type(x) not in JSON_SCALARS:
                    self.scan(x)
        elif k == _OBJ:
            for _, x in obj_items(v, obj_info(t)):
                self.scan(x)
        elif k == _EXC:
            args, state, _ = self.exc_state(v)
            for x in (*args, *state.values()):
                self.scan(x)
        elif k == _CUSTOM:
            try:
                data = self.custom_data(v)
            except Unsupported:
                return  # raised again where the value is emitted, which knows its path
            self.scan(data)
        elif k != _BYTEARRAY:
            for x in v:
                if type(x) not in JSON_SCALARS:
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
                if id(v) in self.open:  # decoding builds it from its data: that data cannot hold it already
                    raise Unsupported(v, f"a {type_name(type(v))} cannot contain itself (its codec rebuilds it "
                                      "from its data)")  # fmt: skip
                return {"$ref": n}
            n = self.ids[id(v)] = len(self.ids) + 1
            return handler(self, v, {"$id": n})  # registered before the children: cycles emit $ref
        return handler(self, v, None)

    def custom_data(self, v: Any) -> Any:
        """What the codec registered for ``type(v)`` encodes ``v`` as (computed once, used by both passes)."""
        i = id(v)
        data = self.custom.get(i, _NOT_YET)
        if data is _NOT_YET:
            try:
                data = self.custom[i] = custom_data(v)
            except Unsupported as exc:
                self.custom[i] = _Failed(exc)
                raise
        elif type(data) is _Failed:
            raise data.error
        return data

    def exc_state(self, e: BaseException) -> tuple[tuple[Any, ...], dict[str, Any], type[BaseException]]:
        """``args``, the attributes and the class to store of an exception (computed once, used by both
        passes). A class that cannot be created again from its ``args`` (an extension type whose ``__new__``
        takes arguments of its own, such as pydantic's ``ValidationError``) is stored as its nearest builtin
        base, with its text as the argument and a note saying so: still readable, raisable and caught as that."""
        found = self.exc_states.get(id(e))
        if found is None:
            cls, args, state = type(e), e.args, exception_state(e)
            if not _rebuildable(cls, args):
                cls = next(b for b in cls.__mro__ if b.__module__ == "builtins")
                args = (str(e),)
                note = f"wfc: a {type_name(type(e))} cannot be rebuilt from stored data; stored as {cls.__qualname__}"
                notes = state.get("__notes__")
                state["__notes__"] = [*(notes if isinstance(notes, list) else []), note]
            found = self.exc_states[id(e)] = (args, state, cls)
        return found


def _rebuildable(cls: type[BaseException], args: tuple[Any, ...]) -> bool:
    """Whether decoding can create ``cls`` again (``cls.__new__(cls, *args)``, as ``_decode`` does)."""
    owner = next((b for b in cls.__mro__ if "__new__" in vars(b)), BaseException)
    if owner.__module__ == "builtins" or isinstance(vars(owner)["__new__"], staticmethod):
        return True  # a builtin's, or one written in Python: taken as working, as it is in decoding
    try:
        cls.__new__(cls, *args)
    except Exception:
        return False
    return True


def exception_state(e: BaseException) -> dict[str, Any]:
    """The attributes an exception carries besides ``args``: its instance ``__dict__`` (fields set in ``__init__``,
    ``__notes__``), an attrs exception's fields, and the slots of builtin exceptions kept outside ``args``
    (``OSError.filename``...). An attribute that cannot be persisted (a response object, a socket...) is kept as
    its ``repr`` text, and a note on the exception says so: it stays catchable and readable, and the loss shows."""
    names = dict(vars(e)) if hasattr(e, "__dict__") else {}
    if attrs.has(type(e)):
        names.update((f, x) for f, x in obj_items(e, obj_info(type(e))))
    for cls, slots in _EXC_SLOTS:  # attributes of builtin exceptions kept outside args and __dict__
        if isinstance(e, cls):
            names.update((a, x) for a in slots if (x := getattr(e, a, None)) is not None)
    keep: dict[str, Any] = {}
    lost: list[str] = []
    for k, x in names.items():
        if _encodable(x, {id(e)}):
            keep[k] = x
        else:
            keep[k] = _repr(x)
            lost.append(f"wfc: attribute {k!r} ({type(x).__qualname__}) could not be persisted; its repr is kept")
    if lost:
        notes = keep.get("__notes__")
        keep["__notes__"] = [*(notes if isinstance(notes, list) else []), *lost]
    # The chain Python keeps with an exception: a handler's exception or a pending raise persisted across a
    # suspension must still say what it was raised while handling (a link that cannot be persisted is dropped).
    for a in ("__context__", "__cause__"):
        link = getattr(e, a)
        if link is not None and _encodable(link, {id(e)}):
            keep[a] = link
    if e.__suppress_context__:
        keep["__suppress_context__"] = True
    # Where it was raised, as the workflow's code saw it (a handler's `traceback.format_exc()` after a resume).
    frames = _frames.summary(e.__traceback__)
    if frames:
        keep["__traceback__"] = frames
    return keep


_NOT_YET: Final = object()


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: Unsupported) -> None:
        self.error = error


def custom_data(v: Any) -> Any:
    codec = _codecs.codec_of(type(v))
    assert codec is not None
    try:
        data = codec.encode(v)
    except Unsupported:
        raise
    except Exception as exc:
        raise Unsupported(v, f"its codec could not encode it ({type(exc).__name__}: {exc})") from None
    if type(data) is type(v):
        raise Unsupported(v, f"its codec's encode returned a {type_name(type(v))} again, not data")
    return data


def _repr(x: object) -> str:
    try:
        text = repr(x)
    except Exception:
        return f"<{type(x).__qualname__}>"
    return text if len(text) <= 200 else f"{text[:197]}..."


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
        return all(_encodable(x, seen) for _, x in obj_items(v, obj_info(t)))
    if k == _EXC:
        return all(_encodable(x, seen) for x in v.args)
    if k == _CUSTOM:
        try:
            return _encodable(custom_data(v), seen)
        except Unsupported:
            return False
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
    except Unsupported as exc:
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


def _mapping(e: _Encoder, v: dict[Any, Any]) -> tuple[bool, Any]:
    """A mapping's items: ``(True, {...})`` when every key is a plain string, else ``(False, [[key, value], ...])``
    (in order either way)."""
    k: Any = None
    try:
        if all(type(key) is str and key[:1] != "$" for key in v):
            plain: dict[str, Any] = {}
            for k, x in v.items():
                plain[k] = x if type(x) in _FAST else e.enc(x)
            return True, plain
        pairs = []
        for k, x in v.items():  # keys that are not plain strings: [key, value] pairs, in order
            pairs.append([e.enc(k), e.enc(x)])
    except Unsupported as exc:
        exc.path.append(_key_seg(k))
        raise
    return False, pairs


def _e_dict(e: _Encoder, v: dict[Any, Any], head: dict[str, Any] | None) -> Any:
    plain, payload = _mapping(e, v)
    return payload if plain and head is None else _tagged(head, "$dict", payload)


def _e_mapping(tag: str) -> _Handler:
    """``Counter`` and ``OrderedDict``: a tagged mapping (items in order)."""
    return lambda e, v, head: _tagged(head, tag, _mapping(e, v)[1])


def _e_defaultdict(e: _Encoder, v: collections.defaultdict[Any, Any], head: dict[str, Any] | None) -> Any:
    factory = v.default_factory
    if factory is not None and not (isinstance(factory, type) and _class_reference(factory) is None):
        raise Unsupported(
            v,
            f"the default_factory of a defaultdict ({_repr(factory)}) cannot be persisted: only a class can",
            "use a class as the factory (defaultdict(int), defaultdict(list), a dataclass), or a plain dict "
            "with .setdefault()/.get()",
        )
    out = _tagged(head, "$defaultdict", _mapping(e, v)[1])
    out["$factory"] = None if factory is None else _e_class(e, factory, None)
    return out


def _e_deque(e: _Encoder, v: collections.deque[Any], head: dict[str, Any] | None) -> Any:
    out = _tagged(head, "$deque", _items(e, v))
    if v.maxlen is not None:
        out["$maxlen"] = v.maxlen
    return out


def _class_reference(cls: type) -> str | None:
    """Why ``cls`` cannot be persisted as a reference to itself, or ``None`` when it can."""
    if class_kind(cls) is not None or cls.__module__ in CLASS_MODULES:
        return None
    return (
        f"the class {type_name(cls)} cannot be persisted: only {KINDS_TEXT} and builtin types can"
    )


def _e_class(e: _Encoder, v: type, head: dict[str, Any] | None) -> Any:
    problem = _class_reference(v)
    if problem is not None:
        raise Unsupported(v, problem, "keep the class's name (a str) and look it up where it is needed")
    return {"$class": persistable_name(v)}


def _e_seq(tag: str) -> _Handler:
    seg: Callable[[int], str] = (lambda i: "{…}") if tag.endswith("set") else "[{}]".format
    return lambda e, v, head: _tagged(head, tag, _items(e, v, seg))


def _e_ntuple(e: _Encoder, v: tuple[Any, ...], head: dict[str, Any] | None) -> Any:
    out = _tagged(head, "$ntuple", persistable_name(type(v)))
    out["$items"] = _items(e, v, lambda i: f".{type(v)._fields[i]}")  # type: ignore[attr-defined]
    return out


def _e_obj(e: _Encoder, v: Any, head: dict[str, Any] | None) -> Any:
    out = _tagged(head, "$obj", persistable_name(type(v)))
    fields: dict[str, Any] = {}
    name = ""
    try:
        for name, x in obj_items(v, obj_info(type(v))):
            fields[name] = x if type(x) in _FAST else e.enc(x)
    except Unsupported as exc:
        exc.path.append(f".{name}")
        raise
    out["$fields"] = fields
    return out


def _e_exc(e: _Encoder, v: BaseException, head: dict[str, Any] | None) -> Any:
    args, state, cls = e.exc_state(v)
    origin = _failure_origin(cls) if isinstance(v, StepFailed) else None
    if origin is not None:
        out = _tagged(head, "$failed", error_type_name(origin))
    else:
        out = _tagged(head, "$exc", persistable_name(cls))
    out["$args"] = _items(e, args, ".args[{}]".format)
    if state:
        attributes: dict[str, Any] = {}
        name = ""
        try:
            for name, x in state.items():
                attributes[name] = e.enc(x)
        except Unsupported as exc:
            exc.path.append(f".{name}")
            raise
        out["$attrs"] = attributes
    return out


def _failure_origin(cls: type) -> type[BaseException] | None:
    """The step's own exception type when ``cls`` is a combined class made by ``step_failure_class``."""
    bases = cls.__bases__
    if len(bases) == 2 and bases[1] is StepFailed and step_failure_class(bases[0]) is cls:
        return bases[0]
    return None


def _e_custom(e: _Encoder, v: Any, head: dict[str, Any] | None) -> Any:
    out = _tagged(head, "$type", persistable_name(type(v)))
    data = e.custom_data(v)
    e.open.add(id(v))
    try:
        out["$data"] = data if type(data) in _FAST else e.enc(data)
    finally:
        e.open.discard(id(v))
    return out


def _e_enum(e: _Encoder, v: enum.Enum, head: dict[str, Any] | None) -> Any:
    cls = type(v)
    out = {"$enum": persistable_name(cls)}
    if v._name_ is not None and cls.__members__.get(v._name_) is v:
        out["$name"] = v._name_
    else:  # a composite Flag value has no member name
        out["$value"] = e.enc(v._value_)
    return out


def _e_when(e: _Encoder, v: dt.datetime | dt.time, head: dict[str, Any] | None) -> Any:
    tag = "$datetime" if type(v) is dt.datetime else "$time"
    tz = v.tzinfo
    if tz is not None and type(tz) not in _ZONES and _codecs.codec_of(type(tz)) is not None:
        # A time zone class with a codec (pydantic's TzInfo, a user's): the local time, and the zone by its codec.
        out = {tag: v.replace(tzinfo=None).isoformat(), "$tzinfo": e.enc(tz)}
        if v.fold:
            out["$fold"] = 1
        return out
    out = {tag: datetime_to_str(v)}
    if type(tz) is dt.timezone and len(tz.__getinitargs__()) == 2:  # type: ignore[attr-defined]
        out["$tzname"] = tz.__getinitargs__()[1]  # type: ignore[attr-defined]
    if v.fold:
        out["$fold"] = 1
    return out


_ZONES: Final = (dt.timezone, zoneinfo.ZoneInfo)


def _e_timezone(e: _Encoder, v: dt.timezone, head: dict[str, Any] | None) -> Any:
    offset, *name = v.__getinitargs__()  # type: ignore[attr-defined]
    out = {"$timezone": [offset.days, offset.seconds, offset.microseconds]}
    if name:
        out["$tzname"] = name[0]
    return out


def _e_zoneinfo(e: _Encoder, v: zoneinfo.ZoneInfo, head: dict[str, Any] | None) -> Any:
    if v.key is None:
        raise Unsupported(v, "a ZoneInfo loaded from a file has no key", "use zoneinfo.ZoneInfo(key)")
    return {"$zoneinfo": v.key}


def _e_step(e: _Encoder, v: StepDef | WorkflowDef, head: dict[str, Any] | None) -> Any:
    step = isinstance(v, StepDef)
    registry: dict[str, Any] = STEPS if step else WORKFLOWS
    if v.key not in registry:
        what = "step" if step else "workflow"
        raise Unsupported(v, f"{what} {v.key!r} is not registered", f"define it with @wfc.{what}")
    return {"$step" if step else "$workflow": v.key}


def _leaf(tag: str, fn: Callable[[Any], Any]) -> _Handler:
    return lambda e, v, head: _tagged(head, tag, fn(v))


def _b64(v: bytes | bytearray) -> str:
    return base64.b64encode(v).decode("ascii")


_KIND: dict[type, int] = {
    list: _LIST,
    dict: _DICT,
    set: _SET,
    bytearray: _BYTEARRAY,
    collections.Counter: _DICT,
    collections.OrderedDict: _DICT,
    collections.defaultdict: _DICT,
    collections.deque: _LIST,
}
_HANDLERS: dict[type, _Handler] = {
    list: _e_list,
    dict: _e_dict,
    collections.Counter: _e_mapping("$counter"),
    collections.OrderedDict: _e_mapping("$odict"),
    collections.defaultdict: _e_defaultdict,
    collections.deque: _e_deque,
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
    raise Unsupported(v)


_STATIC: Final = frozenset(_KIND)
assert not set(_STATIC) - NATIVE_TYPES - {StepDef, WorkflowDef}, "keep _values.NATIVE_TYPES complete"


def _reclassify() -> None:
    """A type registered with a codec after its values were first met: classify the classes met so far again
    (kind before handler, as in :func:`_kind`)."""
    for t in list(_KIND):
        if t not in _STATIC:
            kind, handler = _classify(t)
            _KIND[t] = kind
            _HANDLERS[t] = handler


_codecs.on_change(_reclassify)


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
    if issubclass(t, type):  # a class object (type, or a metaclass: EnumType, ABCMeta...)
        return _LEAF, _e_class
    what = class_kind(t)
    if what == "custom":
        return _CUSTOM, _e_custom
    if what == "exc":
        return _EXC, _e_exc
    if what == "enum":
        return _LEAF, _e_enum
    if what == "ntuple":
        return _SEQ, _e_ntuple
    if what == "obj":
        return _OBJ, _e_obj
    return _BAD, _e_bad


# ---- entry points -------------------------------------------------------------------------------------------------

_HINT: Final = (
    "persist plain data: None, bool, int, float, str, bytes, list, tuple, dict, set, datetime, Decimal, UUID, "
    "enums, attrs classes, dataclasses, pydantic models, or a class given a codec with "
    "wfc.register_type(cls, encode=..., decode=...); create files, connections, clients and the like inside steps"
)


def _not_serializable(exc: Unsupported, var: str | None) -> NotSerializable:
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
    except Unsupported as exc:
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
            if type(v) not in JSON_SCALARS:
                e.scan(v)
        for name, v in variables.items():
            out[name] = v if type(v) in _FAST else e.enc(v)
    except Unsupported as exc:
        raise _not_serializable(exc, name) from None
    except RecursionError:
        raise _too_deep(name) from None
    return out
