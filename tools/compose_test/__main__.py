"""make compose-test: the real docker-compose.yml, started with podman-compose on podman, and
docs/production.md followed step by step. Each stage prints as it passes; a failure names the
stage and the doc's section. Everything the test made is removed at the end, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from tools.compose_test.engine import STANDIN_IMAGES, Podman, eventually
from tools.compose_test.operator import PROJECT, TOWN, Operator, doc_block

ATELIER_IMAGE = "atelier:latest"
ALL_SERVICES = (
    "postgres",
    "redis",
    "registration",
    "notifications",
    "calendar",
    "worker",
    "housekeeping",
    "beat",
)
COMPILERS = ("gcc", "cc", "c++", "g++", "make", "ld")
UPGRADE_REVISION = "9001_compose_test_upgrade"


class StageFailed(RuntimeError):
    """A stage did not pass: which, where the doc describes it, and why."""


def unavailable() -> str | None:
    """Why podman cannot run containers here, or None."""
    if os.geteuid() != 0:
        return "make compose-test runs as root (podman's networks and storage)"
    for program in ("podman", "runc", "debootstrap", "iptables", "/usr/libexec/podman/catatonit"):
        if shutil.which(program) is None:
            return f"{program} is not installed (tools/system-deps.sh compose installs it)"
    namespaces = subprocess.run(
        ["unshare", "--net", "--mount", "--pid", "--fork", "true"], capture_output=True, check=False
    )
    if namespaces.returncode != 0:
        return f"this machine cannot create namespaces: {namespaces.stderr.decode().strip()}"
    return None


class Run:
    """The stages, in order, with what they learn along the way."""

    def __init__(self, root: Path) -> None:
        self.podman = Podman(root / "podman")
        self.operator = Operator(self.podman, root)
        self.figures: dict[str, str] = {}
        self.admin_token = ""
        self.before_wipe = 0

    def stage(self, name: str, section: str, step: Callable[[], object]) -> None:
        """Run one stage; print it when it passes, raise StageFailed naming it otherwise."""
        started = time.monotonic()
        print(f"... {name}", flush=True)
        try:
            detail = step()
        except Exception as failure:  # reported with the stage's name
            raise StageFailed(
                f"stage {name!r} failed (docs/production.md, section {section!r}):\n{failure}"
            ) from failure
        note = f": {detail}" if detail else ""
        print(f"[ok] {name} ({time.monotonic() - started:.0f} s){note}", flush=True)

    def all(self) -> None:
        """Every stage, in the doc's order."""
        o = self.operator
        self.stage("stand-in images from Debian packages", "Before you start", self.standins)
        self.stage("get the code", "First deployment, step by step", o.get_the_code)
        self.stage(".env from .env.example", "First deployment, step by step", self.create_env)
        self.stage("secrets, addresses, SMTP", "First deployment, step by step", o.set_settings)
        self.stage("build and start", "First deployment, step by step", self.build_and_start)
        self.stage("migrate ran once, first", "First deployment, step by step", self.migrate_once)
        self.stage("healthy", "First deployment, step by step", self.check_healthy)
        self.stage("image hygiene", "First deployment, step by step", self.image_hygiene)
        self.stage("first administrator", "First deployment, step by step", self.administrator)
        self.stage("demo data", "Everyday operation", self.load_demo)
        self.stage("a participant registers, mail sent", "What runs", self.participant)
        self.stage("town feed with ETag and 304", "What runs", self.town_feed)
        self.stage("backup, wipe, restore", "Backups", self.backup_and_restore)
        self.stage("upgrade with a new migration", "Upgrades", self.upgrade)
        self.stage("two mail workers share the mail", "Scaling out", self.scale_workers)
        self.stage("killed containers come back", "What runs", self.crash_recovery)
        self.stage("down, then up, keeps the data", "Everyday operation", self.down_up)

    # --- stages -------------------------------------------------------------------------

    def standins(self) -> str:
        self.podman.build_standins()
        return ", ".join(STANDIN_IMAGES.values())

    def create_env(self) -> None:
        self.operator.sh(doc_block("First deployment, step by step", 1))
        mode = (self.operator.checkout / ".env").stat().st_mode & 0o777
        assert mode == 0o600, f".env has mode {mode:o}"

    def build_and_start(self) -> str:
        started = time.monotonic()
        self.operator.sh(doc_block("First deployment, step by step", 2).split("\n")[0])
        self.figures["image build"] = f"{time.monotonic() - started:.0f} s"
        started = time.monotonic()
        self.operator.sh(doc_block("First deployment, step by step", 2).split("\n")[1])
        self.figures["up -d"] = f"{time.monotonic() - started:.0f} s"
        return f"build {self.figures['image build']}, up -d {self.figures['up -d']}"

    def migrate_once(self) -> None:
        o = self.operator
        migrate = o.container("migrate")
        assert o.state(migrate, "ExitCode") == "0", o.podman.podman("logs", migrate)
        assert o.state(migrate, "Status") == "exited"
        assert self.podman.inspect("container", migrate, "{{.RestartCount}}") == "0"
        finished = o.state(migrate, "FinishedAt")
        for service in ("registration", "notifications", "calendar", "worker", "beat"):
            started = o.state(o.container(service), "StartedAt")
            assert started > finished, f"{service} started at {started}, migrate ended {finished}"

    def check_healthy(self) -> str:
        started = time.monotonic()
        self.operator.wait_healthy(ALL_SERVICES)
        listing = self.operator.sh(doc_block("First deployment, step by step", 3))
        healthy = listing.count("(healthy)")
        assert healthy >= len(ALL_SERVICES), listing
        assert "Exited (0)" in listing, listing
        return f"{healthy} healthy after {time.monotonic() - started:.0f} s"

    def image_hygiene(self) -> str:
        p = self.podman
        user = p.inspect("image", ATELIER_IMAGE, "{{.Config.User}}")
        assert user and user.split(":")[0] not in ("root", "0"), f"runs as {user!r}"
        environment = p.inspect("image", ATELIER_IMAGE, "{{json .Config.Env}}")
        assert "SECRET_KEY" not in environment, environment
        history = p.podman("history", "--no-trunc", "--format", "{{.CreatedBy}}", ATELIER_IMAGE)
        assert "SECRET_KEY" not in history, "SECRET_KEY in a layer's command"
        found = p.podman(
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            ATELIER_IMAGE,
            "-c",
            " ".join(f"command -v {c};" for c in COMPILERS) + " true",
        ).split()
        assert not found, f"compilers in the runtime image: {found}"
        size = int(p.inspect("image", ATELIER_IMAGE, "{{.Size}}"))
        self.figures["image size"] = f"{size / 1e6:.0f} MB"
        return f"user {user}, {self.figures['image size']}"

    def administrator(self) -> str:
        # The doc's command prompts on a terminal; -T takes the password from standard input.
        command = doc_block("First deployment, step by step", 4).replace("run --rm", "run --rm -T")
        password = f"Compose-{os.urandom(9).hex()}"
        output = self.operator.sh(command, input_text=password + "\n")
        self.admin_token = output.strip().splitlines()[-1].strip()
        admins = self.operator.psql("SELECT count(*) FROM organisers WHERE is_admin")
        assert admins == "1", f"{admins} administrators"
        # Its token opens the API only once it has a second factor, as the doc says.
        answer = requests.get(
            self.operator.url("registration", "/api/v1/organiser/events"),
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=30,
        )
        assert answer.status_code == 403, f"{answer.status_code}: {answer.text[:300]}"
        return "created; its API token waits for a second factor"

    def load_demo(self) -> None:
        self.operator.compose(
            "run", "--rm", "-T", "registration", "flask", "--app", "services.registration",
            "load-demo",
        )  # fmt: skip

    def participant(self) -> None:
        email = self.operator.register("first")
        self.operator.wait_mail_for([email])

    def town_feed(self) -> str:
        url = self.operator.url("calendar", f"/feeds/towns/{TOWN}.ics")
        first = requests.get(url, timeout=30)
        assert first.status_code == 200 and "BEGIN:VCALENDAR" in first.text, first.status_code
        etag = first.headers.get("ETag")
        assert etag, "no ETag"
        again = requests.get(url, headers={"If-None-Match": etag}, timeout=30)
        assert again.status_code == 304, again.status_code
        return f"ETag {etag}"

    def backup_and_restore(self) -> str:
        o = self.operator
        self.before_wipe = o.registrations()
        o.sh(doc_block("Backups", 0))
        dumps = sorted(o.backups.glob("atelier-*.dump"))
        assert dumps and dumps[-1].stat().st_size > 0, "no dump"
        o.compose("down", "--volumes")
        restore = doc_block("Backups", 1).replace("atelier-2025-01-31.dump", dumps[-1].name)
        o.sh(restore)
        o.wait_healthy(ALL_SERVICES)
        after = o.registrations()
        assert after == self.before_wipe, f"{self.before_wipe} before, {after} after restore"
        return f"{dumps[-1].stat().st_size} bytes, {after} registrations back"

    def upgrade(self) -> str:
        o = self.operator
        head = o.psql("SELECT version_num FROM alembic_version")
        old_image = self.podman.inspect("image", ATELIER_IMAGE, "{{.Id}}")
        # What `git pull` brings: a release with a schema change.
        script = doc_block("Upgrades").replace("git pull", "true")
        write_upgrade_migration(o.checkout, head)
        o.sh(script)
        new_image = self.podman.inspect("image", ATELIER_IMAGE, "{{.Id}}")
        assert new_image != old_image, "the build made no new image"
        o.wait_healthy(ALL_SERVICES)
        version = o.psql("SELECT version_num FROM alembic_version")
        assert version == UPGRADE_REVISION, f"schema at {version}"
        running = o.podman.inspect("container", o.container("registration"), "{{.Image}}")
        assert running == new_image, "registration still runs the old image"
        after = o.registrations()
        assert after == self.before_wipe, f"{self.before_wipe} before, {after} after"
        return f"{head} -> {version}, {after} registrations kept"

    def scale_workers(self) -> str:
        o = self.operator
        o.compose("up", "-d", "--scale", "worker=2")
        workers = o.containers("worker", every=False)
        assert len(workers) == 2, workers
        o.wait_healthy(("worker",))
        emails = [o.register("scaled") for _ in range(8)]
        o.wait_mail_for(emails)
        sent = {name: o.podman.logs(name).count("succeeded") for name in workers}
        assert all(sent.values()), f"tasks per worker: {sent}"
        return f"tasks per worker: {json.dumps(sent)}"

    def crash_recovery(self) -> str:
        o = self.operator
        registered = o.registrations()
        restarts = []
        for service in ("registration", "worker"):
            name = o.containers(service, every=False)[0]
            started = o.kill_main_process(name)
            eventually(lambda name=name, started=started: o.restarted(name, started),
                       f"{name} restarted by its policy", timeout=120)  # fmt: skip
            restarts.append(name)
        o.wait_healthy(("registration", "worker"))
        assert o.registrations() == registered, "registrations lost"
        email = o.register("after-crash")
        o.wait_mail_for([email])
        return f"{', '.join(restarts)} restarted"

    def down_up(self) -> str:
        o = self.operator
        registered = o.registrations()
        o.compose("down")
        o.compose("up", "-d")
        o.wait_healthy(ALL_SERVICES)
        after = o.registrations()
        assert after == registered, f"{registered} before down, {after} after up"
        email = o.register("after-restart")
        o.wait_mail_for([email])
        return f"{after} registrations kept"


def write_upgrade_migration(checkout: Path, head: str) -> None:
    """A migration on top of ``head`` that adds a column, as a release would."""
    versions = checkout / "shared" / "migrations" / "versions"
    (versions / f"{UPGRADE_REVISION}.py").write_text(
        f'"""A release\'s schema change, for make compose-test."""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "{UPGRADE_REVISION}"\ndown_revision = "{head}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        '    op.add_column("registrations", sa.Column("upgrade_probe", sa.Text()))\n\n\n'
        "def downgrade() -> None:\n"
        '    op.drop_column("registrations", "upgrade_probe")\n'
    )


def main() -> int:
    """Run every stage, then remove everything; 0 when all passed or podman is missing."""
    reason = unavailable()
    if reason:
        print(f"make compose-test skipped: {reason}.")
        return 0
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="atelier-compose-test-"))
    run = Run(root)
    status = 0
    try:
        run.all()
    except StageFailed as failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        print(logs(run), file=sys.stderr)
        status = 1
    finally:
        try:
            run.operator.compose("down", "--volumes", timeout=300)
        except Exception as failure:  # the clean-up below removes the rest
            print(f"compose down: {failure}", file=sys.stderr)
        problems = run.podman.clean()
        # The operator's server (its checkout, .env and backups) is beside the storage.
        shutil.rmtree(root, ignore_errors=True)
        if root.exists():
            problems.append(f"{root} is still there")
        for problem in problems:
            print(f"clean-up: {problem}", file=sys.stderr)
        print("cleaned up: containers, volumes, networks, images and files" if not problems
              else "clean-up incomplete", flush=True)  # fmt: skip
    run.figures["whole run"] = f"{time.monotonic() - started:.0f} s"
    for name, value in run.figures.items():
        print(f"  {name}: {value}")
    if status == 0:
        print(f"make compose-test passed: every stage of docs/production.md, {PROJECT} stack.")
    return status


def logs(run: Run) -> str:
    """The end of every container's log, to see why a stage failed."""
    try:
        names = run.podman.podman("ps", "--all", "--format", "{{.Names}}").split()
    except Exception as failure:  # nothing to show then
        return f"(no container logs: {failure})"
    tails = []
    for name in names:
        tails.append(f"--- {name}\n{run.podman.logs(name, tail=15).strip()}")
    return "\n".join(tails)


if __name__ == "__main__":
    sys.exit(main())
