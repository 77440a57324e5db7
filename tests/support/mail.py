"""A real SMTP server for tests (aiosmtpd) and a real Celery worker of the notifications service."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.controller import Controller

from tests.support.servers import ManagedProcess, free_port, service_environment

T = TypeVar("T")

# Short delays so that retries, the sweep and stuck sends play out in seconds.
FAST_DELIVERY = {
    "NOTIFICATIONS_MAX_RETRIES": "20",
    "NOTIFICATIONS_RETRY_BASE_S": "0.2",
    "NOTIFICATIONS_RETRY_MAX_S": "0.5",
    "NOTIFICATIONS_SEND_TIME_LIMIT_S": "3",
    "NOTIFICATIONS_STALE_OUTBOX_S": "0.5",
    "NOTIFICATIONS_STALE_QUEUED_S": "5",
    "NOTIFICATIONS_STALE_SENDING_S": "4",
    "NOTIFICATIONS_SWEEP_INTERVAL_S": "0.5",
    "NOTIFICATIONS_REMINDER_INTERVAL_S": "3600",
}


def eventually(probe: Callable[[], T], *, timeout: float = 30.0, what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached after {timeout}s")
        time.sleep(0.05)


class Mailbox:
    """aiosmtpd handler keeping every message it accepts; it can hold a delivery in flight,
    and answer chosen recipients with a refusal (``refusals``: address → SMTP reply).

    A held delivery answers only when released. If the sender goes away first, aiosmtpd
    cancels the handler and the message is not accepted, as with a real server.
    """

    def __init__(self) -> None:
        self.refusals: dict[str, str] = {}
        self.messages: list[EmailMessage] = []
        self.envelope_recipients: list[list[str]] = []
        self.hold = threading.Event()
        self.in_flight = threading.Event()
        self.abandoned = 0
        self._changed = threading.Condition()

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        """Refuse the recipients named in ``refusals``; accept the others."""
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Accept the message (after any hold) and keep it parsed."""
        self.in_flight.set()
        try:
            while self.hold.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:  # the sender went away before the server answered
            self.abandoned += 1
            raise
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        with self._changed:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelope_recipients.append(list(envelope.rcpt_tos))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    @contextmanager
    def delivery_held(self) -> Iterator[None]:
        """Hold the next delivery in the middle of its DATA for the duration of the block."""
        self.in_flight.clear()
        self.hold.set()
        try:
            eventually(self.in_flight.is_set, what="a delivery in flight")
            yield
        finally:
            self.hold.clear()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Block until at least ``count`` messages arrived; return them all."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(f"{len(self.messages)} of {count} emails after {timeout}s")
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for ``address``."""
        with self._changed:
            return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """An aiosmtpd server on a fixed port that can be stopped and started again."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        """Listen on the port."""
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until started again."""
        self.mailbox.hold.clear()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class CeleryWorker(ManagedProcess):
    """``celery worker`` (with beat, for the sweep) of the notifications service."""

    def __init__(
        self, workdir: Path, env: dict[str, str], *, concurrency: int = 1, beat: bool = True
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "services.notifications.worker",
            "worker",
            "--queues",
            "mail,housekeeping",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            *(["--beat", "--schedule", str(workdir / "beat-schedule")] if beat else []),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"notifications-{free_port()}@%h",
        ]
        super().__init__(args, workdir / "worker.log", service_environment(**env))

    def start(self) -> CeleryWorker:
        """Start and wait until the worker consumes."""
        offset = len(self.log())
        super().start()
        eventually(
            lambda: " ready." in self.log()[offset:] or self._exited(),
            timeout=60,
            what="celery worker ready",
        )
        if self._exited():
            raise RuntimeError(f"celery worker exited:\n{self.log()[offset:]}")
        return self

    def _exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None


class CeleryBeat(ManagedProcess):
    """``celery beat`` of the notifications service, apart from the worker, as in production."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "services.notifications.worker",
            "beat",
            "--schedule",
            str(workdir / "beat-schedule"),
            "--loglevel",
            "INFO",
        ]
        super().__init__(args, workdir / "beat.log", service_environment(**env))
