"""Codecs that users register for their own types (``wfc.register_type(cls, encode=..., decode=...)``), and the
integrations registered the same way for pydantic models and ``msgspec.Struct``\\ s. Private: the public face is
:func:`wfc.register_type` (in ``_classes.py``); the persisted form is documented in ``wfc.convert``.

A codec is either *exact* (one class; ``decode(data)``) or a *family* (a base class and all its subclasses;
``decode(cls, data)``, since it must build the subclass that was stored). Data names the class itself either way
(its registered name, else ``module.qualname``), never the codec, so a family member is found like any class.

The integrations are *lazy*: a pydantic model cannot exist before ``pydantic`` is imported, so the pydantic
codec is installed the first time a class is looked up while ``pydantic`` is in ``sys.modules`` — importing wfc
never imports pydantic (or msgspec), installed or not.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from typing import Any, Final

import attrs

# The integrations: the library whose import makes them possible -> our module that registers its codec.
_LAZY: Final = {"pydantic": "wfc._pydantic", "msgspec": "wfc._msgspec"}


@attrs.frozen
class TypeCodec:
    cls: type
    encode: Callable[[Any], Any]
    decode: Callable[[type, Any], Any]  # (the class stored, its decoded data) -> the value
    family: bool  # covers subclasses of ``cls`` too


_EXACT: dict[type, TypeCodec] = {}
_FAMILIES: list[TypeCodec] = []
_FOUND: dict[type, TypeCodec | None] = {}  # codec_of's cache; cleared on every registration
_LISTENERS: list[Callable[[], None]] = []
_pending: dict[str, str] = dict(_LAZY)
# Re-entrant: installing pydantic's codecs registers types, which re-classifies classes, which asks for
# integrations again (msgspec still pending) in the same thread — with a plain lock that thread waited on itself.
_lock = threading.RLock()


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every registration: the encoder and the type checker cache per-class decisions."""
    _LISTENERS.append(listener)


def add(codec: TypeCodec) -> None:
    if codec.family:
        _FAMILIES.append(codec)
    else:
        _EXACT[codec.cls] = codec
    _changed()


def _changed() -> None:
    _FOUND.clear()
    for listener in _LISTENERS:
        listener()


def registered(cls: type) -> TypeCodec | None:
    """The codec registered for ``cls`` itself or as a family base (not one it merely inherits)."""
    found = _EXACT.get(cls)
    if found is None:
        found = next((c for c in _FAMILIES if c.cls is cls), None)
    return found


def codec_of(cls: type) -> TypeCodec | None:
    """The codec for values of ``cls``: its exact one, else that of the nearest family base in its MRO (a user's
    family for their own ``BaseModel`` subclass wins over the pydantic one)."""
    try:
        return _FOUND[cls]
    except KeyError:
        pass
    install_integrations()
    found = _EXACT.get(cls)
    if found is None:
        mro = cls.__mro__
        matches = [c for c in _FAMILIES if issubclass(cls, c.cls)]
        if matches:
            found = min(matches, key=lambda c: mro.index(c.cls) if c.cls in mro else len(mro))
    _FOUND[cls] = found
    return found


def install_integrations() -> bool:
    """Register the codecs of the libraries imported so far (pydantic, msgspec), each once; whether any was."""
    if not _pending:
        return False
    ready = [lib for lib in _pending if sys.modules.get(lib) is not None]  # None: an import blocked on purpose
    if not ready:
        return False
    with _lock:
        for lib in ready:
            module = _pending.pop(lib, None)
            if module is not None:
                try:
                    importlib.import_module(module)  # our own module, never one named by data
                except ImportError:  # the library is half there (a broken install): its values stay unknown
                    pass
    return True
