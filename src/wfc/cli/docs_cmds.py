"""``wfc completion`` and the generator of ``docs/cli.md`` (from the commands' own help text)."""

from __future__ import annotations

import click

_SHELLS = {"bash": "bash_source", "zsh": "zsh_source", "fish": "fish_source"}


@click.command()
@click.argument("shell", type=click.Choice(sorted(_SHELLS)))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Example:
      eval "$(wfc completion bash)"          # in ~/.bashrc
      wfc completion fish > ~/.config/fish/completions/wfc.fish
    """
    from click.shell_completion import get_completion_class

    from wfc.cli.main import cli

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - click knows all three
        raise click.UsageError(f"no completion for {shell}")
    click.echo(cls(cli, {}, "wfc", "_WFC_COMPLETE").source())


def render_cli_docs(group: click.Group) -> str:
    """``docs/cli.md``: every command's help, as ``wfc CMD --help`` prints it."""
    out = [
        "# The `wfc` command line",
        "",
        "Generated from the commands' help text by `python -m wfc.cli.docs_cmds > docs/cli.md`; a test keeps it",
        "in step. Every command takes `--help`; `--debug` (before the command) shows tracebacks. Exit codes: 0 ok,",
        "1 the workflow failed or `check` found errors, 2 usage errors.",
        "",
    ]
    settings = {**group.context_settings, "terminal_width": 100, "max_content_width": 100}
    root = click.Context(group, info_name="wfc", **settings)
    out += ["## wfc", "", "```text", group.get_help(root).rstrip(), "```", ""]
    for name in sorted(group.commands):
        command = group.commands[name]
        ctx = click.Context(command, info_name=name, parent=root, **settings)
        out += [f"## wfc {name}", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
        if isinstance(command, click.Group):  # its commands, each with its own help
            for sub_name in sorted(command.commands):
                sub = command.commands[sub_name]
                sub_ctx = click.Context(sub, info_name=sub_name, parent=ctx, **settings)
                out += [f"### wfc {name} {sub_name}", "", "```text", sub.get_help(sub_ctx).rstrip(), "```", ""]
    return "\n".join(out)


def main() -> None:
    from wfc.cli.main import cli

    click.echo(render_cli_docs(cli), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
