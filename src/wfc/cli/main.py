"""The ``wfc`` command: a thin layer over the library API, one module per command group."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from wfc import __version__
from wfc.cli.common import USAGE_CODE
from wfc.cli.compile_cmds import check, compile_
from wfc.cli.control_cmds import COMMANDS as CONTROL_COMMANDS
from wfc.cli.docs_cmds import completion
from wfc.cli.graph_cmd import graph
from wfc.cli.ops_cmds import history, list_, send_event, start, status, worker
from wfc.cli.queue_cmds import queue
from wfc.cli.run_cmds import run
from wfc.cli.schedule_cmds import schedule
from wfc.cli.ui_cmd import ui


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
cli.add_command(queue)
cli.add_command(run)
cli.add_command(schedule)
cli.add_command(ui)
for _command in (history, list_, send_event, start, status, worker):
    cli.add_command(_command)
for _command in CONTROL_COMMANDS:
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Run the command line. Every input error is one line ``error[CODE]: ...`` (plus a hint) and exit status 2;
    a Python traceback only with ``--debug``."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        _check_text(args)
        code = cli.main(args=args, prog_name="wfc", standalone_mode=False)
    except SystemExit:
        raise
    except click.UsageError as exc:
        _usage_error(exc)
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click.Abort:
        click.echo("aborted", err=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        raise SystemExit(130) from None
    except BrokenPipeError:  # `wfc list | head`: the reader left, nothing to report
        sys.stderr.close()
        raise SystemExit(1) from None
    except BaseException as exc:  # pragma: no cover - the commands handle everything they know
        if debug:
            raise  # the traceback --debug asks for
        click.echo(f"error[{USAGE_CODE}]: {type(exc).__name__}: {exc}", err=True)
        raise SystemExit(2) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _usage_error(exc: click.UsageError) -> NoReturn:
    """A bad option or argument (click's own checks): one line with the code, and where to read the usage."""
    message = " ".join(exc.format_message().split())
    if len(message) > 300:
        message = message[:300] + "…"
    click.echo(f"error[{USAGE_CODE}]: {message}", err=True)
    command = exc.ctx.command_path if exc.ctx is not None else "wfc"
    click.echo(f"  hint: see `{command} --help`", err=True)
    raise SystemExit(2) from None


def _check_text(args: list[str]) -> None:
    """Arguments are UTF-8 text (ids, names, JSON). Bytes that are not (an id typed in another encoding) reach
    Python as lone surrogates, which no database can store: refuse them here, except a path that exists."""
    for i, arg in enumerate(args):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            try:
                exists = os.path.lexists(arg)
            except (OSError, ValueError):
                exists = False
            if exists:
                continue
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            click.echo(
                f"error[{USAGE_CODE}]: argument {i + 1} is not valid UTF-8 text: {shown[:80]!r}", err=True
            )
            click.echo("  hint: give ids, names and values as UTF-8 text", err=True)
            raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    main()
