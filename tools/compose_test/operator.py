"""An operator following docs/production.md with podman-compose in place of docker compose:
the commands of the doc's code blocks, run as written, on a copy of this working tree."""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from shared.models import Role
from tools.compose_test.engine import STANDIN_IMAGES, Podman, eventually

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "production.md"
PROJECT = "atelier"
EVENT = "pratiquer-action-evaluation-experimentalistes"  # the demo workshop
GROUPS = ("hainaut", "namur-luxembourg", "brabant-wallon-bruxelles", "liege")
TOWN = "namur"
WEB_SERVICES = ("registration", "notifications", "calendar")
# The stack's MAIL_SERVER for the test: an SMTP server added by a compose override file,
# as the doc's own overrides are.
MAIL_SINK_OVERRIDE = f"""\
services:
  mailsink:
    image: {STANDIN_IMAGES["mailsink"]}
    restart: unless-stopped
"""


def doc_block(section: str, nth: int = 0) -> str:
    """The ``nth`` sh code block under the doc's heading ``section``."""
    text = DOC.read_text()
    heading = re.search(rf"^#+ {re.escape(section)}\s*$", text, re.MULTILINE)
    if heading is None:
        raise LookupError(f"docs/production.md has no section {section!r}")
    level = text[heading.start() :].split(" ", 1)[0]
    following = re.search(rf"^{level} ", text[heading.end() :], re.MULTILINE)
    body = text[heading.end() : heading.end() + following.start() if following else None]
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", body, re.MULTILINE | re.DOTALL)
    return "\n".join(line.strip() for line in blocks[nth].splitlines())


def free_port() -> int:
    """A port on the loopback interface that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Operator:
    """The server of the doc: /srv/atelier and /srv/backups below ``root``."""

    def __init__(self, podman: Podman, root: Path) -> None:
        self.podman = podman
        self.checkout = root / "srv" / "atelier"
        self.backups = root / "srv" / "backups"
        self.compose_program = str(Path(sys.executable).with_name("podman-compose"))
        self.ports = {service: free_port() for service in WEB_SERVICES}
        self.registered: list[str] = []

    # --- the doc's commands ---------------------------------------------------------------

    def sh(self, script: str, *, input_text: str | None = None, timeout: float = 900) -> str:
        """A block of the doc, its paths and ``docker compose`` replaced by this server's."""
        script = (
            script.replace("docker compose", self.compose_program)
            .replace("/srv/atelier", str(self.checkout))
            .replace("/srv/backups", str(self.backups))
        )
        return self.podman.run(
            ["sh", "-euc", script], cwd=self.checkout, input_text=input_text, timeout=timeout
        )

    def compose(self, *args: str, input_text: str | None = None, timeout: float = 900) -> str:
        """``docker compose ARGS`` in the checkout."""
        return self.podman.run(
            [self.compose_program, *args],
            cwd=self.checkout,
            input_text=input_text,
            timeout=timeout,
        )

    # --- First deployment ---------------------------------------------------------------

    def get_the_code(self) -> None:
        """This working tree as a clone would have it: tracked and new files, not ignored ones."""
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
        for name in filter(None, (entry.decode() for entry in listed)):
            source = ROOT / name
            if source.is_file():
                target = self.checkout / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        (self.checkout / "docker-compose.override.yml").write_text(MAIL_SINK_OVERRIDE)
        self.backups.mkdir(parents=True, exist_ok=True)

    def set_settings(self) -> str:
        """Step 3: secrets, addresses and the SMTP server in .env; the stand-in images."""
        password = secrets.token_hex(24)
        database_url = self.env_value("DATABASE_URL").replace("PASSWORD", password)
        settings = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "POSTGRES_PASSWORD": password,
            "DATABASE_URL": database_url,
            "REGISTRATION_BASE_URL": f"http://127.0.0.1:{self.ports['registration']}",
            "CALENDAR_BASE_URL": f"http://127.0.0.1:{self.ports['calendar']}",
            "MAIL_SERVER": "mailsink",
            "MAIL_PORT": "1025",
            "MAIL_USE_TLS": "false",
            # No proxy in front: the test reaches the published ports directly.
            "TRUSTED_PROXIES": "0",
            "HSTS_MAX_AGE_S": "0",
            # "Server sizes": the small profile, on a machine shared with other work.
            "WEB_CONCURRENCY": "1",
            "CELERY_CONCURRENCY": "1",
            "PYTHON_IMAGE": STANDIN_IMAGES["python"],
            "POSTGRES_IMAGE": STANDIN_IMAGES["postgres"],
            "REDIS_IMAGE": STANDIN_IMAGES["redis"],
            **{f"{service.upper()}_PORT": str(port) for service, port in self.ports.items()},
        }
        for name, value in settings.items():
            self.set_env(name, value)
        return ", ".join(settings)

    def env_value(self, name: str) -> str:
        """The value .env gives ``name``."""
        match = re.search(rf"^{name}=(.*)$", (self.checkout / ".env").read_text(), re.MULTILINE)
        if match is None:
            raise LookupError(f".env sets no {name}")
        return match.group(1)

    def set_env(self, name: str, value: str) -> None:
        """Set ``name`` in .env, on its line (commented out or not) or at the end."""
        env = self.checkout / ".env"
        text = env.read_text()
        line = re.compile(rf"^#? ?{name}=.*$", re.MULTILINE)
        if line.search(text):
            text = line.sub(lambda _: f"{name}={value}", text, count=1)
        else:
            text += f"{name}={value}\n"
        env.write_text(text)

    # --- containers ---------------------------------------------------------------------

    def containers(self, service: str, *, every: bool = True) -> list[str]:
        """The names of a service's containers (stopped ones too unless ``every`` is false)."""
        args = ["ps", "--format", "{{.Names}}"]
        if every:
            args.append("--all")
        args += ["--filter", f"label=io.podman.compose.project={PROJECT}"]
        args += ["--filter", f"label=io.podman.compose.service={service}"]
        return sorted(self.podman.podman(*args).split())

    def container(self, service: str) -> str:
        """The one container of a service."""
        names = self.containers(service)
        if len(names) != 1:
            raise AssertionError(f"{service}: expected one container, found {names}")
        return names[0]

    def state(self, name: str, field: str) -> str:
        """A field of a container's State."""
        return self.podman.inspect("container", name, f"{{{{.State.{field}}}}}")

    def healthy(self, services: tuple[str, ...]) -> bool:
        """Run each container's healthcheck once, as systemd's timer would on a podman host
        that has systemd; true when all of them pass."""
        verdicts = []
        for service in services:
            for name in self.containers(service, every=False) or [f"(no {service})"]:
                try:
                    self.podman.podman("healthcheck", "run", name, timeout=120)
                    verdicts.append(True)
                except Exception:  # an unhealthy or missing container
                    verdicts.append(False)
        return all(verdicts)

    def wait_healthy(self, services: tuple[str, ...], timeout: float = 300) -> None:
        """Until every container of ``services`` passes its healthcheck."""
        eventually(
            lambda: self.healthy(services), f"{', '.join(services)} healthy", timeout=timeout
        )

    def psql(self, query: str) -> str:
        """A query's single value, by psql inside the postgres container."""
        return self.compose(
            "exec",
            "-T",
            "postgres",
            "sh",
            "-c",
            f'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "{query}"',
        ).strip()

    def registrations(self) -> int:
        """How many registrations the database holds."""
        return int(self.psql("SELECT count(*) FROM registrations"))

    # --- through the published ports ----------------------------------------------------

    def url(self, service: str, path: str) -> str:
        """A service's address on the host, as its reverse proxy would reach it."""
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def register(self, label: str) -> str:
        """A participant registers through the API; their email address."""
        n = len(self.registered)
        email = f"{label}-{n}-{secrets.token_hex(3)}@example.org"
        body: dict[str, Any] = {
            "group": GROUPS[n % len(GROUPS)],
            "first_name": "Compose",
            "last_name": f"{label.title()} {n}",
            "email": email,
            "role": list(Role)[n % len(Role)].value,
            "language": "fr",
            "consent": True,
            "commit_all_dates": True,
        }
        answer = requests.post(
            self.url("registration", f"/api/v1/events/{EVENT}/registrations"),
            json=body,
            timeout=60,
        )
        if answer.status_code != 201:
            raise AssertionError(f"registration answered {answer.status_code}: {answer.text}")
        self.registered.append(email)
        return email

    def mail_recipients(self) -> list[str]:
        """The To: line of every message the SMTP sink holds."""
        output = self.podman.podman(
            "exec",
            f"{PROJECT}_mailsink_1",
            "sh",
            "-c",
            "cat /mail/new/* /mail/cur/* 2>/dev/null | grep -i '^To:' || true",
        )
        return [line.split(":", 1)[1].strip() for line in output.splitlines()]

    def wait_mail_for(self, emails: list[str], timeout: float = 180) -> None:
        """Until the sink has a message for each address."""

        def arrived() -> bool:
            recipients = " ".join(self.mail_recipients())
            return all(email in recipients for email in emails)

        eventually(arrived, f"an email to each of {emails}", timeout=timeout)

    def restarted(self, name: str, before: str) -> bool:
        """Whether the container runs again, started after ``before``."""
        return self.state(name, "Running") == "true" and self.state(name, "StartedAt") != before

    def kill_main_process(self, name: str) -> str:
        """SIGKILL the container's first process from the host, as a crash would; the time
        it had been started at."""
        started = self.state(name, "StartedAt")
        pid = int(self.state(name, "Pid"))
        subprocess.run(["kill", "-KILL", str(pid)], check=True)
        eventually(
            lambda: (
                self.state(name, "StartedAt") != started or self.state(name, "Running") != "true"
            ),
            f"{name} to die",
            timeout=30,
            every=0.2,
        )
        return started
