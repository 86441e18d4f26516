"""wfc against DBOS on PostgreSQL, the same workloads side by side in one run. Results go to docs/performance.md
("wfc and DBOS on PostgreSQL").

    .venv/bin/python bench/bench_dbos.py                  # both workloads, 3 rounds (about 5 minutes)
    .venv/bin/python bench/bench_dbos.py --rounds 1 seq   # some of: seq many

DBOS is not a dependency of wfc: the script makes a venv of its own in its work directory (``--work``, default
``$TMPDIR/wfc-bench-dbos``; kept between runs so that ``pip install dbos`` runs once) and runs DBOS's half
(bench/dbos_side.py) in a subprocess with that venv's Python, driven over stdin, so that the rounds of the two
systems take turns and machine load affects both alike (median of the rounds).

The server: ``WFC_BENCH_PG`` (default ``postgresql://postgres@127.0.0.1:5432/test``). DBOS gets a database of its
own, ``wfc_bench_dbos``, created for the run and dropped after it; wfc a schema of its own (``bench_dbos_*``).

* seq: one workflow of 1,000 sequential steps (each step returns its argument plus one), run to its end in the
  calling process: DBOS calls the workflow function; wfc ``run_until_complete``.
* many: 1,000 workflows x 10 such steps, started at once and run to their ends by one process, 25 at a time:
  DBOS enqueues them on a queue with ``worker_concurrency=25`` polled every 10 ms (its default is 1 s), and, as
  a second DBOS variant, starts each with ``DBOS.start_workflow`` (a thread each, no limit); wfc starts them with
  ``Runtime.start`` while a worker of the same runtime (``concurrency=25``) runs them. Timed from the first start
  to the last result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_flows  # noqa: E402

import wfc  # noqa: E402

SERVER = os.environ.get("WFC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
DBOS_DB = "wfc_bench_dbos"
SEQ_STEPS = 1000
WORKFLOWS, STEPS, CONCURRENCY = 1000, 10, 25


def dbos_venv(work: Path) -> Path:
    """The Python of a venv with ``dbos`` installed (made on first use)."""
    venv = work / "dbos-venv"
    python = venv / "bin" / "python"
    if not python.exists() or subprocess.run([python, "-c", "import dbos"], capture_output=True).returncode:
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "dbos"], check=True)
    return python


def database_url(name: str) -> str:
    parts = urlsplit(SERVER)
    return urlunsplit(parts._replace(path=f"/{name}", query=""))


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(sql)


class Dbos:
    """DBOS's half, in its own venv and process, one command at a time."""

    def __init__(self, python: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), str(HERE / "dbos_side.py"), database_url(DBOS_DB)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self._line()) == {"ready": True}

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"DBOS's process ended (exit code {self.proc.wait()})")
        return line

    def run(self, command: str) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return float(json.loads(self._line())["seconds"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(60)


class Wfc:
    def __init__(self) -> None:
        self.schema = f"bench_dbos_{uuid.uuid4().hex[:8]}"
        self.url = f"{SERVER}?schema={self.schema}"

    def __enter__(self) -> Wfc:
        self.rt = wfc.Runtime(self.url)
        self.rt.run_until_complete(self.rt.start(scale_flows.chain, 20))  # warm up: schema, tables, statements
        return self

    def __exit__(self, *exc: object) -> None:
        self.rt.close()
        admin(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def seq(self, n: int) -> float:
        t = time.perf_counter()
        assert self.rt.run_until_complete(self.rt.start(scale_flows.chain, n)) == n
        return time.perf_counter() - t

    def many(self, workflows: int, steps: int, concurrency: int) -> float:
        import psycopg

        rt = self.rt
        worker = rt.worker(concurrency=concurrency)
        worker.run_in_thread()
        with psycopg.connect(SERVER, autocommit=True) as conn:
            done_before = self._completed(conn)
            t = time.perf_counter()
            handles = [rt.start(scale_flows.chain, steps) for _ in range(workflows)]
            while self._completed(conn) < done_before + workflows:
                time.sleep(0.005)
            elapsed = time.perf_counter() - t
        worker.stop()
        worker.join(30)
        assert all(rt.result(h) == steps for h in handles)
        return elapsed

    def _completed(self, conn: Any) -> int:
        row = conn.execute(f"SELECT count(*) FROM \"{self.schema}\".instances WHERE state = 'completed'").fetchone()
        return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="*", help="seq and/or many (default: both)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "wfc-bench-dbos")
    args = parser.parse_args()
    what = args.what or ["seq", "many"]
    if not set(what) <= {"seq", "many"}:
        parser.error(f"unknown workload(s): {', '.join(sorted(set(what) - {'seq', 'many'}))} (seq, many)")
    python = dbos_venv(args.work)
    dbos_version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('dbos'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    import psycopg

    with psycopg.connect(SERVER) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        sync = conn.execute("SHOW synchronous_commit").fetchone()
    print(f"python {sys.version.split()[0]}, PostgreSQL {version[0] if version else '?'} "
          f"(synchronous_commit={sync[0] if sync else '?'}), psycopg {psycopg.__version__}, dbos {dbos_version}, "
          f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    admin(f'DROP DATABASE IF EXISTS "{DBOS_DB}"')
    admin(f'CREATE DATABASE "{DBOS_DB}"')
    times: dict[str, list[float]] = {}
    try:
        dbos = Dbos(python)
        try:
            with Wfc() as ours:
                for r in range(args.rounds):  # the two systems take turns
                    if "seq" in what:
                        times.setdefault("seq/dbos", []).append(dbos.run(f"seq {SEQ_STEPS}"))
                        times.setdefault("seq/wfc", []).append(ours.seq(SEQ_STEPS))
                    if "many" in what:
                        times.setdefault("many/dbos-queue", []).append(
                            dbos.run(f"many {WORKFLOWS} {STEPS} {CONCURRENCY}")
                        )
                        times.setdefault("many/dbos-spawn", []).append(dbos.run(f"spawn {WORKFLOWS} {STEPS}"))
                        times.setdefault("many/wfc", []).append(ours.many(WORKFLOWS, STEPS, CONCURRENCY))
                    print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        finally:
            dbos.close()
    finally:
        admin(f'DROP DATABASE IF EXISTS "{DBOS_DB}" WITH (FORCE)')
    results: dict[str, Any] = {k: statistics.median(v) for k, v in times.items()}
    if "seq" in what:
        d, w = SEQ_STEPS / results["seq/dbos"], SEQ_STEPS / results["seq/wfc"]
        print(f"seq: one workflow of {SEQ_STEPS:,} steps: DBOS {d:,.0f} steps/s, wfc {w:,.0f} steps/s: "
              f"wfc/DBOS {w / d:.2f}")  # fmt: skip
        results["seq/ratio"] = w / d
    if "many" in what:
        dq, ds = WORKFLOWS / results["many/dbos-queue"], WORKFLOWS / results["many/dbos-spawn"]
        w = WORKFLOWS / results["many/wfc"]
        best = max(dq, ds)
        print(f"many: {WORKFLOWS:,} workflows x {STEPS} steps: DBOS queue {dq:,.1f} workflows/s, DBOS start_workflow "
              f"{ds:,.1f} workflows/s, wfc {w:,.1f} workflows/s: wfc/DBOS(best) {w / best:.2f}")  # fmt: skip
        results["many/ratio"] = w / best
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
