"""Start real servers (redis-server, gunicorn, a Celery worker) on free ports and stop them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    """Block until something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    """Block until ``url`` answers with any HTTP status (a loaded machine may take a while
    to import and start a server; one that never answers still fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer after {timeout}s")


def service_environment(**overrides: str) -> dict[str, str]:
    """The environment for a child process of the project: its code on the path."""
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONUNBUFFERED": "1",
        # Load from one address would trip the per-address limits; tests of limits enable them.
        "RATE_LIMITS_ENABLED": "false",
    }
    env.update(overrides)
    return env


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an env file, as compose reads them (comments, blank lines and
    lines without a value skipped)."""
    settings = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            name, _, value = stripped.partition("=")
            settings[name.strip()] = value.strip()
    return settings


class ManagedProcess:
    """A child process with its log file, stopped gently then firmly."""

    def __init__(self, args: Sequence[str], log_path: Path, env: dict[str, str]) -> None:
        self.args = list(args)
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        """Start the process (again)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the whole process group and reap it."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ten seconds."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        """What the process printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def redis_server_binary() -> str:
    """Path of redis-server; the Makefile installs it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; run `make test`, which installs it")
    return binary


class RedisServer(ManagedProcess):
    """A private redis-server on a free port, keeping nothing on disk."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--maxmemory-policy",
            "noeviction",
        ]
        super().__init__(args, workdir / f"redis-{self.port}.log", dict(os.environ))

    @property
    def url(self) -> str:
        """redis:// address of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start and wait until it accepts connections."""
        super().start()
        wait_for_port(self.port)
        return self


class HangingUpServer:
    """A TCP server that accepts every connection and closes it at once, counting them: a
    Redis that is there but answers nothing."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """redis:// address of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> HangingUpServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:  # closed
                return
            self.connections += 1
            connection.close()


class SilentBroker:
    """A server on a free port that accepts connections, reads what they send, and never
    answers: a broker that hangs, where a stopped one would refuse at once."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}/0"
        self._guard = threading.Lock()
        self._connections: list[socket.socket] = []
        # The connections that sent a request and, unanswered, are still open.
        self._waiting: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def holds_a_request(self) -> bool:
        """Whether a client waits on an open connection for the answer to what it sent."""
        with self._guard:
            return bool(self._waiting)

    def close(self) -> None:
        """Stop listening and close every connection: a waiting client then gets an error."""
        self._listener.close()
        with self._guard:
            for connection in self._connections:
                # Shut down first: a close alone neither wakes the reader nor tells the client.
                with contextlib.suppress(OSError):  # the client has gone already
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return  # closed
            with self._guard:
                self._connections.append(connection)
            threading.Thread(target=self._listen, args=(connection,), daemon=True).start()

    def _listen(self, connection: socket.socket) -> None:
        try:
            while connection.recv(4096):
                with self._guard:
                    self._waiting.add(connection)
        except OSError:
            pass  # closed by close()
        with self._guard:
            self._waiting.discard(connection)


def gunicorn_command(app: str, port: int, workers: int = 2) -> list[str]:
    """Run a service's app factory under gunicorn on ``port``."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        f"{app}:create_app()",
    ]


@contextmanager
def running(process: ManagedProcess) -> Iterator[ManagedProcess]:
    """Start ``process`` for the duration of the block."""
    process.start()
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def serving(app: str, env: dict[str, str], log_path: Path, *, workers: int = 2) -> Iterator[str]:
    """Serve ``app`` (a module with ``create_app``) under gunicorn; yield its base URL."""
    port = free_port()
    server = ManagedProcess(
        gunicorn_command(app, port, workers), log_path, service_environment(**env)
    )
    with running(server):
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/livez")
        yield base_url


def postgres_binary(name: str) -> str:
    """Path of a PostgreSQL server program (initdb, postgres); the Makefile installs them."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}")) or [
        Path(p) for p in [shutil.which(name)] if p
    ]
    if not found:
        raise RuntimeError(f"{name} is not installed; run `make test`, which installs it")
    return str(found[-1])


def _as_postgres_user(args: list[str]) -> list[str]:
    # The server refuses to run as root; root runs it as the distribution's postgres user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresServer(ManagedProcess):
    """A private PostgreSQL cluster on a free port, for tests that stop or restart it.

    Its folder is a fresh one under the system's temporary directory, which the postgres
    user can reach; ``destroy()`` stops the server and removes it.
    """

    def __init__(self) -> None:
        self.port = free_port()
        workdir = Path(tempfile.mkdtemp(prefix="atelier-postgres-"))
        self.workdir = workdir
        self.data = workdir / "pgdata"
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres")
        subprocess.run(
            _as_postgres_user(
                [
                    postgres_binary("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        args = _as_postgres_user(
            [
                postgres_binary("postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(workdir),
                "-c",
                "fsync=off",
            ]
        )
        super().__init__(args, workdir / "postgres.log", dict(os.environ))

    @property
    def url(self) -> str:
        """SQLAlchemy URL of its postgres database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout: float = 60.0) -> PostgresServer:
        """Start and wait until it accepts sessions: its port opens while it is still
        recovering, when it refuses them ("the database system is starting up")."""
        super().start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(host="127.0.0.1", port=self.port, user="postgres").close()
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended (SIGTERM would wait for every client)."""
        if self.process and self.process.poll() is None:
            pg_ctl = [postgres_binary("pg_ctl"), "-D", str(self.data), "stop", "-m", "fast", "-w"]
            subprocess.run(_as_postgres_user(pg_ctl), capture_output=True, timeout=60)
        super().stop()

    def destroy(self) -> None:
        """Stop the server and remove its files."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def listening_processes(port: int) -> set[int]:
    """The processes holding a TCP socket listening on ``port`` (a gunicorn master and its
    workers share theirs), read from /proc: this user's processes only."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                # local address as HEX_IP:HEX_PORT; state 0A is LISTEN
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(f"socket:[{fields[9]}]")
    holders = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                    holders.add(int(entry.name))
    return holders
