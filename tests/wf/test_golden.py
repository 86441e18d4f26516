"""Golden tests: .wf source → printed state table. The examples and the programs in tests/wf/golden/ are
compiled and printed with wfc.compiler.pprint; the text must match tests/wf/golden/<file>.<workflow>.txt.

Run with WFC_UPDATE_GOLDEN=1 to rewrite the expected files after an intended change, then review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest

import wfc
import wfc.dsl
from wfc.compiler.pprint import format_table

from .conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
SOURCES = sorted(EXAMPLES.glob("*.wf")) + sorted(GOLDEN.glob("*.wf"))
UPDATE = os.environ.get("WFC_UPDATE_GOLDEN") == "1"


def printed(path: Path) -> dict[str, str]:
    out = {}
    for name, defn in wfc.dsl.load(path).items():
        # The table's name is the workflow key, which depends on sys.path: print a stable one.
        table = attrs.evolve(wfc.compile(defn), name=f"{path.name}:{name}", path=path.name)
        out[name] = format_table(table).rstrip() + "\n"
    return out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_golden_ir(path: Path) -> None:
    for name, text in printed(path).items():
        expected = GOLDEN / f"{path.stem}.{name}.txt"
        if UPDATE or not expected.exists():
            expected.write_text(text)
            assert UPDATE, f"wrote missing golden file {expected.name}: review and commit it"
        assert text == expected.read_text(), f"{expected.name} differs (WFC_UPDATE_GOLDEN=1 rewrites it)"
