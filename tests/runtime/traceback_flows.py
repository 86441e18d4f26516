"""Workflows whose handlers read their exception's traceback (tests/runtime/test_workflow_tracebacks.py)."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import wfc

log = logging.getLogger("wfc.tests.traceback_flows")


@wfc.step
def fails(n: int) -> int:
    raise ValueError(f"bad {n}")


@wfc.step
def echo(n: int) -> int:
    return n


def check(n: int) -> None:
    if n > 0:
        raise KeyError(n)


@wfc.workflow
def thrown_at_yield(n: int) -> list[str]:
    out = []
    try:
        yield fails(n)
    except ValueError:
        out.append(traceback.format_exc())
        yield wfc.sleep(1)
        out.append(traceback.format_exc())
    return out


@wfc.workflow
def raised_in_helper(n: int) -> list[str]:
    out = []
    try:
        check(n)
    except KeyError:
        out.append(traceback.format_exc())
        yield wfc.sleep(1)
        out.append(traceback.format_exc())
    return out


@wfc.workflow
def raised_by_workflow(n: int) -> list[Any]:
    out: list[Any] = []
    try:
        if n:
            raise LookupError("lost")
        yield echo(0)
    except LookupError as e:
        yield wfc.sleep(1)
        out.append(traceback.format_exception(e))
        try:
            raise RuntimeError("in handler")
        except RuntimeError:
            out.append(traceback.format_exc())
    return out


@wfc.workflow
def logged(n: int) -> str:
    try:
        yield fails(n)
    except ValueError:
        yield echo(3)
        log.exception("step failed")
    return "ok"


@wfc.workflow
def assigned(n: int) -> list[str]:
    out = []
    try:
        got = yield fails(n)  # Python underlines `yield fails(n)` here: part of the line
        out.append(str(got))
    except ValueError:
        yield wfc.sleep(1)
        out.append(traceback.format_exc())
    return out
