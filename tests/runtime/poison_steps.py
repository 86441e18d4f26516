"""The steps poison.wf imports (the same step objects as tests.runtime.poison's)."""

from tests.runtime.poison import add as add
from tests.runtime.poison import handlers as handlers

__all__ = ["add", "handlers"]
