"""``python -m tools.scale_test``: build the network, start the stack, run the scenario, print
the figures, remove everything. Exit status 0 when every requirement holds (or when network
namespaces cannot be made here: "skipped"), 1 when one fails, 2 when the machine lacks what
the run needs, 130 when interrupted."""

from __future__ import annotations

import argparse
import fcntl
import os
import tempfile
import time
import traceback
from pathlib import Path

from tools.scale_test.cleanup import Cleanup, Interrupted, remove_leftovers
from tools.scale_test.hosts import HostError
from tools.scale_test.network import (
    ADDRESSES,
    Network,
    NetworkError,
    our_namespaces,
    routes_in_use,
    why_unavailable,
)
from tools.scale_test.scenario import EMAIL_RECOVERY_LIMIT_S, Report, run, seconds
from tools.scale_test.stack import SCALE_TEST_SETTINGS, Stack, describe_network, missing_programs

LOCK = Path("/run/lock/atelier-scale-test.lock")
SHOWN_SETTINGS = (
    "NOTIFICATIONS_SWEEP_INTERVAL_S",
    "NOTIFICATIONS_STALE_OUTBOX_S",
    "CALENDAR_RECHECK_S",
    "TRUSTED_PROXIES",
    "RATE_LIMIT_REGISTRATION",
)


def main() -> int:
    """Run once; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.scale_test", description=__doc__)
    parser.add_argument(
        "--keep", action="store_true", help="keep the hosts' folders (logs, data) afterwards"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path("/var/tmp"), help="where the hosts' folders go"
    )
    args = parser.parse_args()

    reason = why_unavailable()
    if reason is not None:
        print(f"scale test skipped: {reason}", flush=True)
        return 0
    missing = missing_programs()
    if missing:
        print("scale test cannot run:\n  " + "\n  ".join(missing), flush=True)
        return 2
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("scale test cannot run: another run is in progress", flush=True)
            return 2
        return run_locked(args.workdir, keep=args.keep)


def run_locked(workdir: Path, *, keep: bool) -> int:
    """The run itself, once this process is the only one."""
    found = remove_leftovers()
    if found:
        print(f"Removed what an earlier run left behind: {', '.join(found)}", flush=True)
    overlap = routes_in_use()
    if overlap:
        print(f"scale test cannot run: this machine already routes {overlap!r}", flush=True)
        return 2
    workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="atelier-scale-", dir=workdir))
    os.chmod(root, 0o755)  # the db host's PostgreSQL runs as postgres
    report = Report()
    interrupted = False
    started = time.time()
    print(f"Atelier scale test — hosts' folders under {root}", flush=True)
    with Cleanup(root) as cleanup:
        try:
            Network(dict(ADDRESSES)).create()
            print("Network (one namespace per host, on one bridge):", flush=True)
            print(describe_network(), flush=True)
            stack = Stack(root)
            cleanup.stack = stack
            print(
                "Settings: .env.example, with this network's addresses, fresh secrets and "
                + ", ".join(f"{k}={v}" for k, v in SCALE_TEST_SETTINGS.items())
                + "; as there: "
                + ", ".join(f"{k}={stack.setting(k)}" for k in SHOWN_SETTINGS),
                flush=True,
            )
            print("\nStarting db, broker, mail, web1, web2, work1, work2, beat, edge…", flush=True)
            stack.start()
            report.figure(
                "setup: network and every host started",
                seconds(time.time() - started),
                key="setup: network and 10 hosts started",
            )
            run(stack, report)
        except (KeyboardInterrupt, Interrupted) as signal_name:
            interrupted = True
            report.failures.append(f"interrupted ({signal_name or 'SIGINT'})")
        except (HostError, NetworkError) as error:
            report.failures.append(f"the run could not go on: {error}")
            traceback.print_exc()
        except Exception as error:
            report.failures.append(f"the scale test itself failed: {error!r}")
            traceback.print_exc()
        finally:
            cleanup.keep_files = keep or bool(report.failures)
            print("\nStopping every host and removing the network…", flush=True)
    report.figure("total run time", seconds(time.time() - started), key="total run time")
    left = our_namespaces()
    print("\n" + report.table())
    print(
        f"\nEmail recovery limit after Redis returns: EMAIL_RECOVERY_LIMIT_S = "
        f"{EMAIL_RECOVERY_LIMIT_S:.0f} s (tools/scale_test/scenario.py)"
    )
    print(f"Namespaces left: {', '.join(left) if left else 'none'}")
    if report.failures:
        print(f"\nFAILED ({len(report.failures)}):")
        for failure in report.failures:
            print(f"  - {failure}")
        return 130 if interrupted else 1
    print("\nPASSED: every requirement holds.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
