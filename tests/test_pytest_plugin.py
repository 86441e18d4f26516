"""wfc's pytest plugin: registered as a pytest11 entry point, its fixtures used by the example suite that
docs/testing.md shows (run here in a separate pytest process, as a user's CI runs it), and mocks= itself."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import wfc

ROOT = Path(__file__).parent.parent


def test_the_plugin_is_an_entry_point() -> None:
    found = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "wfc"]
    assert found and found[0].value == "wfc.pytest_plugin"


def test_the_example_suite_passes_with_the_fixtures() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:cacheprovider", "examples/testing_suite"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout, done.stdout


def test_the_docs_show_the_example_suite() -> None:
    doc = (ROOT / "docs" / "testing.md").read_text()
    for name in ("shop.py", "test_shop.py"):
        text = (ROOT / "examples" / "testing_suite" / name).read_text().rstrip()
        assert f"```python\n{text}\n```" in doc, name


def test_mocks_replace_steps_in_both_in_memory_runners() -> None:
    from examples.testing_suite.shop import charge_card, checkout

    fake = {charge_card: lambda order_id, cents: f"fake-{cents}"}
    compiled = wfc.testing.run(checkout, "o", 3, mocks=fake, events={"ship": 1})
    native = wfc.testing.run_native(checkout, "o", 3, mocks=fake, events={"ship": 1})
    assert compiled == native == {"order": "o", "status": "paid", "receipt": "fake-3", "ship": 1}


def test_mocks_must_map_steps_to_callables() -> None:
    from examples.testing_suite.shop import charge_card, checkout

    with pytest.raises(wfc.WfcError, match=r"not a @wfc\.step"):
        wfc.testing.run(checkout, "o", 3, mocks={"charge_card": lambda *a: "x"})
    with pytest.raises(wfc.WfcError, match="not callable"):
        wfc.testing.run(checkout, "o", 3, mocks={charge_card: "x"})
