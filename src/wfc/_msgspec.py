"""``msgspec.Struct`` values, through the same codec hook users have (``wfc.register_type``). Imported by
``_codecs`` only once ``msgspec`` is: never by ``import wfc``. Private.

A Struct is stored as ``{"$type": "shop.models.Point", "$data": ...}`` where the data is
``msgspec.to_builtins(value)`` keeping the value types wfc's codec writes itself (datetimes, Decimal, UUID,
bytes), and rebuilt by ``msgspec.convert(data, cls)``, which also structures plain JSON (an ISO string into a
datetime) given for a Struct-typed workflow argument.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any, Final

import msgspec

from wfc._classes import register_type

_KEEP: Final = (dt.datetime, dt.date, dt.time, dt.timedelta, decimal.Decimal, uuid.UUID, bytes, bytearray)


def _encode(value: msgspec.Struct) -> Any:
    return msgspec.to_builtins(value, builtin_types=_KEEP)


def _decode(cls: type[msgspec.Struct], data: Any) -> msgspec.Struct:
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None


register_type(msgspec.Struct, encode=_encode, decode=_decode, subclasses=True)
