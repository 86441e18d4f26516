"""``wfc check`` and ``wfc compile``: the compiler's commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from wfc.cli.common import (
    EXIT_FAILED,
    CliError,
    allow_imports_option,
    diagnostic_json,
    emit_json,
    handle_errors,
    iter_sources,
    json_option,
    load_target,
    load_workflows,
)
from wfc.compiler import serialize
from wfc.compiler.driver import compile_workflow, diagnose
from wfc.compiler.pprint import format_table
from wfc.compiler.python.static import explain
from wfc.errors import CompileError, Diagnostic, Severity


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@allow_imports_option
@json_option
@handle_errors
def check(paths: tuple[str, ...], allow_imports: bool, as_json: bool) -> None:
    """Check workflows for errors and non-determinism.

    PATHS are .py and .wf files, or directories searched for them. Every problem is
    reported at once; the exit code is 1 when there is an error, 0 when clean.

    \b
    Example:
      wfc check examples/ src/myapp/workflows.py
    """
    diagnostics: list[Diagnostic] = []
    workflows = files = 0
    for path in iter_sources(paths):
        files += 1
        try:
            if path.suffix == ".wf":
                from wfc.dsl.loader import analyze_file

                analysis = analyze_file(path, execute_imports=allow_imports)
                diagnostics.extend(analysis.diagnostics)
                workflows += len(analysis.module.workflows) if analysis.module is not None else 0
                continue
            for defn in load_workflows(path, execute_imports=allow_imports):
                workflows += 1
                _table, found = diagnose(defn)
                diagnostics.extend(found if allow_imports else explain(defn, found))
        except CompileError as exc:
            diagnostics.extend(exc.diagnostics)
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    if as_json:
        emit_json(
            {
                "workflows": workflows,
                "files": files,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": [diagnostic_json(d) for d in diagnostics],
            }
        )
    else:
        for d in diagnostics:
            click.echo(d.render() + "\n", err=d.is_error)
        summary = (
            f"checked {workflows} workflow{'s' * (workflows != 1)} in {files} file{'s' * (files != 1)}: "
        )
        summary += f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        click.echo(summary)
    if errors:
        raise SystemExit(EXIT_FAILED)


@click.command(name="compile")
@click.argument("target")
@click.option(
    "--emit",
    type=click.Choice(["ir", "json"]),
    default="ir",
    show_default=True,
    help="ir: the readable table; json: the serialized table.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
@click.option(
    "--versions",
    "versions_dir",
    type=click.Path(file_okay=False),
    help="Also store each table as DIR/<workflow>/<hash>.json (keep old versions deployable).",
)
@allow_imports_option
@handle_errors
def compile_(
    target: str, emit: str, output: str | None, versions_dir: str | None, allow_imports: bool
) -> None:
    """Compile a workflow to its state table.

    TARGET is PATH[:NAME]: a .py or .wf file, and optionally the name of one workflow in it.

    \b
    Examples:
      wfc compile examples/orders.py:fulfil_order --emit ir
      wfc compile flows/onboarding.wf --emit json -o onboarding.json
    """
    tables = [compile_workflow(defn) for defn in load_target(target, execute_imports=allow_imports)]
    if emit == "ir":
        text = "\n".join(format_table(t) for t in tables)
    else:
        data = [serialize.to_data(t) for t in tables]
        text = json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False) + "\n"
    if versions_dir:
        for t in tables:
            folder = Path(versions_dir) / t.name.replace(":", "/")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{t.hash}.json").write_text(serialize.to_json(t) + "\n")
    if output:
        try:
            Path(output).write_text(text)
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror}") from None
    else:
        click.echo(text, nl=False)
