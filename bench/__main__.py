"""``python -m bench``: run every area's benchmark in turn."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    """Run each bench module's ``main()``, in name order."""
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"bench.{module.name}").main()


if __name__ == "__main__":
    main()
