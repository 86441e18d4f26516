"""Random `.wf` programs that start children with options of their own, each with its Python twin.

A program is a child ``kid(x)`` that sleeps and returns, and a parent ``w(n, tag)`` that starts some of them with
``async kid(...) with ...`` — a random choice and order of ``id``, ``name``, ``detached`` and the queue options on
the queues of tests/queues/flows.py (``one``, ``ranked`` with a priority, ``tenants`` with a partition key, a
``dedup_id``) — sleeps between starts, and awaits some of them: alone, two in ``all of``, or one racing a
``sleep`` in ``first of``. Children it never awaits run on when detached and are canceled with it otherwise.
The twin spells each line as docs/language.md's "The Python twin" does, so both must give one table and one run.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ..programgen import _indent

_KID_WF = "workflow kid(x: int) -> int {{\n    sleep {s}\n    return x + 1\n}}\n"
_KID_PY = "@wfc.workflow\ndef kid(x: int) -> int:\n    yield wfc.sleep({s})\n    return x + 1\n"


@st.composite
def _options(draw: st.DrawFn, i: int) -> list[tuple[str, str]]:
    """The options of start ``i`` as (.wf, Python keyword) pairs, in a random order."""
    out: list[tuple[str, str]] = []
    if draw(st.booleans()):
        ident = draw(st.sampled_from([f'"{{tag}}-{i}"', f'"c-{{n}}-{i}"', f'"kid-{i}"']))
        out.append((f"id {ident}", f"id={'f' if '{' in ident else ''}{ident}"))
    if draw(st.booleans()):
        out.append((f'name "kid {i}"', f'name="kid {i}"'))
    if draw(st.booleans()):
        out.append(("detached", "detached=True"))
    queue = draw(st.sampled_from([None, "one", "ranked", "tenants"]))
    if queue is not None:
        out.append((f'queue "{queue}"', f'queue="{queue}"'))
        if queue == "ranked":
            p = draw(st.sampled_from(["0", "2", "n % 3"]))
            out.append((f"priority {p}", f"priority={p}"))
        if queue == "tenants":
            key = draw(st.sampled_from(["tag", '"k"']))
            out.append((f"partition_key {key}", f"partition_key={key}"))
        if draw(st.booleans()):
            out.append((f'dedup_id "d-{i}"', f'dedup_id="d-{i}"'))
    return draw(st.permutations(out)) if out else out


@st.composite
def child_option_programs(draw: st.DrawFn) -> tuple[str, str]:
    """``(wf source, Python twin source)``."""
    wf: list[str] = []
    py: list[str] = []
    starts = draw(st.integers(1, 4))
    for i in range(starts):
        options = draw(_options(i))
        arg = draw(st.sampled_from(["n", str(i), f"n + {i}"]))
        with_ = (" with " + ", ".join(o for o, _ in options)) if options else ""
        call = f"kid({arg})" + (f".options({', '.join(k for _, k in options)})" if options else "")
        wf.append(f"h{i} = async kid({arg}){with_}")
        py.append(f"h{i} = yield wfc.start_child({call})")
        if draw(st.booleans()):
            s = draw(st.sampled_from([1, 5]))
            wf.append(f"sleep {s}")
            py.append(f"yield wfc.sleep({s})")
    waiting = draw(st.permutations(list(range(starts))))
    waiting = waiting[: draw(st.integers(0, len(waiting)))]
    results: list[str] = []
    while waiting:
        form = draw(st.sampled_from(["alone", "pair", "race"] if len(waiting) > 1 else ["alone", "race"]))
        i = waiting.pop()
        if form == "pair":
            j = waiting.pop()
            wf.append(f"r{i}, r{j} = all of (await h{i}, await h{j})")
            py.append(f"r{i}, r{j} = yield wfc.all_of(wfc.join(h{i}), wfc.join(h{j}))")
            results += [f"r{i}", f"r{j}"]
        elif form == "race":
            wf.append(f"w{i}, r{i} = first of (await h{i}, sleep 2)")
            py.append(f"w{i}, r{i} = yield wfc.any_of(wfc.join(h{i}), wfc.sleep(2))")
            results += [f"w{i}", f"r{i}"]
        else:
            wf.append(f"r{i} = await h{i}")
            py.append(f"r{i} = yield wfc.join(h{i})")
            results.append(f"r{i}")
    # The parent ends half a second after its last start or join: never at the moment a child of its starts or
    # ends (those are whole seconds), where the runners order a started child's first step and the parent's end
    # differently (docs/testing.md, "Differences that remain": a difference of wfc.testing, not of `.wf`).
    wf.append("sleep 0.5")
    py.append("yield wfc.sleep(0.5)")
    ids = ", ".join(f"h{i}.id" for i in range(starts))
    wf.append(f"return [[{', '.join(results)}], [{ids}]]")
    py.append(f"return [[{', '.join(results)}], [{ids}]]")
    s = draw(st.sampled_from([1, 3, 10]))
    wf_source = _KID_WF.format(s=s) + "\nworkflow w(n: int, tag: str) -> list {\n"
    wf_source += "\n".join(_indent(wf)) + "\n}\n"
    py_source = (
        "import wfc\n\n\n" + _KID_PY.format(s=s) + "\n\n@wfc.workflow\ndef w(n: int, tag: str) -> list:\n"
    )
    py_source += "\n".join(_indent(py)) + "\n"
    return wf_source, py_source
