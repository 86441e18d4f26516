"""``.wf`` workflow → the front-end AST (:mod:`wfc.compiler.syntax`) that Python workflows produce too.

Two steps. :mod:`wfc.dsl.topython` builds the Python ``ast`` of the equivalent generator; the shared cutter
(:mod:`wfc.compiler.cut`, the one the Python front end calls) then cuts it. So a ``.wf`` workflow and its
hand-written twin give equal front-end ASTs, hence equal tables (``tests/wf/test_lowering.py`` checks pairs).
"""

from __future__ import annotations

import ast

from wfc.compiler import pycode, syntax
from wfc.compiler.cut import TEMP_VAR, Cutter
from wfc.compiler.python.source import SourceMap
from wfc.dsl import ast as wf
from wfc.dsl.resolve import Env, bound_names
from wfc.dsl.topython import ToPython
from wfc.dsl.types import python_source
from wfc.errors import InternalError

__all__ = ["TEMP_VAR", "lower_workflow", "python_function"]


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


def python_function(decl: wf.WorkflowDecl, env: Env) -> ast.FunctionDef:
    """The twin as a Python function definition (for ``wfc compile --emit python`` and for reading)."""
    topy = ToPython(env, bound_names(decl) | {TEMP_VAR})
    args = [
        ast.arg(p.name, ast.parse(python_source(p.type), mode="eval").body if p.type is not None else None)
        for p in decl.params
    ]
    defaults = [topy.expr(p.default) for p in decl.params if p.default is not None]
    returns = ast.parse(python_source(decl.returns), mode="eval").body if decl.returns is not None else None
    fn = ast.FunctionDef(
        decl.name,
        ast.arguments([], args, None, [], [], None, defaults),
        topy.block(decl.body),
        [ast.Attribute(ast.Name("wfc", ast.Load()), "workflow", ast.Load())],
        returns,
    )
    return ast.fix_missing_locations(fn)
