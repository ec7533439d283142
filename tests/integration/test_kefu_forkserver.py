"""The fork server behind ``KEFU`` (tests/kefu_forkserver.py) keeps the contract of a child
process: the command's output, exit code, environment and working directory; Ctrl-C and
SIGKILL reach the forked child; another interpreter set-up gets a fresh interpreter."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import kefu_forkserver

CLIENT = kefu_forkserver.KEFU[:2]


def forkserver_pid() -> int:
    if os.environ.get(kefu_forkserver.ENV) in (None, "", "0"):
        pytest.skip("no fork server in this run (KEFU_TEST_FORKSERVER=0)")
    server = kefu_forkserver._server
    assert server is not None
    return server.pid


def run(code: str, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLIENT, "-c", code], capture_output=True, text=True, timeout=120, **options
    )  # type: ignore[call-overload, no-any-return]


def test_given_a_command_when_forked_then_its_output_code_env_and_cwd_are_the_clients(
    tmp_path: Path,
) -> None:
    parent = forkserver_pid()
    env = {**os.environ, "KEFU_FORK_PROBE": "探针"}
    code = (
        "import os, sys; print(os.getppid(), os.getcwd(), os.environ['KEFU_FORK_PROBE'],"
        " sys.argv[1:], sys.path[0] == ''); print('to stderr', file=sys.stderr); sys.exit(3)"
    )
    done = subprocess.run(
        [*CLIENT, "-c", code, "a b", "--flag"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout.split(" ", 3)[:3] == [str(parent), str(tmp_path), "探针"]
    assert "['a b', '--flag'] True" in done.stdout
    assert done.stderr == "to stderr\n"


def test_given_a_failing_command_then_the_traceback_and_code_are_the_interpreters() -> None:
    forkserver_pid()
    done = run("raise RuntimeError('boom')")
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback (most recent call last):\n")
    assert "kefu_forkserver" not in done.stderr  # the traceback is the code's own
    assert done.stderr.endswith("RuntimeError: boom\n")
    assert run("raise SystemExit('refused')").stderr == "refused\n"


def test_given_a_running_child_when_ctrl_c_then_it_sees_keyboard_interrupt() -> None:
    forkserver_pid()
    code = (
        "import time\ntry:\n    print('up', flush=True); time.sleep(60)\n"
        "except KeyboardInterrupt:\n    print('interrupted'); raise SystemExit(7)"
    )
    # (Ctrl-C can come before the fork server's reply names the child: it is passed on.)
    with subprocess.Popen([*CLIENT, "-c", code], stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == "up\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 7
        assert process.stdout.read() == "interrupted\n"


def test_given_a_running_child_when_its_client_is_killed_then_the_child_dies_too(
    tmp_path: Path,
) -> None:
    forkserver_pid()
    pid_file = tmp_path / "child.pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    process = subprocess.Popen([*CLIENT, "-c", code])
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.05)
    child = int(pid_file.read_text())
    process.kill()
    assert process.wait(timeout=10) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists():
        assert time.monotonic() < deadline, "the forked child outlived its client"
        time.sleep(0.02)


def test_given_other_python_variables_then_a_fresh_interpreter_runs_the_command() -> None:
    parent = forkserver_pid()
    level = "2" if os.environ.get("PYTHONOPTIMIZE") == "1" else "1"
    env = {**os.environ, "PYTHONOPTIMIZE": level}
    done = run("import os, sys; print(os.getppid(), sys.flags.optimize)", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(os.getpid()), level]  # the client became python
    assert os.getpid() != parent
