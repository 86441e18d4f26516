"""The ``wfc`` command: a thin layer over the library API, one module per command group."""

from __future__ import annotations

import sys

import click

from wfc import __version__
from wfc.cli.compile_cmds import check, compile_
from wfc.cli.control_cmds import COMMANDS as CONTROL_COMMANDS
from wfc.cli.docs_cmds import completion
from wfc.cli.graph_cmd import graph
from wfc.cli.ops_cmds import history, list_, send_event, start, status, worker
from wfc.cli.run_cmds import run


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="wfc")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
def cli(debug: bool) -> None:
    """wfc: durable workflows compiled to state machines.

    \b
    Example:
      wfc check examples/
      wfc compile examples/orders.py --emit ir
    """


cli.add_command(check)
cli.add_command(compile_)
cli.add_command(completion)
cli.add_command(graph)
cli.add_command(run)
for _command in (history, list_, send_event, start, status, worker):
    cli.add_command(_command)
for _command in CONTROL_COMMANDS:
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="wfc", standalone_mode=True)
    except SystemExit:
        raise
    except BaseException as exc:  # pragma: no cover - click handles everything it knows
        if "--debug" in (sys.argv[1:] if argv is None else argv):
            raise  # the traceback --debug asks for
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    main()
