"""Every example path that `wfc ... --help` names under examples/ exists and has the workflow it names
(`wfc --help` and `wfc compile --help` once named examples/order.py, which does not exist)."""

from __future__ import annotations

import re
from pathlib import Path

from wfc.cli.common import load_workflow

ROOT = Path(__file__).resolve().parents[2]


def test_examples_named_in_help_exist() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text()  # the help of every command, kept equal by tests/cli
    named = set(re.findall(r"\b(examples/[\w/.-]*)(?::(\w+))?", doc))
    assert ("examples/orders.py", "") in named, "the scan sees the help's examples"
    for path, name in sorted(named):
        assert (ROOT / path).exists(), f"help names {path}, which does not exist"
        if name:
            defn = load_workflow(str(ROOT / path) + f":{name}")
            assert defn.name == name
