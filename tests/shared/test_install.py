"""The install of a lock depends on the lock alone, never on what the package index serves
on the day: a newer release of a dependency, asked for with an extra, changes nothing.

A scratch package index (a folder of wheels made here) holds a lock's own files plus a newer
release of one of them; the lock install that `make` runs and the one the image runs must
install exactly the pinned versions, with the interpreter's bundled pip."""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools.install_lock import unmet

ROOT = Path(__file__).resolve().parents[2]
INSTALL_LOCK = "tools/install_lock.py"


def make_wheel(folder: Path, name: str, version: str, metadata: list[str]) -> Path:
    """A pure-Python wheel of ``name`` at ``version`` whose METADATA adds ``metadata``."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": "\n".join(
            ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *metadata, ""]
        ),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = [
        f"{path},sha256={urlsafe_digest(text)},{len(text.encode())}" for path, text in files.items()
    ]
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,", ""])
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def urlsafe_digest(text: str) -> str:
    """The RECORD form of a file's SHA-256."""
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def lock_line(wheel: Path) -> str:
    """The entry pip-compile writes for ``wheel`` (extras stripped), with its hash."""
    name, version = wheel.name.split("-")[:2]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return f"{name.replace('_', '-')}=={version} \\\n    --hash=sha256:{digest}\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels as the index serves them the day after the lock was written.

    ``app`` asks for ``base[speed]``; the lock pins base 1.0 and what its extra needs; base 1.1
    was published since. This is the shape of weasyprint, fonttools[woff] and fonttools 4.69.1.
    """
    folder = tmp_path_factory.mktemp("index")
    extra = ["Provides-Extra: speed", 'Requires-Dist: turbo; extra == "speed"']
    locked = [
        make_wheel(folder, "app", "1.0", ["Requires-Dist: base[speed]>=1.0"]),
        make_wheel(folder, "base", "1.0", extra),
        make_wheel(folder, "turbo", "1.0", []),
    ]
    make_wheel(folder, "base", "1.1", extra)
    (folder / "complete.lock").write_text("".join(lock_line(wheel) for wheel in locked))
    (folder / "incomplete.lock").write_text("".join(lock_line(wheel) for wheel in locked[:2]))
    return folder


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A new virtual environment with the pip the interpreter bundles, as `make` makes it."""
    subprocess.run([sys.executable, "-m", "venv", tmp_path / "venv"], check=True)
    return tmp_path / "venv"


def makefile_lock_install(venv: Path, lock: Path) -> list[str]:
    """The commands `make` runs to install ``lock`` into ``venv`` (read with ``make -n``)."""
    plan = subprocess.run(
        ["make", "-n", "-B", f"{venv}/.installed", f"VENV={venv}", f"DEV_LOCK={lock}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commands = [line for line in plan.splitlines() if str(lock) in line]
    assert commands, plan
    return commands


def run_offline(command: str, index: Path) -> subprocess.CompletedProcess[str]:
    """``command`` from the project's root, its pip reading ``index`` instead of the network."""
    environment = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index)}
    return subprocess.run(
        command, shell=True, cwd=ROOT, env=environment, capture_output=True, text=True
    )


def installed(venv: Path) -> dict[str, str]:
    """Name and version of each distribution in ``venv``."""
    listing = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("==") for line in listing.splitlines())


def test_make_installs_the_pinned_versions_whatever_the_index_published_since(
    index: Path, venv: Path
) -> None:
    for command in makefile_lock_install(venv, index / "complete.lock"):
        result = run_offline(command, index)
        assert result.returncode == 0, result.stderr
    versions = installed(venv)
    assert {name: versions.get(name) for name in ("app", "base", "turbo")} == {
        "app": "1.0",
        "base": "1.0",
        "turbo": "1.0",
    }


def test_an_incomplete_lock_fails_with_a_message_that_names_the_cure(
    index: Path, venv: Path
) -> None:
    commands = makefile_lock_install(venv, index / "incomplete.lock")
    result = run_offline(" && ".join(commands), index)
    assert result.returncode != 0
    assert "base 1.0 requires turbo" in result.stderr
    assert "which is not installed" in result.stderr
    assert "make lock" in result.stderr
    assert "turbo" not in installed(venv)


def test_the_image_installs_its_lock_the_same_way() -> None:
    runs = [
        line.removeprefix("RUN ").strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("RUN ") and "runtime.lock" in line
    ]
    assert [shlex.split(run) for run in runs] == [
        ["python", INSTALL_LOCK, "requirements/runtime.lock"]
    ]


def test_the_dev_environment_meets_every_requirement_extras_included() -> None:
    """The environment installed from the dev lock lacks nothing: the lock is complete."""
    assert unmet() == []
