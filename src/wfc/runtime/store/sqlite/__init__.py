"""The SQLite store: one file (WAL), for one machine. :class:`SQLiteControlStore` is what ``open_store`` returns."""

from wfc.runtime.store.sqlite.connection import parse_url
from wfc.runtime.store.sqlite.control import SQLiteControlStore
from wfc.runtime.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteControlStore", "SQLiteStore", "parse_url"]
