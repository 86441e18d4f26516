"""The state table as JSON, through the project's one cattrs converter, and its content hash.

Ops and completions are tagged unions (``{"op": "goto", ...}``, ``{"kind": "jump", ...}``). The JSON carries
``format_version``; loading a table of another version is refused with ``WFC311``.

The hash is the sha256 of the canonical JSON (sorted keys, no whitespace) *without* source positions and the file
path: the same code compiled on any machine, from any checkout directory, has the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import attrs

from wfc.compiler import ir
from wfc.convert import converter
from wfc.errors import WfcError

_OPS: dict[str, type[Any]] = {
    "goto": ir.Goto,
    "branch": ir.Branch,
    "suspend": ir.Suspend,
    "return": ir.Return,
    "raise": ir.Raise,
    "leave": ir.Leave,
    "end_finally": ir.EndFinally,
}
_OP_TAGS = {cls: tag for tag, cls in _OPS.items()}
_COMPLETIONS: dict[str, type[Any]] = {"jump": ir.Jump, "return": ir.ReturnWith}
_COMPLETION_TAGS = {cls: tag for tag, cls in _COMPLETIONS.items()}


def _tagged(tag_field: str, tags: dict[type[Any], str]) -> Callable[[Any], dict[str, Any]]:
    def unstructure(value: Any) -> dict[str, Any]:
        data = {tag_field: tags[type(value)]}
        for a in attrs.fields(type(value)):
            data[a.name] = converter.unstructure(getattr(value, a.name))
        return data

    return unstructure


def _untagged(tag_field: str, classes: dict[str, type[Any]]) -> Callable[[Any, Any], Any]:
    def structure(data: Any, _type: Any) -> Any:
        if not isinstance(data, dict) or data.get(tag_field) not in classes:
            raise WfcError(
                f"malformed table: expected an object with {tag_field!r} in {sorted(classes)}", code="WFC311"
            )
        cls = classes[data[tag_field]]
        fields = {k: v for k, v in data.items() if k != tag_field}
        return converter.structure(fields, cls)

    return structure


for _cls in _OPS.values():
    converter.register_unstructure_hook(_cls, _tagged("op", _OP_TAGS))
converter.register_structure_hook(ir.Op, _untagged("op", _OPS))
for _cls in _COMPLETIONS.values():
    converter.register_unstructure_hook(_cls, _tagged("kind", _COMPLETION_TAGS))
converter.register_structure_hook(ir.Jump | ir.ReturnWith, _untagged("kind", _COMPLETIONS))


def to_data(table: ir.Table) -> dict[str, Any]:
    data: dict[str, Any] = converter.unstructure(table)
    return data


def from_data(data: Any) -> ir.Table:
    if not isinstance(data, dict):
        raise WfcError("malformed table: expected a JSON object", code="WFC311")
    version = data.get("format_version")
    if version != ir.FORMAT_VERSION:
        raise WfcError(
            f"table format version {version!r} is not supported (this wfc reads version {ir.FORMAT_VERSION})",
            code="WFC311",
            hint="recompile the workflow with this version of wfc",
        )
    try:
        return converter.structure(data, ir.Table)
    except WfcError:
        raise
    except Exception as exc:  # cattrs raises a tree of errors; one line is enough for a user
        raise WfcError(f"malformed table: {exc}", code="WFC311") from None


def to_json(table: ir.Table, *, indent: int | None = 2) -> str:
    return json.dumps(to_data(table), indent=indent, ensure_ascii=False)


def from_json(text: str) -> ir.Table:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WfcError(f"malformed table JSON: {exc}", code="WFC311") from None
    return from_data(data)


_POSITIONS = frozenset({"pos", "path", "lines", "op_line"})


def _strip_positions(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip_positions(v) for k, v in data.items() if k not in _POSITIONS}
    if isinstance(data, list):
        return [_strip_positions(v) for v in data]
    return data


def canonical_json(table: ir.Table) -> str:
    return json.dumps(
        _strip_positions(to_data(table)), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


_hash_cache: dict[int, tuple[ir.Table, str]] = {}


def table_hash(table: ir.Table) -> str:
    """sha256 (hex) of the canonical JSON. Cached per table object (tables are immutable)."""
    hit = _hash_cache.get(id(table))
    if hit is not None and hit[0] is table:
        return hit[1]
    digest = hashlib.sha256(canonical_json(table).encode()).hexdigest()
    _hash_cache[id(table)] = (table, digest)
    return digest
