"""The whole stack as real processes on free ports, private to its user: PostgreSQL, Redis, an
SMTP server, the registration service under gunicorn, the notifications worker and beat; a
client registering continuously; faults to inject while it does; and the tally afterwards."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from shared.database import create_db_engine
from shared.migrate import upgrade_database
from shared.models import (
    DeliveryStatus,
    EmailKind,
    EmailMessage,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from tests.support.factories import Factory
from tests.support.mail import FAST_DELIVERY, CeleryBeat, CeleryWorker, SmtpServer, eventually
from tests.support.servers import (
    ManagedProcess,
    PostgresServer,
    RedisServer,
    free_port,
    gunicorn_command,
    service_environment,
    wait_for_http,
)

COMMITTED = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
ANSWERS = (EmailKind.CONFIRMED, EmailKind.WAITLISTED)
UNFINISHED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
DELIVERY = {
    **FAST_DELIVERY,
    # Production's budget of hours outlasts an ordinary SMTP outage; so does this one, here.
    "NOTIFICATIONS_MAX_RETRIES": "200",
    # A send may wait out a short database restart; a row is swept only after that.
    "NOTIFICATIONS_SEND_TIME_LIMIT_S": "10",
    "NOTIFICATIONS_STALE_SENDING_S": "12",
    # Rows waiting behind a backlog are enqueued again only once the backlog may be gone.
    "NOTIFICATIONS_STALE_OUTBOX_S": "3",
    "NOTIFICATIONS_STALE_QUEUED_S": "8",
    "NOTIFICATIONS_SWEEP_INTERVAL_S": "1",
}


@dataclass(frozen=True)
class OpenGroup:
    """The group the traffic registers for."""

    event_id: int
    event_slug: str
    group_slug: str


class Traffic:
    """One client registering continuously over HTTP, a new address each time.

    A 503 with Retry-After is what a database outage may answer: the client waits as told and
    goes on. Every other answer than 201 is an error.
    """

    def __init__(self, base_url: str, group: OpenGroup) -> None:
        self.url = f"{base_url}/api/v1/events/{group.event_slug}/registrations"
        self.group = group
        self.outcomes: Counter[str] = Counter()
        self.errors: list[str] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    @contextmanager
    def running(self) -> Iterator[Traffic]:
        """Register continuously for the duration of the block."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stopping.set()
            self._thread.join(timeout=60)

    def address(self, n: int) -> str:
        """The email address of the ``n``-th attempt."""
        return f"{self.group.event_slug}-{n}@example.org"

    def wait_for_more(self, outcome: str, count: int, timeout: float = 120.0) -> None:
        """Block until ``count`` more attempts ended with ``outcome`` (accepted or refused)."""
        with self._changed:
            target = self.outcomes[outcome] + count
            if not self._changed.wait_for(lambda: self.outcomes[outcome] >= target, timeout):
                raise TimeoutError(
                    f"{self.outcomes[outcome]} of {target} {outcome} after {timeout}s; "
                    f"errors: {self.errors[:3]}"
                )

    def _run(self) -> None:
        for n in itertools.count(1):
            if self._stopping.is_set():
                return
            self._attempt(n)

    def _attempt(self, n: int) -> None:
        body = {
            "group": self.group.group_slug,
            "first_name": "Awa",
            "last_name": f"N{n}",
            "email": self.address(n),
            "role": "field_worker",
            "language": "fr",
            "consent": True,
            "commit_all_dates": True,
        }
        try:
            response = requests.post(self.url, json=body, timeout=30)
        except requests.RequestException as error:
            self._record("error", f"{type(error).__name__}: {error}")
            return
        if response.status_code == 201:
            self._record("accepted")
        elif response.status_code == 503 and "Retry-After" in response.headers:
            self._record("refused")
            self._stopping.wait(float(response.headers["Retry-After"]))
        else:
            self._record("error", f"{response.status_code} {response.text[:300]}")

    def _record(self, outcome: str, error: str | None = None) -> None:
        with self._changed:
            self.outcomes[outcome] += 1
            if error is not None:
                self.errors.append(error)
            self._changed.notify_all()


@dataclass(frozen=True)
class FaultFigures:
    """What a fault cost: registrations committed against confirmations delivered."""

    fault: str
    committed: int
    delivered: int
    duplicated: int
    strays: int
    refused: int
    errors: list[str]

    @property
    def lost(self) -> int:
        """Committed registrations whose email never arrived."""
        return self.committed - self.delivered

    def line(self) -> str:
        """The figures as one line of the report."""
        return (
            f"fault {self.fault}: {self.committed} registrations committed, "
            f"{self.delivered} confirmations delivered, {self.lost} lost, "
            f"{self.duplicated} duplicated, {self.strays} unexpected, "
            f"{self.refused} refused with 503, {len(self.errors)} server errors"
        )


class Stack:
    """Every process of an installation, each on a free port, sharing one private database."""

    def __init__(self, workdir: Path, *, web_workers: int = 2) -> None:
        self.postgres = PostgresServer()
        self.redis = RedisServer(workdir / "redis")
        self.smtp = SmtpServer()
        env = {
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": "stack-secret",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp.port),
            "MAIL_DEFAULT_SENDER": "Atelier <no-reply@atelier.example.org>",
            **DELIVERY,
        }
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.registration = ManagedProcess(
            gunicorn_command("services.registration", port, web_workers),
            workdir / "registration.log",
            service_environment(**env),
        )
        # One worker process: a kill then lands while its one delivery is held mid-send.
        self.worker = CeleryWorker(workdir / "worker", env, concurrency=1, beat=False)
        self.beat = CeleryBeat(workdir / "beat", env)
        self.engine = create_db_engine(self.postgres.url)

    def start(self) -> Stack:
        """Start every process, the database migrated first."""
        self.postgres.start()
        upgrade_database(self.postgres.url)
        self.redis.start()
        self.smtp.start()
        self.registration.start()
        wait_for_http(f"{self.base_url}/livez", timeout=60)
        self.worker.start()
        self.beat.start()
        return self

    def stop(self) -> None:
        """Stop every process and remove the database."""
        for process in (self.beat, self.worker, self.registration, self.redis):
            process.stop()
        self.smtp.stop()
        self.engine.dispose()
        self.postgres.destroy()

    def open_group(self, slug: str) -> OpenGroup:
        """An event open for registration whose one group never fills."""
        with Session(self.engine) as session:
            make = Factory(session)
            event = make.event(slug=slug)
            group = make.group(event, capacity=100_000)
            return OpenGroup(event.id, event.slug, group.slug)

    def run(self, name: str, fault: Fault, *, before: int, outage: int, after: int) -> FaultFigures:
        """Register continuously: ``before`` registrations, then ``fault`` lasting ``outage``
        attempts, then ``after`` more; wait for the emails to settle and tally."""
        group = self.open_group(f"fault-{name}")
        traffic = Traffic(self.base_url, group)
        with traffic.running():
            traffic.wait_for_more("accepted", before)
            fault(self, traffic, outage)
            traffic.wait_for_more("accepted", after)
        with suppress(TimeoutError):  # what never arrived is counted as lost
            eventually(lambda: self.settled(group), timeout=120, what="emails settled")
        return self.tally(name, group, traffic)

    def committed_addresses(self, group: OpenGroup) -> set[str]:
        """Addresses of the event's registrations that the database holds."""
        with Session(self.engine) as session:
            return set(
                session.scalars(
                    select(Registration.email).where(
                        Registration.event_id == group.event_id, Registration.status.in_(COMMITTED)
                    )
                )
            )

    def settled(self, group: OpenGroup) -> bool:
        """Whether every committed registration got its email and nothing is left to send."""
        received = {message["To"] for message in self.smtp.mailbox.messages}
        if not self.committed_addresses(group) <= received:
            return False
        with Session(self.engine) as session:
            unfinished = session.scalar(
                select(func.count(EmailMessage.id)).where(
                    EmailMessage.event_id == group.event_id, EmailMessage.status.in_(UNFINISHED)
                )
            )
            unsent_outbox = session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.event_id == group.event_id,
                    ~exists().where(EmailMessage.outbox_id == OutboxMessage.id),
                )
            )
        return unfinished == 0 and unsent_outbox == 0

    def tally(self, name: str, group: OpenGroup, traffic: Traffic) -> FaultFigures:
        """Registrations the database holds against the emails the SMTP server received."""
        with Session(self.engine) as session:
            expected = dict(
                session.execute(
                    select(EmailMessage.recipient, EmailMessage.message_id).where(
                        EmailMessage.event_id == group.event_id, EmailMessage.kind.in_(ANSWERS)
                    )
                ).all()
            )
        committed = self.committed_addresses(group)
        received = Counter(
            (message["To"], message["Message-ID"])
            for message in list(self.smtp.mailbox.messages)
            if message["To"].startswith(f"{group.event_slug}-")
        )
        delivered = {
            (address, message_id)
            for address, message_id in received
            if address in committed and expected.get(address) == message_id
        }
        return FaultFigures(
            fault=name,
            committed=len(committed),
            delivered=len(delivered),
            duplicated=sum(count - 1 for count in received.values()),
            strays=len(received) - len(delivered),
            refused=traffic.outcomes["refused"],
            errors=list(traffic.errors),
        )


Fault = Callable[[Stack, Traffic, int], None]


@contextmanager
def whole_stack(workdir: Path) -> Iterator[Stack]:
    """A running stack for the duration of the block."""
    stack = Stack(workdir)
    try:
        yield stack.start()
    finally:
        stack.stop()


def restart_redis(stack: Stack, traffic: Traffic, attempts: int) -> None:
    """Redis stops while an email is being sent and registrations go on, and comes back
    empty on the same port: the tasks it held are gone, and the sweep finds their rows."""
    with stack.smtp.mailbox.delivery_held():
        stack.redis.stop()
    try:
        traffic.wait_for_more("accepted", attempts)
    finally:
        stack.redis.start()


def kill_worker(stack: Stack, traffic: Traffic, attempts: int) -> None:
    """The worker is killed in the middle of a delivery and started again later."""
    mailbox = stack.smtp.mailbox
    with mailbox.delivery_held():
        abandoned = mailbox.abandoned
        stack.worker.kill()
        # Released sooner, the server would accept what the dead worker never recorded.
        eventually(lambda: mailbox.abandoned > abandoned, what="the delivery abandoned")
    try:
        traffic.wait_for_more("accepted", attempts)
    finally:
        stack.worker.start()


def restart_postgres(stack: Stack, traffic: Traffic, attempts: int) -> None:
    """PostgreSQL stops (fast: sessions are cut) while an email is being sent, until
    ``attempts`` registrations were refused, then starts again on the same port and data."""
    with stack.smtp.mailbox.delivery_held():
        stack.postgres.stop()
    try:
        traffic.wait_for_more("refused", attempts)
    finally:
        stack.postgres.start()


def smtp_outage(stack: Stack, traffic: Traffic, attempts: int) -> None:
    """The SMTP server refuses connections while registrations go on, then comes back."""
    stack.smtp.stop()
    try:
        traffic.wait_for_more("accepted", attempts)
    finally:
        stack.smtp.start()


FAULTS: dict[str, Fault] = {
    "redis-restart": restart_redis,
    "worker-kill": kill_worker,
    "postgres-restart": restart_postgres,
    "smtp-outage": smtp_outage,
}
