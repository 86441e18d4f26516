"""The docs stay true: every error code wfc can raise is documented, and the public API is pinned."""

from __future__ import annotations

import re
from pathlib import Path

import wfc
from wfc.compiler.python.rules import RULES

ROOT = Path(__file__).parent.parent


def test_every_error_code_is_documented() -> None:
    used = set()
    for path in (ROOT / "src" / "wfc").rglob("*.py"):
        used |= set(re.findall(r"WFC\d{3}", path.read_text()))
    documented = set(re.findall(r"WFC\d{3}", (ROOT / "docs" / "errors.md").read_text()))
    missing = sorted(used - documented)
    assert not missing, f"codes used in src/wfc but missing from docs/errors.md: {missing}"


def test_public_api_is_pinned() -> None:
    assert wfc.__all__ == sorted(wfc.__all__), "keep __all__ sorted"
    for name in wfc.__all__:
        assert hasattr(wfc, name), name
    expected = {
        "Canceled", "CompileError", "Diagnostic", "RetryPolicy", "StepFailed", "Timeout", "WfcError",
        "WorkflowFailed", "WorkflowTimeout", "all_of", "any_of", "compile", "log", "now", "random", "register_error",
        "register_type", "sleep", "sleep_until", "step", "step_context", "StepContext", "testing", "transaction", "uuid4",
        "wait_event", "workflow", "ChildHandle", "start_child", "join", "continue_as_new", "Queue",
    }
    assert expected <= set(wfc.__all__), f"public names removed: {sorted(expected - set(wfc.__all__))}"
    # `@py_...`: pytest's assertion rewriting of the package its pytest11 plugin (wfc.pytest_plugin) belongs to
    public = {n for n in vars(wfc) if not n.startswith(("_", "@"))} - {"annotations"}
    unexported = sorted(public - set(wfc.__all__) - {"cli", "commands", "compiler", "continuation", "convert", "decorators",
                                                     "dsl", "errors", "runtime", "stdlib", "pytest_plugin", "ui"})
    assert not unexported, f"public names not in __all__: {unexported}"


def test_python_workflows_doc_embeds_the_tour_verbatim() -> None:
    doc = (ROOT / "docs" / "python-workflows.md").read_text()
    tour = (ROOT / "examples" / "tour.py").read_text().rstrip()
    assert f"```python\n{tour}\n```" in doc


def test_tour_runs_the_same_compiled_and_native() -> None:
    from examples import tour

    for args, events in [(("ann", {"book": 2, "lamp": 1}), {"delivered": "yes"}), (("bob", {"x": 9}), None)]:
        compiled = wfc.testing.execute(tour.checkout, *args, events=events)
        native = wfc.testing.execute(tour.checkout, *args, events=events, native=True)
        assert compiled.unwrap() == native.unwrap()
        assert compiled.step_names == native.step_names
    assert wfc.testing.run(tour.checkout, "bob", {"x": 9}) == {"status": "declined"}


def test_ir_doc_shows_the_real_table() -> None:
    from examples import ir_example
    from wfc.compiler.pprint import format_table

    doc = (ROOT / "docs" / "ir.md").read_text()
    assert format_table(wfc.compile(ir_example.collect)).rstrip() in doc
    assert (ROOT / "examples" / "ir_example.py").read_text().rstrip() in doc


# A bare `yield cmd(...)`: still valid, but the docs teach `yield from` (it types the result: issue 13).
_BARE_YIELD = re.compile(r"\byield (?!from\b)[A-Za-z_][\w.]*\(")
# errors.md shows the code each error is about; language.md spells the .wf twins as the compiler writes them.
_SHOWS_OTHER_CODE = {"errors.md", "language.md"}


def test_the_docs_teach_yield_from() -> None:
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text()
        for block in re.findall(r"```python\n(.*?)```", text, re.S):
            found += [(doc.name, m.group()) for m in _BARE_YIELD.finditer(block)]
        if doc.parent.name == "docs" and doc.name not in _SHOWS_OTHER_CODE:
            prose = re.sub(r"```.*?```", "", text, flags=re.S)
            found += [(doc.name, span) for span in re.findall(r"`([^`\n]+)`", prose) if _BARE_YIELD.search(span)]
    assert not found, f"write `x = yield from cmd(...)` in the docs: {found}"
    # and so do the determinism rules' hints (`{expr}` is the offending call)
    hints = [rule.hint.replace("{expr}", "cmd()") for rule in RULES if rule.hint]
    assert not [h for h in hints if _BARE_YIELD.search(h)], hints
