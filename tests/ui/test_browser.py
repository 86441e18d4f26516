"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven by Playwright; its own browser
download cannot work here): open the list, filter it, open an instance, see its current state highlighted on the
graph, send an event from the page and watch the instance move on without a reload, cancel one; open the queues,
a queue's line, and watch it move when a slot frees — against a real worker process, over both stores.

``.ci/run`` installs Chromium and sets ``WFC_TEST_BROWSER=1``: then a missing browser fails these tests instead of
skipping them. ``WFC_UI_SCREENSHOTS=DIR`` keeps the screenshots there (``docs/ui`` holds the committed ones:
``WFC_UI_SCREENSHOTS=docs/ui .venv/bin/pytest tests/ui/test_browser.py -k sqlite``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import wfc
from wfc.ui import create_app

from . import flows
from .conftest import Server

ROOT = Path(__file__).parent.parent.parent
CHROMIUM = "/usr/bin/chromium"


def _browser_or_skip() -> Any:
    required = os.environ.get("WFC_TEST_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("WFC_TEST_BROWSER=1 but playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        if required:
            pytest.fail(f"WFC_TEST_BROWSER=1 but there is no {CHROMIUM} (apt-get install -y chromium)")
        pytest.skip(f"no {CHROMIUM} (set WFC_TEST_BROWSER=1 to require it)")
    return sync_playwright


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def worker(url: str) -> Iterator[subprocess.Popen[str]]:
    """``wfc worker`` serving tests.ui.flows on the test's database, in its own process."""
    wfc.Runtime(url).close()  # the schema exists before two processes race to create it
    proc = subprocess.Popen(
        [sys.executable, "-m", "wfc", "worker", "--app", "tests.ui.flows", "--db", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")
    keep = os.environ.get("WFC_UI_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def test_the_dashboard_in_chromium(url: str, worker: Any, browser: Any, tmp_path: Path) -> None:
    rt = wfc.Client(url)  # starts instances by name; the worker process runs them
    try:
        for i in range(1, 4):
            rt.start("approval", f"order {i}", id=f"order-{i}")
        rt.start("broken", "parcel", id="broken-1")
        rt.start("batch", ["a", "b"], id="batch-1")

        def settled() -> bool:
            try:
                states = [
                    rt.status(i).state for i in ("order-1", "order-2", "order-3", "broken-1", "batch-1/1")
                ]
            except wfc.WfcError:  # the child is not started yet
                return False
            return states == ["waiting"] * 3 + ["failed", "waiting"]

        _until(settled, "the instances to reach their first waits")
        # started by name, served under its key: not reported as unserved (WFC437) while the worker serves it
        _until(lambda: bool(rt.store.serving(time.time())), "the worker to publish what it serves")
        assert rt.status("order-1").stalled is None
        with Server(create_app(url, tick=0.5)) as server:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda dialog: dialog.accept())

            # the list, newest first, with counts by state
            page.goto(server.url + "/")
            rows = page.locator("table.instances tbody tr")
            assert rows.count() == 6
            assert rows.first.get_attribute("data-id") == "batch-1/1"
            assert page.locator(".count.failed b").inner_text() == "1"
            page.locator("#live-dot.on").wait_for(timeout=10_000)  # the event stream is open
            _shot(page, "list", tmp_path)

            # filter: failed only, then by id prefix
            page.locator('input[name="state"][value="failed"]').check()
            page.locator("#filters button[type=submit]").click()
            page.wait_for_url("**state=failed**")
            assert [r.get_attribute("data-id") for r in rows.all()] == ["broken-1"]
            page.goto(server.url + "/")
            page.select_option(
                'select[name="workflow"]', "batch"
            )  # instances started by name, and their children
            page.locator("#filters button[type=submit]").click()
            page.wait_for_url("**workflow=batch**")
            assert [r.get_attribute("data-id") for r in rows.all()] == ["batch-1"]
            page.goto(server.url + "/?id_prefix=order-")
            assert [r.get_attribute("data-id") for r in rows.all()] == ["order-3", "order-2", "order-1"]

            # a new instance appears without a reload (the store's wake-up, then one read of the page's query)
            page.evaluate("window.__same_page = true")
            rt.start("approval", "order 4", id="order-4")
            page.locator('tr[data-id="order-4"]').wait_for(timeout=15_000)
            assert page.evaluate("window.__same_page") is True

            # an instance: its graph, the current state highlighted
            page.locator('a:text-is("order-1")').click()
            page.wait_for_url("**/instances/order-1")
            waiting_at = rt.status("order-1").state_id
            current = page.locator(".wfc-graph .node.current")
            assert current.count() == 1 and current.get_attribute("data-state") == waiting_at
            assert "wait_event('approved')" in current.text_content()
            assert (
                page.locator(".vars").inner_text().count("<script>window.__xss = 1</script>") == 1
            )  # as text
            assert page.evaluate("window.__xss") is None  # and it never ran
            _shot(page, "instance", tmp_path)

            # clicking a state shows its history records only
            page.locator(f'.wfc-graph .node[data-state="{waiting_at}"]').click()
            assert page.locator(".history tbody tr:not(.hidden)").count() == 1
            page.locator(f'.wfc-graph .node[data-state="{waiting_at}"]').click()  # again: all records
            assert page.locator(".history tbody tr:not(.hidden)").count() == 2

            # send an event from the page (confirmed): the instance moves on, the page follows without a reload
            page.evaluate("window.__same_page = true")
            page.fill('#send-event input[name="name"]', "approved")
            page.fill('#send-event input[name="value"]', '"cargo bike"')
            page.locator("#send-event button").click()
            # the page follows (each change pushed): the step the event let run, then the next wait
            page.locator(".history", has_text="order 1 shipped by cargo bike").wait_for(timeout=15_000)
            current = page.locator(".wfc-graph .node.current")
            page.locator(".wfc-graph .node.current", has_text="wait_event('confirmed')").wait_for(
                timeout=15_000
            )
            assert (
                current.count() == 1 and current.get_attribute("data-state") == rt.status("order-1").state_id
            )
            assert rt.status("order-1").outstanding[0].name == "confirmed"
            assert page.evaluate("window.__same_page") is True

            # cancel one (confirmed)
            page.goto(server.url + "/instances/order-2")
            page.evaluate("window.__same_page = true")
            page.locator("#cancel button").click()
            page.locator(".facts .state.canceled").wait_for(timeout=15_000)
            assert rt.status("order-2").state == "canceled"
            assert page.evaluate("window.__same_page") is True

            # a failure shows its traceback; the workflows page draws every version
            page.goto(server.url + "/instances/broken-1")
            assert "ValueError: cannot pack parcel" in page.locator(".failure").inner_text()
            assert page.locator(".wfc-graph .node.current.failed").count() == 1
            _shot(page, "failed", tmp_path)
            page.goto(server.url + "/workflows")
            assert page.locator("section.workflow").count() == 3
            page.locator("details.version summary").first.click()
            _shot(page, "workflows", tmp_path)

            # start one from the workflows page (confirmed): the page opens it and follows it to its first wait
            form = page.locator('section.workflow:has(h2:text-is("tests.ui.flows:approval")) form.start')
            form.locator('input[name="args"]').fill('["from the page"]')
            form.locator('input[name="id"]').fill("page-1")
            form.locator("button").click()
            page.wait_for_url("**/instances/page-1")
            page.locator(".wfc-graph .node.current.running").first.wait_for(timeout=15_000)
            _until(lambda: rt.status("page-1").state == "waiting", "page-1 to wait")
            assert rt.status("page-1").workflow == "tests.ui.flows:approval"  # recorded under its key once admitted
            assert errors == [], errors
    finally:
        rt.close()


# The pages draw what /api/queues and /api/live return, which tests/ui/test_queues.py checks on both stores;
# one store is enough for what the browser adds (the drawing and its live update), and saves ~12 s.
@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_queue_pages_in_chromium(url: str, worker: Any, browser: Any, tmp_path: Path) -> None:
    rt = wfc.Client(url)
    try:
        for i in range(1, 4):  # ui-line takes one at a time: q-1 is admitted, q-2 and q-3 wait in line
            rt.start("queued", f"q{i}", id=f"q-{i}", queue=flows.one_at_a_time)
            _until(lambda: rt.status("q-1").state == "waiting", "q-1 to be admitted")
        for i, priority in enumerate([5, 1, 3, 0], 1):  # two a partition: two of acme's wait, by priority
            rt.start("queued", f"a{i}", id=f"a-{i}", queue=flows.lanes, partition_key="acme", priority=priority)
        rt.start("queued", "z", id="z-1", queue=flows.lanes, partition_key="zed", priority=2)

        def settled() -> bool:
            states = [rt.status(i).state for i in ("q-1", "q-2", "q-3", "z-1")]
            acme = sorted(rt.status(f"a-{i}").state for i in range(1, 5))
            return states == ["waiting", "enqueued", "enqueued", "waiting"] and acme == ["enqueued"] * 2 + ["waiting"] * 2

        _until(settled, "the queues to admit what they can")
        with Server(create_app(url, tick=0.5)) as server:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # the navigation leads to the queues: each with its limits and load
            page.goto(server.url + "/")
            page.locator('header nav a:text-is("Queues")').click()
            page.wait_for_url("**/queues")
            # (every runtime records the queues its process declared: other tests' too)
            assert page.locator('tr[data-queue="ui-line"]').count() == 1
            row = page.locator('tr[data-queue="ui-lanes"]')
            assert "concurrency 2, 3 per 60s, by priority, per partition" in row.inner_text()

            # a partitioned queue: its partitions, and its line in admission order (priority first)
            row.locator("a").first.click()
            page.wait_for_url("**/queues/ui-lanes")
            page.locator("#live-dot.on").wait_for(timeout=10_000)
            assert page.locator("table.partitions tbody tr").count() == 2
            line = page.locator("table.line tbody tr")
            assert line.count() == 2
            priorities = [int(r.locator("td").nth(3).inner_text()) for r in line.all()]
            assert priorities == sorted(priorities)
            assert page.locator(".enqueued-count").inner_text() == "2"
            _shot(page, "queue", tmp_path)

            # a queue's line moves without a reload when a slot frees: q-1 ends, q-2 is admitted
            page.goto(server.url + "/queues/ui-line")
            assert [r.get_attribute("data-id") for r in page.locator("table.line tbody tr").all()] == ["q-2", "q-3"]
            page.locator("#live-dot.on").wait_for(timeout=10_000)
            page.evaluate("window.__same_page = true")
            rt.send_event("q-1", "go", "now")
            page.locator('table.line tr[data-id="q-2"]').wait_for(state="detached", timeout=15_000)
            assert [r.get_attribute("data-id") for r in page.locator("table.line tbody tr").all()] == ["q-3"]
            assert page.evaluate("window.__same_page") is True
            assert rt.status("q-2").state == "waiting"

            # an instance in line links to its page, which names its queue and place
            page.locator('a:text-is("q-3")').click()
            page.wait_for_url("**/instances/q-3")
            assert "ui-line" in page.locator(".facts").inner_text()
            assert "place 1 in line" in page.locator(".facts").inner_text()

            # the instance list, filtered by queue
            page.goto(server.url + "/")
            page.select_option('select[name="queue"]', "ui-line")
            page.locator("#filters button[type=submit]").click()
            page.wait_for_url("**queue=ui-line**")
            ids = [r.get_attribute("data-id") for r in page.locator("table.instances tbody tr").all()]
            assert ids == ["q-3", "q-2", "q-1"]
            assert errors == [], errors
    finally:
        rt.close()
