"""``wfc graph``: draw a workflow's compiled state graph, optionally with a live instance on it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import attrs
import click

from wfc.cli.common import CliError, allow_imports_option, db_option, handle_errors, load_target
from wfc.commands import WorkflowDef
from wfc.compiler.driver import compile_workflow
from wfc.compiler.graph import Graph, Highlight, Status, build_graph
from wfc.compiler.graph_path import final_state, highlight_path
from wfc.compiler.render_dot import render_dot, render_svg
from wfc.compiler.render_html import InstanceInfo, render_html
from wfc.compiler.render_mermaid import render_mermaid

FORMATS = ("mermaid", "dot", "svg", "html")
_FINISHED = {"completed", "complete", "finished", "succeeded", "success", "done", "returned"}
_HISTORY_COLUMNS = ("seq", "path", "kind", "name", "status", "attempts", "error", "finished_at", "state_id")
_FAILED = {"failed", "failure", "error", "errored", "canceled", "cancelled", "crashed"}


def graph_of(defn: WorkflowDef) -> Graph:
    """The graph of a workflow definition; its namespace tells steps from child workflows."""
    return build_graph(compile_workflow(defn), {**defn.namespace, **defn.closure_values()})


def render(
    graph: Graph, fmt: str, highlight: Highlight | None = None, instance: InstanceInfo | None = None
) -> str:
    if fmt == "mermaid":
        return render_mermaid(graph, highlight)
    if fmt == "dot":
        return render_dot(graph, highlight)
    if fmt == "svg":
        return render_svg(graph, highlight)
    return render_html(graph, highlight, instance)


@click.command(name="graph")
@click.argument("target")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="mermaid",
    show_default=True,
    help="mermaid and dot are text; svg needs Graphviz; html is one self-contained page.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write here. Default: stdout for mermaid/dot, ./<workflow>.svg or .html for svg/html.",
)
@click.option(
    "--instance",
    "instance_id",
    metavar="ID",
    help="Highlight this instance's current state and the path it took (reads --db).",
)
@db_option
@allow_imports_option
@handle_errors
def graph(
    target: str, fmt: str, output: str | None, instance_id: str | None, db_url: str, allow_imports: bool
) -> None:
    """Draw a workflow's compiled state graph.

    TARGET is PATH[:NAME]: a .py or .wf file, and the workflow's name when the file
    has several. Nodes are states (steps, branches, loop heads, sleeps, event waits,
    parallel all_of/any_of, returns), each with its source line; try regions are
    dashed boxes with dashed exception and finally edges; back edges close loops.
    With --instance, the instance's current state and the path so far are coloured.

    \b
    Examples:
      wfc graph examples/orders.py:fulfil_order              # Mermaid on stdout
      wfc graph examples/orders.py:fulfil_order --format svg -o order.svg
      wfc graph examples/orders.py:fulfil_order --format html --instance o-17 --db sqlite:///wfc.db
    """
    defns = load_target(target, execute_imports=allow_imports)
    instance = highlight = None
    if instance_id is not None:
        defn, highlight, instance = _instance(defns, instance_id, db_url, target)
    elif len(defns) > 1:
        names = ", ".join(d.name for d in defns)
        raise CliError(f"{target} defines {len(defns)} workflows; name the one to draw as PATH:NAME",
                       hint=f"workflows in that file: {names}")  # fmt: skip
    else:
        defn = defns[0]
    text = render(graph_of(defn), fmt, highlight, instance)
    if output is None and fmt in ("svg", "html"):
        output = f"{_file_stem(defn.name)}.{fmt}"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"wrote {output}")


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name.rpartition(":")[2]) or "workflow"


# ---- instances --------------------------------------------------------------------------------------------------


def _runtime_class() -> Any:
    """``wfc.Runtime``, or a clear error when this installation has no durable runtime yet."""
    import wfc

    cls = getattr(wfc, "Runtime", None)
    if cls is None:
        try:  # imported by name: the runtime module is written separately and may not exist yet
            cls = getattr(importlib.import_module("wfc.runtime.runtime"), "Runtime", None)
        except ImportError:
            cls = None
    if cls is None:
        raise CliError("--instance needs the runtime, which this installation of wfc does not have",
                       hint="draw the workflow without --instance")  # fmt: skip
    return cls


def _instance(
    defns: list[WorkflowDef], instance_id: str, db_url: str, target: str
) -> tuple[WorkflowDef, Highlight, InstanceInfo]:
    runtime = _runtime_class()(db_url, read_only=True)  # drawing never writes the database
    try:
        status = runtime.status(instance_id)
        records = list(runtime.history(instance_id))
    finally:
        close = getattr(runtime, "close", None)
        if callable(close):
            close()
    defn = _instance_workflow(defns, status, target)
    state = getattr(status, "state", None)
    state_text = str(getattr(state, "value", state) or "unknown")
    kind: Status = "running"
    if state_text.lower() in _FINISHED:
        kind = "finished"
    elif state_text.lower() in _FAILED:
        kind = "failed"
    table = compile_workflow(defn)
    graph = graph_of(defn)
    table_hash = getattr(status, "table_hash", "")
    if table_hash and table_hash != table.hash:
        click.echo(f"warning: instance {instance_id} runs another version of {defn.name} than {target} compiles "
                   "to: states that changed are not drawn", err=True)  # fmt: skip
    # One history record per command; the commands of one all_of/any_of share a suspension (`seq`).
    path: list[str] = []
    outcomes: list[bool | None] = []
    last_seq: object = object()
    for r in records:
        seq = getattr(r, "seq", None)
        if getattr(r, "state_id", None) and (seq is None or seq != last_seq):
            path.append(r.state_id)
            finished = getattr(r, "finished_at", True) is not None
            outcomes.append((getattr(r, "error", None) is None) if finished else None)
        elif seq is not None and seq == last_seq and outcomes:
            outcomes[-1] = (
                None  # several commands (all_of/any_of): their outcomes do not say which way it went
            )
        last_seq = seq
    current = getattr(status, "state_id", None)
    known = {n.id for n in graph.nodes}
    if current is not None and current not in known:
        click.echo(f"warning: instance {instance_id} is at state {current}, which this version of "
                   f"{defn.name} does not have", err=True)  # fmt: skip
    if current is None and kind == "finished":
        current = final_state(graph, path[-1] if path else graph.entry)
    elif current is None and kind == "failed" and path:
        current = path[-1]  # it failed there, or on the way from there
    highlight = highlight_path(
        graph, path, current=[current] if current else [], status=kind, outcomes=outcomes
    )
    columns, rows = _history_rows(records)
    info = InstanceInfo(instance_id, state_text, current, columns, rows)
    return defn, highlight, info


def _instance_workflow(defns: list[WorkflowDef], status: Any, target: str) -> WorkflowDef:
    """The definition the instance runs: the only one named, or the one whose name its status carries."""
    if len(defns) == 1:
        return defns[0]
    wanted = getattr(status, "workflow", None) or getattr(status, "name", None)
    wanted = getattr(wanted, "name", wanted)
    for d in defns:
        if wanted is not None and str(wanted) in (d.name, d.key):
            return d
    names = ", ".join(d.name for d in defns)
    raise CliError(f"{target} defines {len(defns)} workflows; name the instance's as PATH:NAME",
                   hint=f"workflows in that file: {names}")  # fmt: skip


def _history_rows(records: list[Any]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The records as a table: their fields (attrs or dataclass or plain attributes), values shortened."""
    if not records:
        return (), ()
    first = records[0]
    if all(hasattr(first, c) for c in _HISTORY_COLUMNS):
        columns = list(_HISTORY_COLUMNS)
    elif attrs.has(type(first)):
        columns = [a.name for a in attrs.fields(type(first))]
    elif hasattr(first, "__dataclass_fields__"):
        columns = list(first.__dataclass_fields__)
    else:
        columns = (
            [k for k in vars(first) if not k.startswith("_")] if hasattr(first, "__dict__") else ["state_id"]
        )

    def cell(value: Any) -> str:
        text = str(getattr(value, "value", value))
        return text if len(text) <= 80 else text[:79] + "…"

    rows = tuple(tuple(cell(getattr(r, c, "")) for c in columns) for r in records)
    return tuple(columns), rows
