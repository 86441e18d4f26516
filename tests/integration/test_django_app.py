"""examples/django_app: its views through Django's test client (start by name, idempotent by id, status and
result, bad requests), and its ``wfc_worker`` management command as a process of its own (``manage.py
wfc_worker``, as a deployment runs it) that completes what the views started and stops gracefully on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest

import wfc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def configured() -> Iterator[None]:
    from django.test.utils import setup_test_environment, teardown_test_environment

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_app.settings")
    django.setup()
    setup_test_environment()  # the test client's host ("testserver") is allowed
    yield
    teardown_test_environment()


@pytest.fixture
def url(tmp_path: Path, configured: None) -> Iterator[str]:
    from django.test import override_settings

    db = f"sqlite:///{tmp_path / 'shop.db'}"
    with override_settings(WFC_DB=db):
        yield db


def post(path: str, body: Any) -> Any:
    from django.test import Client

    return Client().post(path, data=json.dumps(body), content_type="application/json")


def get(path: str) -> Any:
    from django.test import Client

    return Client().get(path)


def test_views_start_and_read_a_workflow_by_name(url: str) -> None:
    created = post("/signups", {"email": "ann@example.com"})
    assert created.status_code == 201, created.content
    iid = created.json()["id"]
    assert post("/signups", {"email": "ann@example.com"}).json() == {"id": iid}  # the same id: no second instance
    assert get(f"/signups/{iid}").json() == {"id": iid, "state": "running", "error": None}
    from examples.django_app.shop import workflows

    with wfc.Runtime(url, workflows=[workflows.welcome]) as rt:  # a worker's work (the next test runs the command)
        rt.run_until_complete(iid)
        assert len(rt.list(workflow="welcome").items) == 1
    done = get(f"/signups/{iid}").json()
    assert done == {"id": iid, "state": "completed", "error": None,
                    "result": "to ann@example.com: your coupon is WELCOME-ANN"}  # fmt: skip
    assert post("/signups", {"mail": "x"}).status_code == 400
    assert post("/signups", {"email": "a/b@example.com"}).status_code == 400
    assert get("/signups/nobody").status_code == 404
    assert get("/signups").status_code == 405  # POST only


def test_the_management_command_runs_a_worker(url: str) -> None:
    iid = post("/signups", {"email": "bob@example.com"}).json()["id"]
    env = {**os.environ, "WFC_DB": url, "DJANGO_SETTINGS_MODULE": "examples.django_app.settings"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "examples.django_app.manage", "wfc_worker", "--concurrency", "2", "--grace", "5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with wfc.Client(url) as client:
            assert client.result(iid, timeout=60) == "to bob@example.com: your coupon is WELCOME-BOB"
        assert get(f"/signups/{iid}").json()["state"] == "completed"
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert out.splitlines()[0].startswith("wfc worker on Runtime('sqlite:///") and "wfc worker stopped" in out
