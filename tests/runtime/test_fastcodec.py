"""The fast encoding of live variables writes exactly what the codec writes (or leaves the job to it)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from wfc import convert
from wfc.runtime import fastcodec
from wfc.runtime.loops import Loop

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),
    st.floats(allow_nan=True, allow_infinity=True),
)
loops = st.builds(
    Loop,
    kind=st.sampled_from(["seq", "rev"]),
    seq=st.one_of(st.builds(range, st.integers(-5, 5), st.integers(-5, 50), st.integers(1, 3)), st.text()),
    index=st.integers(-1, 60),
    size=st.integers(0, 3),
    part=st.sampled_from(["keys", "values"]),
    count=st.integers(0, 3),
)
others = st.one_of(st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers()))
names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)


@given(st.dictionaries(names, st.one_of(scalars, loops, others), max_size=5))
def test_fast_path_equals_the_codec(variables: dict[str, Any]) -> None:
    fast = fastcodec.dumps_vars(variables)
    if fast is not None:
        assert fast == convert.dumps_vars(variables)
        decoded = convert.loads_vars(fast)
        assert list(decoded) == list(variables)


def test_common_shapes_take_the_fast_path() -> None:
    assert (
        fastcodec.dumps_vars({"i": 3, "it": Loop("seq", range(10), 2), "s": "é", "f": 0.5, "n": None})
        is not None
    )
    assert fastcodec.dumps_vars({"x": [1, 2]}) is None
    assert fastcodec.dumps_vars({"x": -0.0}) is None
    assert fastcodec.dumps_vars({"x": 1 << 70}) is None
