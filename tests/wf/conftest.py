"""Shared setup of the .wf tests: the examples' step and twin modules are importable by their file names, as the
examples themselves expect (``import "./order_steps.py"`` resolves to the module ``order_steps``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "wf"
DOCS = ROOT / "docs"

if str(EXAMPLES) not in sys.path:
    sys.path.append(str(EXAMPLES))
