"""A stable text form of a state table (``wfc compile --emit ir``), used by the golden tests.

Layout: a header (signature, hash, locals), the regions, then one block per state in table order: its code
lines prefixed with ``|``, the loop it heads (``loop ...``), then its control op (as the op describes itself;
a suspension ends with its command's kind, ``[step]``).
"""

from __future__ import annotations

from wfc.compiler import ir


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
        if s.loop:
            out.append(f"    loop {s.loop.title}" + (f" via {s.loop.cursor}" if s.loop.cursor else ""))
        out.extend(f"    {line}" for line in s.op.describe())
    return "\n".join(out) + "\n"
