"""What runs on which host, and how each is started, stopped and watched by the operator.

Every Atelier process gets the same environment, built like a production ``.env``: the
values of ``.env.example`` with this network's addresses and fresh secrets, and the few
changes of ``SCALE_TEST_SETTINGS`` (each explained there). No Atelier process reads a file
another host wrote: the database is PostgreSQL on ``db``, the broker Redis on ``broker``,
mail goes to ``mail`` over SMTP, and each host's state (beat's schedule, gunicorn's metrics
folder, ``ATELIER_RUN_DIR``) lives in its own folder.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from shared.database import create_db_engine
from tests.support.servers import read_env_file
from tools.scale_test.hosts import (
    Host,
    HostError,
    Process,
    accepts,
    answers_http,
    eventually,
    operator_session,
    snapshot_code,
    wait_ready,
)
from tools.scale_test.network import ADDRESSES, CLIENT_NETWORK, OPERATOR, SUBNET
from tools.scale_test.sink import CONTROL_PORT, SMTP_PORT

SERVICES = {"registration": 5001, "notifications": 5002, "calendar": 5003}
WEB_HOSTS = ("web1", "web2")
WORKER_HOSTS = ("work1", "work2")
POSTGRES_PORT = 5432
REDIS_PORT = 6379
STATS_PORT = 8404
ORGANISER = "operator@atelier.example.org"
SENDER = "Atelier <no-reply@atelier.example.org>"

# What differs from .env.example, besides addresses and secrets.
SCALE_TEST_SETTINGS = {
    # Two gunicorn workers per service: six web services share this machine's cores.
    "WEB_CONCURRENCY": "2",
    # A worker killed mid-send leaves its claimed emails "sending" until the sweep takes them
    # back after NOTIFICATIONS_STALE_SENDING_S: 300 s in .env.example would make the run last
    # ten minutes. Kept above NOTIFICATIONS_SEND_TIME_LIMIT_S, as .env.example requires.
    "NOTIFICATIONS_SEND_TIME_LIMIT_S": "20",
    "NOTIFICATIONS_STALE_SENDING_S": "30",
}


def postgres_program(name: str) -> str:
    """A PostgreSQL server program (tools/system-deps.sh postgres installs them)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    program = shutil.which(name)
    if program is None:
        raise HostError(f"{name} is missing: run tools/system-deps.sh postgres")
    return program


def program(name: str, hint: str) -> str:
    """The path of a system program, or a clear error naming how to install it."""
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None
    )
    if found is None:
        raise HostError(f"{name} is missing: run {hint}")
    return found


def missing_programs() -> list[str]:
    """System programs the stack needs and this machine lacks, with how to get them."""
    missing = []
    for name, hint in (
        ("haproxy", "tools/system-deps.sh scale"),
        ("redis-server", "tools/system-deps.sh scale"),
        ("runuser", "apt-get install util-linux"),
        ("unshare", "apt-get install util-linux"),
    ):
        try:
            program(name, hint)
        except HostError as error:
            missing.append(str(error))
    for name in ("initdb", "postgres", "psql", "pg_isready"):
        try:
            postgres_program(name)
        except HostError as error:
            missing.append(str(error))
    return missing


class Stack:
    """Every host of the network and what runs on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.secret_key = secrets.token_urlsafe(48)
        self.db_password = secrets.token_hex(24)
        self.redis_password = secrets.token_hex(24)
        self.organiser_token = ""
        self.code = snapshot_code(root / "code")
        hosts_file = root / "etc" / "hosts"
        hosts_file.parent.mkdir(parents=True, exist_ok=True)
        hosts_file.write_text(
            "127.0.0.1\tlocalhost\n"
            + "".join(f"{address}\t{name}\n" for name, address in ADDRESSES.items())
        )
        self.hosts = {
            name: Host(name, address, root, list(ADDRESSES), hosts_file, self.code)
            for name, address in ADDRESSES.items()
        }
        self.http = operator_session()
        self._engine: Engine | None = None

    # --- settings ---------------------------------------------------------------------------

    def atelier_environment(self, host: Host) -> dict[str, str]:
        """The environment of an Atelier process on ``host``: the production .env."""
        example = read_env_file(self.code / ".env.example")
        env = {key: value for key, value in example.items() if value}
        env.update(
            SECRET_KEY=self.secret_key,
            DATABASE_URL=(
                f"postgresql+psycopg://atelier:{self.db_password}@db:{POSTGRES_PORT}/atelier"
            ),
            REDIS_URL=f"redis://:{self.redis_password}@broker:{REDIS_PORT}/0",
            MAIL_SERVER="mail",
            MAIL_PORT=str(SMTP_PORT),
            MAIL_USE_TLS="false",
            MAIL_USE_SSL="false",
            MAIL_DEFAULT_SENDER=SENDER,
            REGISTRATION_BASE_URL=f"http://edge:{SERVICES['registration']}",
            CALENDAR_BASE_URL=f"http://edge:{SERVICES['calendar']}",
            # The web ports are reachable from the whole network: believe the proxy only.
            FORWARDED_ALLOW_IPS=ADDRESSES["edge"],
            ATELIER_RUN_DIR=str(host.directory / "run"),
            **SCALE_TEST_SETTINGS,
        )
        return {**self.process_environment(host), **env}

    def process_environment(self, host: Host) -> dict[str, str]:
        """What any process on ``host`` starts with: nothing of the operator's environment."""
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/sbin:/usr/local/bin:"
            "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(host.directory),
            "XDG_CACHE_HOME": str(host.directory / "cache"),
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(self.code),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def setting(self, name: str) -> str:
        """One value of the Atelier environment (the same on every host)."""
        return self.atelier_environment(self.hosts["web1"])[name]

    @property
    def engine(self) -> Engine:
        """The operator's connection to the database, over the network."""
        if self._engine is None:
            url = (
                f"postgresql+psycopg://atelier:{self.db_password}@{ADDRESSES['db']}:"
                f"{POSTGRES_PORT}/atelier"
            )
            self._engine = create_db_engine(url)
        return self._engine

    def dispose(self) -> None:
        """Close the operator's database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # --- db: PostgreSQL ---------------------------------------------------------------------

    def start_database(self) -> None:
        """A fresh cluster on ``db``, listening on its address, with the atelier database."""
        db = self.hosts["db"]
        data, sockets = db.directory / "pgdata", db.directory / "sockets"
        sockets.mkdir(exist_ok=True)
        for path in (db.directory, sockets):
            shutil.chown(path, "postgres", "postgres")
        env = self.process_environment(db)
        db.run(
            [
                postgres_program("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
            ],
            env,
            user="postgres",
        )
        hba = data / "pg_hba.conf"
        hba.write_text(f"local all all trust\nhost all all {SUBNET} scram-sha-256\n")
        shutil.chown(hba, "postgres", "postgres")
        process = db.start(
            "postgres",
            [
                postgres_program("postgres"),
                "-D",
                str(data),
                "-p",
                str(POSTGRES_PORT),
                "-k",
                str(sockets),
                "-c",
                f"listen_addresses={db.address}",
                "-c",
                "max_connections=300",
            ],
            env,
            user="postgres",
        )
        ready = [postgres_program("pg_isready"), "-h", str(sockets), "-p", str(POSTGRES_PORT)]

        def answers() -> bool:
            try:
                db.run(ready, env, user="postgres", timeout=10)
                return True
            except HostError:
                return False

        wait_ready(process, answers, timeout=60, what="PostgreSQL on db")
        psql = [postgres_program("psql"), "-h", str(sockets), "-p", str(POSTGRES_PORT)]
        db.run(
            [
                *psql,
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                f"CREATE ROLE atelier LOGIN PASSWORD '{self.db_password}'",
                "-c",
                "CREATE DATABASE atelier OWNER atelier",
            ],
            env,
            user="postgres",
        )

    # --- broker: Redis ----------------------------------------------------------------------

    def start_redis(self) -> Process:
        """Redis on ``broker``, as docker-compose.yml runs it (append-only, no eviction),
        with a password since other machines reach it (docs/production.md)."""
        broker = self.hosts["broker"]
        data = broker.directory / "data"
        data.mkdir(exist_ok=True)
        process = broker.start(
            "redis",
            [
                program("redis-server", "tools/system-deps.sh scale"),
                "--bind",
                broker.address,
                "--port",
                str(REDIS_PORT),
                "--dir",
                str(data),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--maxmemory",
                "256mb",
                "--maxmemory-policy",
                "noeviction",
                "--requirepass",
                self.redis_password,
                "--save",
                "",
            ],
            self.process_environment(broker),
        )
        wait_ready(
            process,
            lambda: accepts(broker.address, REDIS_PORT),
            timeout=30,
            what="Redis on broker",
        )
        return process

    def stop_redis(self) -> None:
        """Stop Redis as a restart does (SIGTERM: it writes its append-only file and exits)."""
        self.hosts["broker"].stop("redis")

    # --- mail: the SMTP sink ----------------------------------------------------------------

    @property
    def records_path(self) -> Path:
        """Where the sink writes its records (the mail host's own folder)."""
        return self.hosts["mail"].directory / "records.jsonl"

    def start_mail(self) -> None:
        """The SMTP sink on ``mail``."""
        mail = self.hosts["mail"]
        process = mail.start(
            "sink",
            [
                sys.executable,
                "-m",
                "tools.scale_test.sink",
                "--host",
                mail.address,
                "--records",
                str(self.records_path),
            ],
            self.process_environment(mail),
        )
        wait_ready(
            process,
            lambda: answers_http(self.http, f"http://{mail.address}:{CONTROL_PORT}/state"),
            timeout=30,
            what="SMTP sink on mail",
        )

    def mail_control(self, action: str, peer: str | None = None) -> dict[str, Any]:
        """Ask the sink for its state (``state``) or to hold or release a sending host."""
        url = f"http://{ADDRESSES['mail']}:{CONTROL_PORT}/{action}"
        params = {"peer": peer} if peer else None
        if action == "state":
            response = self.http.get(url, timeout=5)
        else:
            response = self.http.post(url, params=params, timeout=5)
        response.raise_for_status()
        return response.json()

    def mail_records(self) -> list[dict[str, Any]]:
        """Every message the sink recorded (accepted or abandoned)."""
        if not self.records_path.exists():
            return []
        with self.records_path.open(encoding="utf-8") as records:
            return [json.loads(line) for line in records if line.strip()]

    # --- web hosts --------------------------------------------------------------------------

    def prepare_database(self) -> None:
        """From web1, as an administrator would: migrations, the demo data, an organiser."""
        web1 = self.hosts["web1"]
        env = self.atelier_environment(web1)
        python = sys.executable
        web1.run([python, "-m", "shared.migrate"], env)
        web1.run([python, "-m", "flask", "--app", "services.registration", "load-demo"], env)
        output = web1.run(
            [
                python,
                "-m",
                "flask",
                "--app",
                "services.registration",
                "create-organiser",
                ORGANISER,
                "--admin",
                "--name",
                "Scale test operator",
            ],
            env,
            input_text=secrets.token_urlsafe(24) + "\n",
        )
        self.organiser_token = output.strip().splitlines()[-1].strip()

    def start_web(self, name: str) -> list[Process]:
        """The three web services under gunicorn (gunicorn.conf.py) on a web host."""
        host = self.hosts[name]
        env = self.atelier_environment(host)
        return [
            host.start(
                service,
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "gunicorn.conf.py",
                    "--bind",
                    f"0.0.0.0:{port}",
                    f"services.{service}:create_app()",
                ],
                env,
            )
            for service, port in SERVICES.items()
        ]

    def wait_web(self, name: str, processes: list[Process], timeout: float = 90) -> None:
        """Until each of the host's services answers /livez."""
        host = self.hosts[name]
        for process, port in zip(processes, SERVICES.values(), strict=True):
            wait_ready(
                process,
                lambda port=port: answers_http(self.http, f"http://{host.address}:{port}/livez"),
                timeout=timeout,
                what=f"{process.name} on {name}",
            )

    # --- workers and beat -------------------------------------------------------------------

    def celery(self, *args: str) -> list[str]:
        """A celery command of the notifications service."""
        return [sys.executable, "-m", "celery", "-A", "services.notifications.worker", *args]

    def start_worker(self, name: str) -> Process:
        """A worker of the mail queue, as docker-compose.yml's ``worker``."""
        host = self.hosts[name]
        return host.start(
            "worker",
            self.celery(
                "worker",
                "--queues",
                "mail",
                "--hostname",
                "mail@%h",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
            ),
            self.atelier_environment(host),
        )

    def start_beat(self) -> list[Process]:
        """The one beat, and the one housekeeping worker (the sweep runs there), on ``beat``."""
        host = self.hosts["beat"]
        env = self.atelier_environment(host)
        housekeeping = host.start(
            "housekeeping",
            self.celery(
                "worker",
                "--queues",
                "housekeeping",
                "--hostname",
                "housekeeping@%h",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
            ),
            env,
        )
        beat = host.start(
            "beat",
            self.celery(
                "beat",
                "--schedule",
                str(host.directory / "celerybeat-schedule"),
                "--enable-remote-control",
                "--loglevel",
                "INFO",
            ),
            env,
        )
        return [housekeeping, beat]

    @staticmethod
    def wait_celery(process: Process, marker: str = " ready.", timeout: float = 90) -> None:
        """Until a Celery process says it is ready."""

        def ready() -> bool:
            output = process.log_path.read_bytes()[process.log_offset :]
            return marker in output.decode(errors="replace")

        wait_ready(process, ready, timeout=timeout, what=f"{process.name}")

    # --- edge: HAProxy ----------------------------------------------------------------------

    def haproxy_config(self) -> str:
        """One frontend per service on edge's address, both web hosts behind each."""
        edge = ADDRESSES["edge"]
        lines = [
            "global",
            "    maxconn 8192",
            "    log stdout format raw local0 notice",
            "",
            "defaults",
            "    mode http",
            "    log global",
            "    option dontlognull",
            "    maxconn 8192",
            "    timeout connect 2s",
            "    timeout client 120s",
            "    timeout server 120s",
            "    timeout queue 60s",
            "    timeout http-request 30s",
            "    timeout http-keep-alive 5s",
            # The services believe one hop of X-Forwarded-For (TRUSTED_PROXIES=1).
            "    option forwardfor",
            # A connection refused by a replica that is down goes to the other one.
            "    option redispatch",
            "    retries 2",
            "    default-server check inter 1s fall 2 rise 2 maxconn 64",
            "",
            "frontend stats",
            f"    bind {edge}:{STATS_PORT}",
            "    stats enable",
            "    stats uri /stats",
            "",
        ]
        for service, port in SERVICES.items():
            lines += [
                f"frontend {service}",
                f"    bind {edge}:{port}",
                f"    default_backend {service}",
                "",
                f"backend {service}",
                "    balance roundrobin",
                # /livez: a replica whose process answers takes requests; /healthz would take
                # every replica out at once while Redis restarts, though they still register.
                "    option httpchk GET /livez",
                "    http-check expect status 200",
                "    http-request set-header X-Forwarded-Proto http",
                # Which replica answered, for the figures.
                "    http-response set-header X-Atelier-Replica %s",
                *(f"    server {web} {web}:{port}" for web in WEB_HOSTS),
                "",
            ]
        return "\n".join(lines)

    def start_edge(self) -> Process:
        """HAProxy on ``edge``."""
        edge = self.hosts["edge"]
        config = edge.directory / "haproxy.cfg"
        config.write_text(self.haproxy_config())
        haproxy = program("haproxy", "tools/system-deps.sh scale")
        edge.run([haproxy, "-c", "-f", str(config)], self.process_environment(edge))
        process = edge.start(
            "haproxy", [haproxy, "-db", "-f", str(config)], self.process_environment(edge)
        )
        wait_ready(
            process,
            lambda: answers_http(self.http, f"http://{edge.address}:{STATS_PORT}/stats;csv"),
            timeout=30,
            what="HAProxy on edge",
        )
        return process

    def edge_servers(self) -> dict[tuple[str, str], str]:
        """Each (backend, server)'s state as HAProxy sees it: UP, DOWN…"""
        try:
            text = self.http.get(
                f"http://{ADDRESSES['edge']}:{STATS_PORT}/stats;csv", timeout=5
            ).text
        except requests.RequestException:
            return {}
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {
            (row["pxname"], row["svname"]): row["status"]
            for row in rows
            if row["svname"] in WEB_HOSTS
        }

    def wait_edge(self, web: str, state: str, timeout: float = 60) -> float:
        """Until HAProxy sees ``web`` in ``state`` (UP or DOWN) for every service; the time."""

        def reached() -> bool:
            servers = self.edge_servers()
            # "UP 1/2" is a server still counting its checks: not there yet.
            return all(servers.get((service, web)) == state for service in SERVICES)

        eventually(reached, timeout=timeout, what=f"edge sees {web} {state}", interval=0.05)
        return time.time()

    # --- the whole stack --------------------------------------------------------------------

    def start(self) -> None:
        """Every host's processes, in the order docker compose would start them."""
        self.start_database()
        self.start_redis()
        self.start_mail()
        self.prepare_database()
        webs = {name: self.start_web(name) for name in WEB_HOSTS}
        workers = [self.start_worker(name) for name in WORKER_HOSTS]
        beat = self.start_beat()
        for name, processes in webs.items():
            self.wait_web(name, processes)
        for process in [*workers, beat[0]]:
            self.wait_celery(process)
        self.wait_celery(beat[1], marker="beat: Starting")
        self.start_edge()
        for web in WEB_HOSTS:
            self.wait_edge(web, "UP")

    def unexpected_exits(self) -> list[str]:
        """Every process of any host that ended without the scenario ending it."""
        return [line for host in self.hosts.values() for line in host.unexpected_exits()]


def describe_network() -> str:
    """One line per host, for the report."""
    return "\n".join(
        [f"  operator   {OPERATOR}  (the root namespace: this program)"]
        + [f"  {name:<10} {address}" for name, address in ADDRESSES.items()]
        + [f"  clients own {CLIENT_NETWORK} (routed by edge through clients)"]
    )
