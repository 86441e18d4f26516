"""The compiler's random programs run through the durable runtime give the same results and the same step calls
as the plain Python generators (``wfc.testing.execute(..., native=True)``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import wfc
from wfc.testing import FakeClock

from .. import pg
from ..programgen import load_module, programs


def outcome(run: Any) -> tuple[Any, ...]:
    try:
        value = run()
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))
    return ("returned", value)


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("durable_programs")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest) -> Any:
    """Every store runs the same programs (PostgreSQL: a schema of its own, see ``tests/pg.py``)."""
    if request.param == "sqlite":
        rt = wfc.Runtime("sqlite:///:memory:", clock=FakeClock())
        yield rt
        rt.close()
        return
    with pg.schema_url("diff") as url:
        rt = wfc.Runtime(url, clock=FakeClock())
        yield rt
        rt.close()


@settings(
    max_examples=int(os.environ.get("WFC_DIFF_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(source=programs())
def test_random_programs_match_python(source: str, program_dir: Path, runtime: wfc.Runtime) -> None:
    module = load_module(source, program_dir)
    for args in [(0, 1), (2, 5), (4, 3)]:
        native = wfc.testing.execute(module.wf, *args, native=True)
        expected = (
            ("raised", type(native.error).__name__, str(native.error))
            if native.error
            else ("returned", native.value)
        )
        wid = runtime.start(module.wf, *args)
        got = outcome(lambda wid=wid: runtime.run_until_complete(wid))
        assert got == expected, source
        calls = [(h.name, h.args, h.attempts, h.error) for h in runtime.history(wid) if h.kind == "step"]
        assert calls == [(c.name, c.args, c.attempt, c.error) for c in native.calls], source
