"""Install a lock exactly as written, then prove the installed set consistent.

`make lock` writes complete locks (every dependency, those of extras included), so pip runs
with ``--no-deps``: it resolves nothing against what the package index serves today, and a
release published after the lock cannot change or break the install. Hashes are still
required for every file. Then every requirement of every installed distribution, extras
included (which ``pip check`` skips), must be met; otherwise the lock is incomplete.

    python tools/install_lock.py LOCK   (run with the interpreter of the target environment)
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import Distribution, distributions

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a bare environment: the copy pip carries has the same interface
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name


def install(lock: str) -> None:
    """Install every file ``lock`` names, hash-checked, resolving nothing."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*command, "--no-deps", "--require-hashes", "-r", lock], check=True)


def requirements(distribution: Distribution, extra: str = "") -> Iterator[Requirement]:
    """What ``distribution`` requires on this machine, with ``extra`` asked for."""
    for text in distribution.requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
            yield requirement


def unmet() -> list[str]:
    """Each requirement of an installed distribution, extras followed, that is not met."""
    installed = {canonicalize_name(d.metadata["Name"]): d for d in distributions()}
    pending = [(name, "") for name in installed]
    seen: set[tuple[str, str]] = set()
    problems = []
    while pending:
        name, extra = pending.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        requirer = installed[name]
        for requirement in requirements(requirer, extra):
            wanted = canonicalize_name(requirement.name)
            found = installed.get(wanted)
            who = f"{requirer.metadata['Name']} {requirer.version}"
            if found is None:
                problems.append(f"{who} requires {requirement}, which is not installed")
            elif not requirement.specifier.contains(found.version, prereleases=True):
                problems.append(f"{who} requires {requirement}, but {found.version} is installed")
            else:
                pending += [(wanted, wanted_extra) for wanted_extra in requirement.extras]
    return sorted(set(problems))


def main(lock: str) -> int:
    """Install ``lock``; report and fail when what it installed does not fit together."""
    install(lock)
    problems = unmet()
    if problems:
        print(f"The packages installed from {lock} do not fit together:", file=sys.stderr)
        print("\n".join(f"  {problem}" for problem in problems), file=sys.stderr)
        print("The lock is incomplete: run 'make lock' and commit the result.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} LOCK")
    sys.exit(main(sys.argv[1]))
