"""Faults over the whole stack during continuous registration: Redis restarted, the worker
killed mid-delivery, PostgreSQL restarted, the SMTP server down for a while. For each,
registrations committed against confirmations delivered."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.support.stack import FAULTS, whole_stack

# Registrations before the fault, during it, and after it; PostgreSQL refuses rather than
# registers while it is down, so its outage lasts a number of refused attempts instead.
BEFORE = AFTER = int(os.environ.get("FAULTS_REGISTRATIONS", "100"))
DURING = {"postgres-restart": 3}


def main() -> None:
    """Inject each fault in turn into one stack and print its figures."""
    with tempfile.TemporaryDirectory() as folder, whole_stack(Path(folder)) as stack:
        for name, fault in FAULTS.items():
            figures = stack.run(
                name, fault, before=BEFORE, outage=DURING.get(name, BEFORE), after=AFTER
            )
            print(figures.line(), flush=True)


if __name__ == "__main__":
    main()
