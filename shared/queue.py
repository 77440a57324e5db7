"""The Celery app, built Flask-style (every task runs inside its Flask app's context), the
names of the queues and of the tasks more than one service uses, and the hand-over of tasks
once a transaction has committed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from kombu.transport import redis as kombu_redis
from redis import Redis
from sqlalchemy.orm import Session

from shared.database import transaction_list
from shared.i18n import TIME_ZONE

log = logging.getLogger(__name__)

MAIL_QUEUE = "mail"
HOUSEKEEPING_QUEUE = "housekeeping"
# Sent by the registration service after commit, run by the notifications worker.
DELIVER_OUTBOX_TASK = "notifications.deliver_outbox"
# The registration service's housekeeping (shared.housekeeping), scheduled by the one beat.
ANONYMISE_TASK = "registration.anonymise_expired"
PURGE_OUTBOX_TASK = "registration.purge_delivered_outbox"
# Longer than any retry delay or send, so Redis never hands a task still in progress to a
# second worker; a task lost with its worker comes back after this.
VISIBILITY_TIMEOUT_S = 3600
_AFTER_COMMIT = "tasks_after_commit"
# Tasks the broker refused are offered again this often, until it takes them: after Redis
# comes back, emails leave within seconds instead of waiting for the sweep.
HANDOVER_RETRY_S = 2.0
# Beyond this many waiting tasks a process keeps no more: the sweep finds their rows.
HANDOVER_MAX_WAITING = 10_000

TaskCall = tuple[str, list[Any], str]  # task name, arguments, queue


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, talking through one client of its connection pool.

    kombu builds a new redis-py client for every message it publishes, which costs more than
    the LPUSH itself; a client is safe to share, its pool hands each command a connection.
    """

    @contextmanager
    def conn_or_acquire(self, client: Redis | None = None) -> Iterator[Redis]:
        """The given client, or the channel's own."""
        yield client or self.shared_client

    @cached_property
    def shared_client(self) -> Redis:
        """The channel's client, built on first use."""
        return self._create_client()


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport with :class:`RedisChannel`."""

    Channel = RedisChannel


def celery_init_app(app: Flask) -> Celery:
    """Create the app's Celery instance, store it in ``app.extensions['celery']``, return it."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(
        {
            "broker_url": app.config["REDIS_URL"],
            "broker_transport": f"{__name__}:RedisTransport",
            "task_ignore_result": True,
            "task_serializer": "json",
            "accept_content": ["json"],
            "result_serializer": "json",
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_S},
            "task_default_queue": MAIL_QUEUE,
            "timezone": TIME_ZONE,
            **app.config.get("CELERY", {}),
        }
    )
    celery.set_default()
    app.extensions["celery"] = celery
    app.extensions["handover"] = HandOver(app)
    return celery


class HandOver:
    """The tasks the broker refused in this process, offered again from a background thread
    every few seconds until it takes them. A process that dies meanwhile loses only this
    shortcut: the rows stay committed and the notifications sweep finds them."""

    def __init__(self, app: Flask, interval: float = HANDOVER_RETRY_S) -> None:
        self._app = app
        self._interval = interval
        self._waiting: list[TaskCall] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def keep(self, calls: list[TaskCall]) -> None:
        """Offer ``calls`` again until the broker takes them."""
        with self._lock:
            self._waiting.extend(calls[: HANDOVER_MAX_WAITING - len(self._waiting)])
            if self._thread is None:
                self._thread = threading.Thread(target=self._retry, name="handover", daemon=True)
                self._thread.start()

    def _retry(self) -> None:
        while True:
            time.sleep(self._interval)
            with self._lock:
                calls, self._waiting = self._waiting, []
                if not calls:
                    self._thread = None  # under the lock: keep() starts a new one after this
                    return
            with self._app.app_context():
                taken = _publish(calls)
            if taken:
                log.info("broker back: %d waiting tasks handed over", len(calls))
                continue
            with self._lock:
                self._waiting[:0] = calls


def send_tasks(calls: Iterable[TaskCall]) -> bool:
    """Hand tasks to the broker in one attempt; say whether it took them.

    The rows these tasks work on are committed and stay queued when the broker is down: this
    process offers them again every few seconds, and the notifications sweep hands over what
    a process could not, so the caller never waits for Redis.
    """
    calls = list(calls)
    if _publish(calls):
        return True
    log.warning("tasks %s not enqueued; they are offered again when the broker is back", calls)
    handover = current_app.extensions.get("handover")
    if handover is not None:
        handover.keep(calls)
    return False


def _publish(calls: list[TaskCall]) -> bool:
    celery = current_app.extensions["celery"]
    try:
        with celery.producer_or_acquire() as producer:
            # One attempt at reaching Redis: kombu would otherwise retry for seconds, and the
            # request, already committed, would wait for it.
            producer.connection.ensure_connection(max_retries=0)
            for name, args, queue in calls:
                celery.send_task(name, args=args, queue=queue, retry=False, producer=producer)
    except Exception:
        return False
    return True


def send_after_commit(session: Session, name: str, args: list[Any], *, queue: str) -> None:
    """Hand a task to the broker once the session's transaction commits; never if it rolls
    back, so that no worker sees a row before it is stored."""
    transaction_list(session, _AFTER_COMMIT, committed=_send_committed).append((name, args, queue))


def _send_committed(calls: list[TaskCall]) -> None:
    if has_app_context():
        send_tasks(calls)
