"""pydantic v2 models as persisted values, through the same codec hook users have (``wfc.register_type``).
Imported by ``_codecs`` only once ``pydantic`` is: never by ``import wfc``. Private.

A model is stored as ``{"$type": "shop.models.Order", "$data": {...}}`` where the data is
``model.model_dump(round_trip=True)`` — Python mode, so a ``datetime`` stays a datetime (with its ``ZoneInfo``), a
``Decimal`` a Decimal, a ``set`` a set, a nested model a dict, each written by the codec's own tags — and rebuilt by
``model_validate``: the model's validators run again, as for a dataclass's ``__post_init__``. Computed fields are
not stored (they are computed again); private attributes and ``model_fields_set`` are not kept either.
"""

from __future__ import annotations

import json
import reprlib
from typing import Any

import pydantic
import pydantic_core

from wfc._classes import register_type
from wfc.commands import register_error


def _encode(model: pydantic.BaseModel) -> Any:
    return model.model_dump(round_trip=True)


def _decode(cls: type[pydantic.BaseModel], data: Any) -> pydantic.BaseModel:
    try:
        return cls.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc
    # Plain JSON given for a model in strict mode (a workflow argument from wfc.Client, with a datetime as an ISO
    # string): pydantic's JSON mode accepts what its Python mode refuses.
    try:
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError):
        text = None
    if text is not None:
        try:
            return cls.model_validate_json(text)
        except pydantic.ValidationError:
            pass
    # Raised outside the handler: the error carries no chain to pydantic's ValidationError (which is persisted
    # with the failure it causes, and says no more than this message).
    raise ValueError(describe(first))


def describe(error: pydantic.ValidationError) -> str:
    """pydantic's errors on one line: ``items[0].qty: Input should be a valid integer (got 'x'); id: Field
    required``."""
    parts = []
    for e in error.errors(include_url=False):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]).lstrip(".")
        got = f" (got {reprlib.repr(e['input'])})" if "input" in e and e["type"] != "missing" else ""
        parts.append(f"{where or 'value'}: {e['msg']}{got}")
    return "; ".join(parts)


def _offset(tz: pydantic_core.TzInfo) -> int:
    offset = tz.utcoffset(None)
    assert offset is not None
    return int(offset.total_seconds())


if int(pydantic.VERSION.split(".")[0]) >= 2:  # pydantic 1 (or pydantic.v1 models) has another API: not handled
    register_type(pydantic.BaseModel, encode=_encode, decode=_decode, subclasses=True)
    # The fixed-offset time zone of the datetimes pydantic parses ("2024-03-31T01:30:00+01:00"): kept as itself.
    register_type(pydantic_core.TzInfo, encode=_offset, decode=pydantic_core.TzInfo, name="pydantic_core.TzInfo")
    # A step's ValidationError is re-raised at the workflow's yield as a ValueError (and wfc.StepFailed): its
    # extension-type layout cannot be combined with StepFailed's, so `except ValidationError` cannot catch it.
    register_error(pydantic.ValidationError)
