"""A database URL's password is never shown: the worker's banner, ``wfc status``/``run`` messages, error messages
for bad URLs, ``Runtime``/``Client`` reprs all go through one helper (``wfc.runtime.dburl.redact``)."""

from __future__ import annotations

import random
import signal
import string
import subprocess

import pytest

import wfc
from wfc.runtime.dburl import redact

from .. import pg
from ..cli.helpers import FLOWS_REL, ROOT, env, invoke, wfc_cmd

SECRET = "Sw0rdf1sh"


def _with_password(url: str, password: str) -> str:
    """``url`` (``postgresql://user@host/...``) with ``password`` added to its userinfo."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{password}@{host}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ann:pw@db.example:5432/app", "postgresql://ann:***@db.example:5432/app"),
        ("postgresql://ann:p@ss:w@db/app?schema=x", "postgresql://ann:***@db/app?schema=x"),
        ("postgresql://ann@db/app", "postgresql://ann@db/app"),
        ("postgresql://db/app?sslmode=require&password=pw", "postgresql://db/app?sslmode=require&password=***"),
        ("postgresql://ann:a/b?c#d@db/app", "postgresql://ann:***@db/app"),
        ("postgresql://ann:pw@[::1/app", "postgresql://ann:***@[::1/app"),
        ("host=db password=pw dbname=app", "host=db password=*** dbname=app"),
        ("sqlite:///app.db", "sqlite:///app.db"),
    ],
)
def test_redact(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_generated_passwords_never_show() -> None:
    rng = random.Random(10)
    alphabet = string.ascii_letters + string.digits + "@:/?#%&=;+!$'*[]~ "
    for _ in range(3000):
        password = SECRET + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        user = rng.choice(["", "ann", "app_user"])
        host = rng.choice(["db", "db.example:5432", "10.0.0.1:6432", "[::1]:5432"])
        query = rng.choice(["", "?schema=s", "?pool_size=4&schema=x"])
        scheme = rng.choice(["postgresql", "postgres", "postgresql+psycopg", "mysql", "sqlite"])
        for url in (f"{scheme}://{user}:{password}@{host}/app{query}", f"{scheme}://{host}/app?password={password}"):
            assert SECRET not in redact(url), url
        if not set(password) - set(string.ascii_letters + string.digits):
            assert redact(f"{scheme}://{user}:{password}@{host}/app{query}") == (
                f"{scheme}://{user}:***@{host}/app{query}"
            )


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://ann:{SECRET}@db/app",
        f"sqlite://ann:{SECRET}@host/app.db",
        f"sqlite:///app.db?password={SECRET}",
        f"postgresql://ann:{SECRET}@db/",
        f"postgresql://ann:{SECRET}@db:port/app",
        f"postgresql://ann:{SECRET}@db/app?pool_size=zero",
        f"host=db password={SECRET}",
    ],
)
def test_errors_for_bad_urls_hide_the_password(url: str) -> None:
    with pytest.raises(wfc.WfcError) as info:
        wfc.Runtime(url)
    assert SECRET not in str(info.value) and SECRET not in (info.value.hint or "")
    shown = invoke("status", "x", "--db", url)
    assert shown.exit_code == 2 and SECRET not in shown.output


def test_an_unreachable_server_hides_the_password() -> None:
    shown = invoke("status", "x", "--db", f"postgresql://ann:{SECRET}@127.0.0.1:1/app")
    assert shown.exit_code != 0 and "WFC440" in shown.output
    assert SECRET not in shown.output and "ann:***@127.0.0.1:1" in shown.output


def test_on_postgresql_worker_status_and_reprs_hide_the_password() -> None:
    with pg.schema_url("redact") as base:
        url = _with_password(base, SECRET)  # the test server trusts its clients: any password is accepted
        with wfc.Runtime(url) as rt:
            assert SECRET not in repr(rt) and ":***@" in repr(rt)
            client = wfc.Client(url)
            try:
                assert SECRET not in repr(client)
            finally:
                client.close()
        missing = invoke("status", "no-such-instance", "--db", url)
        assert missing.exit_code != 0 and "no workflow instance" in missing.output
        assert SECRET not in missing.output and ":***@" in missing.output
        worker = subprocess.Popen(
            wfc_cmd("worker", "--app", FLOWS_REL, "--db", url), cwd=ROOT, env=env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert worker.stderr is not None
            banner = worker.stderr.readline()
            assert "serving" in banner, banner
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        assert SECRET not in banner + out + err and ":***@" in banner
