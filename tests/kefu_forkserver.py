"""``kefu`` child processes forked from a warm interpreter (tests only).

A ``kefu serve`` or ``kefu demo`` child spends most of its start importing (FastAPI's routes,
pydantic models, SQLAlchemy, alembic, pandas, scipy: about 6 CPU seconds, against about 1.5
for migrating, seeding and serving), and the suite starts many. So each pytest process that
runs integration or browser tests starts one *fork server*: a Python process that imports
those modules once, then forks a child for each ``kefu`` command a test starts.

The test still starts a real process (``KEFU`` below, used with ``subprocess``): a small
client (``kefu_forkserver_client.py``) hands its stdin, stdout and stderr, its environment,
working directory and arguments to the fork server, passes on the signals it gets (Ctrl-C,
SIGTERM) to the forked child, and exits as the child did (its code, or killed by the same
signal). When the client is killed (SIGKILL), the fork server kills the child at once. The
child sets the environment and working directory before running ``kefu``'s ``main()``, and
settings are read from the environment when a command runs, never at import.

The client runs the command as a fresh interpreter instead (``python -c``) when there is no
fork server, or when its environment sets other ``PYTHON*`` variables or another
``PYTHONPATH`` than the fork server's; ``KEFU_TEST_FORKSERVER=0`` turns the fork server off.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

__all__ = ["ENV", "KEFU", "KEFU_CODE", "start", "stop"]

ENV = "KEFU_TEST_FORKSERVER"
"""The fork server's socket path in the environment (``0``: no fork server)."""
NETNS_ENV = "KEFU_TEST_FORKSERVER_NETNS"
"""The fork server's network namespace (a client in another one sends its own)."""
KEFU_CODE = "import sys; from kefu.cli import main; sys.argv[0] = 'kefu'; main()"
CLIENT = Path(__file__).resolve().with_name("kefu_forkserver_client.py")
KEFU = [sys.executable, str(CLIENT), "-c", KEFU_CODE]
"""The command line of ``kefu`` for ``subprocess`` (add the command and its options)."""

# What ``kefu serve`` and ``kefu demo`` import when they run (the CLI imports lazily).
PRELOAD = (
    "kefu.cli",
    "kefu.cli.serve_cmd",
    "kefu.cli.demo_panel",
    "kefu.cli.demo_voice",
    "kefu.bootstrap",
    "kefu.api",
    "kefu.adapters.demo",
    "kefu.adapters.demo.mail_sink",
    "kefu.adapters.storage",
    "kefu.adapters.storage.instance",
    "kefu.adapters.storage.migrate",
    "kefu.web.report_pages",
    "kefu.cli.router_node",  # the cluster's roles (kefu serve --role)
    "kefu.cli.web_node",
    "kefu.adapters.cluster",
    "kefu.adapters.voice",
    "psycopg",
    "nats",
    "uvicorn",
)
_LENGTH = struct.Struct("!I")
CLONE_NEWNET = 0x40000000
_STATUS = struct.Struct("!ii")  # (0, exit code) or (1, signal number)


def _python_env(env: dict[str, str]) -> dict[str, str]:
    """The variables that change how an interpreter starts (``PYTHONPATH`` apart)."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k != "PYTHONPATH"}


def _same_path(pythonpath: str) -> bool:
    """Whether an interpreter with ``pythonpath`` imports what this one imported: each entry
    is on this one's path already, or is where its ``kefu`` package comes from."""
    import kefu

    here = {os.path.realpath(p) for p in sys.path if p}
    source = os.path.realpath(os.path.dirname(os.path.dirname(kefu.__file__)))
    entries = {os.path.realpath(p) for p in pythonpath.split(os.pathsep) if p}
    return entries <= here | {source}


# The server side: one per pytest process, single-threaded so that forking is safe.


def _serve(path: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C at the terminal is for pytest
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)
    # jieba's dictionary for the chat IVR's keywords (0.7 CPU s to read; every demo's chat
    # customers use it): read once here, the children share it (one per process and words).
    with contextlib.suppress(ImportError):
        from kefu.adapters.ivr.tokenizer import JiebaTokenizer

        JiebaTokenizer().tokens("人工")
    own_python = _python_env(dict(os.environ))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ready = f"{path}.binding"
    listener.bind(ready)
    listener.listen(64)
    os.rename(ready, path)  # the path appears once the imports are done
    with contextlib.suppress(FileNotFoundError):
        os.unlink(f"{path}.starting")
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")  # EOF: the tests are over
    children: dict[int, socket.socket] = {}
    waiting: set[socket.socket] = set()

    def forget(conn: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(conn)
        waiting.discard(conn)
        conn.close()

    running = True
    while running:
        for key, _ in selector.select(timeout=0.05):
            if key.data == "parent":
                running = False
            elif key.data == "accept":
                conn, _ = listener.accept()
                waiting.add(conn)
                selector.register(conn, selectors.EVENT_READ, "request")
            elif key.data == "request":
                conn = key.fileobj  # type: ignore[assignment]
                selector.unregister(conn)
                waiting.discard(conn)
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                env = request["env"]
                assert isinstance(env, dict)
                if _python_env(env) != own_python or not _same_path(env.get("PYTHONPATH", "")):
                    for fd in fds:
                        os.close(fd)
                    conn.sendall(struct.pack("!i", -1))  # the client runs python itself
                    conn.close()
                    continue
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    others = [listener, *children.values(), *waiting]
                    _child(request, fds, conn, others, selector)  # never returns
                for fd in fds:
                    os.close(fd)
                children[pid] = conn
                conn.sendall(struct.pack("!i", pid))
                selector.register(conn, selectors.EVENT_READ, pid)
            else:  # the client closed its end: it was killed, so is its child
                selector.unregister(key.fileobj)  # reaped below, its connection then closed
                with contextlib.suppress(ProcessLookupError):
                    os.kill(key.data, signal.SIGKILL)
        _reap(children, forget)
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    while children:
        _reap(children, forget, block=True)
    listener.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _receive(conn: socket.socket) -> tuple[dict[str, object], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 4)
    if len(fds) not in (3, 4) or len(data) < _LENGTH.size:
        for fd in fds:
            os.close(fd)
        raise ValueError(
            "a request is its length, its JSON and three descriptors (a fourth: the network)"
        )
    (length,) = _LENGTH.unpack_from(data)
    body = bytearray(data[_LENGTH.size :])
    while len(body) < length:
        more = conn.recv(length - len(body))
        if not more:
            raise ValueError("the request ended early")
        body += more
    request: dict[str, object] = json.loads(body)
    return request, fds


def _reap(children: dict[int, socket.socket], forget: object, block: bool = False) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        if os.WIFSIGNALED(status):
            message = _STATUS.pack(1, os.WTERMSIG(status))
        else:
            message = _STATUS.pack(0, os.waitstatus_to_exitcode(status))
        with contextlib.suppress(OSError):
            conn.sendall(message)
        forget(conn)  # type: ignore[operator]
        if block:
            return


def _child(
    request: dict[str, object],
    fds: list[int],
    conn: socket.socket,
    others: list[socket.socket],
    selector: selectors.BaseSelector,
) -> None:
    """In the forked child: become the command the client was asked to run, then exit."""
    try:
        selector.close()
        for other in (conn, *others):
            other.close()
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if len(fds) == 4:  # the client runs in another network namespace: so does its child
            _enter_network(fds.pop())
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        env = request["env"]
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(str(request["cwd"]))
        argv = request["argv"]
        assert isinstance(argv, list)
        code = argv[1]
        sys.argv = ["-c", *argv[2:]]
        sys.path[0] = ""  # as ``python -c``: the working directory first
        _fresh_streams(unbuffered=bool(env.get("PYTHONUNBUFFERED")))
        _reseed()
    except BaseException:  # a child must never return into the server
        traceback.print_exc()
        os._exit(1)
    os._exit(_run(code))


def _enter_network(fd: int) -> None:
    """Move this (single-threaded, just forked) process into the network namespace open
    as ``fd``, as ``ip netns exec`` would have started it there (``setns(2)``; Python 3.11's
    ``os`` has no ``setns``)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")
    os.close(fd)


def _run(code: str) -> int:
    """Run ``code`` as ``python -c`` would, and finish as the interpreter does at exit."""
    status = 0
    interrupted = False
    try:
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
    except SystemExit as exc:
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code & 0xFF
        else:
            sys.stderr.write(f"{exc.code}\n")
            status = 1
    except KeyboardInterrupt as exc:
        _print_from_code(exc)
        interrupted = True
    except BaseException as exc:  # printed as the interpreter prints it
        _print_from_code(exc)
        status = 1
    with contextlib.suppress(BaseException):
        threading._shutdown()  # type: ignore[attr-defined]  # joins non-daemon threads
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    if interrupted:  # as the interpreter: killed by SIGINT, so the caller sees it
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return status


def _print_from_code(exc: BaseException) -> None:
    """The traceback from the code's own frames (without this module's)."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    traceback.print_exception(type(exc), exc, tb)


def _fresh_streams(*, unbuffered: bool) -> None:
    """New text streams on descriptors 0-2, as a starting interpreter makes them."""
    encoding = sys.stdout.encoding
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "rb", closefd=False), encoding=encoding)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        raw: io.RawIOBase | io.BufferedWriter = io.FileIO(fd, "wb", closefd=False)
        if not unbuffered:
            raw = io.BufferedWriter(raw)
        errors = "backslashreplace" if fd == 2 else "strict"
        stream = io.TextIOWrapper(
            raw,  # type: ignore[arg-type]
            encoding=encoding,
            errors=errors,
            line_buffering=fd == 2 or raw.isatty(),
            write_through=unbuffered,
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _reseed() -> None:
    """Forked children would otherwise share the server's random state."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


# The pytest side.

_server: subprocess.Popen[bytes] | None = None


def start() -> None:
    """Start this process's fork server in the background and name it in the environment
    (its imports take seconds: a client started meanwhile waits for its socket)."""
    global _server
    if _server is not None or os.environ.get(ENV) == "0":
        return
    folder = tempfile.mkdtemp(prefix="kefu-fork-")
    path = os.path.join(folder, "socket")
    with open(os.path.join(folder, "log"), "wb") as log:
        _server = subprocess.Popen(
            [sys.executable, __file__, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    # While this names a live process, clients wait for the socket rather than start cold.
    Path(f"{path}.starting").write_text(str(_server.pid), encoding="ascii")
    os.environ[ENV] = path
    # A forked child starts in the fork server's network namespace: a client started in
    # another one (``ip netns exec``, the cluster tests' hosts) sends its own for the child.
    os.environ[NETNS_ENV] = os.readlink("/proc/self/ns/net")


def stop() -> None:
    """Stop the fork server (its children are killed) and forget it."""
    global _server
    if _server is None:
        return
    assert _server.stdin is not None
    _server.stdin.close()
    try:
        _server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _server.kill()
        _server.wait()
    _server = None
    path = os.environ.pop(ENV, "")
    if path not in ("", "0"):
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)


if __name__ == "__main__":
    _serve(sys.argv[1])
