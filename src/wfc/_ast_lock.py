"""One lock for every conversion between Python's ``ast`` objects and CPython's own trees that wfc makes.

CPython 3.11 counts the recursion depth of those conversions (``ast.parse``, ``compile`` of an ``ast`` tree) per
interpreter, not per thread (python/cpython#106905, fixed in later versions): two threads converting at once —
a worker's registry thread compiling workflows beside a runtime linking a table on another — can fail with
``SystemError: AST constructor recursion depth mismatch``. wfc's own conversions take this lock, so they never
meet each other. It is re-entrant: :func:`wfc.compiler.pywarnings.quietly` holds it around an action that may
take it again.
"""

from __future__ import annotations

import threading

AST_LOCK = threading.RLock()
