"""Leave nothing behind: every process of the hosts killed, the namespaces and the bridge
removed, whether the run passes, fails, raises or is interrupted (Ctrl-C, SIGTERM, SIGHUP).

Processes are found by the namespace they live in (``ip netns pids``), never by name, so
that the machine's own PostgreSQL, Redis or anything else is never touched.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path
from types import FrameType, TracebackType

from tools.scale_test.network import leftovers, our_namespaces, remove_namespaces
from tools.scale_test.stack import Stack

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A signal asked the run to stop."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def remove_leftovers() -> list[str]:
    """Remove what an earlier run that could not clean up (killed) left; say what it was."""
    found = list(leftovers())
    if found:
        remove_namespaces(our_namespaces())
    return found


class Cleanup:
    """``with Cleanup(root) as cleanup: …``: on the way out, everything goes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stack: Stack | None = None
        self.keep_files = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Cleanup:
        for signum in HANDLED:
            self._previous[signum] = signal.signal(signum, _interrupt)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        # A second Ctrl-C must not cut the cleaning short.
        for signum in HANDLED:
            signal.signal(signum, signal.SIG_IGN)
        try:
            problems = self.run()
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
        for problem in problems:
            print(f"cleanup: {problem}", flush=True)

    def run(self) -> list[str]:
        """Kill, remove, reap; return what could not be done."""
        problems: list[str] = []
        if self.stack is not None:
            try:
                self.stack.dispose()
            except Exception as error:
                problems.append(f"closing the database connections: {error}")
        problems += remove_namespaces(our_namespaces())
        if self.stack is not None:
            for host in self.stack.hosts.values():
                for process in host.processes.values():
                    try:
                        process.popen.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        problems.append(f"{host.name}/{process.name} still runs")
        if self.keep_files:
            print(f"Logs and data kept in {self.root}", flush=True)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        return problems
