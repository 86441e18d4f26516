"""A command's outcome tells which way the run left its suspension: normal edge after success, exception after
failure — so the highlighted path can go through a try region whose handler would also lead on."""

from __future__ import annotations

import wfc
from examples import orders
from wfc.compiler.graph import Graph, build_graph
from wfc.compiler.graph_path import highlight_path


def graph_of(defn: wfc.workflow) -> Graph:  # type: ignore[valid-type]
    return build_graph(wfc.compile(defn), {**defn.namespace})  # type: ignore[attr-defined]


def _suspension(graph: object, kind: str) -> str:
    return next(n.id for n in graph.nodes if n.kind == kind)  # type: ignore[attr-defined]


def test_outcomes_settle_the_route_out_of_a_try_region() -> None:
    graph = graph_of(orders.fulfil_order)
    event = _suspension(graph, "event")
    sleep = _suspension(graph, "sleep")
    without = highlight_path(graph, [event, sleep])
    assert not any(dst == sleep for _, dst in without.visited_edges), "two ways: nothing guessed"
    succeeded = highlight_path(graph, [event, sleep], outcomes=[True, None])
    assert any(dst == sleep for _, dst in succeeded.visited_edges)
    assert any(src == event for src, _ in succeeded.visited_edges)
    normal = {e.key for e in graph.edges if e.kind == "normal"}
    assert all(key in normal for key in succeeded.visited_edges if key[0] == event)


def test_a_failed_command_leaves_by_its_exception_edge() -> None:
    graph = graph_of(orders.fulfil_order)
    event = _suspension(graph, "event")
    sleep = _suspension(graph, "sleep")
    failed = highlight_path(graph, [event, sleep], outcomes=[False, None])
    handler_edges = {e.key for e in graph.edges if e.kind == "exception"}
    assert failed.visited_edges & handler_edges, "the timeout handler's edge is on the path"
