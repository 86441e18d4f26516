"""Construct by construct, a .wf workflow gives the front-end AST of its Python twin (as the Python front end
builds it), so both compile to one table."""

from __future__ import annotations

import importlib.util
import itertools
import textwrap
from pathlib import Path

import pytest

import wfc
from wfc.commands import WorkflowDef
from wfc.compiler.driver import normalize
from wfc.compiler.python import frontend
from wfc.dsl import lowering
from wfc.dsl.loader import definitions

from .support import analyze_text, python_syntax

_counter = itertools.count()

# (.wf body, Python twin body): both inside `workflow w(order: dict, xs: list, n: int)` / its `def`.
PAIRS = {
    "bare step": ('shop.notify("a", "b")', 'yield shop.notify("a", "b")'),
    "assign step": ('r = shop.charge("o", 1.0)\nreturn r', 'r = yield shop.charge("o", 1.0)\nreturn r'),
    "return a command": ('return shop.ship("o")', 'return (yield shop.ship("o"))'),
    "tuple target": (
        'a, b = all of (shop.price("x"), shop.price("y"))\nreturn a + b',
        'a, b = yield wfc.all_of(shop.price("x"), shop.price("y"))\nreturn a + b',
    ),
    "index target": ('order["r"] = shop.charge("o", 1.0)', 'order["r"] = yield shop.charge("o", 1.0)'),
    "options": (
        'shop.ship("o") with retry(max_attempts = 2, jitter = 0), run_after 1m, name "s"\n'
        'shop.ship("p") with no retry, run_at now()',
        'yield shop.ship("o").options(retry=wfc.RetryPolicy(max_attempts=2, jitter=0), run_after=60, name="s")\n'
        'yield shop.ship("p").options(retry=False, run_at=wfc.now())',
    ),
    "sleep and wait": (
        'sleep 1.5m\nv = wait "go" timeout 500ms\nwait "again"',
        'yield wfc.sleep(90.0)\nv = yield wfc.wait_event("go", timeout=0.5)\nyield wfc.wait_event("again")',
    ),
    "first of and each": (
        'i, v = first of (wait "a", sleep 1h)\nps = all of (shop.price(x) for x in xs)',
        'i, v = yield wfc.any_of(wfc.wait_event("a"), wfc.sleep(3600))\n'
        "ps = yield wfc.all_of([shop.price(x) for x in xs])",
    ),
    "plain if stays code": (
        'if n > 1 {\n  n = 2\n} else {\n  fail "no"\n}\nshop.ship("o")',
        'if n > 1:\n  n = 2\nelse:\n  raise wfc.WorkflowFailed("no")\nyield shop.ship("o")',
    ),
    "if around a step": (
        'if n > 1 {\n  shop.ship("o")\n} elif n == null {\n  n = 0\n}',
        'if n > 1:\n  yield shop.ship("o")\nelif n is None:\n  n = 0',
    ),
    "return inside plain if": (
        'if n {\n  return 1\n}\nshop.ship("o")',
        'if n:\n  return 1\nyield shop.ship("o")',
    ),
    "loops": (
        "for x in xs {\n  shop.price(x)\n}\nfor k, v in items(order) {\n  if v { break }\n  shop.price(k)\n}\n"
        "for i, x in enumerate(xs, 1) {\n  shop.price(x)\n}\nfor a, b in zip(xs, xs) {\n  shop.price(a)\n}\n"
        "for x in reversed(xs) {\n  shop.price(x)\n}\nfor k in keys(order) {\n  shop.price(k)\n}\n"
        'while n > 0 {\n  n -= 1\n  if n == 3 { continue }\n  shop.price("x")\n}',
        "for x in xs:\n  yield shop.price(x)\nfor k, v in order.items():\n  if v:\n    break\n"
        "  yield shop.price(k)\nfor i, x in enumerate(xs, 1):\n  yield shop.price(x)\n"
        "for a, b in zip(xs, xs):\n  yield shop.price(a)\nfor x in reversed(xs):\n  yield shop.price(x)\n"
        "for k in order.keys():\n  yield shop.price(k)\n"
        'while n > 0:\n  n -= 1\n  if n == 3:\n    continue\n  yield shop.price("x")',
    ),
    "plain loop with break stays code": (
        'for x in xs {\n  if x { break }\n}\nshop.ship("o")',
        'for x in xs:\n  if x:\n    break\nyield shop.ship("o")',
    ),
    "try numbering and bare raise": (
        'try {\n  shop.ship("o")\n} catch StepFailed as e {\n  try {\n    shop.ship("p")\n  } catch {\n'
        "    n = 1\n  }\n  if n { raise }\n  raise\n} catch (ValueError, shop.CardDeclined) {\n  n = 2\n"
        '} finally {\n  shop.notify("a", "b")\n}',
        'try:\n  yield shop.ship("o")\nexcept wfc.StepFailed as e:\n  try:\n    yield shop.ship("p")\n'
        "  except Exception:\n    n = 1\n  if n:\n    raise\n  raise\n"
        "except (ValueError, shop.CardDeclined):\n  n = 2\nfinally:\n"
        '  yield shop.notify("a", "b")',
    ),
    "plain try stays code": (
        'try {\n  n = 1 // n\n} catch ZeroDivisionError {\n  n = 0\n}\nshop.ship("o")',
        'try:\n  n = 1 // n\nexcept ZeroDivisionError:\n  n = 0\nyield shop.ship("o")',
    ),
    "expressions": (
        'x = [n ** -2 ** 2, -n, not n, n // 2 % 3, 0 < n <= 9, "a" in xs, "b" not in xs, n != null]\n'
        'y = {"k": xs[1:], "j": xs[:n], "i": order["a"]["b"], "s": "{n:>4} {{x}} \\t"}\n'
        "z = [upper(s) for s in xs if s] + [len(xs), keys(order), items(order), values(order)]\n"
        't = now()\nv = random()\nu = uuid()\nlog error "{x}"\n'
        'shop.ship("o")',
        "x = [n ** (-2 ** 2), -n, not n, n // 2 % 3, 0 < n <= 9, 'a' in xs, 'b' not in xs, n is not None]\n"
        "y = {'k': xs[1:], 'j': xs[:n], 'i': order['a']['b'], 's': f'{n:>4} {{x}} \\t'}\n"
        "z = [str.upper(s) for s in xs if s] + [len(xs), list(order.keys()), list(order.items()), "
        "list(order.values())]\n"
        "t = wfc.now()\nv = wfc.random()\nu = wfc.uuid4()\nwfc.log.error(f'{x}')\n"
        'yield shop.ship("o")',
    ),
    "published statuses": (
        'set_status("stage", {"n": n})\nshop.ship("o")\nset_status("stage", "shipped")',
        "wfc.set_status('stage', {'n': n})\nyield shop.ship('o')\nwfc.set_status('stage', 'shipped')",
    ),
    "child workflows": (
        'r = helper(1)\ns = shop.ship_and_notify("o", "e")\nreturn [r, s]',
        "r = yield helper(1)\ns = yield shop.ship_and_notify('o', 'e')\nreturn [r, s]",
    ),
}

HELPER_WF = 'workflow helper(k: int) -> int {\n    shop.ship("o")\n    return k\n}\n'
HELPER_PY = '@wfc.workflow\ndef helper(k: int) -> int:\n    yield shop.ship("o")\n    return k\n'


def load_wf(body: str) -> WorkflowDef:
    source = "import shop\n\nworkflow w(order: dict, xs: list, n: int) {\n" + textwrap.indent(body, "    ")
    source += "\n}\n" + HELPER_WF
    analysis = analyze_text(source)
    assert [d.render() for d in analysis.diagnostics if d.is_error] == []
    return definitions(analysis)["w"]


def load_python(body: str, tmp_path: Path) -> WorkflowDef:
    source = "import shop\n\nimport wfc\n\n\n@wfc.workflow\ndef w(order: dict, xs: list, n: int):\n"
    source += textwrap.indent(body, "    ") + "\n\n\n" + HELPER_PY
    name = f"wf_twin_{next(_counter)}"
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defn = module.w
    assert isinstance(defn, WorkflowDef)
    return defn


@pytest.mark.parametrize(("wf_body", "py_body"), PAIRS.values(), ids=PAIRS.keys())
def test_same_front_end_ast_and_table(wf_body: str, py_body: str, tmp_path: Path) -> None:
    ours = load_wf(wf_body)
    theirs = load_python(py_body, tmp_path)
    expected = python_syntax(theirs)
    assert ours.syntax.body == expected.body
    assert ours.syntax.locals == expected.locals
    assert ours.syntax.params == expected.params
    assert normalize(wfc.compile(ours)) == normalize(wfc.compile(theirs))


def test_result_slot_is_the_python_front_ends() -> None:
    assert lowering.TEMP_VAR == frontend.TEMP_VAR


def test_a_workflow_without_commands_compiles_and_runs() -> None:
    analysis = analyze_text("workflow pure(n: int) -> int {\n    return n * 2\n}\n")
    defn = definitions(analysis)["pure"]
    assert wfc.testing.run(defn, 21) == 42


def test_a_wf_workflow_publishes_statuses_in_both_runners(tmp_path: Path) -> None:
    defn = load_wf('set_status("stage", {"n": n})\nshop.ship("o")\nset_status("stage", "shipped")\nreturn n')
    assert wfc.testing.execute(defn, {}, [], 3).statuses == {"stage": "shipped"}
    with wfc.Runtime(f"sqlite:///{tmp_path / 'wf.db'}", workflows=[defn]) as rt:
        wid = rt.start(defn, {}, [], 3)
        assert rt.run_until_complete(wid) == 3
        assert rt.statuses(wid) == {"stage": "shipped"}


def test_positions_point_into_the_wf_file() -> None:
    defn = load_wf('x = 1\nshop.ship("o")')
    first, step = defn.syntax.body[:2]
    assert first.span is not None and (first.span.path, first.span.line, first.span.col) == ("t.wf", 4, 5)
    assert step.span is not None and (step.span.line, step.span.col) == (5, 5)
    table = wfc.compile(defn)
    assert "L5.resume" in {s.id for s in table.states}
