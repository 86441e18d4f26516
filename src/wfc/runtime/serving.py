"""The registry of what live workers serve: each worker records in its ``workers`` row the workflows (by key) and
the table versions (hashes) it can run, and how long it counts as alive (``alive_until``, pushed forward by every
heartbeat: its lease from now). ``status()`` reads the live rows to say precisely that no live worker serves an
instance's workflow or version (``WFC437``), instead of guessing it from how long due work waited (``WFC436``).

A worker publishes when it starts (on a thread of its own: it compiles every workflow it knows, and claims work
meanwhile), again when its deployment grows, and clears it when it stops. What a worker serves is what its
deployment can run (:mod:`wfc.runtime.versions`): each workflow it knows (the
``workflows=`` it was given, or every ``@wfc.workflow`` imported), at the current code's table (and the same table
in the older IR formats still read) and at every version shipped in its versions directory.
"""

from __future__ import annotations

import json
from typing import Any

from wfc.commands import WorkflowDef
from wfc.compiler.driver import compile_workflow, older_formats
from wfc.runtime.store.protocol import InstanceRow
from wfc.runtime.versions import Deployment

_CACHE = "serving.hashes"  # on the definition: (its current table's hash, the hashes it runs), or () if it fails


def _current_hashes(defn: WorkflowDef) -> list[str]:
    """The current code's table hash and the same table's hashes in the older IR formats still read (computed
    once per definition: a worker publishes on start and whenever its deployment grows)."""
    cached = defn.cache.get(_CACHE)
    if cached == ():
        return []  # its code does not compile (diagnosing again would cost as much)
    try:
        table = compile_workflow(defn)
        if cached is not None and cached[0] == table.hash:
            return list(cached[1])
        older = [t.hash for t in older_formats(defn)]
    except Exception:
        # Any definition that does not compile (or is not a whole definition, such as one made by hand without
        # code) is one this worker cannot serve: it must never stop the worker.
        defn.cache[_CACHE] = ()
        return []
    hashes = [table.hash] + [h for h in dict.fromkeys(older) if h != table.hash]
    defn.cache[_CACHE] = (table.hash, hashes)
    return list(hashes)


def served(deployment: Deployment) -> dict[str, list[str]]:
    """``{workflow key: [table hashes it can run]}`` for every workflow the deployment knows."""
    out: dict[str, list[str]] = {}
    for key, defn in list(deployment.known().items()):
        hashes = list(_current_hashes(defn))
        if deployment.versions_dir is not None:
            folder = deployment.versions_dir / key.replace(":", "/")
            hashes.extend(p.stem for p in sorted(folder.glob("*.json")) if p.stem not in hashes)
        out[key] = hashes
    return out


def encode(serves: dict[str, list[str]]) -> str:
    return json.dumps(serves, sort_keys=True, separators=(",", ":"))


def unserved(inst: InstanceRow, live: list[tuple[str, str]]) -> str | None:
    """``WFC437`` when live workers exist and none of them serves the instance's workflow at its version;
    ``None`` when one does, or when no worker is live at all (then nothing is known: the caller falls back to
    how long due work has waited)."""
    if not live:
        return None
    versions: set[str] = set()
    for _worker, text in live:
        try:
            serves: Any = json.loads(text)
        except ValueError:
            continue
        if not isinstance(serves, dict):
            continue
        # An instance started by name (wfc.Client) records the name, not the key: its version's hash, which names
        # one compiled table, is served under the key.
        if inst.table_hash and any(isinstance(h, list) and inst.table_hash in h for h in serves.values()):
            return None
        hashes = serves.get(inst.workflow)
        if isinstance(hashes, list):
            if inst.table_hash in hashes:
                return None
            versions.update(str(h) for h in hashes)
    module = inst.workflow.partition(":")[0]
    workers = f"{len(live)} live worker{'s' if len(live) != 1 else ''}"
    if versions:
        shown = ", ".join(sorted(h[:12] for h in versions))
        return (
            f"WFC437: no live worker runs version {inst.table_hash[:12]} of {inst.workflow} (the {workers} run "
            f"{shown}): ship that version to a worker (wfc compile --versions DIR, then Runtime(versions=DIR)), "
            f"or migrate the instance (wfc migrate)"
        )
    return (
        f"WFC437: none of the {workers} serves {inst.workflow}: start a worker that imports {module}: "
        f"wfc worker --app {module} --db URL"
    )
