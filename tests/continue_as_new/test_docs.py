"""docs/runtime.md's "Continue as new" example is tests/continue_as_new/flows.py's ``inbox``, verbatim."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_runtime_doc_embeds_the_inbox_workflow_verbatim() -> None:
    source = (ROOT / "tests" / "continue_as_new" / "flows.py").read_text()
    start = source.index("@wfc.workflow\ndef inbox")
    inbox = source[start : source.index("\n\n\n", start)]
    doc = (ROOT / "docs" / "runtime.md").read_text()
    assert "## Continue as new\n" in doc and f"```python\n{inbox}\n```" in doc
