"""collections.Counter, defaultdict, OrderedDict, deque and classes (a tuple of exception classes for ``except``)
are ordinary data: they round-trip through the codec with their type, order, ``maxlen``, ``default_factory`` and
sharing, and live across steps in both runners."""

from __future__ import annotations

import collections
import enum
import random
from typing import Any

import pytest

import wfc
from wfc import convert

from .harness import both


class Color(enum.Enum):
    RED = 1


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (and the same maxlen/default_factory)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, collections.deque):
        return a.maxlen == b.maxlen and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        if isinstance(a, collections.defaultdict) and a.default_factory is not b.default_factory:
            return False
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(11 if depth > 0 else 4)
    if kind == 0:
        return rng.randint(-5, 5)
    if kind == 1:
        return rng.choice(["a", "b", "$x", ""])
    if kind == 2:
        return rng.choice([ValueError, KeyError, int, str, Color, collections.Counter, OSError])
    if kind == 3:
        return tuple(rng.sample([ValueError, KeyError, TypeError, LookupError], rng.randint(0, 3)))
    items = [_value(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    keys = [rng.choice(["k", "$k", 1, (1, 2), "z", 7]) for _ in items]
    if kind == 4:
        return collections.Counter({k: rng.randint(-3, 9) for k in keys})
    if kind == 5:
        return collections.OrderedDict(zip(keys, items, strict=True))
    if kind == 6:
        factory = rng.choice([None, int, list, set, dict, collections.Counter])
        return collections.defaultdict(factory, zip(keys, items, strict=True))
    if kind == 7:
        return collections.deque(items, maxlen=rng.choice([None, len(items) + 1, max(len(items), 1)]))
    if kind == 8:
        return list(items)
    if kind == 9:
        return dict(zip(keys, items, strict=True))
    return tuple(items)


@pytest.mark.parametrize("seed", range(200))
def test_generated_collections_round_trip(seed: int) -> None:
    value = _value(random.Random(seed), 3)
    assert _same(convert.loads(convert.dumps(value)), value)
    assert _same(convert.loads_vars(convert.dumps_vars({"v": value}))["v"], value)


def test_sharing_and_cycles_inside_collections() -> None:
    inner = [1, 2]
    d = collections.deque([inner, inner], maxlen=3)
    d.append(d)
    back = convert.loads(convert.dumps(d))
    assert back[0] is back[1] and back[2] is back and back.maxlen == 3
    c: collections.defaultdict[str, Any] = collections.defaultdict(list)
    c["self"] = c
    back = convert.loads(convert.dumps(c))
    assert back["self"] is back and back.default_factory is list


def test_a_defaultdict_whose_factory_is_not_a_class_is_a_clear_error() -> None:
    with pytest.raises(wfc.WfcError, match=r"default_factory of a defaultdict .* cannot be persisted") as err:
        convert.dumps_vars({"counts": collections.defaultdict(lambda: 0)})
    assert err.value.code == "WFC401" and "variable 'counts'" in str(err.value)
    assert "defaultdict(int)" in (err.value.hint or "")


def test_a_class_that_is_not_data_is_refused_and_data_cannot_name_a_function() -> None:
    class Plain:
        pass

    with pytest.raises(wfc.WfcError, match=r"the class .*Plain cannot be persisted"):
        convert.dumps(Plain)
    with pytest.raises(wfc.WfcError, match=r"refusing to load a reference to os\.system"):
        convert.loads('{"$class": "os.system"}')
    with pytest.raises(wfc.WfcError, match=r"refusing to load a reference to os\.system"):
        convert.loads('{"$defaultdict": {}, "$factory": {"$class": "os.system"}}')
    with pytest.raises(wfc.WfcError, match=r"cannot find the persisted class nowhere\.Thing"):
        convert.loads('{"$class": "nowhere.Thing"}')


@wfc.step
def words(text: str) -> list[str]:
    return text.split()


@wfc.step
def risky(kind: str) -> str:
    if kind == "key":
        raise KeyError("missing")
    if kind == "value":
        raise ValueError("bad")
    return "fine"


@wfc.workflow
def tally(text: str) -> list[Any]:
    counts: collections.Counter[str] = collections.Counter()
    groups: collections.defaultdict[int, list[str]] = collections.defaultdict(list)
    order: collections.OrderedDict[str, int] = collections.OrderedDict()
    recent: collections.deque[str] = collections.deque(maxlen=2)
    handled = (KeyError, ValueError)
    caught = []
    ws = yield words(text)
    for w in ws:
        counts[w] += 1
        groups[len(w)].append(w)
        order.setdefault(w, len(order))
        recent.append(w)
        try:
            ok = yield risky("key" if w == "a" else "value" if w == "b" else "none")
            caught.append(ok)
        except handled as e:
            caught.append(type(e).__name__)
    order.move_to_end(next(iter(order)))
    return [
        sorted(counts.most_common()),
        sorted((k, v) for k, v in groups.items()),
        list(order.items()),
        list(recent),
        recent.maxlen,
        caught,
        type(groups["absent"]).__name__,
    ]


def test_collections_live_across_steps_in_both_runners() -> None:
    seen = both(tally, "a b c a b a")
    assert seen.outcome == (
        "ok",
        [
            [("a", 3), ("b", 2), ("c", 1)],
            [(1, ["a", "b", "c", "a", "b", "a"])],
            [("b", 1), ("c", 2), ("a", 0)],
            ["b", "a"],
            2,
            ["KeyError", "ValueError", "fine", "KeyError", "ValueError", "KeyError"],
            "list",
        ],
    )
