"""wfc's pytest plugin (registered under the ``pytest11`` entry point, so installing wfc enables it).

Fixtures for testing workflows:

* ``wfc_clock`` — a :class:`wfc.testing.FakeClock`: virtual time, moved by the runtime to the next timer.
* ``wfc_runtime`` — a durable :class:`wfc.Runtime` on a SQLite file in the test's temporary directory, on
  ``wfc_clock``; closed after the test. ``wfc_runtime_url`` is its URL (for a second runtime or a
  :class:`wfc.Client` on the same database).
* ``wfc_mocks`` — in-memory runs (:mod:`wfc.testing`) with steps replaced: ``wfc_mocks[charge_card] = fake``,
  then ``wfc_mocks.run(checkout, "o-1")`` / ``wfc_mocks.execute(...)`` (the same as
  ``wfc.testing.run(checkout, "o-1", mocks={charge_card: fake})``).

Nothing of wfc is imported until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from wfc.commands import StepDef
    from wfc.runtime.clock import FakeClock
    from wfc.runtime.runtime import Runtime
    from wfc.testing import RunResult


class Mocks:
    """Steps replaced by fakes for in-memory runs; a ``dict`` of ``step -> fake``."""

    def __init__(self) -> None:
        self.fakes: dict[StepDef, Callable[..., Any]] = {}

    def __setitem__(self, step: StepDef, fake: Callable[..., Any]) -> None:
        self.fakes[step] = fake

    def __getitem__(self, step: StepDef) -> Callable[..., Any]:
        return self.fakes[step]

    def run(self, workflow: Any, *args: Any, **kwargs: Any) -> Any:
        """``wfc.testing.run`` with these mocks (plus any ``mocks=`` given here)."""
        from wfc import testing

        return testing.run(workflow, *args, mocks={**self.fakes, **kwargs.pop("mocks", {})}, **kwargs)

    def execute(self, workflow: Any, *args: Any, **kwargs: Any) -> RunResult:
        """``wfc.testing.execute`` with these mocks: the result, the step calls, the virtual time."""
        from wfc import testing

        return testing.execute(workflow, *args, mocks={**self.fakes, **kwargs.pop("mocks", {})}, **kwargs)


@pytest.fixture
def wfc_clock() -> FakeClock:
    from wfc.runtime.clock import FakeClock

    return FakeClock()


@pytest.fixture
def wfc_runtime_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'wfc.db'}"


@pytest.fixture
def wfc_runtime(wfc_runtime_url: str, wfc_clock: FakeClock) -> Iterator[Runtime]:
    from wfc.runtime.runtime import Runtime

    rt = Runtime(wfc_runtime_url, clock=wfc_clock)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def wfc_mocks() -> Mocks:
    return Mocks()
