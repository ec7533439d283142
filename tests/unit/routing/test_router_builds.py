"""The pure-Python and the compiled router (``setup.py``) read each other's snapshots.

This file runs in both test runs: the main one (pure Python) and the compiled build's
(``make compiled-test``). Its peer process runs on the source tree: in the compiled run
that is the other build, so a snapshot crosses from each build to the other; in the pure
run it checks the same across processes. Also checked here: the build selection of
``setup.py``."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from router_build_peer import busy_router, digest_text

from kefu.domain.routing.records import AgentRecord
from kefu.service.snapshots import dump_router, load_router

ROOT = Path(__file__).resolve().parents[3]
PEER = Path(__file__).with_name("router_build_peer.py")


def _peer(mode: str, stdin: str = "") -> dict[str, object]:
    """Run the peer on the source tree (pure Python)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(PEER.parent)])}
    env.pop("KEFU_EXPECT_COMPILED", None)
    out = subprocess.run(
        [sys.executable, str(PEER), mode],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_given_snapshot_of_other_build_when_loaded_then_state_is_the_same() -> None:
    peer = _peer("dump")
    restored = load_router(bytes.fromhex(str(peer["snapshot"])))
    assert digest_text(restored) == peer["digest"] == digest_text(busy_router())


def test_given_snapshot_of_this_build_when_other_build_loads_then_state_is_the_same() -> None:
    router = busy_router()
    peer = _peer("load", dump_router(router).hex())
    assert peer["digest"] == digest_text(router)
    assert peer["compiled"] is False


def test_given_record_pickled_before_records_had_reduce_when_restored_then_fields_are_set() -> None:
    agent = busy_router().agents["a1"]
    fields = {name: getattr(agent, name) for name in ("seq", "stamp", "load", "presence")}
    blank = AgentRecord(agent.spec, 0, 0.0)
    blank.__setstate__((None, fields))  # the default form of a class with __slots__
    assert (blank.seq, blank.stamp, blank.load, blank.presence) == tuple(fields.values())


def _setup_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kefu_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("env", "argv", "compiler", "mode"),
    [
        ({}, ["setup.py", "bdist_wheel"], True, "compiled"),
        ({"KEFU_MYPYC": "1"}, ["setup.py", "bdist_wheel"], True, "compiled"),
        ({"KEFU_MYPYC": "0"}, ["setup.py", "bdist_wheel"], True, "pure"),
        ({"KEFU_MYPYC": "1"}, ["setup.py", "editable_wheel"], True, "pure"),
        ({}, ["setup.py", "editable_wheel"], True, "pure"),
        # pip asks for requirements and metadata first: nothing to compile there
        ({"KEFU_MYPYC": "1"}, ["setup.py", "egg_info"], True, "pure"),
        ({}, ["setup.py", "dist_info"], True, "pure"),
    ],
)
def test_given_build_settings_when_building_then_mode_follows_them(
    env: dict[str, str], argv: list[str], compiler: bool, mode: str
) -> None:
    assert _setup_module().build_mode(env, argv, compiler) == mode


def test_given_no_compiler_when_building_then_pure_with_a_warning_or_refused_if_insisted() -> None:
    setup = _setup_module()
    with pytest.warns(UserWarning, match="no C compiler"):
        assert setup.build_mode({}, ["setup.py", "bdist_wheel"], False) == "pure"
    with pytest.raises(RuntimeError, match="no C compiler"):
        setup.build_mode({"KEFU_MYPYC": "1"}, ["setup.py", "bdist_wheel"], False)
    with pytest.raises(ValueError, match="KEFU_MYPYC must be 0"):
        setup.build_mode({"KEFU_MYPYC": "yes"}, ["setup.py", "bdist_wheel"], True)


def test_given_setup_compiled_list_then_every_router_module_but_config_is_in_it() -> None:
    compiled = set(_setup_module().COMPILED)
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "src/kefu/domain/routing").glob("*.py")}
    assert {Path(p).stem for p in modules - compiled} == {"__init__", "config"}
    assert all((ROOT / p).is_file() for p in compiled)
