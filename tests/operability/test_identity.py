"""Workflow identity: a script run as `python script.py` (once keyed `__main__:...`), a .wf file (once keyed by
its path from the working directory) and a factory's workflows (one `module:qualname` for all) are named so
every process finds the same code; a second definition under one identity is refused at registration."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import wfc
import wfc.testing
from wfc.errors import WfcError

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = '''
import sys
import wfc

@wfc.step
def greet(who: str) -> str:
    return f"hello {who}"

@wfc.workflow
def hello(who: str):
    text = yield greet(who)
    return text

if __name__ == "__main__":
    with wfc.Runtime(sys.argv[1]) as rt:
        print(rt.start(hello, "ann", id="h-1"), hello.key, greet.key)
'''


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def _python(*args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_script_started_with_python_is_run_by_a_worker_importing_it(tmp_path: Path) -> None:
    (tmp_path / "greeter.py").write_text(SCRIPT)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    started = _python("greeter.py", url, cwd=tmp_path).split()
    assert started == ["h-1", "greeter:hello", "greeter:greet"], "named by its module, never __main__"
    other = tmp_path / "elsewhere"
    other.mkdir()
    code = f"import greeter, wfc\nwith wfc.Runtime({url!r}) as rt:\n    print(rt.run_until_complete('h-1', timeout=30))"
    out = _python("-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + code, cwd=other)
    assert out.strip() == "hello ann"


def test_a_script_in_a_package_run_with_python_m_is_named_by_its_module(tmp_path: Path) -> None:
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "greeter.py").write_text(SCRIPT)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    assert _python("-m", "shop.greeter", url, cwd=tmp_path).split()[1] == "shop.greeter:hello"
    # and as a file inside a package, from anywhere: the package path, as `wfc --app shop/greeter.py` names it
    assert _python(str(pkg / "greeter.py"), url, cwd=ROOT).split()[1] == "shop.greeter:hello"


def test_wf_keys_do_not_depend_on_the_working_directory(tmp_path: Path) -> None:
    flows = tmp_path / "proj" / "flows"
    flows.mkdir(parents=True)
    (flows / "__init__.py").write_text("")
    (flows / "tiny.wf").write_text("workflow tiny(x: int) -> int {\n    return x + 1\n}\n")
    code = "import wfc.dsl, sys\nprint(wfc.dsl.load(sys.argv[1])['tiny'].key)"
    keys = {
        _python("-c", code, str(flows / "tiny.wf"), cwd=cwd).strip()
        for cwd in (tmp_path, tmp_path / "proj", flows, ROOT)
    }
    assert keys == {"flows/tiny.wf:tiny"}


def _factory(region: str, named: bool) -> Any:
    @wfc.step(name=f"tax_{region}" if named else None)
    def tax(amount: int) -> str:
        return f"{region}:{amount}"

    @wfc.workflow(name=f"bill_{region}" if named else None)
    def bill(amount: int):
        text = yield tax(amount)
        return text

    return bill


KEPT: list[Any] = []


def test_a_factory_without_names_is_refused_at_its_second_workflow() -> None:
    KEPT.append(_factory("north", named=False))  # the application holds the first one
    with pytest.raises(WfcError, match=r"is defined twice") as info:
        KEPT.append(_factory("south", named=False))
    assert info.value.code == "WFC411"
    assert "name=" in (info.value.hint or "")


def test_a_factory_with_names_runs_each_ones_own_closure_in_both_runners(rt: wfc.Runtime) -> None:
    east, west = _factory("east", named=True), _factory("west", named=True)
    assert east.key != west.key and east.key.endswith(":bill_east")
    assert wfc.testing.run(east, 1) == "east:1" and wfc.testing.run(west, 2) == "west:2"
    a, b = rt.start(east, 1), rt.start(west, 2)
    assert rt.run_until_complete(a) == "east:1"
    assert rt.run_until_complete(b) == "west:2"


def test_registering_the_same_definition_again_or_a_reload_is_not_a_duplicate(tmp_path: Path) -> None:
    import importlib

    (tmp_path / "reloaded_mod.py").write_text(textwrap.dedent(SCRIPT))
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("reloaded_mod")
        first = module.hello
        wfc.commands.register_workflow(first)  # again: the same definition
        module = importlib.reload(module)  # new code objects, same qualnames
        assert wfc.commands.WORKFLOWS["reloaded_mod:hello"] is module.hello is not first
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("reloaded_mod", None)


def test_a_factory_used_inside_a_function_is_refused_too() -> None:
    def main() -> None:
        first = _factory("inner-a", named=False)
        second = _factory("inner-b", named=False)  # first is alive in this frame
        del first, second

    with pytest.raises(WfcError, match="is defined twice"):
        main()


@pytest.mark.parametrize("run", [1, 2, 3])
def test_a_workflow_defined_in_a_parametrized_test_is_replaced_each_run(run: int, rt: wfc.Runtime) -> None:
    """The previous run's definitions are garbage (only the registry holds them): not duplicates."""

    @wfc.step
    def local_step(x: int) -> int:
        return x * 10

    @wfc.workflow
    def local_flow(x: int):
        got = yield local_step(x)
        return (x, got)

    assert wfc.testing.run(local_flow, run) == (run, run * 10)
    assert tuple(rt.run_until_complete(rt.start(local_flow, run))) == (run, run * 10)


def _shared_body(n: int):  # one function, wrapped as two workflows below
    got = yield _shared_step(n)
    return got


def _shared(n: int) -> int:
    return n


_shared_step = wfc.step(_shared)


def test_one_function_wrapped_as_two_named_workflows_is_refused() -> None:
    # Both would get the function's key, so an instance of the first ran with the second's options.
    first = wfc.workflow(name="shared_a", max_parallelism=2)(_shared_body)
    KEPT.append(first)
    with pytest.raises(WfcError, match=r"registered as two workflows, 'shared_a' and 'shared_b'") as info:
        KEPT.append(wfc.workflow(name="shared_b", retry=wfc.RetryPolicy(max_attempts=1))(_shared_body))
    assert info.value.code == "WFC411" and "own function" in (info.value.hint or "")
    KEPT.append(wfc.workflow(name="shared_a", max_parallelism=2)(_shared_body))  # the same name again: a re-register


def _plain(n: int) -> int:
    return n


def test_one_function_wrapped_as_two_named_steps_is_refused() -> None:
    KEPT.append(wfc.step(name="shared_x")(_plain))
    with pytest.raises(WfcError, match=r"registered as two steps") as info:
        KEPT.append(wfc.step(name="shared_y", timeout=5)(_plain))
    assert info.value.code == "WFC411"
