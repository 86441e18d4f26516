"""``wfc graph`` end to end, every example rendered in every format, and docs/graphs.md kept true."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wfc.cli.common import iter_sources, load_workflows
from wfc.cli.graph_cmd import graph_of
from wfc.cli.main import cli
from wfc.commands import WorkflowDef
from wfc.compiler.graph import Highlight
from wfc.compiler.render_dot import CURRENT_FILL, PATH_COLOR, render_dot, render_svg
from wfc.compiler.render_html import render_html
from wfc.compiler.render_mermaid import render_mermaid

from . import dotparse
from .helpers import HAVE_DOT, MERMAID_CHECK, check_mermaid, dot_canon, parse_svg, svg_node_classes

ROOT = Path(__file__).parent.parent.parent
FLOWS = str(Path(__file__).with_name("flows.py"))


def _runtime_available() -> bool:
    try:
        return hasattr(importlib.import_module("wfc.runtime.runtime"), "Runtime")
    except ImportError:
        return False


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_mermaid_on_stdout_by_default() -> None:
    code, out, _ = invoke("graph", f"{FLOWS}:loops")
    assert code == 0
    check_mermaid(out, graph_of(_flow("loops")))


def test_dot_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    code, out, _ = invoke("graph", f"{FLOWS}:guarded", "--format", "dot", "-o", str(target))
    assert code == 0 and out.strip() == f"wrote {target}"
    assert set(dotparse.parse(target.read_text()).nodes) == {n.id for n in graph_of(_flow("guarded")).nodes}


@pytest.mark.parametrize("fmt", ["svg", "html"])
def test_svg_and_html_default_to_a_file_named_after_the_workflow(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fmt == "svg" and not HAVE_DOT:
        pytest.skip("Graphviz is not installed (.ci/run installs it)")
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke("graph", f"{FLOWS}:parallel", "-f", fmt)
    assert code == 0 and out.strip() == f"wrote parallel.{fmt}"
    text = (tmp_path / f"parallel.{fmt}").read_text()
    if fmt == "svg":
        parse_svg(text)
    else:
        assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")


def test_a_wf_file() -> None:
    code, out, err = invoke("graph", str(ROOT / "examples" / "wf" / "order.wf"))
    assert code == 0, err
    assert out.startswith("flowchart TD") and "wfc_current" not in out


def test_svg_without_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    code, _, err = invoke("graph", f"{FLOWS}:straight", "-f", "svg", "-o", str(tmp_path / "x.svg"))
    assert code == 1
    assert "error[WFC410]" in err and "apt-get install graphviz" in err and "--format dot|mermaid|html" in err
    assert not (tmp_path / "x.svg").exists()


def test_a_file_with_several_workflows_needs_a_name() -> None:
    code, _, err = invoke("graph", FLOWS)
    assert code == 2
    assert "name the one to draw as PATH:NAME" in err and "straight" in err and "loops" in err


def test_unknown_workflow_and_missing_file() -> None:
    code, _, err = invoke("graph", f"{FLOWS}:nope")
    assert code == 2 and "no workflow named 'nope'" in err
    code, _, err = invoke("graph", "no/such/file.py")
    assert code == 2 and "no such file" in err


def test_help_shows_examples() -> None:
    code, out, _ = invoke("graph", "--help")
    assert code == 0 and "Examples:" in out and "wfc graph examples/orders.py:fulfil_order" in out
    assert "--instance" in out and "--db" in out


def test_instance_without_the_runtime_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import wfc

    monkeypatch.delattr(wfc, "Runtime", raising=False)
    monkeypatch.setitem(sys.modules, "wfc.runtime.runtime", None)  # makes the import fail
    code, _, err = invoke("graph", f"{FLOWS}:straight", "--instance", "run-1")
    assert code == 2 and "--instance needs the runtime" in err


def _flow(name: str) -> WorkflowDef:
    from . import flows

    defn = getattr(flows, name)
    assert isinstance(defn, WorkflowDef)
    return defn


# ---- every example ----------------------------------------------------------------------------------------------


def _examples() -> list[tuple[str, WorkflowDef | Exception]]:
    """Every workflow under examples/ (.py and .wf), found as ``wfc graph`` finds them. An example that does not
    load becomes a failing case of its own rather than an error that hides every other case."""
    out: list[tuple[str, WorkflowDef | Exception]] = []
    for path in iter_sources((str(ROOT / "examples"),)):
        name = str(path.relative_to(ROOT / "examples"))
        if name.startswith("django_app/") and name != "django_app/shop/workflows.py":
            continue  # Django's own modules (views, commands, settings) import only inside a configured project
        try:
            out.extend((f"{name}:{defn.name}", defn) for defn in load_workflows(path))
        except Exception as exc:
            out.append((name, exc))
    return out


EXAMPLES = _examples()


def test_there_are_examples_to_render() -> None:
    files = {name.split(":")[0] for name, _ in EXAMPLES}
    assert "orders.py" in files and any(f.endswith(".wf") for f in files), files


@pytest.mark.parametrize(("name", "defn"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_every_example_renders(name: str, defn: WorkflowDef | Exception) -> None:
    if isinstance(defn, Exception):
        raise defn
    graph = graph_of(defn)
    suspensions = [
        n.id for n in graph.nodes if n.kind in ("step", "child", "sleep", "event", "all_of", "any_of")
    ]
    current = suspensions[-1] if suspensions else graph.entry
    hl = Highlight(current=frozenset({current}), visited=frozenset({graph.entry, current}))
    dot_text = render_dot(graph, hl)
    dot = dotparse.parse(dot_text)
    assert set(dot.nodes) == {n.id for n in graph.nodes}
    assert [n for n, at in dot.nodes.items() if "wfc-current" in at["class"]] == [current]
    mermaid = render_mermaid(graph, hl)
    check_mermaid(mermaid, graph)
    assert re.findall(r"^  class (\S+) wfc_current$", mermaid, re.M) == ["s_" + re.sub(r"\W", "_", current)]
    page = render_html(graph, hl, use_graphviz=False)
    assert "flowchart TD" in page
    if HAVE_DOT:
        dot_canon(dot_text)
        classes = svg_node_classes(parse_svg(render_svg(graph, hl)))
        assert set(classes) == {n.id for n in graph.nodes}
        assert [s for s, c in classes.items() if "wfc-current" in c.split()] == [current]


@pytest.mark.skipif(
    not (os.environ.get("WFC_MERMAID_DIR") and shutil.which("node")),
    reason="set WFC_MERMAID_DIR to a directory with node_modules/mermaid and jsdom to run Mermaid's own parser",
)
def test_mermaids_own_parser_accepts_every_example(tmp_path: Path) -> None:
    from . import flows

    defns = [d for _, d in EXAMPLES if isinstance(d, WorkflowDef)]
    defns += [d for d in vars(flows).values() if isinstance(d, WorkflowDef)]
    files = []
    for i, defn in enumerate(defns):
        graph = graph_of(defn)
        hl = Highlight(current=frozenset({graph.entry}), visited=frozenset({graph.entry}))
        files.append(tmp_path / f"g{i}.mmd")
        files[-1].write_text(render_mermaid(graph, hl))
    done = subprocess.run(
        ["node", str(MERMAID_CHECK), *map(str, files)],
        cwd=os.environ["WFC_MERMAID_DIR"], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# ---- docs -------------------------------------------------------------------------------------------------------


def test_doc_diagram_is_what_the_code_draws() -> None:
    from examples import orders

    doc = (ROOT / "docs" / "graphs.md").read_text()
    rendered = render_mermaid(graph_of(orders.fulfil_order))
    assert f"```mermaid\n{rendered}```" in doc, (
        "regenerate the diagram: wfc graph examples/orders.py:fulfil_order"
    )


# ---- --instance, against the runtime's documented interface -----------------------------------------------------


class _FakeRuntime:
    """``wfc.Runtime``'s reading side, as the runtime documents it (``status``, ``history``, ``close``), over
    canned records: the highlighting is tested whether or not the durable runtime is installed."""

    statuses: dict[str, Any] = {}
    histories: dict[str, list[Any]] = {}
    urls: list[str] = []

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        assert read_only, "drawing opens the database read-only"
        self.urls.append(url)

    def status(self, instance_id: str) -> Any:
        return self.statuses[instance_id]

    def history(self, instance_id: str) -> list[Any]:
        return self.histories[instance_id]

    def close(self) -> None:
        pass


def _instance(
    monkeypatch: pytest.MonkeyPatch, name: str, state: str, state_id: str | None, path: list[str]
) -> None:
    import datetime as dt

    import wfc
    from wfc.runtime.records import HistoryRecord, Status, WorkflowState

    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    table = wfc.compile(_flow(name))
    status = Status(f"{name}-1", name, WorkflowState(state), state_id, (), now, now, table_hash=table.hash)
    records = []
    for seq, sid in enumerate(path):
        # an all_of issues one record per command, all at the same suspension
        lanes = 2 if graph_of(_flow(name)).node(sid).kind == "all_of" else 1
        records += [HistoryRecord(seq, str(k) if lanes > 1 else "", "step", "fetch", ("k",), {}, "completed",
                                  state_id=sid) for k in range(lanes)]  # fmt: skip
    monkeypatch.setattr(_FakeRuntime, "statuses", {status.id: status})
    monkeypatch.setattr(_FakeRuntime, "histories", {status.id: records})
    monkeypatch.setattr(wfc, "Runtime", _FakeRuntime, raising=False)


def test_instance_running(monkeypatch: pytest.MonkeyPatch) -> None:
    _instance(monkeypatch, "loops", "sleeping", "L61.body", ["L55.endif", "L55.endif", "L61.body"])
    code, out, err = invoke(
        "graph", f"{FLOWS}:loops", "-f", "dot", "--instance", "loops-1", "--db", "sqlite:///x.db"
    )
    assert code == 0, err
    assert _FakeRuntime.urls[-1] == "sqlite:///x.db"
    dot = dotparse.parse(out)
    assert [n for n, at in dot.nodes.items() if "wfc-current" in at["class"]] == ["L61.body"]
    assert dot.nodes["L61.body"]["fillcolor"] == CURRENT_FILL["running"]
    marked = {(a, b) for a, b, at in dot.edges if at.get("color") == PATH_COLOR}
    assert ("L58.endif", "L54.for") in marked and ("start", "L54.for") in marked


def test_instance_completed_ends_at_its_return(monkeypatch: pytest.MonkeyPatch) -> None:
    _instance(monkeypatch, "straight", "completed", None, ["start", "L33.resume"])
    code, out, err = invoke("graph", f"{FLOWS}:straight", "-f", "mermaid", "--instance", "straight-1")
    assert code == 0, err
    assert "class s_L34_resume wfc_current" in out
    assert f"fill:{CURRENT_FILL['finished']}" in out


def test_instance_page_shows_status_and_history(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _instance(monkeypatch, "parallel", "failed", None, ["start", "L92.resume"])
    page = tmp_path / "p.html"
    code, _, err = invoke(
        "graph", f"{FLOWS}:parallel", "-f", "html", "-o", str(page), "--instance", "parallel-1"
    )
    assert code == 0, err
    text = page.read_text()
    assert "<th>status</th><td>failed</td>" in text
    assert "<th>seq</th>" in text and "<th>state_id</th>" in text and text.count("<td>fetch</td>") == 3
    if HAVE_DOT:
        svg = text[text.index("<svg") : text.index("</svg>") + 6]
        classes = svg_node_classes(parse_svg(svg))
        assert [s for s, c in classes.items() if "wfc-current" in c.split()] == ["L92.resume"]


def test_instance_of_another_version_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    _instance(monkeypatch, "straight", "running", "L77.gone", ["start"])
    code, out, err = invoke("graph", f"{FLOWS}:straight", "--instance", "straight-1")
    assert code == 0 and "L77.gone" in err and "wfc_current" not in out


def test_doc_python_snippet_runs() -> None:
    doc = (ROOT / "docs" / "graphs.md").read_text()
    snippet = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    assert "class s_L48_resume wfc_current" in namespace["text"]


@pytest.mark.skipif(not _runtime_available(), reason="the durable runtime is not installed")
def test_instance_from_the_real_runtime(tmp_path: Path) -> None:
    import wfc

    url = f"sqlite:///{tmp_path / 'rt.db'}"
    rt = wfc.Runtime(url, clock=wfc.testing.FakeClock(auto_advance=False))
    try:
        done = rt.start(_flow("loops"), 4)
        sleeping = rt.start(_flow("waits"), "k")
        rt.run_until_idle()
    finally:
        rt.close()
    # A completed run: the path through both loops, ending at the only return its last step can reach.
    code, out, err = invoke("graph", f"{FLOWS}:loops", "-f", "dot", "--instance", done, "--db", url)
    assert code == 0, err
    dot = dotparse.parse(out)
    assert [n for n, at in dot.nodes.items() if "wfc-current" in at["class"]] == ["L63.endwhile"]
    assert dot.nodes["L63.endwhile"]["fillcolor"] == CURRENT_FILL["finished"]
    visited = {n for n, at in dot.nodes.items() if "wfc-visited" in at["class"]}
    assert {"L55.endif", "L61.body", "L63.body"} <= visited
    # A sleeping run: at its first state, which is the sleep.
    code, out, err = invoke("graph", f"{FLOWS}:waits", "--instance", sleeping, "--db", url)
    assert code == 0, err
    assert "class s_start wfc_current" in out
    code, _, err = invoke("graph", f"{FLOWS}:waits", "--instance", "no-such-id", "--db", url)
    assert code != 0 and "no-such-id" in err
