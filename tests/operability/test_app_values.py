"""`wfc status`/`history`/`watch` on instances whose values are the application's classes: --app imports them,
and without it the values show as stored (never an exit 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APP = '''
import dataclasses
import wfc

@dataclasses.dataclass
class Parcel:
    sku: str
    grams: int

@wfc.step
def weigh(p: Parcel) -> Parcel:
    return Parcel(p.sku, p.grams + 10)

@wfc.workflow
def ship(sku: str) -> Parcel:
    heavier = yield weigh(Parcel(sku, 100))
    return heavier
'''


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    env.pop("WFC_DB", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_values_of_app_classes_with_and_without_app(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "parcels.py").write_text(APP)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    code = (
        "import sys, wfc, parcels\n"
        f"with wfc.Runtime({url!r}) as rt:\n"
        "    print(rt.run_until_complete(rt.start(parcels.ship, 'a-1', id='p-1')))\n"
    )
    made = _run("-c", code, cwd=app_dir)
    assert made.returncode == 0 and "Parcel(sku='a-1', grams=110)" in made.stdout, made.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    plain = _run("-m", "wfc", "status", "p-1", "--db", url, "--json", cwd=elsewhere)
    assert plain.returncode == 0, plain.stderr
    result = json.loads(plain.stdout)["result"]
    assert result["undecoded"] == {"$obj": "parcels.Parcel", "$fields": {"sku": "a-1", "grams": 110}}
    assert "no such class is loaded" in result["why"] and "--app" in result["why"]
    text = _run("-m", "wfc", "status", "p-1", "--db", url, cwd=elsewhere)
    assert text.returncode == 0 and "a-1" in text.stdout, text.stderr
    history = _run("-m", "wfc", "history", "p-1", "--db", url, cwd=elsewhere)
    assert history.returncode == 0 and "weigh" in history.stdout and "a-1" in history.stdout, history.stderr
    stored = json.loads(_run("-m", "wfc", "history", "p-1", "--db", url, "--json", cwd=elsewhere).stdout)[0]
    assert stored["args"] == [{"$obj": "parcels.Parcel", "$fields": {"sku": "a-1", "grams": 100}}]
    watch = _run("-m", "wfc", "watch", "p-1", "--db", url, "--json", cwd=elsewhere)
    assert watch.returncode == 0 and "a-1" in watch.stdout, watch.stderr

    app = str(app_dir / "parcels.py")
    decoded = _run("-m", "wfc", "status", "p-1", "--db", url, "--json", "--app", app, cwd=elsewhere)
    assert decoded.returncode == 0, decoded.stderr
    assert json.loads(decoded.stdout)["result"] == {"sku": "a-1", "grams": 110}
    records = _run("-m", "wfc", "history", "p-1", "--db", url, "--json", "--app", app, cwd=elsewhere)
    assert records.returncode == 0, records.stderr
    step = json.loads(records.stdout)[0]
    assert step["args"] == [{"sku": "a-1", "grams": 100}] and step["result"] == {"sku": "a-1", "grams": 110}
    watched = _run("-m", "wfc", "watch", "p-1", "--db", url, "--json", "--app", app, cwd=elsewhere)
    assert watched.returncode == 0, watched.stderr
    steps = [json.loads(line)["record"] for line in watched.stdout.splitlines() if '"kind":"step"' in line]
    assert steps[0]["result"] == {"sku": "a-1", "grams": 110}
