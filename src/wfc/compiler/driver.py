"""The compiler pipeline: front end → checks → lowering → liveness → command shapes → verification.

:func:`diagnose` returns every problem (errors and warnings) without raising; :func:`compile_workflow` raises
:class:`CompileError` when there is an error and caches the table on the definition (compiling is pure).
"""

from __future__ import annotations

import attrs

from wfc.commands import WorkflowDef
from wfc.compiler import ir, serialize, syntax
from wfc.compiler.cut import LOCALS_INTRINSIC
from wfc.compiler.lower import lower
from wfc.compiler.shapes import annotate
from wfc.compiler.verify import verify
from wfc.errors import CompileError, Diagnostic, InternalError, Severity

_CACHE_KEY = "table"


def _front_end(defn: WorkflowDef, legacy_locals: bool) -> tuple[syntax.Workflow | None, list[Diagnostic]]:
    if defn.frontend == "wf":
        if not isinstance(defn.syntax, syntax.Workflow):
            raise InternalError(f"workflow {defn.key} from a .wf file carries no syntax")
        return defn.syntax, []
    from wfc.compiler.python.determinism import check_determinism
    from wfc.compiler.python.frontend import translate
    from wfc.compiler.python.source import function_source

    assert defn.fn is not None
    try:
        src = function_source(defn.fn)
    except CompileError as exc:
        return None, list(exc.diagnostics)
    namespace = {**defn.namespace, **defn.closure_values()}
    workflow, diagnostics = translate(
        namespace, src.tree, src.map, defn.key, src.warnings, legacy_locals=legacy_locals
    )
    if workflow is not None and not any(d.code == "WFC106" for d in diagnostics):
        diagnostics.extend(check_determinism(src.tree, src.map, namespace, workflow_name=defn.name))  # type: ignore[arg-type]
    return workflow, diagnostics


def diagnose(
    defn: WorkflowDef, *, format_version: int = ir.FORMAT_VERSION
) -> tuple[ir.Table | None, list[Diagnostic]]:
    """Compile without raising: the table (``None`` when there are errors) and every diagnostic, sorted.
    ``format_version`` below the current one cuts the code as that format's compiler did (the table still says
    the current format: :func:`compile_in_format` relabels it)."""
    workflow, diagnostics = _front_end(defn, legacy_locals=format_version < 3)
    table = None
    if workflow is not None and not any(d.is_error for d in diagnostics):
        table, more = lower(workflow)
        table = annotate(table, {**defn.namespace, **defn.closure_values()})
        diagnostics.extend(more)
        if not any(d.is_error for d in diagnostics):
            problems = verify(table)
            if problems:
                text = "\n".join(p.render() for p in problems)
                raise InternalError(f"the compiler produced an invalid table for {defn.key}:\n{text}")
    diagnostics.sort(key=_position)
    if any(d.is_error for d in diagnostics):
        table = None
    return table, _dedupe(diagnostics)


def compile_workflow(defn: WorkflowDef) -> ir.Table:
    """The state table of a workflow. Raises :class:`CompileError` listing every problem."""
    cached = defn.cache.get(_CACHE_KEY)
    if isinstance(cached, ir.Table):
        return cached
    table, diagnostics = diagnose(defn)
    if table is None:
        raise CompileError(diagnostics)
    defn.cache[_CACHE_KEY] = table
    defn.cache["warnings"] = tuple(d for d in diagnostics if d.severity is Severity.WARNING)
    return table


def compile_in_format(defn: WorkflowDef, version: int) -> ir.Table:
    """The table the compiler of IR format ``version`` (one still read) made of the current code: its hash is
    the one an instance started before wfc changed its format recorded, so that instance keeps running. Raises
    :class:`CompileError` as :func:`compile_workflow` does; cached on the definition."""
    current = compile_workflow(defn)
    if version == current.format_version:
        return current
    key = f"{_CACHE_KEY}.v{version}"
    cached = defn.cache.get(key)
    if isinstance(cached, ir.Table):
        return cached
    table = current
    if version < 3 and defn.frontend != "wf" and LOCALS_INTRINSIC + "(" in serialize.canonical_json(current):
        # Format 3 changed only the liveness of `locals()` (see ir.FORMAT_VERSION): a table that calls it is
        # cut again by format 2's rule; any other is the same table. `.wf` has no `locals()`.
        legacy, diagnostics = diagnose(defn, format_version=version)
        if legacy is None:  # the same code compiled a moment ago: a failure now is the compiler's bug
            raise InternalError(f"{defn.key} does not compile in IR format {version}: {diagnostics}")
        table = legacy
    table = serialize.as_format(table, version)
    defn.cache[key] = table
    return table


def older_formats(defn: WorkflowDef) -> list[ir.Table]:
    """The current code's table in each older IR format still read, newest first (their hashes differ)."""
    current = compile_workflow(defn)
    return [compile_in_format(defn, v) for v in sorted(ir.READABLE_VERSIONS, reverse=True) if v < current.format_version]


def _position(d: Diagnostic) -> tuple[str, int, int, str]:
    if d.span is None:
        return ("", 0, 0, d.code)
    return (d.span.path, d.span.line, d.span.col, d.code)


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str, object]] = set()
    out = []
    for d in diagnostics:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def normalize(table: ir.Table) -> ir.Table:
    """A copy without source positions and with states and regions renamed by order of appearance.

    Two tables are "equal up to source positions" when their normalized forms are equal, e.g. a ``.wf``
    workflow and its Python twin.
    """
    state_names = {s.id: f"s{i}" for i, s in enumerate(table.states)}
    state_names[table.entry] = state_names.get(table.entry, table.entry)
    region_names = {r.id: f"r{i}" for i, r in enumerate(table.regions)}

    def st(sid: str) -> str:
        return state_names.get(sid, sid)

    def rg(rid: str | None) -> str | None:
        return region_names.get(rid, rid) if rid is not None else None

    states = tuple(
        attrs.evolve(
            s,
            id=st(s.id),
            op=s.op.retarget(st, lambda r: rg(r) or ""),
            region=rg(s.region),
            pos=None,
            op_line=None,
            code=attrs.evolve(s.code, lines=()) if s.code else None,
        )
        for s in table.states
    )
    regions = tuple(
        attrs.evolve(
            r,
            id=rg(r.id) or "",
            parent=rg(r.parent),
            handlers=tuple(attrs.evolve(h, target=st(h.target)) for h in r.handlers),
            finally_entry=st(r.finally_entry) if r.finally_entry else None,
            exits=tuple(st(x) for x in r.exits),
            pos=None,
        )
        for r in table.regions
    )
    return attrs.evolve(table, name="", path="", entry=st(table.entry), states=states, regions=regions)
