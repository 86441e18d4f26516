"""Requests from outside the workers: starting an instance and sending an event, each one transaction.

Both validate everything first (the workflow is deployed and compiles, arguments match its type hints and can be
persisted within the size limit, the instance exists and runs), so a refused request writes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from wfc import convert
from wfc.errors import WfcError
from wfc.runtime import queues, steps
from wfc.runtime.clock import Clock
from wfc.runtime.errors import DuplicateId, UnknownInstance, WorkflowFinished
from wfc.runtime.schedule import Scheduler
from wfc.runtime.store.protocol import ControlStore
from wfc.runtime.typecheck import check_arguments

FINISHED = ("completed", "failed", "canceled")


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


class Intake(Scheduler):
    clock: Clock

    def start(
        self,
        workflow: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        instance_id: str | None = None,
        on_complete: Any = None,
        context: Any = None,
        timeout: float | None = None,
        queue: Any = None,
        priority: int | None = None,
        partition_key: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        if queue is None:
            queues.no_queue_options(priority, partition_key, dedup_id)
        defn = self.deployment.workflow(workflow)
        table = self.deployment.current(defn)
        variables = check_arguments(defn, args, kwargs)
        what = f"the arguments of workflow {defn.name}"
        vars_text = steps.check_size(convert.dumps_vars(variables), self.limit, what)
        on_complete_key = None
        if on_complete is not None:
            on_complete_key = steps.on_complete_key(on_complete)
        context_text = (
            steps.encode(context, self.limit, "the on_complete context") if context is not None else None
        )
        if instance_id is not None and (not isinstance(instance_id, str) or not instance_id):
            raise WfcError(f"a workflow id must be a non-empty string, not {instance_id!r}", code="WFC402")
        iid = instance_id or uuid.uuid4().hex
        now = self.clock.now()
        with self.tracing.start(defn.name, iid) as trace, self.store.transaction():
            placement = None
            if queue is not None:  # the queue's row locked first: its dedup ids and line cannot change under us
                qrow = queues.resolve(cast(ControlStore, self.store), queue, now)
                placement = queues.place(qrow, priority, partition_key, dedup_id)
            self.save_table(defn, table, now)
            n = self.create(
                iid,
                defn,
                table.hash,
                vars_text,
                now,
                name=defn.name,
                on_complete=on_complete_key,
                context=context_text,
                trace=trace,
                timeout=timeout,
                queue=placement,
            )
            if n is None:
                existing = self.store.get_instance(iid)
                if existing is not None and existing.workflow != defn.key:
                    raise DuplicateId(
                        f"workflow id {iid!r} is already used by an instance of {existing.workflow}",
                        hint="a given id makes start idempotent for the same workflow; use another id",
                    )
                if existing is not None:
                    self._same_arguments(existing, defn.name, vars_text, variables)
        return iid

    def _same_arguments(self, existing: Any, name: str, vars_text: str, variables: dict[str, Any]) -> None:
        """``start(id=...)`` of an existing instance is idempotent only with the arguments it was started with:
        other arguments would silently be ignored, so they are refused (``WFC430``)."""
        start_rows = [r for r in self.store.group(existing.n, 0) if r.kind == "start"]
        old_text = start_rows[0].snapshot if start_rows else None
        if old_text is None or old_text == vars_text:
            return  # the same arguments (or a fork, which records none): the same instance
        try:
            old = convert.loads_vars(old_text)
        except Exception:
            old = None
        if old is not None:
            try:
                if old == variables:
                    return
            except Exception:
                pass
            differ = sorted(k for k in set(old) | set(variables) if k not in old or k not in variables
                            or not _equal(old[k], variables[k]))  # fmt: skip
        else:
            differ = []
        which = f" ({', '.join(differ)} differ)" if differ else ""
        raise DuplicateId(
            f"workflow id {existing.id!r} names an instance of {name} started with other arguments{which}",
            hint="starting with an id is idempotent only for the same arguments: use another id for new "
            "arguments, or Runtime.status(id) to see the existing instance",
        )

    def send_event(
        self, instance_id: str, name: str, value: Any = None, error: Any = None, event_id: str | None = None
    ) -> bool:
        """Record the event (and deliver it to a wait that is there); ``False``: an event with ``event_id`` was
        sent to this instance before, and this one is dropped (also once the instance has ended: a webhook
        delivered twice must not fail the second time)."""
        if not isinstance(name, str) or not name:
            raise WfcError("an event needs a name (a non-empty string)", code="WFC402")
        check_event_id(event_id)
        value_text = (
            steps.encode(value, self.limit, f"the value of event {name!r}") if value is not None else None
        )
        message = (
            None
            if error is None
            else (error if isinstance(error, str) else f"{type(error).__name__}: {error}")
        )
        now = self.clock.now()
        with self.store.transaction():
            inst = self.store.get_instance(instance_id)
            if inst is None:
                raise UnknownInstance(
                    f"cannot send event {name!r}: no workflow instance {instance_id!r}",
                    hint="check the id returned by Runtime.start()",
                )
            if event_id is not None and self.store.sent_event(inst.n, event_id):
                return False
            if inst.state in FINISHED:
                raise WorkflowFinished(
                    f"cannot send event {name!r}: workflow {instance_id!r} has {inst.state}",
                    hint="events go to running instances only; check Runtime.status(id) first",
                )
            event_n = self.store.insert_event(inst.n, name, value_text, message, now, event_id)
            leaf = self.store.waiting_leaf(inst.n, name)
            if leaf is not None:
                result, err = self.event_outcome(name, value_text, message)
                self.store.consume_event(event_n, leaf.key)
                self.store.deliver_external(leaf.key, result, err, now)
        return True


_MAX_EVENT_ID = 500  # characters: a webhook's delivery id or an idempotency key, never a payload


def check_event_id(event_id: object) -> None:
    if event_id is None:
        return
    problem = None
    if not isinstance(event_id, str) or not event_id:
        problem = f"an event id must be a non-empty string, not {event_id!r}"[:200]
    elif len(event_id) > _MAX_EVENT_ID:
        problem = f"an event id has at most {_MAX_EVENT_ID} characters (this one has {len(event_id)})"
    else:
        try:
            event_id.encode()
        except UnicodeEncodeError:
            problem = f"the event id {event_id!r} is not valid text (it holds a lone surrogate)"
    if problem is not None:
        raise WfcError(
            problem,
            code="WFC402",
            hint="pass the delivery's own id (a webhook's event id, an idempotency key) as a string",
        )
