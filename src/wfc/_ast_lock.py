"""One lock for every conversion between Python's ``ast`` objects and CPython's own trees that wfc makes.

CPython 3.11 counts the recursion depth of those conversions (``ast.parse``, ``compile`` of an ``ast`` tree) in
state shared by the interpreter's threads (the ``ast_state`` of ``Python/Python-ast.c``), and checks at the end
that the count is back where it started: two threads converting at once — a worker's registry thread compiling
workflows beside a runtime linking a table on another — can fail with ``SystemError: AST constructor recursion
depth mismatch`` (reported in threaded programs as pytest-dev/pytest#10763 and around python/cpython#106905;
``tests/compiler/test_python_warnings.py`` hit it compiling on three threads). wfc's own conversions take this lock, so they never
meet each other. It is re-entrant: :func:`wfc.compiler.pywarnings.quietly` holds it around an action that may
take it again.
"""

from __future__ import annotations

import threading

AST_LOCK = threading.RLock()
