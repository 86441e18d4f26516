"""What the dashboard reads and does, as plain JSON data: one :class:`~wfc.runtime.runtime.Runtime` over the store,
behind one lock (a store connection serves one call at a time), called from the web server's worker threads.

Reading never runs workflow code: statuses, history and live variables are decoded from the store, graphs are
built from the table versions saved in it (``tables``: every version an instance started on). The actions are the
runtime's own (start by name as :class:`wfc.Client` does, send an event, cancel, restart, fork), so they are
recorded as from any other process.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from wfc.commands import check_instance_id
from wfc.compiler import ir, serialize
from wfc.compiler.diff import TableDiff, diff_tables
from wfc.compiler.graph import Graph, Highlight, build_graph
from wfc.compiler.graph_path import final_state, highlight_path
from wfc.errors import WfcError
from wfc.runtime.admit import UNRESOLVED, call_text
from wfc.runtime.errors import DuplicateId, UnknownInstance
from wfc.runtime.records import HistoryRecord, Status, WorkflowState
from wfc.runtime.runtime import Runtime
from wfc.runtime.store.protocol import START, Filter, InstanceRow, LeafRow

_T = TypeVar("_T")
STATES = tuple(s.value for s in WorkflowState)
MAX_PAGE = 500


def plain(value: Any) -> Any:
    """A value as JSON data: attrs classes and dataclasses as objects, datetimes in ISO 8601, enums as their
    values, tuples and sets as lists, bytes as text, anything else as its ``str``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if attrs.has(type(value)):
        return {a.name: plain(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}" if str(value) else type(value).__name__
    return str(value)


def _time(t: float | None) -> str | None:
    return None if t is None else dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


def parse_time(text: str | None, what: str) -> float | None:
    """An ISO 8601 time (UTC when it names no zone) or epoch seconds, as epoch seconds."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise WfcError(
            f"{what}: not a time: {text[:40]!r}",
            code="WFC402",
            hint="give an ISO 8601 time (2026-01-31T12:00:00Z) or epoch seconds",
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def encode_cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"n:{n}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "n" and value.isdigit() and len(value) < 20:
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise WfcError(
        f"invalid cursor {cursor[:40]!r}", code="WFC402", hint="pass the cursor a previous page returned"
    )


def summary(inst: InstanceRow, parent_id: str | None = None) -> dict[str, Any]:
    """An instance in a list: what its row holds (no per-row queries)."""
    return {
        "id": inst.id,
        "workflow": inst.workflow,
        "name": inst.name,
        "state": inst.state,
        "table_hash": inst.table_hash,
        "created_at": _time(inst.created_at),
        "updated_at": _time(inst.updated_at),
        "finished_at": _time(inst.finished_at),
        "parent_id": parent_id,
        "blocked": inst.blocked,
        "queue": inst.queue,
    }


class Service:
    """The dashboard's access to one database. ``runtime``: opened on it (read-only when the dashboard is)."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.store = runtime.store
        self.read_only = runtime.read_only
        self._lock = threading.RLock()
        self._graphs: dict[str, Graph | None] = {}
        self._tables: dict[str, ir.Table | None] = {}

    def call(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        with self._lock:
            return fn(*args, **kwargs)

    def close(self) -> None:
        with self._lock:
            self.rt.close()

    # ---- looking ----------------------------------------------------------------------------------------------

    def _instance(self, instance_id: str) -> InstanceRow:
        return self.rt._instance(instance_id)

    def filter_of(
        self,
        *,
        workflow: str | None = None,
        states: tuple[str, ...] = (),
        parent: str | None = None,
        id_prefix: str | None = None,
        created_from: str | None = None,
        created_to: str | None = None,
        queue: str | None = None,
    ) -> Filter:
        for s in states:
            if s not in STATES:
                raise WfcError(
                    f"unknown state {s[:40]!r}", code="WFC402", hint=f"one of: {', '.join(STATES)}"
                )
        parent_n = None
        if parent:
            parent_n = self._instance(parent).n
        return Filter(
            workflow=workflow or None,
            states=states,
            parent=parent_n,
            id_prefix=id_prefix or None,
            created_from=parse_time(created_from, "created_from"),
            created_to=parse_time(created_to, "created_to"),
            queue=queue or None,
        )

    def page(self, f: Filter, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        """A page of instances (newest first) and the cursor of the next one (``None``: the last page)."""
        if not 1 <= limit <= MAX_PAGE:
            raise WfcError(f"limit must be 1..{MAX_PAGE}, not {limit}", code="WFC402")
        with self._lock:
            rows = self.store.browse_instances(f, limit + 1, decode_cursor(cursor))
            more = len(rows) > limit
            rows = rows[:limit]
            parents = self._parent_ids(rows)
        return {
            "items": [summary(r, parents.get(r.parent) if r.parent is not None else None) for r in rows],
            "cursor": encode_cursor(rows[-1].n) if more and rows else None,
        }

    def _parent_ids(self, rows: list[InstanceRow]) -> dict[int, str]:
        out: dict[int, str] = {}
        for n in {r.parent for r in rows if r.parent is not None}:
            parent = self.store.get_instance_n(n)
            if parent is not None:
                out[n] = parent.id
        return out

    def counts(self, f: Filter) -> dict[str, int]:
        with self._lock:
            counted = self.store.count_states(f)
        return {s: counted.get(s, 0) for s in STATES}

    def status(self, instance_id: str) -> dict[str, Any]:
        with self._lock:
            st = self.rt.status(instance_id)
            inst = self._instance(instance_id)
            children = [summary(c, instance_id) for c in self.store.children_of(inst.n, 200)]
        data: dict[str, Any] = plain(st)
        data["children"] = children
        return data

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        with self._lock:
            records = self.rt.history(instance_id)
        return [_record(r) for r in records]

    def variables(self, instance_id: str) -> dict[str, Any]:
        with self._lock:
            return {k: plain(v) for k, v in self.rt.query(instance_id).items()}

    def fingerprint(self, instance_id: str) -> str:
        """What changes when the instance moves (its row and its current suspension's rows): one indexed read."""
        with self._lock:
            inst = self.store.get_instance(instance_id)
            if inst is None:
                return "gone"
            rows = self.store.current(inst.n)
        parts = [inst.state, str(inst.updated_at), str(inst.blocked)]
        parts += [f"{r.seq}.{r.pos}:{r.status}:{r.attempts}:{r.finished_at}" for r in rows]
        return "|".join(parts)

    def list_fingerprint(self, f: Filter, limit: int, cursor: str | None) -> str:
        with self._lock:
            rows = self.store.browse_instances(f, limit, decode_cursor(cursor))
            counts = self.store.count_states(f)
        return json.dumps([[r.n, r.state, r.updated_at] for r in rows] + [sorted(counts.items())])

    # ---- graphs -----------------------------------------------------------------------------------------------

    def table(self, table_hash: str) -> ir.Table | None:
        """A table version saved in the store (``None``: not saved, e.g. not admitted yet, or unreadable here)."""
        if table_hash == UNRESOLVED:
            return None
        if table_hash not in self._tables:
            with self._lock:
                saved = self.store.table_text(table_hash)
            table = None
            if saved is not None:
                try:
                    table = serialize.from_json(saved[1])
                except Exception:  # a version this wfc cannot read: the page says so instead of failing
                    table = None
            self._tables[table_hash] = table
        return self._tables[table_hash]

    def graph(self, table_hash: str) -> Graph | None:
        """The graph of a saved table version, built from its structure (no code of it runs)."""
        if table_hash not in self._graphs:
            table = self.table(table_hash)
            self._graphs[table_hash] = build_graph(table) if table is not None else None
        return self._graphs[table_hash]

    def diff(self, old_hash: str, new_hash: str) -> TableDiff:
        """``wfc diff``'s comparison of two saved versions."""
        old, new = self.table(old_hash), self.table(new_hash)
        if old is None or new is None:
            missing = old_hash if old is None else new_hash
            raise WfcError(
                f"no saved table version {missing[:16]!r}",
                code="WFC435",
                hint="give the hashes GET /api/workflows lists",
            )
        return diff_tables(old, new)

    def highlight(
        self, graph: Graph, st: Status, records: list[HistoryRecord]
    ) -> tuple[Highlight, dict[str, int]]:
        """Where the instance is on its graph, the path it took, and how often it suspended at each state."""
        path: list[str] = []
        outcomes: list[bool | None] = []
        visits: dict[str, int] = {}
        last_seq = -1
        for r in records:
            if r.state_id and r.seq != last_seq:
                path.append(r.state_id)
                visits[r.state_id] = visits.get(r.state_id, 0) + 1
                outcomes.append((r.error is None) if r.finished_at is not None else None)
            elif r.seq == last_seq and outcomes:
                outcomes[-1] = None  # all_of/any_of: the commands' outcomes do not say which way it went
            last_seq = r.seq
        state = st.state
        kind: Any = "running"
        if state == WorkflowState.COMPLETED:
            kind = "finished"
        elif state.finished:
            kind = "failed"
        current = st.state_id
        if current is None and kind == "finished":
            current = final_state(graph, path[-1] if path else graph.entry)
        elif current is None and kind == "failed" and path:
            current = path[-1]
        hl = highlight_path(graph, path, current=[current] if current else [], status=kind, outcomes=outcomes)
        return hl, visits

    def workflows(self) -> list[dict[str, Any]]:
        """Every workflow with a saved table version or an instance: its key, its name (what the list filters by:
        instances started by name record only the name), its versions and their instances by state."""
        with self._lock:
            saved = self.store.saved_tables()
            counted = self.store.version_counts()
        owner = dict(saved)  # a version's workflow key, from the saved table
        names = {owner.get(h, w): n for w, n, h, _s, _c in counted}
        out: dict[str, dict[str, Any]] = {}
        versions: dict[str, dict[str, Any]] = {}

        def version(workflow: str, table_hash: str) -> dict[str, Any]:
            name = names.get(workflow, workflow.rpartition(":")[2])
            wf = out.setdefault(
                workflow, {"workflow": workflow, "name": name, "versions": [], "instances": 0}
            )
            key = f"{workflow}\0{table_hash}"
            if key not in versions:
                versions[key] = {"table_hash": table_hash, "instances": 0, "states": {}}
                wf["versions"].append(versions[key])
            return versions[key]

        for table_hash, workflow in saved:
            version(workflow, table_hash)
        for workflow, _name, table_hash, state, count in counted:
            key_of = owner.get(table_hash, workflow)
            v = version(key_of, table_hash)
            v["instances"] += count
            v["states"][state] = v["states"].get(state, 0) + count
            out[key_of]["instances"] += count
        return sorted(out.values(), key=lambda w: str(w["workflow"]))

    # ---- actions ----------------------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise WfcError(
                "the dashboard is read-only",
                code="WFC471",
                hint="start it without --read-only to act on instances",
            )

    def start(self, workflow: str, args: list[Any], kwargs: dict[str, Any], instance_id: str | None) -> str:
        """Start ``workflow`` by name with JSON arguments, as :meth:`wfc.Client.start` does (the worker that
        serves it checks them against its signature)."""
        self._writable()
        if not isinstance(workflow, str) or not workflow:
            raise WfcError("start needs the workflow's name (a non-empty string)", code="WFC402")
        check_instance_id(instance_id)
        iid = instance_id or uuid.uuid4().hex
        with self._lock:
            now = self.rt.clock.now()
            store = self.store
            with self.rt.tracing.start(workflow, iid) as trace, store.transaction():
                row = InstanceRow(0, iid, workflow, workflow, UNRESOLVED, "running", now, now, trace=trace)
                n = store.insert_instance(row)
                if n is None:
                    existing = store.get_instance(iid)
                    if existing is not None and workflow not in (existing.workflow, existing.name):
                        raise DuplicateId(
                            f"workflow id {iid!r} is already used by an instance of {existing.workflow}",
                            hint="a given id makes start idempotent for the same workflow; use another id",
                        )
                else:
                    store.insert_leaf(
                        LeafRow(
                            n,
                            0,
                            0,
                            "",
                            START,
                            workflow,
                            ready_at=now,
                            scheduled_at=now,
                            snapshot=call_text(tuple(args), kwargs),
                        )
                    )
        return iid

    def send_event(self, instance_id: str, name: str, value: Any, error: Any, event_id: str | None) -> bool:
        self._writable()
        if not isinstance(name, str) or not name:
            raise WfcError("an event needs a name (a non-empty string)", code="WFC402")
        with self._lock:
            return self.rt.send_event(instance_id, name, value, error, event_id=event_id)

    def cancel(self, instance_id: str, force: bool = False) -> str:
        """``wfc.Canceled`` at its ``yield`` (its cleanup runs), or with ``force`` ended at once."""
        self._writable()
        with self._lock:
            return self.rt.cancel(instance_id, force=force)

    def restart(self, instance_id: str, from_step: int | str) -> str:
        self._writable()
        with self._lock:
            return self.rt.restart(instance_id, from_step)

    def fork(self, instance_id: str, from_step: int | str, new_id: str | None) -> str:
        self._writable()
        with self._lock:
            return self.rt.fork(instance_id, from_step, new_id=new_id)


def _record(r: HistoryRecord) -> dict[str, Any]:
    data: dict[str, Any] = plain(r)
    started, finished = r.started_at, r.finished_at
    data["duration"] = (finished - started).total_seconds() if started and finished else None
    return data


__all__ = ["STATES", "Service", "UnknownInstance", "parse_time", "plain"]
