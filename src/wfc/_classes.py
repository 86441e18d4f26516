"""Which classes persisted data may name, and how: class names, :func:`register_type`, safe lookup by name (never
importing anything), and the fields of attrs classes and dataclasses. Private: import from ``wfc.convert``."""

from __future__ import annotations

import builtins
import dataclasses
import enum
import sys
import types
from collections.abc import Callable
from typing import Any, Final, Literal, TypeVar, overload

import attrs

from wfc import _codecs
from wfc._values import MISSING, NATIVE_TYPES, UnknownType, Unsupported, malformed
from wfc.commands import ERRORS
from wfc.errors import WfcError

_T = TypeVar("_T", bound=type)
_V = TypeVar("_V")

_BY_NAME: dict[str, type] = {}
_NAME_OF: dict[type, str] = {}
_KIND_WORDS: Final = {"obj": "an attrs class or dataclass", "enum": "an Enum", "ntuple": "a NamedTuple",
                      "exc": "an exception class",
                      "custom": "a class with a codec (wfc.register_type(cls, encode=..., decode=...))"}  # fmt: skip
KINDS_TEXT: Final = (
    "attrs classes, dataclasses, Enums, NamedTuples, exceptions, pydantic models, msgspec Structs and classes "
    "registered with wfc.register_type(cls, encode=..., decode=...)"
)


def class_kind(cls: object) -> str | None:
    """Which of the rebuildable kinds ``cls`` is, or ``None``: only these are ever instantiated from data. A class
    with a codec (``custom``) is rebuilt by its codec, whatever else it is (an exception excepted: those have
    their own form, which ``except`` clauses rely on)."""
    if not isinstance(cls, type):
        return None
    if issubclass(cls, BaseException):
        return "exc"
    if _codecs.codec_of(cls) is not None:
        return "custom"
    if issubclass(cls, enum.Enum):
        return "enum"
    if issubclass(cls, tuple):
        return "ntuple" if hasattr(cls, "_fields") and hasattr(cls, "_make") else None
    if attrs.has(cls) or dataclasses.is_dataclass(cls):
        return "obj"
    return None


@overload
def register_type(cls: _T, *, name: str | None = None) -> _T: ...


@overload
def register_type(
    cls: type[_V], *, encode: Callable[[_V], object], decode: Callable[[Any], _V], name: str | None = None
) -> type[_V]: ...


@overload
def register_type(
    cls: type[_V],
    *,
    encode: Callable[[_V], object],
    decode: Callable[[type[_V], Any], _V],
    subclasses: Literal[True],
) -> type[_V]: ...


def register_type(
    cls: Any,
    *,
    name: str | None = None,
    encode: Callable[[Any], object] | None = None,
    decode: Callable[..., Any] | None = None,
    subclasses: bool = False,
) -> Any:
    """Make ``cls`` persistable, or findable again by name.

    * ``register_type(cls, encode=f, decode=g)``: values of ``cls`` are persisted as ``{"$type": name, "$data":
      ...}`` where the data is ``f(value)`` (any persistable value, itself encoded by the codec), and rebuilt as
      ``g(data)``. ``g`` also structures plain data into ``cls`` where a workflow's type hint names it (a
      workflow argument given as JSON by ``wfc.Client``): it should accept what ``f`` returns after a JSON round
      trip and raise (any exception; its message is shown) on data that does not fit.
    * ``subclasses=True``: one codec for ``cls`` and every subclass of it; ``decode(subclass, data)`` builds the
      class that was stored. pydantic models and msgspec Structs are persisted through such codecs, registered
      automatically once their library is imported.
    * ``register_type(cls)`` or ``(cls, name=...)`` alone: an attrs class, dataclass, Enum, NamedTuple, exception
      or class with a codec whose name cannot be looked up in ``sys.modules`` (defined inside a function,
      imported under another name), or that was moved or renamed (pass the old ``name``, ``module.QualName``,
      to keep reading old data: every name registered stays readable; the latest is written).

    The name is what data stores (``module.qualname`` unless given), so it must stay the same across deploys.
    A name already taken by another class, or a second codec for one class, is refused (``WFC402``).
    """
    if not isinstance(cls, type):
        raise WfcError(f"register_type() takes a class, not {cls!r}", code="WFC402")
    if (encode is None) != (decode is None):
        raise WfcError("register_type() takes both encode= and decode=, or neither", code="WFC402")
    key = name or f"{cls.__module__}.{cls.__qualname__}"
    if not subclasses:
        _free(cls, key)  # checked before anything is registered: a refused call changes nothing
    if encode is not None and decode is not None:
        _add_codec(cls, encode, decode, subclasses, name)
    elif subclasses:
        raise WfcError("register_type(subclasses=True) needs encode= and decode=", code="WFC402")
    elif class_kind(cls) is None:
        msg = f"register_type() takes a class the codec can rebuild ({KINDS_TEXT}), not {cls!r}"
        raise WfcError(msg, code="WFC402", hint="give it a codec: wfc.register_type(cls, encode=..., decode=...)")
    if not subclasses:
        _BY_NAME[key] = cls
        _NAME_OF[cls] = key  # every name registered stays readable; the latest one is written
    return cls


def _add_codec(
    cls: type, encode: Callable[[Any], object], decode: Callable[..., Any], family: bool, name: str | None
) -> None:
    if not callable(encode) or not callable(decode):
        raise WfcError("register_type(): encode and decode must be callables", code="WFC402")
    if family and name is not None:
        raise WfcError(
            "register_type(subclasses=True) takes no name: each subclass is stored under its own name",
            code="WFC402",
            hint="register a renamed subclass by itself: wfc.register_type(Sub, name='old.Name')",
        )
    if cls in NATIVE_TYPES or cls is object:
        raise WfcError(f"register_type(): the codec persists {cls.__qualname__} itself", code="WFC402")
    if issubclass(cls, BaseException):
        raise WfcError(
            f"register_type(): {cls.__qualname__} is an exception class, which is persisted as such",
            code="WFC402",
            hint="use wfc.register_error() to name an exception class",
        )
    if _codecs.registered(cls) is not None:
        raise WfcError(
            f"register_type(): {type_name(cls)} already has a codec",
            code="WFC402",
            hint="register each type once (at import of the module that defines it)",
        )
    if family:
        _codecs.add(_codecs.TypeCodec(cls, encode, decode, True))
    else:
        _codecs.add(_codecs.TypeCodec(cls, encode, lambda _cls, data: decode(data), False))


def _free(cls: type, key: str) -> None:
    taken = _BY_NAME.get(key)
    if taken is not None and taken is not cls:
        raise WfcError(
            f"register_type(): the name {key!r} is already registered for another class ({taken!r})",
            code="WFC402",
            hint="names identify types in stored data: give each class its own",
        )


def type_name(cls: type) -> str:
    """The name data uses for ``cls``: its registered name, else ``module.qualname`` (bare for builtins)."""
    name = _NAME_OF.get(cls)
    if name is None:
        name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    return name


def persistable_name(cls: type) -> str:
    """:func:`type_name`, refused (for the encoder) when decoding could never find the class by that name."""
    name = type_name(cls)
    if "<locals>" in name and cls not in _NAME_OF and ERRORS.get(name) is not cls:
        hint = (
            f"define {cls.__qualname__} at module level, or call wfc.register_type({cls.__name__}) before use"
        )
        raise Unsupported(None, f"class {name} is defined inside a function and cannot be found again", hint)
    return name


def lookup(name: str) -> object:
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
        raise malformed(name)
    cls = lookup(name)
    if cls is None:
        msg = f"cannot rebuild a persisted {name}: no such class is loaded in this process"
        hint = f"import the module that defines {name} before loading workflow state, or register it with wfc.register_type()"
        raise UnknownType(msg, hint=hint)
    if class_kind(cls) != kind:
        msg = f"refusing to rebuild a persisted {name}: data may only name {_KIND_WORDS[kind]}, and it is {cls!r}"
        raise UnknownType(msg, hint=f"only {KINDS_TEXT} are rebuilt")
    assert isinstance(cls, type)
    return cls


# ---- attrs classes and dataclasses ----------------------------------------------------------------------------------


@attrs.frozen
class ObjInfo:
    fields: tuple[str, ...]  # attribute names, definition order
    field_set: frozenset[str]
    init: tuple[tuple[str, str], ...]  # (attribute name, __init__ parameter name) of init fields
    # Calling __init__ with the stored values rebuilds the object exactly: no attrs converters (they would run
    # twice), no dataclass InitVars (not stored), and the class's __init__ is the generated one.
    exact_init: bool


_OBJ_INFO: dict[type, ObjInfo] = {}


def obj_info(cls: type) -> ObjInfo:
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
    info = _OBJ_INFO[cls] = ObjInfo(names, frozenset(names), init, exact)
    return info


def obj_items(v: object, info: ObjInfo) -> list[tuple[str, Any]]:
    """An instance's state: its fields (unset ones skipped), then other instance ``__dict__`` entries (e.g. a
    ``cached_property``), so that the rebuilt object has exactly the same attributes."""
    items = [(f, x) for f in info.fields if (x := getattr(v, f, MISSING)) is not MISSING]
    extra = getattr(v, "__dict__", None)
    if extra:
        items.extend((k, x) for k, x in extra.items() if k not in info.field_set)
    return items
