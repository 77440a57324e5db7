"""What a service tells its operators: JSON logs and Prometheus metrics.

Logs name routes by their template (``/manage/<manage_token>``) and records by their ids,
so tokens, names and emails never reach them. Metrics count requests and their latency, and
read the figures that matter from the database at scrape time (registrations, the outbox
queue, failed emails), so every process reports the same.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.database import db, utcnow
from shared.models import DeliveryStatus, EmailMessage, OutboxMessage, Registration

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("atelier.requests")
# Where the WSGI environment keeps the moment a request arrived.
_STARTED = "atelier.started"

REQUESTS = Counter(
    "atelier_http_requests_total",
    "HTTP requests answered",
    ["service", "method", "route", "status"],
)
LATENCY = Histogram(
    "atelier_http_request_duration_seconds", "Time to answer a request", ["service", "route"]
)

# A registration rush queues on one group's lock: how long each change waits for it, and
# holds it, tells whether the queue moves. Buckets from a fraction of a millisecond up.
LOCK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
GROUP_LOCK_WAIT = Histogram(
    "atelier_group_lock_wait_seconds", "Time to obtain a group's lock", buckets=LOCK_BUCKETS
)
GROUP_LOCK_HELD = Histogram(
    "atelier_group_lock_held_seconds",
    "Time a group's lock was held, until its transaction ended",
    buckets=LOCK_BUCKETS,
)

DatabaseGauges = Callable[[Session], Iterable[Metric]]
# What every log line calls the record's standard fields; the request line writes them too.
FIELD_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}
_TIME_FIELD = json.dumps(FIELD_NAMES["asctime"])


# What ends the local part of an address written in free text (an SMTP reply, an error).
_AROUND_ADDRESSES = frozenset(" \t\r\n<>()[]{},;:'\"=")
REDACTED_MAILBOX = "…"


def without_addresses(text: str) -> str:
    """``text`` with the part before each "@" of an email address blanked out, its domain kept.

    Plain string code, each character looked at once: the text may hold anything a person
    typed or a server answered.
    """
    pieces = text.split("@")
    kept = []
    for piece in pieces[:-1]:
        start = len(piece)
        while start and piece[start - 1] not in _AROUND_ADDRESSES:
            start -= 1
        kept.append(piece[:start] + REDACTED_MAILBOX if start < len(piece) else piece)
    return "@".join([*kept, pieces[-1]])


class AddressFreeJsonFormatter(JsonFormatter):
    """JSON log lines in which no email address is left whole, whatever logged them."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line, addresses redacted (see :func:`without_addresses`)."""
        line = super().format(record)
        return without_addresses(line) if "@" in line else line


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON, once per process."""
    root = logging.getLogger()
    if any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        AddressFreeJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields=FIELD_NAMES,
        )
    )
    root.addHandler(handler)
    root.setLevel(level)


def route_of_request() -> str:
    """The matched route's template, or a placeholder when none matched."""
    return request.url_rule.rule if request.url_rule else "<unmatched>"


@lru_cache(maxsize=4096)
def _series(service: str, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    # Looking a labelled series up costs prometheus_client a lock and a validation each time;
    # a service answers a few dozen routes with a handful of statuses.
    return REQUESTS.labels(service, method, route, status), LATENCY.labels(service, route)


@lru_cache(maxsize=4096)
def _request_fields(service: str, method: str, route: str, status: int) -> str:
    # The part of a request's line that repeats from one request to the next, worded once.
    fields = {
        FIELD_NAMES["levelname"]: "INFO",
        FIELD_NAMES["name"]: log.name,
        "message": "request",
        "service": service,
    }
    return json.dumps(fields | {"method": method, "route": route, "status": status})[1:-1]


@lru_cache(maxsize=2)
def _second(moment: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))


def log_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    """Write the request's log line, in the shape of every other (see configure_logging),
    when the ``atelier.requests`` logger takes INFO records.

    Written directly, as a web server writes its access log: a logging record, with its
    handler's lock and formatter, would cost a probe or a cached feed a third of its time.
    """
    if not log.isEnabledFor(logging.INFO):
        return
    now = time.time()
    stamp = f"{_second(int(now))},{int(now % 1 * 1000):03d}"
    duration = round(1000 * seconds, 2)
    fields = _request_fields(service, method, route, status)
    sys.stderr.write(f'{{{_TIME_FIELD}: "{stamp}", {fields}, "duration_ms": {duration}}}\n')


def record_request(service: str, method: str, route: str, status: int, started: float) -> None:
    """Count and time a request answered now, having arrived at ``started`` (perf_counter),
    and write its log line."""
    seconds = time.perf_counter() - started
    counted, timed = _series(service, method, route, status)
    counted.inc()
    timed.observe(seconds)
    log_request(service, method, route, status, seconds)


def _timed(wsgi_app: WSGIApplication) -> WSGIApplication:
    # The clock starts before Flask does anything with the request.
    def timed(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[_STARTED] = time.perf_counter()
        return wsgi_app(environ, start_response)

    return timed


def init_observability(app: Flask, gauges: Iterable[DatabaseGauges] = ()) -> None:
    """Log and count every request of ``app``; serve ``/metrics`` with ``gauges``, read from
    the database at most once every ``METRICS_CACHE_S`` seconds."""
    database_gauges = CachedGauges(gauges, app.config["METRICS_CACHE_S"])
    app.wsgi_app = _timed(app.wsgi_app)  # type: ignore[method-assign]

    @app.after_request
    def _record(response: Response) -> Response:
        started = request.environ.get(_STARTED)
        if started is not None:
            method, status = request.method, response.status_code
            record_request(app.name, method, route_of_request(), status, started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics of this service."""
        registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            multiprocess.MultiProcessCollector(registry)
        else:
            registry.register(_Collected(REGISTRY.collect))
        registry.register(_Collected(database_gauges.collect))
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _Collected:
    """Adapts a function returning metrics to prometheus_client's collector protocol."""

    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()


class CachedGauges:
    """The database figures of /metrics, read again only once they are ``lifetime`` seconds
    old: each read counts whole tables, and anyone who can reach /metrics can ask often."""

    def __init__(self, gauges: Iterable[DatabaseGauges], lifetime: float) -> None:
        self._gauges = list(gauges)
        self._lifetime = lifetime
        self._lock = threading.Lock()  # a burst of scrapes reads the database once
        self._metrics: list[Metric] = []
        self._read_at: float | None = None

    def collect(self) -> list[Metric]:
        """The figures, read now if those at hand are too old."""
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= self._lifetime:
                self._metrics = list(_read_gauges(self._gauges))
                self._read_at = now
            return self._metrics


def _read_gauges(gauges: list[DatabaseGauges]) -> Iterator[Metric]:
    try:
        for gauge in gauges:
            yield from gauge(db.session)
    finally:
        db.session.rollback()


def registration_gauges(session: Session) -> Iterator[Metric]:
    """Registrations by status."""
    by_status = GaugeMetricFamily(
        "atelier_registrations", "Registrations by status", labels=["status"]
    )
    rows = session.execute(
        select(Registration.status, func.count(Registration.id)).group_by(Registration.status)
    )
    for status, count in rows:
        by_status.add_metric([str(status)], count)
    yield by_status


def delivery_gauges(session: Session) -> Iterator[Metric]:
    """Emails by delivery status, and the outbox rows still waiting for delivery."""
    by_status = GaugeMetricFamily("atelier_emails", "Emails by delivery status", labels=["status"])
    rows = session.execute(
        select(EmailMessage.status, func.count(EmailMessage.id)).group_by(EmailMessage.status)
    )
    for status, count in rows:
        by_status.add_metric([str(status)], count)
    yield by_status
    waiting = (
        select(OutboxMessage.created_at)
        .outerjoin(EmailMessage, EmailMessage.outbox_id == OutboxMessage.id)
        .where(
            (EmailMessage.id.is_(None))
            | EmailMessage.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
        )
        .subquery()
    )
    count, oldest = session.execute(
        select(func.count(), func.min(waiting.c.created_at)).select_from(waiting)
    ).one()
    yield GaugeMetricFamily(
        "atelier_outbox_pending", "Outbox emails not yet delivered", value=count
    )
    age = (utcnow() - _aware(oldest)).total_seconds() if oldest else 0.0
    yield GaugeMetricFamily(
        "atelier_outbox_oldest_pending_age_seconds",
        "Age of the oldest undelivered email",
        value=age,
    )


def _aware(moment: datetime | str) -> datetime:
    # An aggregate bypasses the column type, so SQLite hands back naive UTC, even as text.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
