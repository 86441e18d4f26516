"""The CLI on PostgreSQL: unchanged commands with ``--db postgresql://...`` (or ``WFC_DB``), and bad URLs, hosts,
users and databases answered with one WFC error and a hint, never a traceback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from .. import pg
from ..cli import flows as cli_flows
from ..cli.helpers import FLOWS, FLOWS_REL, ROOT, env, invoke, wfc_cmd


@pytest.fixture
def url() -> Iterator[str]:
    with pg.schema_url("cli") as u:
        yield u


def test_run_status_history_list_on_postgresql(url: str) -> None:
    assert invoke("run", f"{FLOWS}:greet", "name=ann", "--id", "g1", "--db", url).exit_code == 0
    status = json.loads(invoke("status", "g1", "--db", url, "--json").stdout)
    assert status["state"] == "completed" and status["result"] == "hello ann"
    assert invoke("history", "g1", "--db", url).exit_code == 0
    assert "g1" in invoke("list", "--db", url).stdout


def test_wfc_db_is_the_default_database_of_every_command(url: str) -> None:
    e = {**env(), "WFC_DB": url}
    started = subprocess.run(wfc_cmd("run", FLOWS_REL + ":greet", "name=bo", "--id", "g2"), cwd=ROOT, env=e,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert started.returncode == 0, started.stderr
    shown = subprocess.run(wfc_cmd("status", "g2", "--json"), cwd=ROOT, env=e, capture_output=True, text=True,
                           timeout=60)  # fmt: skip
    assert json.loads(shown.stdout)["result"] == "hello bo"


def _server_parts() -> tuple[str, str]:
    base = pg.server()
    rest = base.split("://", 1)[1]
    return rest.split("@", 1)[0], rest.split("@", 1)[1].split("/", 1)[0]


@pytest.mark.parametrize(
    ("make_url", "code", "words"),
    [
        (lambda user, host: f"postgresql://{user}@{host.split(':')[0]}:1/test", "WFC440", "cannot reach"),
        (lambda user, host: f"postgresql://{user}@no-such-host.invalid:5432/test", "WFC440", "cannot reach"),
        (lambda user, host: f"postgresql://nobody_wfc@{host}/test", "WFC440", "refused the login"),
        (lambda user, host: f"postgresql://{user}:secret@{host}/no_such_db_wfc", "WFC440", "does not exist"),
        (lambda user, host: f"postgresql://{user}@{host}/", "WFC429", "names no database"),
        (lambda user, host: f"postgresql://{user}@{host}/test?schema=no-dashes", "WFC429", "plain SQL name"),
        (lambda user, host: f"postgresql://{user}@{host}:port/test", "WFC429", "bad port"),
        (lambda user, host: "mysql://x/y", "WFC429", "unsupported database URL scheme"),
    ],
)
def test_bad_database_urls_get_one_clear_error(make_url: object, code: str, words: str) -> None:
    user, host = _server_parts()
    bad = make_url(user, host)  # type: ignore[operator]
    result = subprocess.run(wfc_cmd("list", "--db", bad), cwd=ROOT, env=env(), capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.startswith(f"error[{code}]"), result.stderr
    assert words in result.stderr and "hint:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "secret" not in result.stderr  # a password is never shown


def test_unreachable_server_through_the_api_names_the_problem() -> None:
    import wfc

    with pytest.raises(wfc.WfcError) as info:
        wfc.Runtime("postgresql://postgres@127.0.0.1:1/test")
    assert info.value.code == "WFC440" and "server runs" in (info.value.hint or "")


def test_read_only_commands_create_nothing_and_write_nothing(url: str) -> None:
    import psycopg

    import wfc

    base, schema = url.rsplit("?schema=", 1)
    missing = invoke("status", "x", "--db", url)
    assert missing.exit_code != 0 and "no wfc tables" in missing.stderr and "Traceback" not in missing.output
    with psycopg.connect(base) as conn:  # the read-only command created no schema
        assert conn.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone() == (None,)
    assert invoke("run", f"{FLOWS}:greet", "name=ro", "--id", "ro", "--db", url).exit_code == 0
    with wfc.Runtime(url, read_only=True) as rt:
        assert rt.result("ro") == "hello ro"
        with pytest.raises(wfc.WfcError, match="read-only"):
            rt.start(cli_flows.greet, "x")
