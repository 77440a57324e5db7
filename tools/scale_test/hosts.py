"""Processes on the hosts: each started inside its host's namespace with ``ip netns exec``.

A host's processes share its network namespace and, through a wrapper run before each
program, see the machine as that host would: its own host name, private ``/tmp`` and
``/dev/shm``, the other hosts' folders hidden, ``/etc/hosts`` naming every host (the one
thing every host is given), and the code read-only: a copy taken when the run begins (the
working tree may change meanwhile) and the project's tree, for its virtual environment.
Nothing can pass from one host to another through a file; only the host's own folder is
writable.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import requests

from tools import polling
from tools.scale_test.network import kill_namespace, namespace_of

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What the hosts run: the project's code as it was when the run began (the working tree may
# change meanwhile), beside the hosts' folders. The virtual environment stays the project's.
CODE = ("services", "shared", "tools", "gunicorn.conf.py", ".env.example")
T = TypeVar("T")


def snapshot_code(destination: Path) -> Path:
    """Copy the code every host runs to ``destination``; return it."""
    destination.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in CODE:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


class HostError(RuntimeError):
    """A process would not start or did not become ready."""


@dataclass
class Process:
    """One program running on a host, its output in a log file of that host."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_offset: int = 0  # where this run's output starts in the log
    ended_on_purpose: bool = False  # stopped or killed by the scenario
    reported: bool = False  # its unexpected end was reported already

    def alive(self) -> bool:
        """Whether it still runs."""
        return self.popen.poll() is None

    def log(self, tail: int = 4000) -> str:
        """The end of what it printed."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


class Host:
    """One machine of the network: a namespace, an address and a folder of its own."""

    def __init__(
        self,
        name: str,
        address: str,
        root: Path,
        every_host: Sequence[str],
        hosts_file: Path,
        code: Path,
    ) -> None:
        self.name = name
        self.code = code
        self.address = address
        self.namespace = namespace_of(name)
        self.directory = root / name
        self.logs = self.directory / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.hidden = [root / other for other in every_host if other != name]
        self.hosts_file = hosts_file
        self.processes: dict[str, Process] = {}

    def command(self, argv: Sequence[str], *, user: str | None = None) -> list[str]:
        """``argv`` as run on this host (as ``user`` when given)."""
        quoted = shlex.quote
        read_only = [quoted(str(path)) for path in (PROJECT_ROOT, self.code)]
        lines = [
            "set -e",
            f"hostname {quoted(self.name)}",
            "mount -t tmpfs -o mode=1777,size=512m tmpfs /tmp",
            "mount -t tmpfs -o mode=1777,size=512m tmpfs /dev/shm",
            *(f"mount -t tmpfs -o ro,mode=0,size=4k tmpfs {quoted(str(d))}" for d in self.hidden),
            f"mount --bind {quoted(str(self.hosts_file))} /etc/hosts",
            *(f"mount --bind {path} {path}" for path in read_only),
            *(f"mount -o remount,bind,ro {path}" for path in read_only),
            'exec "$@"',
        ]
        program = ["runuser", "-u", user, "--", *argv] if user else list(argv)
        return [
            "ip",
            "netns",
            "exec",
            self.namespace,
            "unshare",
            "--uts",
            "--",
            "sh",
            "-c",
            "\n".join(lines),
            self.name,
            *program,
        ]

    def start(
        self, name: str, argv: Sequence[str], env: dict[str, str], *, user: str | None = None
    ) -> Process:
        """Start ``argv`` in the background as the host's process ``name``."""
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} start {' '.join(argv)}\n".encode())
            log.flush()
            offset = log.tell()
            popen = subprocess.Popen(
                self.command(argv, user=user),
                cwd=self.code,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log_path, offset)
        self.processes[name] = process
        return process

    def popen(
        self, argv: Sequence[str], env: dict[str, str], **options: object
    ) -> subprocess.Popen:
        """Start ``argv`` on this host with Popen ``options`` (pipes), outside the host's
        named processes: the caller waits for it."""
        return subprocess.Popen(  # type: ignore[call-overload]
            self.command(argv), cwd=self.code, env=env, start_new_session=True, **options
        )

    def run(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        *,
        user: str | None = None,
        input_text: str | None = None,
        timeout: float = 300,
    ) -> str:
        """Run ``argv`` to its end on this host; return its output, raise when it fails."""
        done = subprocess.run(
            self.command(argv, user=user),
            cwd=self.code,
            env=env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        with (self.logs / "commands.log").open("a") as log:
            log.write(f"--- {' '.join(argv)} (exit {done.returncode})\n")
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise HostError(
                f"{self.name}: {' '.join(argv)} exited with {done.returncode}:\n"
                f"{(done.stdout + done.stderr)[-3000:]}"
            )
        return done.stdout

    def stop(self, name: str, timeout: float = 20.0) -> None:
        """Stop the process ``name`` gently (SIGTERM to its group), firmly after ``timeout``."""
        process = self.processes.get(name)
        if process is None or not process.alive():
            return
        process.ended_on_purpose = True
        _signal_group(process.popen.pid, signal.SIGTERM)
        try:
            process.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.popen.pid, signal.SIGKILL)
            process.popen.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL every process of the host at once, as a machine that loses its power."""
        for process in self.processes.values():
            process.ended_on_purpose = True
        survivors = kill_namespace(self.namespace)
        for process in self.processes.values():
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process.popen.pid, signal.SIGKILL)
        if survivors:
            raise HostError(f"{self.name}: processes {survivors} survive SIGKILL")

    def unexpected_exits(self) -> list[str]:
        """The host's processes that ended though nobody here stopped them, with the end
        of their log (a signal from outside the scale test, a crash)."""
        ended = [
            process
            for process in self.processes.values()
            if not process.ended_on_purpose and not process.reported and not process.alive()
        ]
        for process in ended:
            process.reported = True
        return [
            f"{self.name}/{process.name} exited with {process.popen.returncode} at "
            f"{time.strftime('%H:%M:%S')} or before; its log ends with:\n"
            + _indent(process.log(1200))
            for process in ended
        ]


def _indent(text: str) -> str:
    return "\n".join(f"      | {line}" for line in text.strip().splitlines()[-12:])


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def eventually(
    probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.1
) -> T:
    """Poll ``probe`` until it returns something truthy; raise HostError after ``timeout``."""
    try:
        return polling.eventually(probe, what, timeout=timeout, every=interval)
    except TimeoutError as error:
        raise HostError(str(error)) from error


def accepts(address: str, port: int) -> bool:
    """Whether something accepts TCP connections at address:port (from the operator)."""
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def operator_session() -> requests.Session:
    """An HTTP client for the operator that ignores any proxy settings of the machine."""
    session = requests.Session()
    session.trust_env = False
    return session


def answers_http(session: requests.Session, url: str) -> bool:
    """Whether ``url`` answers 200."""
    try:
        return session.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_ready(process: Process, probe: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Wait until ``probe()`` holds; fail early, with the process's log, if it exits."""

    def ready() -> bool:
        if not process.alive():
            raise HostError(f"{what}: exited with {process.popen.returncode}\n{process.log()}")
        return probe()

    try:
        eventually(ready, timeout=timeout, what=what)
    except HostError as error:
        if process.alive():
            raise HostError(f"{error}\n{process.log()}") from error
        raise
