"""``make bench``: run every benchmark module in turn, print its figures, then every target
and whether it was met; exit non-zero when one was missed or a module failed."""

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
from bench.support import VERDICTS
from shared.observability import configure_logging

# The shared helpers and the yardstick the benchmarks measure against.
NOT_BENCHMARKS = {"support", "floor"}


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
    # The figures are the output: the request lines of the apps this process runs itself would
    # bury them. The servers it starts log every request as in production, to their own files,
    # so that the figures include what each line costs.
    configure_logging("WARNING")
    names = sorted(
        module.name
        for module in pkgutil.iter_modules(bench.__path__)
        if module.name not in NOT_BENCHMARKS and not module.name.startswith("_")
    )
    selected = sys.argv[1:] or names
    print(f"Machine: {machine()}", flush=True)
    failed = []
    for name in selected:
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception:
            failed.append(name)
            traceback.print_exc()
        print(f"({time.monotonic() - started:.0f} s)", flush=True)
    print("\n== targets", flush=True)
    for verdict in VERDICTS:
        print(f"{'met' if verdict.met else 'MISSED':8}{verdict.name}: {verdict.outcome}")
    for name in failed:
        print(f"{'FAILED':8}bench.{name} stopped with an error (traceback above)")
    missed = sum(not verdict.met for verdict in VERDICTS)
    print(f"{len(VERDICTS) - missed} of {len(VERDICTS)} targets met", end="; ")
    print(f"{len(failed)} of {len(selected)} modules failed")
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
