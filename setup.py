"""Build hook: the router compiled with mypyc, or pure Python (see docs/compiled_build.md).

- A wheel or a regular install compiles the modules of :data:`COMPILED` when a C compiler
  is found, and builds pure Python (with a warning) when none is.
- ``KEFU_MYPYC=0`` builds pure Python; ``KEFU_MYPYC=1`` insists on compiling (the build
  fails without a compiler).
- An editable install (``pip install -e``, what ``make setup`` does) is always pure
  Python: a compiled module beside its source would silently shadow every later edit.

The metadata is in ``pyproject.toml``; mypy (which holds mypyc) is pinned in its build
requirements, as the generated C depends on mypy's version. Only the commands that build
the package's files compile; the ones that ask for its requirements or metadata do not.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ROUTING = "src/kefu/domain/routing"
# The routing core, the KPI accumulator the simulator feeds every event to, and the
# simulator's loop. Left out: the package's __init__ (nothing to gain) and config.py (a
# frozen dataclass compiled by mypyc cannot be unpickled, and snapshots pickle it); the
# KPIs' records and the simulator's Replication, for the same reason.
COMPILED = (
    tuple(
        f"{ROUTING}/{name}.py"
        for name in (
            "applying",
            "classes",
            "consulting",
            "digest",
            "dispatch",
            "handling",
            "handover",
            "index",
            "log",
            "pickling",
            "records",
            "router",
            "setup",
            "state",
            "timers",
        )
    )
    + tuple(f"src/kefu/analytics/{name}.py" for name in ("kpi", "tallies", "timeline"))
    + ("src/kefu/sim/engine.py", "src/kefu/sim/sampler.py")
)


# setup.py commands that build the package's files (egg_info, dist_info and sdist, which
# pip runs to learn the requirements and metadata, compile nothing).
BUILD_COMMANDS = ("bdist_wheel", "build", "build_ext", "install")
# mypy's options for the build, beside the project's (strict) ones: the isolated build
# environment has none of the project's dependencies, so what the compiled modules import
# from them (pydantic, numpy, ...) is seen as Any; the modules' own types are checked by the
# project's mypy run. The build's cache stays in build/, apart from the project's.
MYPY_BUILD_FLAGS = (
    "--ignore-missing-imports",
    "--allow-subclassing-any",
    "--allow-untyped-decorators",
    "--no-warn-return-any",
    "--no-warn-unused-ignores",
    "--cache-dir=build/mypy-cache",
)


def has_compiler() -> bool:
    """True when the C compiler Python was built with is on the PATH."""
    cc = str(sysconfig.get_config_var("CC") or "cc").split()
    return bool(cc) and shutil.which(cc[0]) is not None


def build_mode(env: Mapping[str, str], argv: Sequence[str], compiler: bool) -> str:
    """``"compiled"`` or ``"pure"``, by the rules of this module's docstring.

    Raises ``RuntimeError`` for ``KEFU_MYPYC=1`` without a compiler and ``ValueError``
    for any other value than 0 or 1."""
    wanted = env.get("KEFU_MYPYC", "").strip()
    if wanted not in ("", "0", "1"):
        raise ValueError(f"KEFU_MYPYC must be 0 (pure Python) or 1 (compiled), not {wanted!r}")
    building = any(command in argv for command in BUILD_COMMANDS)
    if not building or "editable_wheel" in argv or "develop" in argv or wanted == "0":
        return "pure"
    if compiler:
        return "compiled"
    if wanted == "1":
        raise RuntimeError("KEFU_MYPYC=1 asks for the compiled router, but no C compiler found")
    warnings.warn("no C compiler found: building kefu's router as pure Python", stacklevel=1)
    return "pure"


def ext_modules() -> list[object]:
    if build_mode(os.environ, sys.argv, has_compiler()) == "pure":
        return []
    from mypyc.build import mypycify

    os.chdir(ROOT)  # mypycify takes paths relative to the project
    paths = [*MYPY_BUILD_FLAGS, *COMPILED]
    return list(mypycify(paths, opt_level="3", group_name="kefu_router"))


if __name__ == "__main__":
    from setuptools import setup

    setup(ext_modules=ext_modules())
