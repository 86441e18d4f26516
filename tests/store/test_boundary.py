"""The store boundary: the engine never sees a database driver (docs/design.md, issue 12).

Nothing outside ``wfc/runtime/store/`` imports a driver or a store's private names; stores are chosen by URL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wfc
from wfc.runtime.errors import ConfigError
from wfc.runtime.store import local_file, open_store, scheme

SRC = Path(wfc.__file__).parent
STORE = SRC / "runtime" / "store"
DRIVERS = {"sqlite3", "psycopg", "psycopg_pool", "sqlite_utils"}
# wfc.testing is not a store: it hands @wfc.transaction steps a sqlite3 connection of the test's choosing.
ALLOWED = {SRC / "testing" / "__init__.py": {"sqlite3"}}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def test_nothing_outside_the_stores_imports_a_driver_or_a_stores_private_names() -> None:
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        if STORE in path.parents:
            continue
        for module, names in _imports(path):
            root = module.split(".")[0]
            if root in DRIVERS and root not in ALLOWED.get(path, set()):
                problems.append(f"{path.relative_to(SRC)} imports {module}")
            if module.startswith("wfc.runtime.store."):
                inner = module.removeprefix("wfc.runtime.store.")
                if inner.split(".")[0] in ("sqlite", "postgres"):
                    problems.append(f"{path.relative_to(SRC)} imports a store's module {module}")
                problems += [f"{path.relative_to(SRC)} imports {module}.{n}" for n in names if n.startswith("_")]
            if module == "wfc.runtime.store":
                problems += [f"{path.relative_to(SRC)} imports {n}" for n in names if n.startswith("_")]
    assert problems == []


def test_the_engine_catches_only_store_errors() -> None:
    for name in ("engine.py", "schedule.py", "worker.py", "runtime.py", "control.py", "intake.py"):
        text = (SRC / "runtime" / name).read_text()
        assert "sqlite3" not in text and "psycopg" not in text, name
        assert '"locked"' not in text and '"busy"' not in text, name


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("sqlite:///:memory:", "sqlite"),
        ("sqlite:///x.db", "sqlite"),
        ("postgresql://u@h/db", "postgresql"),
        ("postgres://u@h/db", "postgresql"),
    ],
)
def test_the_scheme_chooses_the_store(url: str, kind: str) -> None:
    assert scheme(url) == kind


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://h/db", "unsupported database URL scheme"), ("x.db", "not a database URL"), ("", "not a database")],
)
def test_a_bad_url_is_refused_with_a_hint(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        open_store(url)
    assert info.value.code == "WFC429" and info.value.hint


def test_sqlite_options_are_refused_for_a_server() -> None:
    with pytest.raises(ConfigError, match="SQLite options"):
        open_store("postgresql://u@h/db", synchronous="FULL")


def test_local_file() -> None:
    assert local_file("sqlite:///a/b.db") == "a/b.db"
    assert local_file("sqlite:////a/b.db") == "/a/b.db"
    assert local_file("sqlite:///:memory:") is None
    assert local_file("postgresql://u@h/db") is None
