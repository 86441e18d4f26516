"""The steps poison.wf imports (the same step objects as tests.runtime.poison's)."""

from tests.runtime.poison import add as add

__all__ = ["add"]
