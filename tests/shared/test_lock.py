"""The locks in requirements/ pin, with hashes, exactly the tree pyproject.toml asks for:
`make lock` rewrites them, and these tests fail when pyproject.toml moved on without them."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
DEV_LOCK = ROOT / "requirements" / "dev.lock"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass
class Pin:
    """One entry of a lock: what it says, its version if a plain ``==`` pin, its reasons."""

    text: str
    name: str | None = None
    version: str | None = None
    hashes: int = 0
    via: list[str] = field(default_factory=list)


def parse_lock(text: str) -> list[Pin]:
    """The entries of a pip-compile lock, continuation lines joined, ``# via`` comments kept."""
    pins: list[Pin] = []
    logical = ""
    for line in text.splitlines():
        comment = line.strip()
        if comment.startswith("#"):
            reason = re.sub(r"^#\s*(via\b)?\s*", "", comment)
            if line.startswith(" ") and pins and reason:
                pins[-1].via.append(reason)
            continue
        logical += line.rstrip("\\").strip() + " "
        if line.endswith("\\"):
            continue
        if logical.strip():
            pins.append(read_pin(logical.strip()))
        logical = ""
    return pins


def read_pin(entry: str) -> Pin:
    """A lock entry; ``name`` and ``version`` stay None unless it is ``name==version``."""
    words = entry.split()
    pin = Pin(text=entry, hashes=sum(bool(HASH.fullmatch(word)) for word in words[1:]))
    try:
        requirement = Requirement(words[0])
    except InvalidRequirement:
        return pin
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator == "==" and "*" not in specifiers[0].version:
        pin.name = canonicalize_name(requirement.name)
        pin.version = specifiers[0].version
    return pin


def wanted(pyproject: dict[str, Any], extras: tuple[str, ...], build: bool) -> list[Requirement]:
    """The project's own requirements: its dependencies, those of ``extras``, its build's."""
    project = pyproject["project"]
    texts = list(project.get("dependencies", []))
    for extra in extras:
        texts += project.get("optional-dependencies", {})[extra]
    if build:
        texts += pyproject["build-system"]["requires"]
    requirements = [Requirement(text) for text in texts]
    return [r for r in requirements if r.marker is None or r.marker.evaluate()]


def disagreements(
    pyproject_text: str, lock_text: str, extras: tuple[str, ...] = (), build: bool = False
) -> list[str]:
    """What keeps the lock from installing exactly the tree ``pyproject_text`` asks for."""
    pyproject = tomllib.loads(pyproject_text)
    project = pyproject["project"]["name"]
    pins = parse_lock(lock_text)
    problems = [f"not an exact pin: {p.text.split()[0]}" for p in pins if p.version is None]
    problems += [f"no --hash: {p.text.split()[0]}" for p in pins if not p.hashes]
    locked = {p.name: p for p in pins if p.name}
    direct: set[str] = set()
    for requirement in wanted(pyproject, extras, build):
        name = canonicalize_name(requirement.name)
        direct.add(name)
        pin = locked.get(name)
        if pin is None:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(str(pin.version), prereleases=True):
            problems.append(f"{requirement} is locked at {pin.version}")
    for name, pin in locked.items():
        reasons = [reason for reason in pin.via if not reason.startswith("-c ")]
        for reason in reasons:
            if reason.startswith(f"{project} (pyproject.toml"):
                if name not in direct:
                    problems.append(f"{name} is locked for {reason}, which no longer asks for it")
            elif canonicalize_name(reason.split("[")[0]) not in locked:
                problems.append(f"{name} is locked for {reason}, which is not in the lock")
        if not reasons:
            problems.append(f"{name} is locked, but nothing requires it")
    return problems


def test_runtime_lock_pins_the_dependencies_of_pyproject() -> None:
    """Every runtime dependency is pinned, hashed, within its bounds, and nothing else."""
    assert disagreements(PYPROJECT.read_text(), RUNTIME_LOCK.read_text()) == []


def test_dev_lock_pins_the_dependencies_the_dev_extra_and_the_build() -> None:
    """The dev lock also pins the dev extra and the setuptools of the editable install."""
    problems = disagreements(
        PYPROJECT.read_text(), DEV_LOCK.read_text(), extras=("dev",), build=True
    )
    assert problems == []


def test_the_image_runs_the_versions_the_tests_ran() -> None:
    """Each package of the runtime lock has the same version in the dev lock."""
    dev = {pin.name: pin.version for pin in parse_lock(DEV_LOCK.read_text())}
    runtime = {pin.name: pin.version for pin in parse_lock(RUNTIME_LOCK.read_text())}
    assert {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v} == {}


def pyproject_with(dependencies: list[str]) -> str:
    """A pyproject.toml text for the same project, with ``dependencies`` alone."""
    name = tomllib.loads(PYPROJECT.read_text())["project"]["name"]
    return f"[project]\nname = {json.dumps(name)}\ndependencies = {json.dumps(dependencies)}\n"


def test_a_pyproject_the_lock_does_not_satisfy_is_found() -> None:
    """A bound above the pinned version, a new dependency and a dropped one each show up."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    first, *middle, last = project["dependencies"]
    lock = RUNTIME_LOCK.read_text()
    assert disagreements(pyproject_with([first, *middle, last]), lock) == []
    raised, dropped = (canonicalize_name(Requirement(d).name) for d in (first, last))
    version = next(pin.version for pin in parse_lock(lock) if pin.name == raised)
    edited = pyproject_with([f"{raised}>{version}", *middle, "not-a-locked-package>=1.0"])
    assert disagreements(edited, lock) == [
        f"{raised}>{version} is locked at {version}",
        "not-a-locked-package>=1.0 is not in the lock",
        f"{dropped} is locked for {project['name']} (pyproject.toml), which no longer asks for it",
    ]


def test_a_range_an_unhashed_pin_and_a_leftover_are_found() -> None:
    """A lock line that is no exact pin, has no hash or is required by nothing is refused."""
    lock = "\n".join(
        [
            "flask>=3.0 \\",
            "    --hash=sha256:" + "0" * 64,
            "    # via atelier (pyproject.toml)",
            "leftover==1.0",
            "    # via -c requirements/dev.lock",
        ]
    )
    pyproject = '[project]\nname = "atelier"\ndependencies = ["flask>=3.0"]\n'
    assert disagreements(pyproject, lock) == [
        "not an exact pin: flask>=3.0",
        "no --hash: leftover==1.0",
        "flask>=3.0 is not in the lock",
        "leftover is locked, but nothing requires it",
    ]
