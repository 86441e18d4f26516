"""What each suspension waits for, recorded in the table (:class:`ir.CommandShape`), so that graphs, diffs and
histories read a command's kind and parts from the IR instead of parsing its code.

The compiler knows the command's code (canonical Python it generated) and the workflow's namespace: the callee
is resolved there, so ``from wfc import sleep as nap`` is a sleep and a user step called ``sleep`` a step; a
callee that cannot be resolved (a ``.wf`` file's helper, a format-1 table loaded from JSON) is classified by its
name.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from wfc.compiler import ir
from wfc.compiler.pywarnings import silently

_BY_NAME: dict[str, str] = {
    "sleep": "sleep",
    "sleep_until": "sleep",
    "wait_event": "event",
    "all_of": "all_of",
    "any_of": "any_of",
    "start_child": "start_child",
    "join": "join",
}
LANE_LIMIT = 32


def annotate(table: ir.Table, namespace: Mapping[str, Any]) -> ir.Table:
    """``table`` with the :attr:`~ir.Suspend.shape` of every suspension filled in."""
    states = tuple(
        attrs.evolve(s, op=attrs.evolve(s.op, shape=command_shape(s.op.command.source, namespace)))
        if isinstance(s.op, ir.Suspend)
        else s
        for s in table.states
    )
    return attrs.evolve(table, states=states)


def command_shape(source: str, namespace: Mapping[str, Any]) -> ir.CommandShape:
    """The shape of the command whose (canonical) source is ``source``."""
    try:
        expr: ast.expr = silently(lambda: ast.parse(source, mode="eval"), "<unknown>").body
    except SyntaxError:
        return ir.CommandShape("step", call=source)
    options = False
    # `a(x).options(retry=False)`: the command is still a call of `a`.
    while (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
           and expr.func.attr == "options"):  # fmt: skip
        expr = expr.func.value
        options = True
    if not isinstance(expr, ast.Call):
        return ir.CommandShape("step", call=ast.unparse(expr), options=options)
    func = expr.func
    # `child.options(id=...)(x)`: the workflow called with options
    while (isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute)
           and func.func.attr == "options"):  # fmt: skip
        func = func.func.value
        options = True
    callee, value = _callee(func, namespace)
    kind = _command_kind(callee, value)
    shape = ir.CommandShape(kind, callee, ast.unparse(expr), options)
    if kind in ("all_of", "any_of"):
        lanes, fanout, over = _parallel(expr)
        shape = attrs.evolve(shape, lanes=lanes, fanout=fanout, over=over)
    return shape


def _command_kind(name: str, value: Any) -> str:
    from wfc import commands

    if isinstance(value, commands.WorkflowDef):
        return "child"
    if isinstance(value, commands.StepDef):
        return "step"
    if value is None:  # not resolvable (no namespace, a .wf file): trust the name
        return _BY_NAME.get(name.rpartition(".")[2], "step")
    for fn_name, kind in _BY_NAME.items():
        if value is getattr(commands, fn_name):
            return kind
    return "step"


def _callee(func: ast.expr, namespace: Mapping[str, Any]) -> tuple[str, Any]:
    """The dotted name of a callee and the object it names in ``namespace`` (``None`` when unknown)."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.insert(0, func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return ast.unparse(func), None
    parts.insert(0, func.id)
    value: Any = namespace.get(func.id)
    for p in parts[1:]:
        value = getattr(value, p, None) if value is not None else None
    return ".".join(parts), value


def _parallel(call: ast.Call) -> tuple[tuple[str, ...], str | None, str]:
    """(lanes, fan-out command, fan-out ``for`` clauses) of an ``all_of``/``any_of`` call."""
    args: Sequence[ast.expr] = call.args
    if len(args) == 1:
        only = args[0].value if isinstance(args[0], ast.Starred) else args[0]
        if isinstance(only, ast.ListComp | ast.GeneratorExp):
            gens = " ".join(ast.unparse(g) for g in only.generators).strip()
            return (), ast.unparse(only.elt), gens
        if isinstance(only, ast.List | ast.Tuple) and not isinstance(args[0], ast.Starred):
            args = only.elts
    if len(args) >= 2 and not any(isinstance(a, ast.Starred) for a in args):
        return tuple(ast.unparse(a) for a in args), None, ""
    return (), None, ""
