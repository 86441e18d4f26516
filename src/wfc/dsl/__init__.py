"""The ``.wf`` workflow language: workflows that load without executing Python (see ``docs/language.md``).

``load(path)`` gives a file's workflows as :class:`~wfc.commands.WorkflowDef` values that run like Python ones;
``check(path)`` lists every problem without raising; ``parse(text)`` gives the ``.wf`` syntax tree.
"""

from __future__ import annotations

from wfc.dsl.loader import check as check
from wfc.dsl.loader import load as load
from wfc.dsl.loader import load_text as load_text
from wfc.dsl.loader import parse as parse

__all__ = ["check", "load", "load_text", "parse"]
