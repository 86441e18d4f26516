"""Failures keep their data across the step boundary, the same in both runners: a registered error's fields set in
``__init__``, ``OSError.errno/filename``, a user attribute named ``code`` (not shadowed by ``WfcError.code``), notes;
an attribute that cannot be persisted is kept as its repr, with a note saying so."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from typing import Any

import pytest

import wfc

from .harness import both


@dataclasses.dataclass
class Detail:
    field: str
    at: dt.date


class Declined(Exception):
    def __init__(self, amount: int, reason: str, **extra: Any) -> None:
        super().__init__(f"declined {amount}")
        self.amount = amount
        self.reason = reason
        for k, v in extra.items():
            setattr(self, k, v)


wfc.register_error(Declined)

# attribute values a step's exception may carry, by kind; the last ones cannot be persisted
VALUES: list[Any] = [
    7,
    "text",
    None,
    [1, "two", 3.5],
    {"k": [1, 2], "n": None},
    (1, 2),
    {1, 2},
    dt.date(2024, 3, 1),
    Detail("iban", dt.date(2024, 1, 2)),
    b"\x00bytes",
    threading.Lock(),
    lambda: 1,
]
PERSISTABLE = len(VALUES) - 2


def _attrs_for(seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    names = rng.sample(["code", "status", "detail", "retry_after", "body", "tags", "message_id"], rng.randint(1, 4))
    return {name: rng.randrange(len(VALUES)) for name in names}


@wfc.step
def fail_with(attributes: dict[str, int], kind: str) -> None:
    values = {k: VALUES[i] for k, i in attributes.items()}
    if kind == "declined":
        exc: Exception = Declined(5, "limit", **values)
    else:
        exc = FileNotFoundError(2, "No such file or directory", "/data/in.csv")
        for k, v in values.items():
            setattr(exc, k, v)
    exc.add_note("while charging")
    raise exc


def _show(value: Any) -> Any:
    return value if not dataclasses.is_dataclass(value) else ("Detail", value.field, value.at)  # type: ignore[arg-type]


@wfc.workflow
def observe(attributes: dict[str, int], kind: str) -> list[Any]:
    try:
        yield fail_with(attributes, kind)
    except (Declined, FileNotFoundError) as e:
        seen = [type(e).__name__, e.args, getattr(e, "__notes__", None)]
        if isinstance(e, Declined):
            seen += [e.amount, e.reason]
        else:
            seen += [e.errno, e.filename, e.strerror]
        seen += [[k, _show(getattr(e, k, "<missing>"))] for k in sorted(attributes)]
        return seen
    return []


@pytest.mark.parametrize("kind", ["declined", "oserror"])
@pytest.mark.parametrize("seed", range(12))
def test_a_step_exception_keeps_its_attributes(seed: int, kind: str) -> None:
    attributes = _attrs_for(seed)
    seen = both(observe, attributes, kind).outcome
    assert seen[0] == "ok"
    got = seen[1]
    if kind == "declined":
        assert got[3:5] == [5, "limit"]
    else:
        assert got[3:6] == [2, "/data/in.csv", "No such file or directory"]
    notes = got[2]
    assert notes[0] == "while charging"
    by_name = dict(got[6 if kind == "oserror" else 5 :])
    for name, i in attributes.items():
        want = VALUES[i]
        if i < PERSISTABLE:
            assert by_name[name] == _show(want), name
        else:  # kept as its repr, and a note names it
            assert isinstance(by_name[name], str) and by_name[name].startswith("<")
            assert any(f"attribute {name!r}" in n and "could not be persisted" in n for n in notes)


def test_a_user_attribute_named_code_is_not_shadowed() -> None:
    seen = both(observe, {"code": 1}, "declined").outcome
    assert ["code", "text"] in seen[1]
