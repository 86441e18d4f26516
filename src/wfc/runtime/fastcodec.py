"""A fast path for encoding the live variables in their most common shapes, byte for byte what
:func:`wfc.convert.dumps_vars` writes.

A transition encodes its live variables every time; in the common case they are a loop cursor over a ``range``
or a string, and a few scalars (ints, strings, floats, booleans, ``None``): nothing that can be aliased. Those are
written here directly; anything else returns ``None`` and the codec does the work. A test keeps both equal.
"""

from __future__ import annotations

import json.encoder
from typing import Any

from wfc.runtime.loops import Loop

_str = json.encoder.encode_basestring  # the C encoder's string form (ensure_ascii=False), as the codec writes
_INT = 1 << 62
_LOOP = '{"$obj":"wfc.runtime.loops.Loop","$fields":{"kind":'
_INF = float("inf")


def _scalar(v: Any) -> str | None:
    t = type(v)
    if t is int:
        return str(v) if -_INT < v < _INT else None
    if t is str:
        return _str(v)  # type: ignore[no-any-return,unused-ignore]
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is float and -_INF < v < _INF and (v != 0.0 or str(v) == "0.0"):
        return float.__repr__(v)
    return None


def _loop(v: Loop) -> str | None:
    if v.keys is not None or v.inner is not None or v.dead is not None:
        return None
    if v.usable != 0 or v.general is not False or v.found != -1 or v.strict is not False:
        return None
    seq = v.seq
    if type(seq) is range:
        seq_text = f'{{"$range":[{seq.start},{seq.stop},{seq.step}]}}'
    elif type(seq) is str:
        seq_text = _str(seq)
    else:
        return None
    kind, part, index, size, count = v.kind, v.part, v.index, v.size, v.count
    if type(kind) is not str or type(part) is not str:
        return None
    if type(index) is not int or type(size) is not int or type(count) is not int:
        return None
    if not (-_INT < index < _INT and -_INT < size < _INT and -_INT < count < _INT):
        return None
    return (
        f'{_LOOP}{_str(v.kind)},"seq":{seq_text},"index":{v.index},"keys":null,"size":{v.size},'
        f'"part":{_str(v.part)},"inner":null,"count":{v.count},"dead":null,"usable":0,"general":false,'
        f'"found":-1,"strict":false}}}}'
    )


def dumps_vars(variables: dict[str, Any]) -> str | None:
    """The codec's text for ``variables``, or ``None`` when they are not of the simple shapes handled here."""
    parts = []
    for name, v in variables.items():
        text = _scalar(v)
        if text is None:
            if type(v) is not Loop:
                return None
            text = _loop(v)
            if text is None:
                return None
        parts.append(f"{_str(name)}:{text}")
    out = "{" + ",".join(parts) + "}"
    if not out.isascii():
        try:
            out.encode("utf-8")
        except UnicodeEncodeError:
            return None  # a lone surrogate: the codec says where
    return out
