"""A .wf file from an untrusted author cannot reach the host: known escapes are compile-time WFC1xx errors, and
the namespace compiled code runs in exposes nothing beyond what the checks allow."""

from __future__ import annotations

import pytest

import wfc.dsl
from wfc.commands import StepDef
from wfc.dsl.names import HELPERS
from wfc.dsl.sandbox import Members, namespace, safe_builtins

from .support import analyze_text, diagnostics

ESCAPES = {
    "dunder on a literal": 'x = "".__class__',
    "dunder on a variable": "x = order.__dict__",
    "bases of a tuple's class": "x = [].__class__.__bases__",
    "subclasses": "x = [].__class__.__mro__",
    "mro": "x = order.mro",
    "generator frame": "x = order.gi_frame",
    "frame globals": "x = order.f_globals",
    "traceback frame": "x = order.tb_frame",
    "coroutine frame": "x = order.cr_frame",
    "code object": "x = order.co_code",
    "python 2 function globals": "x = order.func_globals",
    "str.format": 'x = "{0.__class__}".format(order)',
    "format_map": 'x = "{x}".format_map(order)',
    "interpolated dunder": 'x = "{order.__class__}"',
    "interpolated format method": 'x = "{order.format}"',
    "method call": "x = order.keys()",
    "calling a variable": "f = order\nx = f()",
    "calling a call's result": "x = len(order)(1)",
    "calling an index": 'x = order["f"](1)',
    "eval": 'x = eval("1")',
    "exec": 'exec("import os")',
    "__import__": 'x = __import__("os")',
    "open": 'x = open("/etc/passwd")',
    "getattr": 'x = getattr(order, "__class__")',
    "type": "x = type(order)",
    "globals": "x = globals()",
    "vars": "x = vars()",
    "the helpers object": "x = wfc",
    "the helpers object's members": "x = wfc.sleep",
    "builtins by name": "x = __builtins__",
    "private attribute": "x = order._secret",
    "step internals": "x = shop.charge.fn",
    "a step as a value": "x = shop.charge",
    "a module member that is no step": "x = shop.wfc",
    "format spec trick": 'x = "{order:{order.__class__}}"',
    "conversion trick": 'x = "{order!r}"',
    "backslash in an interpolation": 'x = "{order[\\"a\\"]}"',
    "lambda": "f = lambda: 1",
    "assigning a dunder": "__builtins__ = 1",
}


@pytest.mark.parametrize("snippet", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_is_a_compile_error(snippet: str) -> None:
    source = f"import shop\n\nworkflow w(order: any) {{\n{snippet}\n}}\n"
    found = diagnostics(source)
    errors = [d for d in found if d.is_error]
    assert errors, f"{snippet!r} was accepted"
    for d in errors:
        assert d.code.startswith("WFC1") and 120 <= int(d.code[3:]) <= 159, d.render()
        assert d.span is not None and 1 <= d.span.line <= source.count("\n") + 1


def test_importing_os_gives_no_way_to_call_system() -> None:
    source = 'import os\n\nworkflow w() {\n    os.system("echo owned")\n}\n'
    found = diagnostics(source)
    assert [d.code for d in found if d.is_error] == ["WFC141"]
    assert "os" in found[-1].message or "system" in found[-1].message


def test_import_outside_the_allowed_prefixes_is_refused_before_importing() -> None:
    source = "import antigravity\n\nworkflow w() {\n    return 1\n}\n"
    found = diagnostics(source, allowed_imports=["shop"])
    assert [d.code for d in found] == ["WFC133"]
    import sys

    assert "antigravity" not in sys.modules


def test_allowed_prefix_is_a_whole_module_name() -> None:
    assert [
        d.code for d in diagnostics("import shop\nworkflow w() { return 1 }", allowed_imports=["sho"])
    ] == ["WFC133"]
    assert diagnostics("import shop\nworkflow w() { return 1 }", allowed_imports=["shop"]) == []


def test_path_import_must_resolve_to_an_allowed_module() -> None:
    ok = 'import "./shop.py" as shop\nworkflow w() { return 1 }'
    assert diagnostics(ok, allowed_imports=["shop"]) == []
    assert [d.code for d in diagnostics(ok, allowed_imports=["billing"])] == ["WFC133"]


def test_namespace_holds_only_proxies_builtins_and_workflows() -> None:
    analysis = analyze_text('import shop\nworkflow w() {\n    x = shop.charge("o", 1.0)\n    return x\n}\n')
    defn = wfc.dsl.loader.definitions(analysis)["w"]
    ns = defn.namespace
    assert set(ns) - {"_wfc_loop"} == {"__builtins__", "wfc", "shop", "w"}
    assert isinstance(ns["shop"], Members) and isinstance(ns["wfc"], Members)
    assert set(ns["__builtins__"]) == set(safe_builtins())
    for dangerous in ("open", "eval", "exec", "getattr", "type", "compile", "globals", "vars"):
        assert dangerous not in ns["__builtins__"]
    # `__import__` gives only what CPython's own built-ins import (datetime formatting imports `time`)
    sandbox_import = ns["__builtins__"]["__import__"]
    assert sandbox_import("time").__name__ == "time"
    for module in ("os", "sys", "subprocess", "builtins", "importlib"):
        with pytest.raises(ImportError):
            sandbox_import(module)
    assert isinstance(ns["shop"].charge, StepDef)
    for name in ("wfc", "refund_all", "__dict__", "_secret"):
        with pytest.raises(AttributeError):
            getattr(ns["shop"], name)


def test_helpers_proxy_exposes_only_the_helpers() -> None:
    helpers = namespace({}, {})["wfc"]
    assert callable(helpers.sleep)
    for name in ("compile", "testing", "dsl", "step", "workflow", "__dict__", "_LazyHelpers"):
        with pytest.raises(AttributeError):
            getattr(helpers, name)
    for name in HELPERS:
        getattr(helpers, name)


def test_proxies_are_read_only() -> None:
    proxy = Members("m", {"a": 1})
    with pytest.raises(AttributeError):
        proxy.a = 2
    with pytest.raises(AttributeError):
        del proxy.a
    assert proxy.a == 1
