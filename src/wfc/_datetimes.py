"""The text form of datetimes and times in persisted data: ISO 8601 with a ``ZoneInfo`` key in brackets. Shared by
the value codec and the cattrs converter. Private: import from ``wfc.convert``."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from wfc._values import UnknownType, Unsupported


def datetime_to_str(v: dt.datetime | dt.time) -> str:
    """ISO 8601; a ``ZoneInfo`` adds its key in brackets (RFC 9557): ``2024-03-01T10:00:00+01:00[Europe/Paris]``.
    Any other tzinfo than ``datetime.timezone`` and keyed ``ZoneInfo`` cannot be persisted."""
    tz = v.tzinfo
    if tz is None or type(tz) is dt.timezone:
        return v.isoformat()
    if type(tz) is zoneinfo.ZoneInfo and tz.key is not None:
        return f"{v.isoformat()}[{tz.key}]"
    raise Unsupported(v, f"its tzinfo {type(tz).__name__} cannot be persisted",
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
    """The time zone named ``key``, or :class:`UnknownType` when this machine has no data for it."""
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownType(
            f"time zone {key!r} is not available: {exc}", hint="install the tzdata package"
        ) from None
