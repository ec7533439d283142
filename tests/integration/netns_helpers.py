"""Hosts for cluster tests: each node in a network namespace the test creates, joined to
the root namespace by a veth pair, and nothing else (no default route).

PostgreSQL and NATS listen on loopback in the root namespace here, and PostgreSQL takes
connections from loopback only, so a namespace reaches them through a relay the test runs
in the root namespace, bound to the root end of that namespace's veth
(:class:`ServerRelay`). The relay treats its end towards the namespace as the server
treats a client: it probes the peer with the TCP keepalives and user timeout a leader's
lock connection asks of the server
(:data:`~kefu.adapters.cluster.lease.SERVER_GIVES_UP_S`) and, when the kernel declares the
peer gone, closes its connection to the server, which then ends the session. So a node
whose veth is down (``ip link set ... down``: the partition) loses its sessions as it
would against a server on the network, and a node killed with ``kill -9`` closes them at
once.

:func:`namespaces` creates the namespaces and always deletes them (and any process still
in them) afterwards; it skips the test when this process may not create one. Namespaces
left behind by a test process that was killed are deleted by the next run (their names
carry the creating process's id)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ipaddress
import os
import random
import re
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from kefu.adapters.cluster.lease import SERVER_GIVES_UP_S

__all__ = ["Namespace", "ServerRelay", "namespaces"]

T = TypeVar("T")

PREFIX = "kefu-t"
SUBNETS = ipaddress.IPv4Network("10.213.0.0/16")
"""Where the veth pairs' /30 networks are taken from (one free one per namespace)."""
CLONE_NEWNET = 0x40000000
COMMAND_TIMEOUT_S = 10.0
KEEPALIVE = {"idle": 2, "interval": 1, "count": 3}
"""The relay's keepalive probes to the namespace side: the lease's settings of the
server (seconds), with the user timeout of :data:`SERVER_GIVES_UP_S`."""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)


def netns_permitted() -> str | None:
    """``None`` when this process may create network namespaces; otherwise why not."""
    probe = f"{PREFIX}-probe-{os.getpid()}"
    try:
        _ip("netns", "add", probe)
    except FileNotFoundError:
        return "the ip command (iproute2) is not installed"
    except subprocess.CalledProcessError as exc:
        return f"ip netns add is not permitted here: {exc.stderr.decode().strip()}"
    with contextlib.suppress(subprocess.CalledProcessError):
        _ip("netns", "del", probe)
    return None


def _used_addresses() -> set[ipaddress.IPv4Address]:
    out = subprocess.run(
        ["ip", "-o", "-4", "addr", "show"], check=True, capture_output=True, text=True
    ).stdout
    return {ipaddress.IPv4Address(m) for m in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", out)}


def _sweep_orphans() -> None:
    """Delete the namespaces of test processes that are gone (killed before cleaning)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        match = re.match(rf"({PREFIX}-(\d+)-\S+)", line)
        if match is None:
            continue
        name, pid = match.group(1), int(match.group(2))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            _kill_inside(name)
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("netns", "del", name)


def _kill_inside(name: str) -> None:
    out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
    for pid in out.split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


@dataclass
class Namespace:
    """A network namespace ``name`` joined to the root one by the veth pair ``root_link``
    (address :attr:`gateway`) and ``link`` inside (address :attr:`address`)."""

    name: str
    root_link: str
    link: str
    gateway: str
    address: str
    _probe: ThreadPoolExecutor | None = field(default=None, repr=False)

    def create(self) -> None:
        _ip("netns", "add", self.name)
        _ip("link", "add", self.root_link, "type", "veth", "peer", "name", self.link)
        _ip("link", "set", self.link, "netns", self.name)
        _ip("addr", "add", f"{self.gateway}/30", "dev", self.root_link)
        _ip("link", "set", self.root_link, "up")
        _ip("-n", self.name, "addr", "add", f"{self.address}/30", "dev", self.link)
        _ip("-n", self.name, "link", "set", self.link, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside the namespace (``ip netns exec`` replaces itself with it,
        so the child's pid is the command's)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def cut(self) -> None:
        """The partition: the root end of the veth goes down; nothing passes either way."""
        _ip("link", "set", self.root_link, "down")

    def heal(self) -> None:
        _ip("link", "set", self.root_link, "up")

    def inside(self, call: Callable[[], T], timeout_s: float = 10.0) -> T:
        """Run ``call`` on a thread that entered this namespace (a look at a node from its
        own host, which works while its veth is down)."""
        if self._probe is None:
            self._probe = ThreadPoolExecutor(1, initializer=_enter, initargs=(self.name,))
        return self._probe.submit(call).result(timeout_s)

    def delete(self) -> None:
        if self._probe is not None:
            self._probe.shutdown(wait=False, cancel_futures=True)
        _kill_inside(self.name)
        for args in (("link", "del", self.root_link), ("netns", "del", self.name)):
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip(*args)


def _enter(name: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns into {name}: {os.strerror(errno)}")
    finally:
        os.close(fd)


@contextlib.contextmanager
def namespaces(count: int) -> Iterator[list[Namespace]]:
    """``count`` fresh namespaces, each with its own /30 veth network; deleted on exit
    (whatever happened). Skips the test when namespaces may not be created here."""
    reason = netns_permitted()
    if reason is not None:
        pytest.skip(reason)
    _sweep_orphans()
    tag = f"{os.getpid()}-{random.randrange(16**4):04x}"
    used = _used_addresses()
    created: list[Namespace] = []
    try:
        for index in range(count):
            while True:
                net = random.choice(list(SUBNETS.subnets(new_prefix=30)))
                hosts = set(net.hosts())
                if not hosts & used:
                    break
            used |= hosts
            gateway, address = (str(h) for h in sorted(hosts))
            short = tag.replace("-", "")[-9:]
            ns = Namespace(
                f"{PREFIX}-{tag}-{index}",
                f"kr{short}{index}",
                f"kn{short}{index}",
                gateway,
                address,
            )
            created.append(ns)
            ns.create()
        yield created
    finally:
        for ns in created:
            ns.delete()


class ServerRelay:
    """Relays TCP from ``(listen_host, port)`` to ``(upstream_host, port)`` for each of
    ``ports``, on a thread of its own; the namespace side of each connection is watched
    with keepalives (see the module doc), and when either side ends, both do."""

    def __init__(
        self, listen_host: str, ports: list[int], upstream_host: str = "127.0.0.1"
    ) -> None:
        self.listen_host = listen_host
        self.ports = ports
        self.upstream_host = upstream_host
        self._servers: list[asyncio.AbstractServer] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10.0)

    async def _serve(self) -> None:
        for port in self.ports:

            async def accept(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int = port
            ) -> None:
                await self._relay(reader, writer, port)

            server = await asyncio.start_server(accept, self.listen_host, port)
            self._servers.append(server)

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int
    ) -> None:
        _watch(writer.get_extra_info("socket"))
        try:
            up_reader, up_writer = await asyncio.open_connection(self.upstream_host, port)
        except OSError:
            writer.transport.abort()
            return
        await asyncio.gather(
            _pump(reader, up_writer), _pump(up_reader, writer), return_exceptions=True
        )
        writer.transport.abort()
        up_writer.transport.abort()

    def close(self) -> None:
        async def shut() -> None:
            for server in self._servers:
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        self._loop.close()


def _watch(sock: Any) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, KEEPALIVE["idle"])
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, KEEPALIVE["interval"])
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, KEEPALIVE["count"])
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(SERVER_GIVES_UP_S * 1000))


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream or an error (the peer declared dead), then end both."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()
