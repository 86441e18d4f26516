"""docs/stdlib.md embeds the examples verbatim, README links it, the stdlib's modules pass `wfc check` and draw
with `wfc graph`, and wfc.stdlib's exports are sorted and complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import wfc.stdlib

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = ["stdlib_http", "stdlib_saga", "stdlib_approval", "stdlib_map", "stdlib_poll"]


def test_the_doc_embeds_every_example() -> None:
    doc = (ROOT / "docs" / "stdlib.md").read_text()
    for name in EXAMPLES:
        assert f"```python\n{(ROOT / 'examples' / f'{name}.py').read_text().rstrip()}\n```" in doc, name
    assert "(docs/stdlib.md)" in (ROOT / "README.md").read_text()


def test_exports() -> None:
    assert wfc.stdlib.__all__ == sorted(wfc.stdlib.__all__)
    for name in wfc.stdlib.__all__:
        assert hasattr(wfc.stdlib, name), name


def test_wfc_check_and_graph() -> None:
    files = [str(p) for p in sorted((ROOT / "src" / "wfc" / "stdlib").glob("*.py"))]
    files += [str(ROOT / "examples" / f"{n}.py") for n in EXAMPLES]
    run = subprocess.run([sys.executable, "-m", "wfc.cli.main", "check", *files], capture_output=True, text=True)
    assert run.returncode == 0 and "0 errors, 0 warnings" in run.stdout, run.stdout + run.stderr
    graph = subprocess.run(
        [sys.executable, "-m", "wfc.cli.main", "graph", str(ROOT / "src/wfc/stdlib/http.py"), "--format", "mermaid"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert graph.returncode == 0 and "response = send(" in graph.stdout and "wfc.sleep(delay)" in graph.stdout, graph.stdout + graph.stderr
