"""The queue commands and options of the CLI (``wfc start --queue``, ``wfc queue list|show``, ``wfc status``), on
both stores, with the documented example (docs/queues.md embeds examples/queues.py verbatim)."""

from __future__ import annotations

import json

import wfc
from examples import queues as example
from wfc.testing import FakeClock

from ..cli.helpers import ROOT, invoke
from ..twin.harness import both


def test_docs_embed_the_example_verbatim() -> None:
    doc = (ROOT / "docs" / "queues.md").read_text()
    source = (ROOT / "examples" / "queues.py").read_text().rstrip()
    assert f"```python\n{source}\n```" in doc


def test_the_example_runs_one_tenant_at_a_time(url: str) -> None:
    clock = FakeClock()
    with wfc.Runtime(url, workflows=[example.send_newsletter], clock=clock) as rt:
        first = example.enqueue(rt, "acme", "2026-12")
        later = example.enqueue(rt, "acme", "2026-12b")
        urgent = example.enqueue(rt, "acme", "2026-12c", urgent=True)
        other = example.enqueue(rt, "zeta", "2026-12")
        # nothing admitted yet: the urgent issue goes first in its tenant's line; the other tenant has its own
        assert [rt.status(h).queue_position for h in (first, later, urgent, other)] == [2, 3, 1, 1]
        rt.run_until_idle()
        assert all(rt.result(h) == len(f"news for {t}") for h, t in
                   ((first, "acme"), (later, "acme"), (urgent, "acme"), (other, "zeta")))  # fmt: skip
        renders = [next(r.started_at for r in rt.history(h) if r.name == "render") for h in (urgent, first, later)]
        assert renders == sorted(renders)  # type: ignore[type-var]


def test_the_example_round_is_the_same_in_both_runners() -> None:
    seen = both(example.newsletter_round, ["acme", "zeta", "acme"])
    assert seen.outcome == ("ok", [len("news for acme"), len("news for zeta"), len("news for acme")])


def test_start_on_a_queue_and_show_it(url: str) -> None:
    target = "examples/queues.py:send_newsletter"
    made = invoke("start", target, "--queue", "newsletters", "--partition-key", "acme", "--dedup-id", "acme/1",
                  "tenant=acme", "--db", url, "--json")  # fmt: skip
    assert made.exit_code == 0, made.output
    iid = json.loads(made.output)["id"]
    again = invoke("start", target, "--queue", "newsletters", "--partition-key", "acme", "--dedup-id", "acme/1",
                   "tenant=acme", "--db", url)  # fmt: skip
    assert again.exit_code == 2 and "WFC446" in again.output and iid in again.output, again.output
    missing = invoke("start", target, "--queue", "newsletters", "tenant=acme", "--db", url)
    assert missing.exit_code == 2 and "WFC445" in missing.output and "partition_key" in missing.output
    listed = invoke("queue", "list", "--db", url)
    assert listed.exit_code == 0, listed.output
    assert "newsletters" in listed.output and "concurrency 1, 10 per 60s, by priority, per partition" in listed.output
    shown = invoke("queue", "show", "newsletters", "--db", url, "--json")
    assert json.loads(shown.output) == {
        "name": "newsletters", "concurrency": 1, "worker_concurrency": None,
        "rate_limit": {"count": 10, "per_seconds": 60.0}, "priority": True, "partitioned": True, "enqueued": 1,
        "active": 0,
    }  # fmt: skip
    status = invoke("status", iid, "--db", url)
    assert "enqueued" in status.output and "newsletters  (position 1 in line)" in status.output, status.output
    unknown = invoke("queue", "show", "nowhere", "--db", url)
    assert unknown.exit_code == 2 and "WFC445" in unknown.output
