"""The hosts' network: one namespace per host, each joined to a bridge by a veth pair.

Every host has one address on 10.77.0.0/16 and no default route, so nothing leaves the
bridge. The ``clients`` host also owns the whole of 10.78.0.0/16 (a local route on its
loopback), so that a connection may come from any of 65,534 addresses; ``edge``, the only
host that answers the participants, routes that network back through ``clients``. The root
namespace is the operator, at 10.77.0.1 on the bridge.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

PREFIX = "atelier-scale-"
BRIDGE = "atlscale0"
VETH_PREFIX = "atls-"
SUBNET = ipaddress.ip_network("10.77.0.0/16")
OPERATOR = "10.77.0.1"
CLIENT_NETWORK = ipaddress.ip_network("10.78.0.0/16")

# host name -> address on the bridge
ADDRESSES = {
    "edge": "10.77.0.5",
    "db": "10.77.0.10",
    "broker": "10.77.0.11",
    "mail": "10.77.0.12",
    "web1": "10.77.0.21",
    "web2": "10.77.0.22",
    "work1": "10.77.0.31",
    "work2": "10.77.0.32",
    "beat": "10.77.0.40",
    "clients": "10.77.0.100",
}


class NetworkError(RuntimeError):
    """An ip(8) command failed."""


def ip(*args: str, check: bool = True, input_text: str | None = None) -> str:
    """Run ``ip args…``; return its output, raise NetworkError when it fails and ``check``."""
    done = subprocess.run(
        ["ip", *args], capture_output=True, text=True, input=input_text, check=False
    )
    if check and done.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def namespace_of(host: str) -> str:
    """The network namespace of ``host``."""
    return f"{PREFIX}{host}"


def client_address(n: int) -> str:
    """The ``n``-th participant address (n ≥ 0) of the client network: 10.78.0.1, 10.78.0.2…"""
    address = CLIENT_NETWORK.network_address + 1 + n
    if address not in CLIENT_NETWORK or address == CLIENT_NETWORK.broadcast_address:
        raise ValueError(f"no client address number {n}")
    return str(address)


def why_unavailable() -> str | None:
    """Why namespaces cannot be made here, or None when they can (tried for real)."""
    if os.geteuid() != 0:
        return "network namespaces need root (run as root, or with sudo)"
    if shutil.which("ip") is None:
        return "ip(8) is missing (tools/system-deps.sh scale installs iproute2)"
    probe = f"{PREFIX}probe-{os.getpid()}"
    try:
        ip("netns", "add", probe)
    except NetworkError as error:
        return f"cannot create a network namespace: {error}"
    try:
        ip("-n", probe, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1")
    except NetworkError as error:
        return f"cannot create a veth pair: {error}"
    finally:
        ip("netns", "del", probe, check=False)
    return None


def routes_in_use() -> str | None:
    """A route of the machine that overlaps our networks, if any (we would hide it)."""
    for line in ip("-4", "route", "show", "table", "all").splitlines():
        words = line.split()
        if not words or words[0] in {"local", "broadcast", "unreachable", "prohibit"}:
            continue
        if words[0] == "default" or BRIDGE in words:
            continue
        try:
            network = ipaddress.ip_network(words[0], strict=False)
        except ValueError:
            continue
        if network.overlaps(SUBNET) or network.overlaps(CLIENT_NETWORK):
            return line
    return None


@dataclass
class Network:
    """The bridge and the namespaces of every host; ``create`` then ``destroy``."""

    hosts: dict[str, str]

    def create(self) -> None:
        """The bridge with the operator's address, then each host joined to it."""
        ip("link", "add", BRIDGE, "type", "bridge")
        ip("addr", "add", f"{OPERATOR}/{SUBNET.prefixlen}", "dev", BRIDGE)
        ip("link", "set", BRIDGE, "up")
        for host, address in self.hosts.items():
            self._join(host, address)
        # The participants' addresses: all of 10.78.0.0/16 is local to the clients host…
        clients = namespace_of("clients")
        ip("-n", clients, "route", "add", "local", str(CLIENT_NETWORK), "dev", "lo")
        # …and the proxy, the one host that answers them, routes it back there.
        ip(
            "-n",
            namespace_of("edge"),
            "route",
            "add",
            str(CLIENT_NETWORK),
            "via",
            self.hosts["clients"],
        )

    def _join(self, host: str, address: str) -> None:
        namespace = namespace_of(host)
        outside = f"{VETH_PREFIX}{host}"[:15]
        ip("netns", "add", namespace)
        ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        ip("link", "set", outside, "master", BRIDGE)
        ip("link", "set", outside, "up")
        ip("-n", namespace, "addr", "add", f"{address}/{SUBNET.prefixlen}", "dev", "eth0")
        ip("-n", namespace, "link", "set", "eth0", "up")
        ip("-n", namespace, "link", "set", "lo", "up")


def pids_in(namespace: str) -> list[int]:
    """The processes living in ``namespace``."""
    output = ip("netns", "pids", namespace, check=False)
    return [int(word) for word in output.split() if word.isdigit()]


def kill_namespace(namespace: str, timeout: float = 10.0) -> list[int]:
    """SIGKILL every process of ``namespace`` until none is left; return the survivors."""
    deadline = time.monotonic() + timeout
    while True:
        pids = pids_in(namespace)
        if not pids or time.monotonic() > deadline:
            return pids
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def our_namespaces() -> list[str]:
    """Namespaces of this program that exist now (of this run or an earlier, crashed one)."""
    names = (line.split()[0] for line in ip("netns", "list", check=False).splitlines() if line)
    return [name for name in names if name.startswith(PREFIX)]


def bridge_exists() -> bool:
    """Whether the bridge exists."""
    return bool(ip("link", "show", BRIDGE, check=False).strip())


def remove_namespaces(namespaces: list[str]) -> list[str]:
    """Kill the processes of ``namespaces``, delete them and the bridge; return what is left."""
    problems = []
    for namespace in namespaces:
        survivors = kill_namespace(namespace)
        if survivors:
            problems.append(f"{namespace}: processes {survivors} survive SIGKILL")
    for namespace in namespaces:
        try:
            ip("netns", "del", namespace)
        except NetworkError as error:
            if namespace in our_namespaces():
                problems.append(str(error))
    if bridge_exists():
        try:
            ip("link", "del", BRIDGE)
        except NetworkError as error:
            problems.append(str(error))
    return problems


def leftovers() -> Iterator[str]:
    """What an earlier run left behind: its namespaces and bridge."""
    yield from our_namespaces()
    if bridge_exists():
        yield BRIDGE
