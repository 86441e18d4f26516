"""A stable text form of a state table (``wfc compile --emit ir``), used by the golden tests.

Layout: a header (signature, hash, locals), the regions, then one block per state in table order: its code
lines prefixed with ``|``, then its control op.
"""

from __future__ import annotations

from wfc.compiler import ir


def _op(op: ir.Op) -> list[str]:
    if isinstance(op, ir.Goto):
        return [f"goto {op.target}"]
    if isinstance(op, ir.Branch):
        return [f"branch {op.test.source} ? {op.if_true} : {op.if_false}"]
    if isinstance(op, ir.Suspend):
        bind = f" -> {' = '.join(op.bind.targets)}" if op.bind else ""
        ann = f": {op.bind.annotation}" if op.bind and op.bind.annotation else ""
        lines = [f"suspend {op.command.source}{bind}{ann}", f"  resume {op.resume}"]
        lines.append(f"  live {', '.join(op.live) if op.live else '-'}")
        return lines
    if isinstance(op, ir.Return):
        return [f"return {op.value.source}" if op.value else "return"]
    if isinstance(op, ir.Raise):
        if op.exc is None:
            return ["raise"]
        cause = f" from {op.cause.source}" if op.cause else ""
        return [f"raise {op.exc.source}{cause}"]
    if isinstance(op, ir.Leave):
        c = op.completion
        what = (
            f"jump {c.target}"
            if isinstance(c, ir.Jump)
            else (f"return {c.value.source}" if c.value else "return")
        )
        return [f"leave {op.region} ({what})"]
    assert isinstance(op, ir.EndFinally)
    return [f"end_finally {op.region}"]


def format_table(table: ir.Table, *, with_hash: bool = True) -> str:
    params = []
    for p in table.params:
        prefix = {"var_positional": "*", "var_keyword": "**"}.get(p.kind, "")
        text = prefix + p.name + (f": {p.annotation}" if p.annotation else "")
        if p.default is not None:
            text += f" = {p.default}"
        params.append(text)
    returns = f" -> {table.returns}" if table.returns else ""
    out = [f"workflow {table.name}({', '.join(params)}){returns}"]
    if with_hash:
        out.append(f"hash {table.hash}")
    out.append(f"locals {', '.join(table.locals) if table.locals else '-'}")
    if table.regions:
        out.append("regions")
        for r in table.regions:
            parts = [f"  {r.id}", f"parent {r.parent or '-'}"]
            if r.handlers:
                hs = ", ".join(f"{h.types.source if h.types else '*'} -> {h.target}" for h in r.handlers)
                parts.append(f"except [{hs}] into {r.slot}")
            if r.finally_entry:
                parts.append(f"finally {r.finally_entry} via {r.completion}")
            if r.exits:
                parts.append(f"exits [{', '.join(r.exits)}]")
            out.append("; ".join(parts))
    out.append("states")
    for s in table.states:
        tags = []
        if s.region:
            tags.append(f"in {s.region}")
        if s.handling:
            tags.append(f"handling {s.handling}")
        if s.pos:
            tags.append(f"line {s.pos.line}")
        entry = " (entry)" if s.id == table.entry else ""
        out.append(f"  {s.id}{entry}" + (f"  [{', '.join(tags)}]" if tags else ""))
        if s.code:
            out.extend(f"    | {line}" for line in s.code.source.splitlines())
        out.extend(f"    {line}" for line in _op(s.op))
    return "\n".join(out) + "\n"
