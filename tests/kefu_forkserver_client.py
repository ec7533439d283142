"""The process a test starts for ``kefu`` (``kefu_forkserver.KEFU``): it asks the fork
server named by ``KEFU_TEST_FORKSERVER`` to fork ``python -c CODE ARGS…`` with this
process's stdin, stdout, stderr, environment, working directory and, when it runs in another
network namespace than the fork server (``ip netns exec``), that namespace; passes on the signals
it gets; exits as the child did. Without a fork server it becomes ``python -c`` itself.

Standard library only, so that it starts in milliseconds.
"""

import contextlib
import json
import os
import signal
import socket
import struct
import sys
import time

_STATUS = struct.Struct("!ii")
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
              signal.SIGUSR2)  # fmt: skip


def _fresh_interpreter() -> None:
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])


def _ask(path: str) -> tuple[socket.socket, int]:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    network = None if _same_network() else os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        conn.connect(path)
        body = json.dumps(
            {"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}
        ).encode()
        fds = [0, 1, 2] if network is None else [0, 1, 2, network]
        socket.send_fds(conn, [struct.pack("!I", len(body)) + body], fds)
        reply = b""
        while len(reply) < 4:
            more = conn.recv(4 - len(reply))
            if not more:
                raise OSError("the fork server closed the connection")
            reply += more
    except OSError:
        conn.close()
        raise
    finally:
        if network is not None:
            os.close(network)
    return conn, struct.unpack("!i", reply)[0]


def _wait_for(path: str) -> bool:
    """Whether the fork server's socket is there, once a starting one has made it."""
    while not os.path.exists(path):
        try:  # the starting fork server's process id, until its socket is there
            with open(f"{path}.starting", encoding="ascii") as starting:
                os.kill(int(starting.read()), 0)
        except (OSError, ValueError):
            return os.path.exists(path)  # made meanwhile, or no fork server starting
        time.sleep(0.05)
    return True


def _own(early: list[int]) -> None:
    """No child to pass signals to: take them back, and end as the first one kept says."""
    for signum in _FORWARDED:
        signal.signal(signum, signal.SIG_DFL)
    if early:
        os.kill(os.getpid(), early[0])


def _same_network() -> bool:
    """Whether this process is in the fork server's network namespace. When it is not
    (``ip netns exec``), the request carries this one's, for the child to enter."""
    theirs = os.environ.get("KEFU_TEST_FORKSERVER_NETNS")
    try:
        return theirs is None or os.readlink("/proc/self/ns/net") == theirs
    except OSError:
        return True


def main() -> None:
    path = os.environ.get("KEFU_TEST_FORKSERVER", "")
    if sys.argv[1:2] != ["-c"] or path in ("", "0") or not _wait_for(path):
        _fresh_interpreter()
    # Signals are taken from before the request: on a loaded machine the child can run
    # (and the caller send Ctrl-C) before the fork server's reply names it. One that
    # comes before the child's id is kept, then passed on.
    child: list[int] = []
    early: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if not child:
            early.append(signum)
            return
        with contextlib.suppress(ProcessLookupError):  # it has just ended
            os.kill(child[0], signum)

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    try:
        conn, pid = _ask(path)
    except OSError:
        _own(early)
        _fresh_interpreter()
    if pid < 0:  # another interpreter set-up (PYTHON* variables) than the fork server's
        conn.close()
        _own(early)
        _fresh_interpreter()
    child.append(pid)
    for signum in early:
        forward(signum, None)
    status = b""
    while len(status) < _STATUS.size:
        more = conn.recv(_STATUS.size - len(status))
        if not more:  # the fork server is gone (and with it the child)
            os._exit(1)
        status += more
    kind, value = _STATUS.unpack(status)
    if kind == 1:  # killed by a signal: so is this process, for the caller to see
        signal.signal(value, signal.SIG_DFL)
        os.kill(os.getpid(), value)
    os._exit(value)


if __name__ == "__main__":
    main()
