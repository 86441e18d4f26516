"""Browsing instances (the dashboard's list, ``wfc ui``): filtered, paged, counted — the statements both SQL
stores share, over the seam of :mod:`wfc.runtime.store.common`.

Pages are keyset pages over the instances' key ``n`` (newest first): a page costs its rows, not its offset, at
100,000 instances as at 10. Each filter is one that an index serves or that the backward scan of the primary key
checks cheaply: workflow and state by ``instances (workflow, state)`` (counts also by ``instances (name,
workflow, state)``) and ``instances (state)``, parent by
``instances (parent)``, an id prefix as a range in the binary order of text (SQLite's order: its unique index on
``id`` serves it; PostgreSQL compares under ``COLLATE "C"``, so the range means the same under any database
collation, on the scanned rows), a time range on the scanned rows, a named queue by the queues' partial index
``instances_queue`` (counts) or on the scanned rows (a page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from wfc.runtime.store.common import INST_COLS, StoreBody
from wfc.runtime.store.protocol import Filter, InstanceRow

_TOP = "\U0010ffff"  # above every character: `prefix <= id < prefix + _TOP` is "id starts with prefix"


def _where(f: Filter, with_states: bool = True, page: bool = False) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if f.workflow is not None:
        # (a page walks the key backwards and checks this on its rows: {unindexed} keeps SQLite's planner from
        # collecting every match through the two indexes and sorting them, 50x slower for a page of 100)
        where.append("(workflow=? OR {unindexed}name=?)")
        params += [f.workflow, f.workflow]
    if with_states and f.states:
        where.append("state IN (" + ", ".join("?" for _ in f.states) + ")")
        params += list(f.states)
    if f.parent is not None:
        where.append("parent=?")
        params.append(f.parent)
    if f.id_prefix:
        where.append("id{text_order}>=? AND id{text_order}<?")
        params += [f.id_prefix, f.id_prefix + _TOP]
    if f.queue is not None:
        # counts: the queue's partial index; a page walks the key backwards and checks it on the rows (through the
        # index SQLite would collect every instance the queue ever held and sort them: 22 ms a page at 100,000)
        where.append("{unindexed}queue=?" if page else "queue=?")
        params.append(f.queue)
    if f.created_from is not None:
        where.append("created_at>=?")
        params.append(f.created_from)
    if f.created_to is not None:
        where.append("created_at<?")
        params.append(f.created_to)
    return where, params


class BrowseBody(StoreBody):
    """:class:`~wfc.runtime.store.common.StoreBody` with the statements of browsing (``ControlStore``)."""

    def browse_instances(self, f: Filter, limit: int, before: int | None = None) -> list[InstanceRow]:
        where, params = _where(f, page=True)
        if before is not None:
            where.append("n<?")
            params.append(before)
        sql = f"SELECT {INST_COLS} FROM {{s}}instances"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY n DESC LIMIT ?"
        with self._reading():
            return [InstanceRow(*r) for r in self._x(sql, (*params, limit)).fetchall()]

    def count_states(self, f: Filter) -> dict[str, int]:
        if f.workflow is not None:
            # "workflow = X OR name = X" would read the table; as two counts, each reads one index only
            # (instances (workflow, state) and instances (name, workflow, state)), a row counted once.
            rest, rest_params = _where(attrs.evolve(f, workflow=None), with_states=False)
            by_key = ["workflow=?", *rest], [f.workflow, *rest_params]
            by_name = ["name=?", "workflow<>?", *rest], [f.workflow, f.workflow, *rest_params]
            out: dict[str, int] = {}
            for where, params in (by_key, by_name):
                for state, n in self._count(where, params).items():
                    out[state] = out.get(state, 0) + n
            return out
        return self._count(*_where(f, with_states=False))

    def _count(self, where: list[str], params: list[Any]) -> dict[str, int]:
        sql = "SELECT state, count(*) FROM {s}instances"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY state"
        with self._reading():
            return {str(r[0]): int(r[1]) for r in self._x(sql, params).fetchall()}

    def version_counts(self) -> list[tuple[str, str, str, str, int]]:
        """``(workflow, name, table hash, state, instances)`` for every version instances run on."""
        sql = (
            "SELECT workflow, name, table_hash, state, count(*) FROM {s}instances "
            "GROUP BY workflow, name, table_hash, state"
        )
        with self._reading():
            rows: Sequence[Any] = self._x(sql).fetchall()
        return [(str(r[0]), str(r[1] or r[0]), str(r[2]), str(r[3]), int(r[4])) for r in rows]

    def children_of(self, parent: int, limit: int) -> list[InstanceRow]:
        """The child instances of ``parent``, oldest first (by the ``instances (parent)`` index)."""
        sql = f"SELECT {INST_COLS} FROM {{s}}instances WHERE parent=? ORDER BY n LIMIT ?"
        with self._reading():
            return [InstanceRow(*r) for r in self._x(sql, (parent, limit)).fetchall()]


__all__ = ["BrowseBody"]
