"""The project's single ``cattrs.Converter`` for *typed* persisted data, with hooks for the types JSON lacks. Private:
import :data:`converter` from ``wfc.convert``, whose docstring lists the hooks."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Callable
from typing import Any, Final, TypeVar

import cattrs

from wfc._datetimes import datetime_from_str, datetime_to_str
from wfc._values import Unsupported
from wfc.errors import NotSerializable

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
    except Unsupported as exc:
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
