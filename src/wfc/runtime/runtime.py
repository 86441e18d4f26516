"""``wfc.Runtime``: the durable runtime's public face. Thin: the logic is in the engine, the SQL in the store.

::

    rt = wfc.Runtime("sqlite:///app.db")
    wid = rt.start(checkout, "order-1")
    rt.run_until_complete(wid)          # or: rt.worker(concurrency=8).run()
    rt.status(wid).state                # WorkflowState.COMPLETED
"""

from __future__ import annotations

import builtins
import concurrent.futures
import contextlib
import datetime as dt
import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar, overload

from typing_extensions import ParamSpec

from wfc import convert
from wfc.commands import RetryPolicy, StepDef, WorkflowDef, check_instance_id, check_seconds
from wfc.errors import Canceled, WfcError
from wfc.runtime import attempts, liveness, query, serving, steps, tracebacks
from wfc.runtime import schedules as ticks
from wfc.runtime import statuses as published
from wfc.runtime import tracing as tracing_mod
from wfc.runtime.budget import DEFAULT_LIMITS, Interrupted, Limits, keyboard_interrupts
from wfc.runtime.clock import Clock, SystemClock, to_datetime
from wfc.runtime.control_api import DEFAULT_PARALLELISM, Control, check_parallelism
from wfc.runtime.dburl import redact
from wfc.runtime.engine import Engine
from wfc.runtime.errors import ConfigError, NotFinished, StoreError, UnknownInstance, WaitTimeout
from wfc.runtime.handle import Handle
from wfc.runtime.queues import Queue, QueueInfo
from wfc.runtime.queues import info as queue_info
from wfc.runtime.queues import install as install_queues
from wfc.runtime.records import HistoryRecord, Outstanding, Page, Status, WorkflowState
from wfc.runtime.schedules_api import ScheduleControl
from wfc.runtime.steps import StepResult
from wfc.runtime.store import open_store
from wfc.runtime.store.protocol import CANCEL, CANCELED, CHILD, DONE, START, InstanceRow, Key, LeafRow
from wfc.runtime.versions import Deployment
from wfc.runtime.worker import Worker

log = logging.getLogger("wfc.runtime")

_BATCH = 64
_P = ParamSpec("_P")
_R = TypeVar("_R")


class Blocked(ConfigError):
    """``run_until_complete``: the instance cannot move in this deployment (``WFC432``)."""

    code = "WFC432"


class Runtime(Control, ScheduleControl):
    """Durable workflows on a database.

    ``url``: ``sqlite:///path.db`` (created and migrated automatically) or ``sqlite:///:memory:`` (the default;
    one process). ``clock``: a :class:`~wfc.runtime.clock.Clock` (tests: ``wfc.testing.FakeClock()``).
    ``retry``: the default :class:`wfc.RetryPolicy` of steps (overridden per workflow, step and call; without it
    steps are not retried unless they ask). ``workflows``: the deployed workflows (default:
    every ``@wfc.workflow`` imported). ``versions``: a directory of old table versions (``wfc compile
    --versions``). ``max_value_size``: the largest step result, argument or set of live variables (bytes,
    default 1 MiB). ``lease``: seconds a claimed step stays reserved without a heartbeat. ``synchronous``: the
    SQLite durability level (``NORMAL`` default, ``FULL``). ``max_parallelism``: how many steps this runtime runs
    at once (default 25; ``rt.max_parallelism = n`` changes it while running). Cancel, restart, fork, watch,
    cleanup and migrate: :class:`~wfc.runtime.control_api.Control`. ``read_only``: only look (status, result,
    list, history, watch): opening writes nothing — no schema migration, no lease recovery, no retry of blocked
    instances, no worker registration — and a read-only database file works. ``tracing``: OpenTelemetry spans
    (:mod:`wfc.runtime.tracing`) to the global tracer provider when ``opentelemetry-api`` is importable
    (``True``, the default), to a given ``TracerProvider``, or none (``False``).
    """

    def __init__(
        self,
        url: str = "sqlite:///:memory:",
        *,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        workflows: Iterable[WorkflowDef] | None = None,
        versions: str | Path | None = None,
        max_value_size: int = 1 << 20,
        lease: float = 30.0,
        poll_interval: float = 0.1,
        synchronous: str | None = None,
        busy_timeout: float | None = None,
        worker_id: str | None = None,
        max_parallelism: int = DEFAULT_PARALLELISM,
        read_only: bool = False,
        limits: Limits | None = None,
        tracing: Any = True,
    ) -> None:
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigError(f"retry must be a wfc.RetryPolicy, not {type(retry).__name__}")
        if not isinstance(max_value_size, int) or max_value_size < 1024:
            raise ConfigError(f"max_value_size must be a number of bytes >= 1024 (got {max_value_size!r})")
        if limits is not None and not isinstance(limits, Limits):
            raise ConfigError(f"limits must be a wfc.Limits, not {type(limits).__name__}")
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < math.inf  # nan fails too
            for v in (lease, poll_interval)
        ):
            raise ConfigError(
                f"lease and poll_interval must be positive, finite numbers of seconds (got {lease!r}, {poll_interval!r})"
            )
        self._max_parallelism = check_parallelism(max_parallelism)
        self.clock: Clock = clock or SystemClock()
        self.read_only = bool(read_only)
        self.store = open_store(url, synchronous=synchronous, busy_timeout=busy_timeout, read_only=self.read_only)
        self.deployment = Deployment(workflows, versions)
        self.host = socket.gethostname()
        # unique to this process's lifetime; only workers of the same locality are checked by PID (liveness)
        self.owner = liveness.worker_id(worker_id or self.host)
        self.locality = liveness.locality(self.host)
        self.lease = float(lease)
        self.poll_interval = float(poll_interval)
        self.engine = Engine(
            self.store,
            self.deployment,
            self.clock,
            owner=self.owner,
            retry=retry,
            max_value_size=max_value_size,
            lease=self.lease,
            limits=limits or DEFAULT_LIMITS,
        )
        # OpenTelemetry spans (wfc.runtime.tracing): the global tracer provider when opentelemetry-api is
        # importable, a TracerProvider given here, or none (False).
        self.tracing = self.engine.tracing = tracing_mod.create(tracing)
        self._unwatch = self.tracing.gauges(self.store, self.clock.now)  # instances by state, queue depth
        self._drive = threading.RLock()
        self._pending: list[StepResult] = []
        self._worker: Worker | None = None
        self._wake = threading.Event()
        self._last_reap = 0.0
        self._closed = False
        self._unsubscribe: Callable[[], None] = _nothing
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None  # run_until_idle's steps, when several
        self._pool_width = 0
        self._unparked = False
        self._serving_lock = threading.Lock()  # a publication of what the worker serves and its stop never interleave
        if not self.read_only:
            self._recover()

    # ---- lifecycle --------------------------------------------------------------------------------------------

    def _recover(self) -> None:
        """Release the leases of dead workers on this host and register this process."""
        now = self.clock.now()
        with self.store.transaction():
            self._reap_locked()
            self.store.register_worker(self.owner, self.locality, os.getpid(), now)
        install_queues(self.store, now)  # the queues this process declares: clients may name them

    def _retry_blocked(self) -> None:
        """Once, when this runtime first runs work (it may ship what a blocked instance waits for: a version, a
        workflow, a step): make blocked instances claimable again. Not when it is opened: a runtime that only
        starts instances or sends events must not clear the reason `wfc status` shows."""
        if self._unparked or self.read_only:
            return
        self._unparked = True
        self.engine.unpark = True  # done in the engine's next claiming cycle: no transaction of its own

    def _reap_locked(self) -> None:
        for worker_id, pid in self.store.workers(self.locality):
            if worker_id != self.owner and not liveness.alive(pid):
                released = self.store.release(worker_id)
                self.store.remove_worker(worker_id)
                if released:
                    log.info("released %d lease(s) of dead worker %s", released, worker_id)
        self._last_reap = time.monotonic()

    def _heartbeat(self, keys: builtins.list[Key]) -> None:
        now = self.clock.now()
        with self.store.transaction():
            self.store.extend(keys, self.owner, now + self.lease)
            self.store.heartbeat(self.owner, now, now + self.lease)
            if time.monotonic() - self._last_reap > 1.0:
                self._reap_locked()
        if self._worker is not None and self._served != len(self.deployment.known()):
            self._publish_serving()  # a module imported since registered more workflows (or publishing failed)

    _served = -1  # how many workflows the published registry row lists (-1: none published)

    def close(self) -> None:
        """Release this process's leases and close the database."""
        if self._closed:
            return
        self._unwatch()
        worker = self._worker
        if worker is not None:
            worker.stop(now=True)
            worker.join(10)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if not self.read_only:
            with contextlib.suppress(StoreError), self.store.transaction():
                self.store.release(self.owner)
                self.store.remove_worker(self.owner)
        self.store.close()
        self._closed = True

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Runtime({redact(self.store.url)!r})"

    def _attach(self, worker: Worker) -> None:
        self._worker = worker
        self._retry_blocked()
        # Wake-ups from other processes (PostgreSQL: LISTEN/NOTIFY): new work is taken up at once, not at the next
        # poll. A store without them returns a no-op and the worker polls.
        self._unsubscribe = self.store.subscribe(self._kick)
        self._publish_serving()

    def _publish_serving(self) -> None:
        """Record in the workers table what this worker serves (``status()`` reads it: WFC437), on a thread of its
        own: it compiles every workflow the deployment knows, and the worker claims work meanwhile."""
        thread = self._publisher
        if thread is not None and thread.is_alive():
            return  # the next heartbeat looks again
        self._publisher = threading.Thread(target=self._publish_now, name="wfc-serving", daemon=True)
        self._publisher.start()

    def _publish_now(self) -> None:
        known = len(self.deployment.known())
        try:
            serves = serving.encode(serving.served(self.deployment))
        except Exception:  # a bug: the worker runs on without a registry entry (status falls back to WFC436)
            log.exception("cannot record what this worker serves")
            self._served = known
            return
        with self._serving_lock:
            if self._worker is None or self._closed:
                return  # stopped meanwhile
            with contextlib.suppress(StoreError), self.store.transaction():  # the next heartbeat tries again
                self.store.set_serving(self.owner, serves, self.clock.now() + self.lease)
                self._served = known

    _publisher: threading.Thread | None = None

    def _detach(self, worker: Worker) -> None:
        if self._worker is worker:
            self._worker = None
            self._unsubscribe()
            self._unsubscribe = _nothing
            with self._serving_lock:
                self._served = -1
                with contextlib.suppress(StoreError), self.store.transaction():
                    self.store.set_serving(self.owner, None, None)

    def _kick(self) -> None:
        self._wake.set()
        if self._worker is not None:
            self._worker.wake()

    # ---- starting and events ----------------------------------------------------------------------------------

    # Typed overloads: a workflow's own arguments are checked against its parameters; with start options
    # (id=, on_complete=) they are not (typing cannot put keywords beside a ParamSpec); by name, nothing is known.
    @overload
    def start(self, workflow: WorkflowDef[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> Handle[_R]: ...
    @overload
    def start(
        self,
        workflow: WorkflowDef[..., _R],
        /,
        *args: Any,
        id: str,
        on_complete: StepDef | None = None,
        context: Any = None,
        **kwargs: Any,
    ) -> Handle[_R]: ...
    @overload
    def start(
        self,
        workflow: WorkflowDef[..., _R],
        /,
        *args: Any,
        id: str | None = None,
        on_complete: StepDef,
        context: Any = None,
        **kwargs: Any,
    ) -> Handle[_R]: ...
    @overload
    def start(
        self,
        workflow: WorkflowDef[..., _R],
        /,
        *args: Any,
        id: str | None = None,
        on_complete: StepDef | None = None,
        context: Any = None,
        queue: Queue | str,
        priority: int | None = None,
        partition_key: str | None = None,
        dedup_id: str | None = None,
        **kwargs: Any,
    ) -> Handle[_R]: ...
    @overload
    def start(
        self,
        workflow: str,
        /,
        *args: Any,
        id: str | None = None,
        on_complete: StepDef | None = None,
        context: Any = None,
        **kwargs: Any,
    ) -> Handle[Any]: ...

    def start(self, workflow: WorkflowDef | str, /, *args: Any, **kwargs: Any) -> Handle[Any]:
        """Start ``workflow(*args, **kwargs)``; returns its id as a :class:`~wfc.runtime.handle.Handle` (a
        ``str``). A given ``id`` makes this idempotent.

        Arguments are checked against the workflow's type hints (``WFC405``). ``on_complete``: a ``@wfc.step`` or
        ``@wfc.transaction`` called as ``on_complete(workflow_id, completion, context)`` once it ends. ``timeout``
        (seconds or a timedelta; unless the workflow has a parameter of that name) overrides the workflow's own
        ``@wfc.workflow(timeout=)``: when it passes, the instance is canceled with :class:`wfc.WorkflowTimeout`.
        ``queue`` (a :class:`wfc.Queue` or a declared queue's name) starts it ``enqueued`` there, admitted when the
        queue's limits allow, with ``priority`` (lower first), ``partition_key`` and ``dedup_id`` (``WFC446``
        while an instance of the queue with that id has not ended); see docs/queues.md. Like ``timeout``, these
        are options unless the workflow has a parameter of that name.
        """
        id, on_complete, context = kwargs.pop("id", None), kwargs.pop("on_complete", None), kwargs.pop("context", None)
        check_instance_id(id)
        timeout = None
        if "timeout" in kwargs and not (
            isinstance(workflow, WorkflowDef) and "timeout" in workflow.signature.parameters
        ):
            timeout = check_seconds(kwargs.pop("timeout"), "a workflow's timeout")
        queued = _queue_options(workflow, kwargs)
        iid = self.engine.start(
            workflow, args, kwargs, instance_id=id, on_complete=on_complete, context=context, timeout=timeout,
            **queued,
        )
        self._kick()
        return Handle(iid, self)

    def send_event(
        self, id: str, name: str, value: Any = None, error: Any = None, *, event_id: str | None = None
    ) -> bool:
        """Send event ``name`` to instance ``id``: taken by its first ``wait_event(name)`` (now, or later: it is
        kept). With ``error`` (a message), the wait raises instead.

        ``event_id`` (a webhook's delivery id, an idempotency key) makes sending idempotent: an event with an id
        already sent to this instance is dropped, also after the instance ended, and this returns ``False``
        (``True``: recorded). Ids are per instance; any other event of the same name is still delivered."""
        sent = self.engine.send_event(id, name, value, error, event_id)
        if sent:
            self._kick()
        return sent

    # ---- running ----------------------------------------------------------------------------------------------

    def run_until_idle(self) -> int:
        """Process everything that is ready now, in this thread; returns the number of steps run."""
        ran = 0
        engine = self.engine
        if self._worker is not None and self._worker.running:
            return 0  # a worker of this runtime is processing everything already
        if not self._unparked:
            self._retry_blocked()
        self._due_ticks()
        with self._drive, keyboard_interrupts():
            queue: builtins.list[Any] = []
            results, self._pending = self._pending, []
            handed = 0  # cycles in a row that handed us new steps: no need to look for other work yet
            while True:
                claim = 0 if queue or 0 < handed < 16 else _BATCH
                try:
                    tasks = engine.cycle(results, claim=claim, capacity=_BATCH - len(queue))
                except BaseException:
                    self._pending = results
                    raise
                handed = (1 if claim else handed + 1) if tasks else 0
                queue.extend(tasks)
                if not queue:
                    if claim and not results and not engine.claimed:
                        return ran
                    results = []
                    continue
                results = self._run_tasks(queue)
                ran += len(results)
                if queue:
                    self._heartbeat([t.leaf.key for t in queue])

    _ticks_read = -1.0  # monotonic time of the last read of the next tick
    _next_tick: float | None = None

    def _due_ticks(self) -> None:
        """Start the instances of due schedule ticks: the next tick is read at most once a second, unless this
        runtime changed a schedule."""
        if self.read_only:
            return
        mono = time.monotonic()
        if self._ticks_changed or mono - self._ticks_read >= 1.0:
            self._next_tick, self._ticks_read, self._ticks_changed = self.store.next_schedule(), mono, False
        now = self.clock.now()
        if self._next_tick is not None and self._next_tick <= now:
            ticks.fire(self.store, now)
            self._next_tick, self._ticks_read = self.store.next_schedule(), mono

    def _run_tasks(self, queue: builtins.list[Any]) -> builtins.list[StepResult]:
        """Run steps of ``queue`` (removing those run) until it is empty or a third of the lease has passed, so
        the caller can extend the leases of the rest. One step runs in this thread (the sequential case, without
        a thread switch); several, such as an ``all_of``'s, run on the runtime's pool, ``max_parallelism`` at
        once, as a worker runs them."""
        started = time.monotonic()
        budget = self.lease / 3
        now, limit, run = self.clock.now, self.engine.limit, _run_guarded
        width = self._max_parallelism
        results: builtins.list[StepResult] = []
        if len(queue) == 1 or width == 1:
            for task in queue:
                results.append(run(task, now, limit, self.tracing))
                if time.monotonic() - started > budget:
                    break
            del queue[: len(results)]
            return results
        pool = self._step_pool(width)
        running: dict[concurrent.futures.Future[StepResult], Any] = {}
        waiting = list(queue)
        while waiting or running:
            while waiting and len(running) < width and time.monotonic() - started <= budget:
                task = waiting.pop(0)
                running[pool.submit(_run_guarded, task, now, limit, self.tracing)] = task
            if not running:
                break
            done, _ = concurrent.futures.wait(
                running, timeout=max(0.01, budget - (time.monotonic() - started)),
                return_when=concurrent.futures.FIRST_COMPLETED,
            )  # fmt: skip
            for future in done:
                results.append(future.result())
                queue.remove(running.pop(future))
            if time.monotonic() - started > budget and running:
                self._heartbeat([t.leaf.key for t in running.values()])
                started = time.monotonic()  # the leases are extended: wait for the running steps
                waiting = []  # the rest stays in the queue for the next round (its leases are extended too)
        return results

    def _step_pool(self, width: int) -> concurrent.futures.ThreadPoolExecutor:
        pool = self._pool
        if pool is None or self._pool_width != width:
            if pool is not None:
                pool.shutdown(wait=False)
            pool = self._pool = concurrent.futures.ThreadPoolExecutor(width, thread_name_prefix="wfc-step")
            self._pool_width = width
        return pool

    @overload
    def run_until_complete(self, id: Handle[_R], timeout: float | None = None) -> _R: ...
    @overload
    def run_until_complete(self, id: str, timeout: float | None = None) -> Any: ...

    def run_until_complete(self, id: str, timeout: float | None = None) -> Any:
        """Run until instance ``id`` ends, waiting for timers as needed; return its result or raise its failure.

        ``timeout`` (seconds of the runtime's clock) raises ``WFC431`` if it has not ended by then.
        """
        deadline = None if timeout is None else self.clock.now() + timeout
        while True:
            self.run_until_idle()
            inst = self._instance(id)
            if inst.state in ("completed", "failed", "canceled"):
                return self.result(id)
            if inst.blocked:
                raise Blocked(
                    f"workflow {id!r} cannot continue in this deployment: {inst.blocked}",
                    hint="deploy what it needs (the message says what); it waits, nothing is lost",
                )
            now = self.clock.now()
            if deadline is not None and now >= deadline:
                raise WaitTimeout(
                    f"workflow {id!r} did not finish within {timeout:g}s (it is {inst.state})",
                    hint="check Runtime.status(id): it may wait for an event",
                )
            # with no worker of ours running, a due row under lease is another process's (or a dead one's)
            due = self.store.next_due(now, leases=self._worker is None)
            if due is not None:
                wait = max(0.0, due - now)
            else:  # nothing scheduled: only an event can move it; a fake clock may jump to the deadline
                wait = self.poll_interval if deadline is None else deadline - now
            if deadline is not None:
                wait = min(wait, deadline - now)
            if time.monotonic() - self._last_reap > 1.0:
                with self.store.transaction():
                    self._reap_locked()
            self._sleep(wait, due is not None)

    def _sleep(self, seconds: float, timer: bool) -> None:
        if isinstance(self.clock, SystemClock) or not timer:
            # real time: an event sent from another thread wakes us at once
            self._wake.wait(min(seconds, self.poll_interval) if not timer else seconds)
            self._wake.clear()
            if not isinstance(self.clock, SystemClock):
                self.clock.sleep(seconds)
        else:
            self.clock.sleep(seconds)

    def worker(self, concurrency: int | None = None, *, grace: float = 30.0) -> Worker:
        """A long-running worker: ``rt.worker().run()`` (stops on SIGTERM/SIGINT). It runs up to ``concurrency``
        steps at once (default: the runtime's ``max_parallelism``, followed as it changes), never more than
        ``max_parallelism``."""
        return Worker(self, concurrency, grace=grace)

    # ---- looking ----------------------------------------------------------------------------------------------

    def _instance(self, instance_id: str) -> InstanceRow:
        inst = self.store.get_instance(instance_id)
        if inst is None:
            raise UnknownInstance(
                f"no workflow instance {instance_id!r} in {redact(self.store.url)}",
                hint="check the id returned by Runtime.start()",
            )
        return inst

    def status(self, id: str) -> Status:
        """Where instance ``id`` is: its state, the state id it waits at and what it waits on."""
        return self._status(self._instance(id))

    def query(self, id: str) -> dict[str, Any]:
        """The live variables of instance ``id`` at its current suspension, decoded from its cursor — exactly what
        the workflow will continue with. No workflow code runs, so it works in any state, with no worker, from a
        process that has only the database. Names the compiler made (loop cursors) are left out; an instance not
        started yet holds its arguments; a finished one holds none (``{}``). A value whose class this process
        cannot import comes back as ``{"undecoded": <stored JSON>, "why": ...}`` (import the application to get
        the value itself)."""
        inst = self._instance(id)
        if WorkflowState(inst.state).finished:
            return {}
        return query.live_variables(query.snapshot_of(self.store.current(inst.n)))

    def get_status(self, id: str, key: str, default: Any = None, *, timeout: float | None = 0.0) -> Any:
        """The value instance ``id`` published under ``key`` with ``wfc.set_status`` (the last one set). While it
        has published none, wait up to ``timeout`` seconds (``None``: until it does; woken by the store, not a
        tight poll) and return ``default`` then, or at once if the instance ended without publishing it."""
        return published.get_status(self.store, lambda: self._instance(id), key, default, timeout)

    def statuses(self, id: str) -> dict[str, Any]:
        """Everything instance ``id`` has published with ``wfc.set_status``, by key (``{}``: nothing yet)."""
        return published.read_all(self.store, self._instance(id).n)

    def _status(self, inst: InstanceRow) -> Status:
        state = WorkflowState(inst.state)
        rows = [] if state.finished else self.store.current(inst.n)
        outstanding = tuple(_outstanding(inst, r) for r in rows if r.status < DONE and r.kind != START)
        state_id = rows[0].state_id if rows and rows[0].kind != START else None
        error = failure_traceback = None
        if inst.error is not None:
            error = _describe(inst.error)
            failure_traceback = _traceback(inst.error)
        parent = None
        if inst.parent is not None:
            parent_row = self.store.get_instance_n(inst.parent)
            parent = parent_row.id if parent_row else None
        return Status(
            id=inst.id,
            workflow=inst.workflow,
            state=state,
            state_id=state_id,
            outstanding=outstanding,
            created_at=_when(inst.created_at),
            updated_at=_when(_moved_at(inst, rows)),
            finished_at=to_datetime(inst.finished_at),
            table_hash=inst.table_hash,
            parent_id=parent,
            error=error,
            blocked=inst.blocked,
            stalled=None if inst.blocked else self._stalled(inst, rows),
            traceback=failure_traceback,
            cancel_requested=None if state.finished else to_datetime(self.store.cancel_requested(inst.n)),
            run=inst.run or 1,
            queue=inst.queue,
            queue_position=self._queue_position(inst) if state is WorkflowState.ENQUEUED else None,
        )

    def queues(self) -> builtins.list[QueueInfo]:
        """The named queues recorded in the database: declared limits, enqueued and active instances."""
        return queue_info(self.store)

    def queue(self, name: str) -> QueueInfo:
        """Queue ``name`` as :meth:`queues` describes it (``WFC445`` when no process declared it here)."""
        return queue_info(self.store, name)[0]

    def _queue_position(self, inst: InstanceRow) -> int | None:
        where = self.store.queue_position(inst.n)
        return None if where is None else where[1]

    def _stalled(self, inst: InstanceRow, rows: builtins.list[LeafRow]) -> str | None:
        """``WFC437`` when live workers serve the database and none serves its workflow at its version;
        ``WFC436`` when a row of its current suspension has been due, unclaimed, for over twice the lease."""
        if WorkflowState(inst.state).finished:
            return None
        now = self.clock.now()
        unserved = serving.unserved(inst, self.store.serving(now))
        if unserved is not None:
            return unserved
        limit = max(60.0, 2 * self.lease)
        due = [
            r.ready_at
            for r in rows
            if r.status < DONE and r.ready_at is not None and r.ready_at >= 0 and r.lease_until <= now
        ]
        if not due or now - min(due) < limit:
            return None
        waited = now - min(due)
        return (
            f"WFC436: its next {'work has' if len(due) == 1 else 'works have'} been due for {_age(waited)} and no "
            f"worker has claimed {'it' if len(due) == 1 else 'them'}: no live worker serves {redact(self.store.url)} (or "
            f"all are busy); start one that imports {inst.workflow.partition(':')[0]}: wfc worker --app "
            f"{inst.workflow.partition(':')[0]} --db URL"
        )

    @overload
    def result(self, id: Handle[_R]) -> _R: ...
    @overload
    def result(self, id: str) -> Any: ...

    def result(self, id: str) -> Any:
        """The result of a completed instance; raises its failure if it failed (``WFC428`` if still running)."""
        inst = self._instance(id)
        if inst.state == "completed":
            return None if inst.result is None else convert.loads(inst.result)
        if inst.state == "failed":
            raise convert.loads(inst.error)  # type: ignore[arg-type]
        if inst.state == "canceled":
            stored = convert.loads(inst.error) if inst.error else None
            if isinstance(stored, Canceled):  # what ended it: a cancel, or its timeout (wfc.WorkflowTimeout)
                raise stored
            raise Canceled(f"workflow {id!r} was canceled")
        raise NotFinished(
            f"workflow {id!r} has not finished (it is {inst.state})",
            hint="wait with Runtime.run_until_complete(id), or check Runtime.status(id)",
        )

    def list(
        self,
        workflow: WorkflowDef | str | None = None,
        state: WorkflowState | str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        *,
        parent: str | None = None,
    ) -> Page:
        """Instances, newest first, optionally of one workflow / in one state / children of ``parent``."""
        refs = None if workflow is None else self._workflow_refs(workflow)
        state_value = WorkflowState(state).value if state is not None else None
        parent_n = self._instance(parent).n if parent is not None else None
        if cursor and not (cursor.isascii() and cursor.isdigit() and len(cursor) < 20):
            raise WfcError(
                f"invalid cursor {cursor[:40]!r}", code="WFC402", hint="pass the cursor a previous page returned"
            )
        before = int(cursor) if cursor else None
        rows = self.store.list_instances(
            workflow=refs, state=state_value, parent=parent_n, limit=limit + 1, before=before
        )
        more = len(rows) > limit
        rows = rows[:limit]
        items = tuple(self._status(r) for r in rows)
        return Page(items, str(rows[-1].n) if more and rows else None)

    def _workflow_refs(self, ref: WorkflowDef | str) -> tuple[str, ...]:
        """What a workflow's instances may be recorded under: its key and its name (an instance started by name,
        ``wfc.Client``, keeps the reference it was started by), and the reference given."""
        defn = ref
        if not isinstance(defn, WorkflowDef):
            try:
                defn = self.deployment.workflow(defn)
            except Exception:  # not deployed here (a CLI without the app): the reference as given
                return (str(ref),)
        return tuple(dict.fromkeys(r for r in (defn.key, defn.name, ref if isinstance(ref, str) else None) if r))

    def history(self, id: str, *, archived: bool = False) -> builtins.list[HistoryRecord]:
        """One record per step, timer, event wait and child workflow, in the order they were issued. After a
        restart or fork, the live history (what led to where the instance is); ``archived=True``: the records a
        restart left behind instead."""
        return self._history(self._instance(id), archived)

    @contextlib.contextmanager
    def db(self) -> Iterator[Any]:
        """A write transaction on the runtime's database (e.g. to create the tables transactional steps use)."""
        with self.store.transaction():
            yield self.store.handle()


_QUEUE_OPTIONS = ("queue", "priority", "partition_key", "dedup_id")


def _queue_options(workflow: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the queue options out of a start's keyword arguments (those that are not the workflow's own)."""
    params = workflow.signature.parameters if isinstance(workflow, WorkflowDef) else {}
    return {k: kwargs.pop(k) for k in _QUEUE_OPTIONS if k in kwargs and k not in params}


def _run_guarded(
    task: Any, now: Any, limit: int, tracer: tracing_mod.Tracing = tracing_mod.NOOP
) -> StepResult:
    try:
        return steps.run(task, now, limit, tracer)
    except Interrupted:
        raise  # Ctrl-C in the caller's thread (keyboard_interrupts): the caller's, not the step's
    except BaseException as exc:  # SystemExit too, as a worker's pool does: a step's outcome is never lost
        return steps.conclude(task, task.leaf.attempts + 1, now(), limit, exc=exc)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _moved_at(inst: InstanceRow, rows: builtins.list[LeafRow]) -> float:
    """When the instance last moved. The instance row is written only when its state changes (not on every step:
    that would cost a write per transition), so its current suspension's rows say the rest: when the last
    transition wrote them, and when an outcome (an event, a step's result) arrived for one of them."""
    moved = inst.updated_at
    for row in rows:
        moved = max(moved, row.scheduled_at, row.finished_at or 0.0)
    return moved


def _nothing() -> None:
    pass


def _when(t: float) -> dt.datetime:
    when = to_datetime(t)  # robust to an out-of-range time already stored
    assert when is not None
    return when


def _describe(error_text: str) -> str:
    try:
        exc = convert.loads(error_text)
    except Exception:
        return error_text
    if isinstance(exc, BaseException):
        message = str(exc)
        return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return str(exc)


def _traceback(error_text: str) -> str | None:
    """The traceback kept with a stored failure (``None`` when it has none or cannot be decoded here)."""
    try:
        return tracebacks.of(convert.loads(error_text))
    except Exception:
        return None


def _outstanding(inst: InstanceRow, row: LeafRow) -> Outstanding:
    child = row.child
    if row.kind == CHILD and child is None:
        child = f"{inst.id}/{row.seq}" + (f".{row.path}" if row.path else "")
    note = row.error if row.error is not None and not row.error.startswith("{") else None
    note, trace = tracebacks.split_note(note) if note is not None else (None, None)
    return Outstanding(
        kind=row.kind,
        name=row.name,
        path=row.path,
        attempts=row.attempts,
        due=to_datetime(row.ready_at),
        last_error=note,
        child_id=child,
        traceback=trace,
    )


def _decode(text: str | None) -> Any:
    """A stored value for people to read: decoded, or — when this process cannot rebuild it (a class of the
    application that is not imported) — its stored form as plain JSON data (``{"$obj": "app.Parcel", ...}``)."""
    if text is None:
        return None
    try:
        return convert.loads(text)
    except Exception:
        try:
            return json.loads(text)
        except ValueError:
            return text


def _record(
    row: LeafRow, owner_id: str | None = None, failed: builtins.list[attempts.Attempt] | None = None
) -> HistoryRecord:
    args = _decode(row.args)
    if row.kind == "event" or args is None:
        args = () if args is None else (args,)
    status = "pending"
    error = trace = None
    if row.status == DONE and row.kind == CANCEL:
        status, error = "completed", _describe(row.error) if row.error else None  # the request, delivered
    elif row.status == DONE:
        status = "completed" if row.error is None else "failed"
        if row.error is not None:
            error, trace = _describe(row.error), _traceback(row.error)
    elif row.status == CANCELED:
        status = "canceled"  # it may still have run (a race it lost): then it shows its attempts and outcome
        if row.error is not None and row.error.startswith("{"):
            error, trace = _describe(row.error), _traceback(row.error)
        elif row.error is not None:
            error, trace = tracebacks.split_note(row.error)  # canceled while waiting to be retried
    elif row.error is not None:
        if row.error.startswith("{"):
            error, trace = _describe(row.error), _traceback(row.error)
        else:
            error, trace = tracebacks.split_note(row.error)  # a step being retried: its last attempt
    kept, omitted = attempts.records(failed or ())
    return HistoryRecord(
        seq=row.seq,
        path=row.path,
        kind=row.kind,
        name=row.name,
        args=tuple(args) if isinstance(args, list | tuple) else (args,),
        kwargs=dict(_decode(row.kwargs) or {}),
        status=status,
        result=_decode(row.result) if row.status in (DONE, CANCELED) else None,
        error=error,
        attempts=row.attempts,
        scheduled_at=to_datetime(row.scheduled_at),
        started_at=to_datetime(row.started_at),
        finished_at=to_datetime(row.finished_at),
        state_id=row.state_id,
        child_id=row.child
        or (f"{owner_id}/{row.seq}" + (f".{row.path}" if row.path else "") if row.kind == CHILD and owner_id else None),
        traceback=trace,
        failed_attempts=kept,
        failed_attempts_omitted=omitted,
    )


__all__ = ["Blocked", "Runtime"]
