"""A long-running worker: claims due work with leases, runs steps on threads (async steps on one event loop),
commits their outcomes in batches, and shuts down gracefully on SIGTERM/SIGINT.

One thread (the one calling :meth:`Worker.run`) owns the transitions: each loop it records the outcomes that
arrived since the last commit and claims more work, in one transaction. Steps run on a pool of ``concurrency``
threads; coroutine steps on an asyncio loop in a thread of its own, counted against the same limit. While steps
run, their leases are extended every ``lease / 3`` seconds; a worker that dies (even by SIGKILL) stops extending
them and, on the same host, is detected at once by the next worker that starts.

On the first SIGTERM/SIGINT the worker stops claiming, waits up to ``grace`` seconds for running steps, commits
their outcomes and releases what is left. A second signal stops at once (leases are released; the steps that were
running will run again elsewhere: at least once) — even while a transition runs (endless workflow code): the
signal handler raises :class:`~wfc.runtime.budget.Interrupted` into it, the transaction rolls back, and the
transition runs again elsewhere. A transition still running ``grace`` seconds after the first signal is
interrupted the same way.

Nothing a workflow does stops a worker: whatever workflow code or a step raises (``SystemExit`` and
``KeyboardInterrupt`` too) fails its instance or attempt with a recorded error. Only errors retrying cannot fix
end the loop (a fatal :class:`~wfc.runtime.errors.StoreError`: the database file deleted, replaced or damaged —
checked every ``FILE_CHECK`` seconds); :meth:`Worker.run` then raises it.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import logging
import queue
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any

from wfc.commands import STEPS
from wfc.errors import WfcError, WorkflowFailed
from wfc.runtime import budget, queues, schedules, steps
from wfc.runtime.clock import SystemClock
from wfc.runtime.errors import StoreError
from wfc.runtime.step_context import CancelFlag
from wfc.runtime.steps import StepResult, Task
from wfc.runtime.store.protocol import Key

if TYPE_CHECKING:
    from wfc.runtime.runtime import Runtime

log = logging.getLogger("wfc.runtime")

FILE_CHECK = 0.5
"""Seconds between checks that the database file is still the one opened."""
IDLE_LOOK = 5.0
"""With a store that delivers wake-ups (and the real clock), the longest an idle worker goes without looking at
the table. It sleeps until the next due time or lease end the store reports (one indexed query after each change)
or a wake-up, whichever is first; this is only a safety net."""


class _Pool:
    """A fixed pool of daemon threads: a worker stopped at once does not wait for its steps to return."""

    def __init__(self, size: int) -> None:
        self._queue: queue.SimpleQueue[tuple[Any, tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, name=f"wfc-step-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Any, *args: Any) -> None:
        self._queue.put((fn, args))

    def grow(self, size: int) -> None:
        """At least ``size`` threads (the runtime's ``max_parallelism`` was raised while running)."""
        while len(self._threads) < size:
            thread = threading.Thread(target=self._run, name=f"wfc-step-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, args = item
            fn(*args)

    def shutdown(self, wait: bool) -> None:
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


class Worker:
    def __init__(
        self,
        runtime: Runtime,
        concurrency: int | None = None,
        *,
        grace: float = 30.0,
        handle_signals: bool = True,
    ) -> None:
        if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
            raise ValueError(f"concurrency must be a whole number >= 1 (got {concurrency!r})")
        self.runtime = runtime
        self.concurrency = concurrency
        self.grace = grace
        self.handle_signals = handle_signals
        self._results: queue.SimpleQueue[StepResult | None] = queue.SimpleQueue()
        self._in_flight: dict[Key, Task] = {}
        self._stopping = threading.Event()
        self._hard_stop = threading.Event()
        self._running = threading.Event()
        self._finished = threading.Event()
        self._pool: _Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._in_cycle = False  # the loop's thread is running a transaction (a signal may interrupt it)
        self._handling = False  # our handlers own SIGTERM/SIGINT
        self.steps_run = 0
        self.fatal: StoreError | None = None  # why the worker stopped by itself

    # ---- control ----------------------------------------------------------------------------------------------

    def stop(self, *, now: bool = False) -> None:
        """Ask the worker to stop (from any thread): gracefully, or at once with ``now=True``."""
        if not self._stopping.is_set():
            self._stop_at = time.monotonic()
        self._stopping.set()
        if now:
            self._hard_stop.set()
        self._results.put(None)

    def wake(self) -> None:
        self._results.put(None)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until :meth:`run` has returned; ``False`` on a timeout."""
        return self._finished.wait(timeout)

    @property
    def running(self) -> bool:
        return self._running.is_set()

    def run_in_thread(self) -> threading.Thread:
        """Run the worker on a daemon thread (no signal handling); ``stop()`` ends it."""
        self.handle_signals = False
        thread = threading.Thread(target=self._run_quietly, name="wfc-worker", daemon=True)
        thread.start()
        self._running.wait(5)
        return thread

    def _run_quietly(self) -> None:
        try:
            self.run()
        except StoreError:
            pass  # kept in self.fatal (logged): the thread's owner asks for it

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._stopping.is_set():
            log.warning("second signal %s: stopping now", signum)
            self.stop(now=True)
            if self._in_cycle:  # endless workflow code? abandon the transaction (it runs again elsewhere)
                budget.request_interrupt()
                raise budget.Interrupted()
        else:
            log.info("signal %s: finishing running steps (up to %ss), then stopping", signum, self.grace)
            self.stop()
            watchdog = threading.Thread(target=self._watchdog, name="wfc-stop", args=(signum,), daemon=True)
            watchdog.start()

    def _watchdog(self, signum: int) -> None:
        """After the grace period, a transition still running is interrupted as by a second signal."""
        if self._finished.wait(self.grace + 0.5):
            return
        if self._handling and not self._hard_stop.is_set():
            log.warning("still running %ss after signal %s: stopping now", self.grace, signum)
            _thread.interrupt_main(signal.Signals(signum))  # runs _on_signal in the main thread, between two bytecodes

    # ---- the loop ---------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Process work until :meth:`stop` or a signal."""
        rt = self.runtime
        previous: dict[signal.Signals, Any] = {}
        if self.handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self._on_signal)
            self._handling = True
        self._pool = _Pool(self._limit())
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="wfc-async", daemon=True)
        self._loop_thread.start()
        rt._attach(self)
        self._running.set()
        try:
            with rt._drive:
                self._loop_body()
        except budget.Interrupted:
            log.warning("a running transition was abandoned; it runs again when its work is claimed")
        finally:
            self._in_cycle = False
            try:
                rt._detach(self)
                self._shutdown()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                self._handling = False
                budget.clear_interrupt()
                self._running.clear()
                self._finished.set()
        if self.fatal is not None:
            raise self.fatal

    def _loop_body(self) -> None:
        rt = self.runtime
        engine = rt.engine
        clock = rt.clock
        pending: list[StepResult] = []
        last_claim = 0.0
        due: float | None = None
        last_beat = last_check = time.monotonic()
        poll = rt.poll_interval
        real_clock = isinstance(clock, SystemClock)
        looked = False  # whether `due` was read from the store since the last cycle
        again = False  # whether the last wait was cut short for work claimable at once
        ticks = _Ticks(rt.store, poll)  # the next tick of the database's schedules
        ticks.install(clock.now())
        try:
            queues.install(rt.store, clock.now())  # the queues this process declares, for clients that name them
        except (StoreError, WfcError) as exc:
            log.warning("could not record the declared queues: %s", exc)
        while True:
            # Wake-ups from other processes (a new step, an event, a timer set, a released lease) end the idle
            # wait; due times and lease ends come from the store. Without wake-ups (a store that has none, its
            # listener reconnecting, or a test clock) it polls.
            woken = real_clock and rt.store.notifies
            idle = max(poll, IDLE_LOOK) if woken else poll
            results = self._drain()
            pending.extend(results)
            stopping = self._stopping.is_set()
            if stopping and (
                self._hard_stop.is_set()
                or not self._in_flight
                or time.monotonic() - self._stop_at > self.grace
            ):
                break
            free = self._limit() - len(self._in_flight)
            if not stopping and ticks.fire_due(clock.now()):
                self._kicked = True  # the instances it started: claim their starts now
            mono = time.monotonic()
            claim = 0
            timer = due is not None and clock.now() >= due
            if not stopping and (results or mono - last_claim >= idle or self._kicked or timer):
                claim = max(free, 64)  # rows that need no step slot (starts, timers, events) come 64 at a time
                last_claim = mono
                self._kicked = False
            if mono - last_check >= FILE_CHECK:
                last_check = mono
                try:
                    rt.store.check_file()
                except StoreError as exc:
                    self._fail(exc)
                    break
            if pending or claim:
                looked = False
                try:
                    self._in_cycle = True
                    tasks = engine.cycle(pending, claim=claim, capacity=0 if stopping else free)
                    self._in_cycle = False
                except budget.Interrupted:
                    raise  # a second signal: stop now (run() logs it)
                except StoreError as exc:
                    self._in_cycle = False
                    if exc.fatal:
                        self._fail(exc)
                        break
                    log.warning("worker cycle failed, retrying: %s", exc)
                    self._wait(min(1.0, poll * 5))
                    continue
                except BaseException:  # a bug: keep the outcomes and go on rather than stop silently
                    self._in_cycle = False
                    log.exception("worker cycle failed, retrying")
                    self._wait(min(1.0, poll * 5))
                    continue
                pending = []
                if tasks:
                    again = False
                for task in tasks:
                    self._dispatch(task)
                if claim and engine.claimed >= claim:
                    self._kicked = True  # a full batch: more is due, claim again now rather than at the next poll
                if tasks or engine.claimed:
                    continue
            if mono - last_beat >= rt.lease / 3:
                last_beat = mono
                self._heartbeat()
            if stopping:
                self._wait(0.05)
                continue
            now = clock.now()
            if not looked or ticks.stale(now):  # a schedule may have changed with what woke the worker
                ticks.read()
            if not looked or (due is not None and now >= due):
                try:
                    due = rt.store.next_due(now, leases=woken)  # a lease another worker holds ends: take over
                    looked = True
                except StoreError as exc:
                    if exc.fatal:
                        self._fail(exc)
                    due = None
            wait = idle if due is None else max(0.0, min(idle, due - now))
            if ticks.due is not None:
                wait = min(wait, max(0.0, ticks.due - now))
            if due is not None and due <= now:
                # Claimable now, yet the last cycle did not take it: its own transitions made it due (a child's
                # start), so claim at once — or it cannot be taken yet (every slot busy, a row another
                # transaction holds), so look again after poll_interval, never in a tight loop.
                wait = poll if again else 0.0
                again = True
            else:
                again = False
            if woken:  # the loop's own timers: the file check and the heartbeat
                wait = min(wait, FILE_CHECK, max(0.0, last_beat + rt.lease / 3 - time.monotonic()))
            self._wait(wait)
        # graceful end: commit what finished, release the rest
        pending.extend(self._drain())
        if pending and self.fatal is None:
            try:
                engine.cycle(pending, claim=0, capacity=0)
            except StoreError as exc:
                log.warning("could not commit the last outcomes (the steps will run again): %s", exc)

    _kicked = False
    _stop_at = 0.0

    def _fail(self, exc: StoreError) -> None:
        """An error retrying cannot fix: stop (the steps still running will run again elsewhere)."""
        log.error("worker stops: %s", exc)
        self.fatal = exc
        self.stop(now=True)

    def _limit(self) -> int:
        """Steps this worker may run at once: its ``concurrency`` (default: all of the runtime's pool), never more
        than the runtime's ``max_parallelism`` — read on every loop, so changing it takes effect at once."""
        pool = self.runtime.max_parallelism
        limit = pool if self.concurrency is None else min(self.concurrency, pool)
        if self._pool is not None:
            self._pool.grow(limit)
        return limit

    def _drain(self) -> list[StepResult]:
        out: list[StepResult] = []
        while True:
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                return out
            if item is None:
                self._kicked = True
                continue
            self._in_flight.pop(item.task.leaf.key, None)
            self.steps_run += 1
            out.append(item)

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        try:
            item = self._results.get(timeout=seconds)
        except queue.Empty:
            return
        self._results.put(item)  # handled by the next drain

    def _dispatch(self, task: Task) -> None:
        rt = self.runtime
        self._in_flight[task.leaf.key] = task
        task.cancel = CancelFlag()
        step = STEPS.get(task.leaf.step or "")
        if step is not None and step.is_async and self._loop is not None:
            steps.start_async(task, self._loop, rt.clock.now, rt.engine.limit, self._results.put, rt.engine.tracing)
            return
        assert self._pool is not None
        self._pool.submit(self._run_sync, task)

    def _run_sync(self, task: Task) -> None:
        rt = self.runtime
        try:
            result = steps.run(task, rt.clock.now, rt.engine.limit, rt.engine.tracing)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt...: a failed attempt, never a lost slot
            result = conclude(task, rt.clock.now(), rt.engine.limit, exc)
        self._results.put(result)

    def _heartbeat(self) -> None:
        rt = self.runtime
        try:
            rt._heartbeat(list(self._in_flight))
            self.see_cancels()
        except StoreError as exc:
            if exc.fatal:
                self._fail(exc)
            else:
                log.warning("heartbeat failed: %s", exc)

    def see_cancels(self) -> None:
        """Tell the attempts running here whose rows were canceled since they started (``StepContext.
        cancel_requested``; an ``async`` step is cancelled): at each heartbeat, and at once after a cancel made
        through this runtime. One read per running attempt, none when nothing runs."""
        running = [task for task in list(self._in_flight.values()) if task.cancel and not task.cancel.requested]
        if not running:
            return
        for key in self.runtime.store.canceled_keys([task.leaf.key for task in running]):
            for task in running:
                if task.leaf.key == key and task.cancel is not None:
                    task.cancel.set()

    def _shutdown(self) -> None:
        rt = self.runtime
        try:
            with rt.store.transaction():
                rt.store.release(rt.owner)
        except StoreError as exc:
            log.warning("could not release leases: %s", exc)
        if self._pool is not None:
            self._pool.shutdown(wait=False)  # the loop already waited (up to grace) for running steps
        if self._loop is not None:
            self._close_loop(self._loop)
            self._loop = None
        self._in_flight.clear()

    def _close_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Stop the async steps' loop and close it: an event loop holds a selector and a self-pipe, so a loop
        left open leaks three descriptors per worker start/stop. A loop whose thread does not stop in time (an
        async step blocking it) is left to the daemon thread rather than closed under it."""
        loop.call_soon_threadsafe(loop.stop)
        thread = self._loop_thread
        if thread is not None:
            thread.join(1)
            if thread.is_alive():
                return
        for task in asyncio.all_tasks(loop):
            task.cancel()  # abandoned async steps (a hard stop): they run again elsewhere
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.sleep(0))
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def conclude(task: Task, now: float, limit: int, exc: BaseException) -> StepResult:
    """A failed attempt from any exception, even one that cannot describe itself (its ``str`` raises)."""
    try:
        return steps.conclude(task, task.leaf.attempts + 1, now, limit, exc=exc)
    except BaseException:
        what = f"step {task.leaf.name!r} raised a {type(exc).__name__} that cannot be recorded"
        described = WorkflowFailed(what)
        return steps.conclude(task, task.leaf.attempts + 1, now, limit, exc=described)


class _Ticks:
    """A worker's view of the next schedule tick (:mod:`wfc.runtime.schedules`): read with the next due time,
    fired when it comes. A tick that cannot start yet (``overlap="queue"`` behind a running instance) is looked
    at again every ``poll`` seconds, not in a tight loop."""

    def __init__(self, store: Any, poll: float) -> None:
        self.store = store
        self.poll = max(poll, 0.05)
        self.due: float | None = None
        self._read = False

    def install(self, now: float) -> None:
        try:
            schedules.install(self.store, now)
        except (StoreError, WfcError) as exc:
            log.warning("could not install the declared schedules: %s", exc)

    def read(self) -> None:
        try:
            self.due = self.store.next_schedule()
            self._read = True
        except StoreError as exc:
            log.warning("could not read the next schedule tick: %s", exc)

    def stale(self, now: float) -> bool:
        return not self._read or (self.due is not None and now >= self.due)

    def fire_due(self, now: float) -> bool:
        if not self._read:
            self.read()
        if self.due is None or now < self.due:
            return False
        try:
            started = schedules.fire(self.store, now)
        except StoreError as exc:
            log.warning("could not start the due schedule ticks (retrying): %s", exc)
            started = 0
        self.read()
        if not started and self.due is not None and self.due <= now:
            self.due = now + self.poll  # queued behind a running instance: look again soon
        return started > 0

