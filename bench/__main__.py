"""``make bench``: run every benchmark module in turn and print its figures."""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path

import bench

NOT_BENCHMARKS = {"support"}


def machine() -> str:
    """The machine the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def main() -> int:
    """Run each bench/<area>.py's main(); a failing one is reported and the rest still run."""
    # The figures are the output: the services' request logs would bury them.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    names = sorted(
        module.name
        for module in pkgutil.iter_modules(bench.__path__)
        if module.name not in NOT_BENCHMARKS and not module.name.startswith("_")
    )
    selected = sys.argv[1:] or names
    print(f"Machine: {machine()}", flush=True)
    failures = 0
    for name in selected:
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception:
            failures += 1
            traceback.print_exc()
        print(f"({time.monotonic() - started:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
