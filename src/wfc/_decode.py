"""The decoder of the value codec: JSON-compatible data written by ``_encode.py`` back to equal values, sharing and
cycles included. Never imports a module: classes are found through ``_classes.py``. Private: import from
``wfc.convert``."""

from __future__ import annotations

import base64
import collections
import datetime as dt
import decimal
import fractions
import math
import uuid
from collections.abc import Callable
from typing import Any, Final

from wfc import _codecs, _frames
from wfc._classes import KINDS_TEXT, class_kind, lookup, obj_info, resolve
from wfc._datetimes import datetime_from_str, zone_info
from wfc._values import CLASS_MODULES, JSON_SCALARS, MISSING, UnknownType, malformed
from wfc.commands import STEPS, WORKFLOWS
from wfc.errors import StepFailed, WfcError, step_failure

_Decoding = Callable[["_Decoder", dict[str, Any], Any, Any], Any]


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
            return {k: y if type(y) in JSON_SCALARS else self.dec(y) for k, y in x.items()}
        if t is list:
            return [y if type(y) in JSON_SCALARS else self.dec(y) for y in x]
        if t in JSON_SCALARS:
            return x
        raise malformed(x)

    def tagged(self, node: dict[str, Any]) -> Any:
        ref = node.get("$ref", MISSING)
        if ref is not MISSING:
            obj = self.objs.get(ref, MISSING)
            return self.forward(ref) if obj is MISSING else obj
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
        raise malformed(node)

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
            raise malformed({"$ref": ref})
        self.tagged(node)
        return self.objs[ref]

    def fill(self, node: dict[str, Any], key: str) -> dict[str, Any]:
        items = node.get(key, {})
        return {k: y if type(y) in JSON_SCALARS else self.dec(y) for k, y in items.items()}


def _d_container(make: Callable[[], Any], add: str) -> _Decoding:
    def decode(d: _Decoder, node: dict[str, Any], payload: Any, n: Any) -> Any:
        out = make()
        if n is not None:
            d.objs[n] = out
        put = getattr(out, add)
        for y in payload:
            put(y if type(y) in JSON_SCALARS else d.dec(y))
        return out

    return decode


def _d_mapping(make: Callable[[_Decoder, dict[str, Any]], dict[Any, Any]]) -> _Decoding:
    def decode(d: _Decoder, node: dict[str, Any], payload: Any, n: Any) -> Any:
        out = make(d, node)
        if n is not None:
            d.objs[n] = out  # before the items: they may refer back to it
        if type(payload) is dict:
            for k, y in payload.items():
                out[k] = d.dec(y)
        else:
            for k, y in payload:
                key = d.dec(k)
                out[key] = d.dec(y)
        return out

    return decode


def _new_defaultdict(d: _Decoder, node: dict[str, Any]) -> dict[Any, Any]:
    factory = node.get("$factory")
    return collections.defaultdict(None if factory is None else d.dec(factory))


def _d_deque(d: _Decoder, node: dict[str, Any], payload: Any, n: Any) -> Any:
    out: collections.deque[Any] = collections.deque(maxlen=node.get("$maxlen"))
    if n is not None:
        d.objs[n] = out
    out.extend(y if type(y) in JSON_SCALARS else d.dec(y) for y in payload)
    return out


def _d_class(d: _Decoder, node: dict[str, Any], name: Any, n: Any) -> Any:
    """A class named in data: only a rebuildable kind or a standard value type (it is referred to, never called
    by decoding; a defaultdict calls its factory later, which is why arbitrary callables are refused)."""
    if not isinstance(name, str):
        raise malformed(node)
    cls = lookup(name)
    if cls is None:
        raise UnknownType(
            f"cannot find the persisted class {name}: no such class is loaded in this process",
            hint=f"import the module that defines {name} before loading workflow state, or register it",
        )
    if not isinstance(cls, type) or (class_kind(cls) is None and cls.__module__ not in CLASS_MODULES):
        raise UnknownType(f"refusing to load a reference to {name}: data may name only {KINDS_TEXT} and "
                          "builtin types")  # fmt: skip
    return cls


def _d_obj(d: _Decoder, node: dict[str, Any], name: Any, n: Any) -> Any:
    cls: Any = resolve(name, "obj")
    info = obj_info(cls)
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


def _d_custom(d: _Decoder, node: dict[str, Any], name: Any, n: Any) -> Any:
    """A value of a class with a codec: its data decoded, then given to the codec (which builds the object, so
    it is registered for ``$ref`` only afterwards: the encoder refuses data that contains the value itself)."""
    cls = resolve(name, "custom")
    codec = _codecs.codec_of(cls)
    assert codec is not None
    data = node.get("$data")
    if type(data) not in JSON_SCALARS:
        data = d.dec(data)
    try:
        obj = codec.decode(cls, data)
    except WfcError:
        raise
    except Exception as exc:
        raise UnknownType(
            f"cannot rebuild a persisted {name} from its stored data: {exc}",
            hint=f"{name} changed in a way its stored values do not fit (a new required field, a renamed one): "
            "accept the old shape too (a default), or give it a codec that upgrades old data",
        ) from None
    if n is not None:
        d.objs[n] = obj
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
        if k == "__traceback__":
            exc.__traceback__ = _frames.rebuild(x)
        else:
            object.__setattr__(exc, k, x)
    return exc


def _new_exception(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    if cls.__module__ == "builtins":
        # Builtin initialisers are side-effect free and fill in fields such as OSError.errno from args.
        try:
            return cls(*args)
        except Exception:
            pass
    try:
        exc = cls.__new__(cls, *args)  # never a user __init__: it may need arguments we do not have
    except Exception:
        return _nearest_builtin(cls, args)
    exc.args = args
    return exc


def _nearest_builtin(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """An exception class whose ``__new__`` refuses to run without its own arguments (an extension type such as
    pydantic's ``ValidationError``): rebuilt as its nearest builtin base, with a note saying so, so that the
    failure it belongs to can still be read, caught and raised."""
    for base in cls.__mro__[1:]:
        if issubclass(base, BaseException) and base.__module__ == "builtins":
            try:
                exc = base(*args)
            except Exception:
                continue
            exc.add_note(f"wfc: a {cls.__module__}.{cls.__qualname__} cannot be rebuilt from stored data; "
                         f"rebuilt as {base.__qualname__}")  # fmt: skip
            return exc
    raise malformed(cls)  # unreachable: BaseException(*args) always works


def _d_failed(d: _Decoder, node: dict[str, Any], name: Any, args: tuple[Any, ...]) -> StepFailed:
    found = lookup(name) if isinstance(name, str) else None
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
    if "$tzinfo" in node:  # a time zone class with a codec
        value = value.replace(tzinfo=d.dec(node["$tzinfo"]))
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


_FLOATS: Final = {"nan": math.nan, "-nan": -math.nan, "inf": math.inf, "-inf": -math.inf, "-0.0": -0.0}
_DECODERS: dict[str, _Decoding] = {
    "$list": _d_container(list, "append"),
    "$dict": _d_mapping(lambda d, node: {}),
    "$counter": _d_mapping(lambda d, node: collections.Counter()),
    "$odict": _d_mapping(lambda d, node: collections.OrderedDict()),
    "$defaultdict": _d_mapping(_new_defaultdict),
    "$deque": _d_deque,
    "$class": _d_class,
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
    "$type": _d_custom,
    "$exc": _d_exc,
    "$failed": _d_exc,
    "$step": _d_registry("step", STEPS),
    "$workflow": _d_registry("workflow", WORKFLOWS),
}


# ---- entry points -------------------------------------------------------------------------------------------------


def decode(data: Any) -> Any:
    """The value :func:`encode` gave ``data`` for. Never imports a module: see :func:`resolve`."""
    if type(data) in JSON_SCALARS:
        return data
    return _Decoder([data]).dec(data)


def decode_vars(data: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`encode_vars`."""
    d = _Decoder(list(data.values()))
    return {name: d.dec(v) for name, v in data.items()}
