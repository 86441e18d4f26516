"""``wfc ui``: serve the web dashboard and HTTP API (:func:`wfc.ui.create_app`) with uvicorn."""

from __future__ import annotations

import os

import click

from wfc.cli.common import CliError, db_option, handle_errors, sqlite_file, usage_errors
from wfc.cli.ops_cmds import app_option, import_apps

DEFAULT_PORT = 8270


def check_binding(host: str, token: str | None) -> None:
    """Off-localhost, a token is required: the dashboard can cancel and restart every instance."""
    from wfc.ui.security import is_local

    if not is_local(host.strip("[]").lower()) and host.strip("[]") != "::1" and not token:
        raise CliError(
            f"refusing to serve the dashboard on {host} without an access token",
            hint="give --token (or set WFC_UI_TOKEN), or bind to 127.0.0.1 and reach it through an SSH tunnel",
            code="WFC470",
        )


@click.command(name="ui")
@db_option
@app_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Anything but localhost needs --token.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True)
@click.option(
    "--read-only", is_flag=True, help="Only look: no actions, and the database is opened read-only."
)
@click.option(
    "--token",
    envvar="WFC_UI_TOKEN",
    metavar="TOKEN",
    help="Access token every request must carry (open the page with ?token=TOKEN once, or send "
    "Authorization: Bearer TOKEN). Env: WFC_UI_TOKEN.",
)
@click.option(
    "--webhook-secret",
    envvar="WFC_UI_WEBHOOK_SECRET",
    metavar="SECRET",
    help="Serve POST /hooks/TOKEN for the single-use event URLs wfc.ui.webhook_url() signs with this "
    "secret. Env: WFC_UI_WEBHOOK_SECRET.",
)
@handle_errors
def ui(
    db_url: str,
    apps: tuple[str, ...],
    host: str,
    port: int,
    read_only: bool,
    token: str | None,
    webhook_secret: str | None,
) -> None:
    """Serve the web dashboard and its HTTP API.

    Instances (filters, counts by state, live updates), each instance's graph
    with where it is, its history, live variables and actions (cancel, send an
    event, restart, fork), and the workflows with their versions. The JSON API's
    schema is at /api/openapi.json. It binds to 127.0.0.1 unless told otherwise;
    another address needs --token. Needs `pip install 'wfc[ui]'`.

    \b
    Example:
      wfc ui --db sqlite:///app.db --app myapp.workflows
      WFC_UI_TOKEN=$(openssl rand -hex 16) wfc ui --db postgresql://... --host 0.0.0.0 --read-only
    """
    check_binding(host, token)
    try:
        import uvicorn

        from wfc.ui import create_app
    except ImportError as exc:
        raise CliError(
            f"wfc ui needs {exc.name or 'starlette and uvicorn'}", hint="pip install 'wfc[ui]'"
        ) from None
    path = sqlite_file(db_url)
    if path is not None and not path.exists():
        raise CliError(
            f"no database at {path}",
            hint="give the URL the workflows run on with --db (or WFC_DB), e.g. --db sqlite:///app.db",
        )
    import_apps(apps)
    with usage_errors():
        app = create_app(
            db_url, read_only=read_only, token=token or None, webhook_secret=webhook_secret or None
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"wfc ui on http://{shown}:{port}/" + ("  (token required)" if token else ""), err=True)
    uvicorn.run(app, host=host, port=port, log_level=os.environ.get("WFC_UI_LOG", "warning"))
