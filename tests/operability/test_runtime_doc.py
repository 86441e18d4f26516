"""docs/runtime.md's examples run as written (its send_event example once failed with WFC405)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _block(doc: str, heading: str) -> str:
    section = doc.split(f"\n## {heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, heading
    return match.group(1)


def test_embedding_events_and_clocks_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (ROOT / "docs" / "runtime.md").read_text()
    payments = "class payments:\n    @staticmethod\n    def charge(order_id, amount):\n        return f'r-{order_id}'\n"
    setup = (
        'with rt.db() as db:\n    db.execute("CREATE TABLE orders (id TEXT PRIMARY KEY, receipt TEXT)")\n'
        'wid = rt.start(checkout, "o-1", 25.0)\nrt.run_until_idle()\n'
    )
    events_check = (
        'assert rt.run_until_complete(wid) == "ups"\n'
        'second = rt.start(checkout, "o-2", 5.0)\nrt.run_until_idle()\n'
        'rt.send_event(second, "shipped", error="lost in transit")\n'
        "try:\n    rt.run_until_complete(second)\nexcept Exception as exc:\n    FAILED = exc\nrt.close()\n"
    )
    source = "\n".join(
        [payments, _block(doc, "Embedding"), setup, _block(doc, "Events"), events_check, _block(doc, "Clocks and tests")]
    )
    path = tmp_path / "runtime_doc.py"
    path.write_text(source)
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("runtime_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["runtime_doc"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("runtime_doc", None)
        module.rt.close()
    assert "lost in transit" in str(module.FAILED)
