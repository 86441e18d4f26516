"""The PostgreSQL store (``postgresql://``)."""

from __future__ import annotations

from wfc.runtime.errors import ConfigError
from wfc.runtime.store.protocol import ControlStore


def open_postgres(url: str) -> ControlStore:
    raise ConfigError(f"cannot open {url!r}: the PostgreSQL store is not built yet", hint="use sqlite:///path.db")
