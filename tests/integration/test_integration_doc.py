"""docs/integration.md: every code block is a file of examples/ (embedded verbatim; tests/typecheck runs mypy
--strict on them), and each runs: fastapi_app in test_fastapi_app.py, django_app in test_django_app.py,
tracing_setup.py here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "integration.md").read_text()
FILES = ["examples/fastapi_app/workflows.py", "examples/fastapi_app/app.py",
         "examples/django_app/shop/management/commands/wfc_worker.py", "examples/django_app/shop/views.py",
         "examples/tracing_setup.py"]


def test_every_code_block_is_an_example_file() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.S)
    assert [b.rstrip() for b in blocks] == [(ROOT / f).read_text().rstrip() for f in FILES]
    assert DOC.count("```") == 2 * len(blocks), "a code block that is not one of the example files"


def test_the_tracing_example_prints_the_spans_the_doc_lists() -> None:
    done = subprocess.run([sys.executable, "-m", "examples.tracing_setup"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert lines == ["hello ann", "wfc.start traced_greeting", "request", "wfc.workflow traced_greeting suspended",
                     "compose", "greet ok", "wfc.workflow traced_greeting completed"]  # fmt: skip
    listed = "`wfc.start traced_greeting`, `request`, `wfc.workflow traced_greeting\nsuspended`, `compose`, `greet ok`"
    assert listed in DOC
