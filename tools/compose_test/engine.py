"""Podman for make compose-test: its own storage, networks and settings under one folder,
so that the test leaves nothing behind on the machine and touches no other container."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tools import polling

STANDINS = Path(__file__).resolve().with_name("standins")
# Certificate authorities the host trusts besides Debian's: an intercepting proxy's, say.
LOCAL_CA = Path("/usr/local/share/ca-certificates")
SUITE = "bookworm"
DEBIAN_IMAGE = f"localhost/atelier-standin/debian:{SUITE}"
# Debian's versions of what the official images carry; README and docs/figures.md say which.
STANDIN_IMAGES = {
    "python": "localhost/atelier-standin/python:3.11",
    "postgres": "localhost/atelier-standin/postgres:15",
    "redis": "localhost/atelier-standin/redis:7.0",
    "mailsink": "localhost/atelier-standin/mailsink:latest",
}
# Above the container defaults, podman's own defaults exceed this machine's hard limits.
ULIMITS = ('"nofile=20000:20000"', '"nproc=4096:4096"')

# Podman 4.3 cannot start a container that --requires an exited one (migrate) whose own
# dependencies run: "not found in input list" (podman 4.4 fixed it). podman-compose orders
# the start itself, waiting for migrate to complete, so the test leaves --requires out.
PODMAN_SHIM = """#!/bin/sh
for argument in "$@"; do
  shift
  case "$argument" in --requires=*) ;; *) set -- "$@" "$argument" ;; esac
done
exec {podman} "$@"
"""


class CommandFailed(RuntimeError):
    """A command exited with an error; the message carries its output."""


class Podman:
    """Runs podman and podman-compose against a private storage and network folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        """A clean environment: compose must read its variables from .env alone."""
        conf = self.root / "containers.conf"
        storage = self.root / "storage.conf"
        (self.root / "networks").mkdir(parents=True, exist_ok=True)
        conf.write_text(
            "[containers]\n"
            f"default_ulimits = [{', '.join(ULIMITS)}]\n"
            "[engine]\n"
            # crun refuses hosts whose cgroups are in hybrid mode.
            'runtime = "runc"\n'
            "[network]\n"
            f'network_config_dir = "{self.root / "networks"}"\n'
        )
        storage.write_text(
            "[storage]\n"
            'driver = "overlay"\n'
            f'graphroot = "{self.root / "storage"}"\n'
            f'runroot = "{self.root / "run"}"\n'
        )
        shim = self.root / "bin" / "podman"
        shim.parent.mkdir(exist_ok=True)
        shim.write_text(PODMAN_SHIM.format(podman=shutil.which("podman") or "/usr/bin/podman"))
        shim.chmod(0o755)
        path = f"{shim.parent}:{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin')}"
        return {
            "PATH": path,
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "CONTAINERS_CONF": str(conf),
            "CONTAINERS_STORAGE_CONF": str(storage),
        }

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        input_text: str | None = None,
        timeout: float = 900,
        check: bool = True,
    ) -> str:
        """Run a command in the private environment; its output, or CommandFailed."""
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            output = (result.stdout + result.stderr).strip()[-3000:]
            raise CommandFailed(f"`{' '.join(argv)}` exited {result.returncode}:\n{output}")
        return result.stdout

    def podman(self, *args: str, **kwargs: object) -> str:
        """One podman command."""
        return self.run(["podman", *args], **kwargs)  # type: ignore[arg-type]

    def logs(self, name: str, tail: int | None = None) -> str:
        """A container's output and errors, interleaved."""
        argv = ["podman", "logs", *(["--tail", str(tail)] if tail else []), name]
        result = subprocess.run(
            argv, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        return result.stdout

    def inspect(self, kind: str, name: str, template: str) -> str:
        """One field of a container or image, by a Go template."""
        return self.podman(kind, "inspect", "--format", template, name).strip()

    def build_standins(self) -> None:
        """Debian bookworm from its packages, then the stand-ins built on it."""
        rootfs = self.root / "rootfs"
        self.run(["debootstrap", "--variant=minbase", SUITE, str(rootfs)], timeout=1200)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["podman", "import", "-", DEBIAN_IMAGE],
            stdin=tar.stdout,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        tar.wait()
        if tar.returncode or imported.returncode:
            raise CommandFailed(f"podman import failed: {imported.stderr.strip()}")
        shutil.rmtree(rootfs)
        context = self.root / "standins"
        shutil.copytree(STANDINS, context)
        (context / "local-ca").mkdir()
        for certificate in LOCAL_CA.glob("*.crt"):
            shutil.copy(certificate, context / "local-ca")
        for name, tag in STANDIN_IMAGES.items():
            self.podman(
                "build",
                "--quiet",
                "--build-arg",
                f"BASE={DEBIAN_IMAGE}",
                "--file",
                str(context / f"{name}.Containerfile"),
                "--tag",
                tag,
                str(context),
                timeout=1200,
            )

    def clean(self) -> list[str]:
        """Remove every container, volume and network of the private storage, then the folder
        itself, which holds the storage's images; what could not be removed."""
        problems = []
        # Deleting the images one by one took more than five minutes on a loaded machine;
        # the storage is private, so removing its folder removes them all at once.
        for args in (
            ("rm", "--all", "--force", "--time", "0"),
            ("volume", "rm", "--all", "--force"),
            ("network", "prune", "--force"),
        ):
            try:
                self.podman(*args, timeout=300)
            except (CommandFailed, subprocess.TimeoutExpired) as failure:
                problems.append(str(failure))
        for mount in reversed(mounts_below(self.root)):
            subprocess.run(["umount", "--lazy", mount], check=False)
        for _ in range(5):
            # A process of the storage may still be exiting: what it held goes on a retry.
            shutil.rmtree(self.root, ignore_errors=True)
            if not self.root.exists():
                break
            time.sleep(2)
        else:
            problems.append(f"{self.root} is still there")
        return problems


def mounts_below(root: Path) -> list[str]:
    """Mount points under ``root``, outermost first."""
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    return [point for point in points if point.startswith(f"{root}/")]


def eventually(
    condition: Callable[[], object], what: str, *, timeout: float = 180, every: float = 2.0
) -> object:
    """Wait until ``condition`` returns something true (a failed command counts as not yet)."""
    tolerated = (CommandFailed, OSError, ValueError)
    return polling.eventually(condition, what, timeout=timeout, every=every, tolerated=tolerated)
