"""The state table as JSON, through the project's one cattrs converter, and its content hash.

Ops and completions are tagged unions (``{"op": "goto", ...}``, ``{"kind": "jump", ...}``). The JSON carries
``format_version``; loading a version this wfc does not read is refused with ``WFC311``.

Format versions (see ``docs/ir.md``): **2** (current) added the structure tools read — ``State.loop`` (loop
heads) and ``Suspend.shape`` (command kinds) — and ``Region.handling`` (the exception active in a finally), and
runs handler and finally code with the handled exception active. **1** had none of them. A format-1 table is still read: its structure is
recovered once, here, from the code format 1 generated (:func:`_upgrade_v1`), and it is kept, written and
*hashed* as format 1 (without the fields format 1 did not have), so an instance pinned to a format-1 hash finds
its table again, byte for byte.

The hash is the sha256 of the canonical JSON (sorted keys, no whitespace) *without* source positions and the file
path: the same code compiled on any machine, from any checkout directory, has the same hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import attrs

from wfc.compiler import ir
from wfc.convert import converter
from wfc.errors import WfcError

_OPS: dict[str, type[Any]] = {cls.tag: cls for cls in ir.OPS}
_OP_TAGS = {cls: tag for tag, cls in _OPS.items()}
_COMPLETIONS: dict[str, type[Any]] = {cls.tag: cls for cls in (ir.Jump, ir.ReturnWith)}
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


_V2_STATE_FIELDS = ("loop",)
_V2_OP_FIELDS = ("shape",)
_V2_REGION_FIELDS = ("handling",)


def to_data(table: ir.Table) -> dict[str, Any]:
    """The table as JSON data, in its own format version (a format-1 table without the fields of format 2)."""
    data: dict[str, Any] = converter.unstructure(table)
    if table.format_version == 1:
        for state in data["states"]:
            for name in _V2_STATE_FIELDS:
                state.pop(name, None)
            for name in _V2_OP_FIELDS:
                state["op"].pop(name, None)
        for region in data["regions"]:
            for name in _V2_REGION_FIELDS:
                region.pop(name, None)
    return data


def from_data(data: Any) -> ir.Table:
    if not isinstance(data, dict):
        raise WfcError("malformed table: expected a JSON object", code="WFC311")
    version = data.get("format_version")
    if version not in ir.READABLE_VERSIONS:
        readable = ", ".join(str(v) for v in ir.READABLE_VERSIONS)
        raise WfcError(
            f"table format version {version!r} is not supported (this wfc reads versions {readable})",
            code="WFC311",
            hint="recompile the workflow with this version of wfc",
        )
    if version == 1:
        data = _without_v2_fields(data)
    try:
        table: ir.Table = converter.structure(data, ir.Table)
    except WfcError:
        raise
    except Exception as exc:  # cattrs raises a tree of errors; one line is enough for a user
        raise WfcError(f"malformed table: {exc}", code="WFC311") from None
    return _upgrade_v1(table) if version == 1 else table


def _without_v2_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A format-1 document never has format-2 fields: ones that are there (a hand-edited file) are dropped, so
    that the hash of what is loaded is the hash of what format 1 means."""
    out = dict(data)
    states = data.get("states")
    if isinstance(states, list):
        clean = []
        for s in states:
            if isinstance(s, dict):
                s = {k: v for k, v in s.items() if k not in _V2_STATE_FIELDS}
                if isinstance(s.get("op"), dict):
                    s["op"] = {k: v for k, v in s["op"].items() if k not in _V2_OP_FIELDS}
            clean.append(s)
        out["states"] = clean
    regions = data.get("regions")
    if isinstance(regions, list):
        out["regions"] = [
            {k: v for k, v in r.items() if k not in _V2_REGION_FIELDS} if isinstance(r, dict) else r
            for r in regions
        ]
    return out


def as_format(table: ir.Table, version: int) -> ir.Table:
    """``table`` as a table of format ``version``: what the compiler of that format produced for the same code,
    when the code it generates did not change in between. Its hash is the one an instance started under that
    format recorded. Formats 2 and 3 differ only in the liveness the compiler gives ``locals()``
    (:data:`wfc.compiler.ir.FORMAT_VERSION`): a table that calls it must be compiled again in format 2
    (:func:`wfc.compiler.driver.compile_in_format` does), any other is the same table."""
    if version == table.format_version:
        return table
    if version not in ir.READABLE_VERSIONS or version > table.format_version:
        raise ValueError(f"cannot express a table of format {table.format_version} in format {version}")
    if version == 1:
        regions = tuple(attrs.evolve(r, handling=None) for r in table.regions)
        return attrs.evolve(table, format_version=1, regions=regions)
    return attrs.evolve(table, format_version=version)


def _upgrade_v1(table: ir.Table) -> ir.Table:
    """Fill in the structure a format-1 table leaves implicit, so that tools read every table alike.

    Format 1 recorded loops only in the code it generated: a loop cursor ``_wfc_itN = _wfc_loop(kind, args)``
    and a head ``branch _wfc_itN.more()``; commands only as their source. This is the one place that reads that
    code (the format is frozen, so the patterns are too); the fields filled in are not part of a format-1
    table's JSON or hash."""
    from wfc.compiler.shapes import command_shape

    inits: dict[str, str] = {}
    for s in table.states:
        for line in s.code.source.splitlines() if s.code else ():
            m = _V1_LOOP_INIT.match(line)
            if m:
                inits[m.group(1)] = m.group(2)
    states = []
    for s in table.states:
        op = s.op
        if isinstance(op, ir.Suspend) and op.shape is None:
            op = attrs.evolve(op, shape=command_shape(op.command.source, {}))
        loop = s.loop
        if loop is None and isinstance(op, ir.Branch):
            m = _V1_LOOP_TEST.match(op.test.source)
            if m and m.group(1) in inits:
                target, over = _v1_label(s.label)
                loop = ir.LoopHead("for", m.group(1), over or inits[m.group(1)], target)
            elif s.id.endswith(".while"):
                loop = ir.LoopHead("while", test=op.test.source)
        elif loop is None and s.id.endswith(".while"):
            loop = ir.LoopHead("while", test="True")
        states.append(attrs.evolve(s, op=op, loop=loop))
    return attrs.evolve(table, states=tuple(states))


_V1_LOOP_INIT = re.compile(r"^(_wfc_it\d+) = _wfc_loop\((.*)\)$")
_V1_LOOP_TEST = re.compile(r"^(_wfc_it\d+)\.more\(\)$")


def _v1_label(label: str) -> tuple[str | None, str | None]:
    """Format 1 labelled a for loop's head ``for TARGET in ITERABLE``."""
    if label.startswith("for ") and " in " in label:
        target, _, over = label[4:].partition(" in ")
        return target, over
    return None, None


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
