"""Run every benchmark module of this package, one after the other."""

from __future__ import annotations

import importlib
import pkgutil

import bench


def main() -> None:
    """Import each bench.<area> and call its main()."""
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__)):
        if not module.startswith("_"):
            importlib.import_module(f"bench.{module}").main()


if __name__ == "__main__":
    main()
