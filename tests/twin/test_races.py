"""What a decided race leaves behind, the same in both runners: a losing step is not retried once the race is
decided (its attempts so far stay on its canceled record), a step that finished after the winner at the same
moment shows what it did, backoffs with jitter take the same virtual time, arguments that cannot be stored decide
a race at once."""

from __future__ import annotations

from typing import Any

import wfc

from .harness import both


@wfc.step(retry=wfc.RetryPolicy(max_attempts=5, initial_backoff=2.0, jitter=0.5))
def flaky(tag: str, fails: int) -> str:
    n = wfc.step_context().attempt
    if n <= fails:
        raise ConnectionError(f"{tag} attempt {n}")
    return f"{tag} ok after {n}"


@wfc.step
def quick(x: int) -> int:
    return x


@wfc.workflow
def retry_loses(fails: int) -> Any:
    return (yield wfc.any_of(flaky("a", fails), wfc.sleep(3.0)))


def test_a_losing_step_is_not_retried_after_the_race_is_decided() -> None:
    seen = both(retry_loses, 4)
    assert seen.outcome == ("ok", (1, None))
    assert seen.steps == ("flaky", "flaky"), "attempt 1 at 0s, attempt 2 after ~2s, then the sleep won at 3s"


@wfc.workflow
def retry_wins(fails: int) -> Any:
    return (yield wfc.any_of(flaky("b", fails), wfc.sleep(60.0)))


def test_backoffs_with_jitter_take_the_same_virtual_time() -> None:
    seen = both(retry_wins, 3)
    assert seen.outcome == ("ok", (0, "b ok after 4"))


@wfc.workflow
def first_of_two_steps() -> Any:
    return (yield wfc.any_of(quick(1), quick(2)))


def test_steps_of_one_moment_all_run_and_the_lowest_index_wins() -> None:
    seen = both(first_of_two_steps)
    assert seen.outcome == ("ok", (0, 1))
    assert seen.steps == ("quick", "quick")


@wfc.workflow
def failure_cancels_retries() -> Any:
    try:
        yield wfc.all_of(flaky("c", 9), quick_fail(1))
    except wfc.StepFailed as exc:
        return str(exc)
    return "no"


@wfc.step
def quick_fail(x: int) -> int:
    raise ValueError(f"no {x}")


def test_a_failed_all_of_stops_its_retrying_steps() -> None:
    seen = both(failure_cancels_retries)
    assert seen.outcome == ("ok", "no 1")


@wfc.workflow
def bad_argument_races_a_zero_sleep() -> Any:
    try:
        return (yield wfc.any_of(quick(object()), wfc.sleep(0)))  # type: ignore[arg-type]
    except wfc.WfcError as exc:
        return exc.code


def test_arguments_that_cannot_be_stored_decide_a_race_at_once() -> None:
    assert both(bad_argument_races_a_zero_sleep).outcome == ("ok", "WFC401")


ran: list[int] = []


@wfc.transaction
def record(db: Any, n: int) -> int:
    ran.append(n)
    return n


@wfc.workflow
def two_records() -> Any:
    return (yield wfc.any_of(record(1), record(2)))


def test_a_transactional_step_its_race_was_decided_without_never_runs() -> None:
    ran.clear()
    assert both(two_records).outcome == ("ok", (0, 1))
    assert ran == [1, 1], "each runner ran only the winner"


@wfc.workflow
def record_or_step() -> Any:
    return (yield wfc.any_of(record(3), quick(4)))


def test_steps_report_before_transactional_steps_of_their_moment() -> None:
    ran.clear()
    assert both(record_or_step).outcome == ("ok", (1, 4))
    assert ran == []
