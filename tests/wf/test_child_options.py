"""A child's own options in `.wf` (`async child(x) with id ..., detached, queue ...`; `child(x) with id ...`):
the same front-end AST, table and graph as the Python twin (children/options_twin.py), the same runs in both
runners as the twin's, and a diagnostic with code, place, caret and hint for each use Python would refuse."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import wfc
import wfc.dsl
from wfc.commands import WorkflowDef
from wfc.compiler import ir
from wfc.compiler.driver import normalize
from wfc.compiler.graph import build_graph

from ..queues import flows as _queues  # noqa: F401  (declares the queues "ranked" and "tenants")
from ..twin.harness import ID, Observed, both
from .children import options_twin
from .conftest import ROOT
from .support import diagnostics, python_syntax

PATH = ROOT / "tests" / "wf" / "children" / "options.wf"
WORKFLOWS = ("ship", "job", "named", "detaching", "queued", "called")


@pytest.fixture(scope="module")
def flows() -> dict[str, WorkflowDef]:
    return wfc.dsl.load(PATH)


def _suspends(defn: WorkflowDef) -> list[str]:
    return [s.op.command.source for s in wfc.compile(defn).states if isinstance(s.op, ir.Suspend)]


def test_the_file_checks_clean() -> None:
    assert wfc.dsl.check(PATH) == []


@pytest.mark.parametrize("name", WORKFLOWS)
def test_ast_and_table_equal_the_python_twin(flows: dict[str, WorkflowDef], name: str) -> None:
    ours, theirs = flows[name], getattr(options_twin, name)
    assert ours.syntax.body == python_syntax(theirs).body
    assert normalize(wfc.compile(ours)) == normalize(wfc.compile(theirs))
    assert _suspends(ours) == _suspends(theirs)


def test_the_options_lower_to_start_child_of_the_call_with_options(flows: dict[str, WorkflowDef]) -> None:
    assert _suspends(flows["detaching"]) == [
        "wfc.start_child(ship(order_id).options(id=f'kept-{order_id}', detached=True))",
        "wfc.start_child(ship(order_id).options(id=f'dropped-{order_id}'))",
        "wfc.sleep(60)",
    ]
    assert _suspends(flows["queued"])[:2] == [
        "wfc.start_child(job(i).options(queue='ranked', priority=p, dedup_id=f'job-{i}'))",
        "wfc.start_child(job(100).options(queue='tenants', partition_key=tenant, id=f'{tenant}-job'))",
    ]
    assert _suspends(flows["called"]) == ["ship(order_id).options(id=f'called-{order_id}')"]


def test_parenthesized_options_are_the_same_start(tmp_path: Any) -> None:
    path = tmp_path / "p.wf"
    path.write_text(
        "workflow c(x: int) -> int { return x }\n"
        'workflow w() -> int {\n    h = async (c(1) with id "one", detached)\n    return await h\n}\n'
    )
    assert _suspends(wfc.dsl.load(path)["w"])[0] == "wfc.start_child(c(1).options(id='one', detached=True))"


@pytest.mark.parametrize("name", WORKFLOWS)
def test_graph_equals_the_python_twin(flows: dict[str, WorkflowDef], name: str) -> None:
    def drawn(defn: WorkflowDef) -> tuple[Any, ...]:
        g = build_graph(wfc.compile(defn))
        at = {n.id: i for i, n in enumerate(g.nodes)}  # state ids name source lines, which differ
        nodes = tuple((n.kind, n.title, n.lanes, n.fanout, n.loop_head) for n in g.nodes)
        return nodes, tuple((at[e.src], at[e.dst], e.kind, e.label, e.back) for e in g.edges)

    assert drawn(flows[name]) == drawn(getattr(options_twin, name))
    kinds = [n.kind for n in build_graph(wfc.compile(flows["detaching"])).nodes]
    assert kinds.count("start_child") == 2


def _records(seen: Observed) -> tuple[Any, ...]:
    """Every instance's end and records, but for what names source lines (state ids and tracebacks), which
    differ between a .wf file and a .py file."""
    return tuple(
        (
            iid,
            state,
            tuple((*r[:4], _keyless(r[4]), *r[5:7], _keyless(r[7]), *r[8:13], r[14]) for r in records),
        )
        for iid, state, records in seen.instances
    )


def _keyless(result: Any) -> Any:
    """A handle's workflow key names the file that defines the child (options.wf, options_twin.py); a join's
    arguments hold the handle."""
    if isinstance(result, tuple):
        return tuple(_keyless(r) for r in result)
    return attrs.evolve(result, workflow="") if isinstance(result, wfc.ChildHandle) else result


CASES: list[tuple[str, tuple[Any, ...]]] = [
    ("named", (["a", "b"],)),
    ("detaching", ("o-1",)),
    ("queued", ([2, 0, 1], "acme")),
    ("called", ("o-2",)),
]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_runs_like_the_twin_in_both_runners(
    flows: dict[str, WorkflowDef], name: str, args: tuple[Any, ...]
) -> None:
    ours = both(flows[name], *args)  # wfc.testing and the durable runtime agree, record for record
    theirs = both(getattr(options_twin, name), *args)
    assert ours.outcome == theirs.outcome and ours.outcome[0] == "ok"
    assert _records(ours) == _records(theirs)


def test_what_the_options_do(flows: dict[str, WorkflowDef]) -> None:
    named = both(flows["named"], ["a", "b"])
    assert named.outcome == ("ok", [["ship-a", "ship-b"], ["parcel-a", "parcel-b"]])
    assert [r[3] for r in named.instances[-1][2][:2]] == ["ship a", "ship b"]  # `name` is what records show
    ended = {iid: state for iid, state, _ in both(flows["detaching"], "o-1").instances}
    assert ended == {ID: "completed", "kept-o-1": "completed", "dropped-o-1": "canceled"}
    queued = both(flows["queued"], [2, 0, 1], "acme")
    assert queued.outcome == ("ok", [[0, 2, 4], 200])
    assert "acme-job" in {iid for iid, _, _ in queued.instances}
    assert {iid for iid, _, _ in both(flows["called"], "o-2").instances} == {ID, "called-o-2"}


def _diagnostic(body: str, prelude: str = "") -> list[tuple[str, int, int, str, str]]:
    text = (
        "import shop\n"
        "workflow kid(x: int) -> int { return x }\n"
        f"{prelude}"
        "workflow w(n: int, s: str) -> any {\n"
        f"    {body}\n"
        "    return 1\n"
        "}\n"
    )
    out = []
    for d in diagnostics(text):
        assert d.span is not None and d.hint, d.render()
        rendered = d.render()
        assert f"t.wf:{d.span.line}:{d.span.col}" in rendered and "^" in rendered, rendered
        out.append((d.code, d.span.line, d.span.col, d.message, d.hint))
    return out


BAD = [
    # (statement, code, column of the caret, words of the message)
    ('h = async kid(1) with ident "a"', "WFC150", 27, "unknown call option `ident`"),
    ("h = kid(1) with detach", "WFC150", 21, "unknown call option `detach`"),
    ('h = shop.ship("o") with id "a"', "WFC150", 29, "not of a step"),
    ('h = shop.ship("o") with detached', "WFC150", 29, "not of a step"),
    ('h = kid(1) with queue "ranked"', "WFC150", 21, "started with `async`"),
    ("h = kid(1) with detached", "WFC150", 21, "nothing to outlive"),
    ("h = async kid(1) with priority 1", "WFC150", 27, "no `queue` is given"),
    ("h = async kid(1) with partition_key s", "WFC150", 27, "no `queue` is given"),
    ('h = async kid(1) with id ""', "WFC156", 30, "1 to 1000 characters"),
    ("h = async kid(1) with id n", "WFC156", 30, "an instance id is text, and this value is int"),
    ("h = async kid(1) with id 7", "WFC156", 30, "an instance id is text"),
    ('h = async kid(1) with queue ""', "WFC156", 33, "cannot be empty"),
    ("h = async kid(1) with queue 3", "WFC156", 33, "not int 3"),
    ('h = async kid(1) with queue "ranked", priority "high"', "WFC156", 52, "whole number"),
    ('h = async kid(1) with queue "ranked", priority -1', "WFC156", 52, "not -1"),
    ('h = async kid(1) with queue "ranked", priority true', "WFC156", 52, "not bool"),
    ('h = async kid(1) with queue "tenants", partition_key null', "WFC156", 58, "not null"),
    ('h = async kid(1) with id "a", id "b"', "WFC150", 35, "given twice"),
    ('h = async shop.ship("o") with id "a"', "WFC155", 15, "is a step"),
]


@pytest.mark.parametrize(("body", "code", "col", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_uses_are_diagnostics_at_their_place(body: str, code: str, col: int, words: str) -> None:
    found = _diagnostic(body)
    assert [(c, line, column) for c, line, column, _, _ in found] == [(code, 4, col)], found
    assert words in found[0][3], found


INCOMPLETE = [
    ("h = async kid(1) with", "a call option is missing before end of line", "the options: `retry(...)`"),
    ('h = async kid(1) with id "a",', "a call option is missing", "`detached`"),
    ("h = kid(1) with , name 'n'", "a call option is missing before `,`", "`dedup_id`"),
    ("h = async", "`async` needs a workflow call", "h = async ship(order)"),
    ("h = await", "`await` needs a child's handle", "what `async` gave"),
]


@pytest.mark.parametrize(("body", "message", "hint"), INCOMPLETE, ids=[b[0] for b in INCOMPLETE])
def test_incomplete_options_and_commands_say_what_is_missing(body: str, message: str, hint: str) -> None:
    found = diagnostics("workflow kid(x: int) -> int { return x }\nworkflow w() {\n    " + body + "\n}\n")
    assert [d.code for d in found] == ["WFC120"], [d.render() for d in found]
    assert message in found[0].message and found[0].hint and hint in found[0].hint, found[0].render()


def test_option_words_stay_names_elsewhere_and_a_flag_may_end_a_line(tmp_path: Any) -> None:
    path = tmp_path / "words.wf"
    path.write_text(
        "import shop\n"
        "workflow kid(x: int) -> int { return x }\n"
        "workflow w(o: str) -> list {\n"
        '    id = "k-{o}"\n'
        "    queue = 1\n"
        "    r = shop.ship(o) with no retry\n"
        "    h = async kid(queue) with id id, detached\n"
        "    return [r, h.id]\n"
        "}\n"
    )
    assert wfc.dsl.check(path) == []
    assert wfc.testing.run(wfc.dsl.load(path)["w"], "o") == ["parcel-o", "k-o"]
