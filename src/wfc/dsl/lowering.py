"""``.wf`` workflow → the front-end AST (:mod:`wfc.compiler.syntax`) that Python workflows produce too.

Two steps. :mod:`wfc.dsl.topython` builds the Python ``ast`` of the equivalent generator; the shared cutter
(:mod:`wfc.compiler.cut`, the one the Python front end calls) then cuts it. So a ``.wf`` workflow and its
hand-written twin give equal front-end ASTs, hence equal tables (``tests/wf/test_lowering.py`` checks pairs).
"""

from __future__ import annotations

import ast

from wfc.compiler import pycode, pywarnings, syntax
from wfc.compiler.cut import TEMP_VAR, Cutter
from wfc.compiler.python.source import SourceMap
from wfc.dsl import ast as wf
from wfc.dsl.codes import Reporter
from wfc.dsl.resolve import Env, bound_names
from wfc.dsl.topython import ToPython
from wfc.dsl.types import python_source
from wfc.errors import InternalError, Span

__all__ = ["TEMP_VAR", "lower_workflow", "python_function", "python_warnings"]


def lower_workflow(decl: wf.WorkflowDecl, env: Env, key: str, module: wf.Module) -> syntax.Workflow:
    """The front-end AST of a checked workflow; ``key`` names it (as the Python front end names a workflow)."""
    locals_ = bound_names(decl) | {TEMP_VAR}
    topy = ToPython(env, locals_)
    smap = SourceMap(module.path, module.lines, 0, 0)
    code = topy.block(decl.body) if decl.body else []
    cutter = Cutter(code, locals_, smap)
    body = cutter.block(code)
    if cutter.problems:
        # The checks accept only programs whose twin can be cut; anything else is a bug of this front end.
        code_, message, _node, _hint = cutter.problems[0]
        raise InternalError(f"the Python twin of {decl.name!r} cannot be cut: {code_} {message}")
    params = tuple(
        syntax.Param(
            p.name,
            "positional_or_keyword",
            python_source(p.type) if p.type is not None else None,
            pycode.canonical(topy.expr(p.default)) if p.default is not None else None,
        )
        for p in decl.params
    )
    return syntax.Workflow(
        name=key,
        params=params,
        returns=python_source(decl.returns) if decl.returns is not None else None,
        body=body,
        locals=locals_,
        path=module.path,
        span=decl.span,
        frontend="wf",
        source_lines=module.lines,
    )


def _annotation(t: wf.TypeExpr) -> ast.expr:
    text = python_source(t)
    tree = pywarnings.silently(lambda: ast.parse(text, mode="eval"), "<unknown>")
    assert isinstance(tree, ast.Expression)
    return tree.body


def python_function(decl: wf.WorkflowDecl, env: Env) -> ast.FunctionDef:
    """The twin as a Python function definition (for ``wfc compile --emit python`` and for reading)."""
    topy = ToPython(env, bound_names(decl) | {TEMP_VAR})
    args = [ast.arg(p.name, _annotation(p.type) if p.type is not None else None) for p in decl.params]
    defaults = [topy.expr(p.default) for p in decl.params if p.default is not None]
    returns = _annotation(decl.returns) if decl.returns is not None else None
    fn = ast.FunctionDef(
        decl.name,
        ast.arguments([], args, None, [], [], None, defaults),
        topy.block(decl.body),
        [ast.Attribute(ast.Name("wfc", ast.Load()), "workflow", ast.Load())],
        returns,
    )
    return ast.fix_missing_locations(fn)


def python_warnings(decl: wf.WorkflowDecl, env: Env, reporter: Reporter) -> None:
    """What Python's compiler warns about the twin of a checked workflow (``[1, 2][1.5]``, ``1[0]``,
    ``"a" == null``), as ``WFC160`` warnings at the ``.wf`` line: the twin's nodes carry ``.wf`` positions, and
    the runtime compiles the same code without showing them (see :mod:`wfc.compiler.pywarnings`)."""
    fn = python_function(decl, env)
    name = f"<twin of {decl.name}>"
    try:
        _, warned = pywarnings.quietly(
            lambda: compile(ast.Module([fn], []), name, "exec", dont_inherit=True), name
        )
    except (SyntaxError, ValueError):  # pragma: no cover - the checks accept only twins that compile
        return
    for w in warned:
        message = str(w.message)
        node = pywarnings.node_at(fn, w.lineno, message)
        span = Span(reporter.path, w.lineno)
        if node is not None and getattr(node, "lineno", None) == w.lineno:
            span = Span(
                reporter.path,
                w.lineno,
                getattr(node, "col_offset", 0) + 1,
                getattr(node, "end_lineno", None),
                (node.end_col_offset + 1) if getattr(node, "end_col_offset", None) is not None else None,  # type: ignore[attr-defined]
            )
        if message.startswith(('"is" with a literal', '"is not" with a literal')):
            # the twin spells `x == null` as `x is None`: with a literal on the other side it never holds
            always = "false" if message.startswith('"is" with') else "true"
            reporter.report(
                "WFC160",
                f"a literal compared with `null` is always {always}",
                span,
                "compare with `null` only a value that may be null (a variable, a step's result)",
            )
        else:
            reporter.report("WFC160", message, span, pywarnings.hint(message))
