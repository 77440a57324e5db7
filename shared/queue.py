"""The Celery app, built Flask-style (every task runs inside its Flask app's context), the
names of the queues and of the tasks more than one service uses, and the hand-over of tasks
once a transaction has committed."""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
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
RELEASE_UNCONFIRMED_TASK = "registration.release_unconfirmed"
# Organiser messages whose moment has come leave (shared.domain.organiser_messages).
RELEASE_MESSAGES_TASK = "registration.release_due_messages"
# Sent by the registration service's organiser pages: the worker owns the delivery log.
RETRY_FAILED_TASK = "notifications.retry_failed"
# Longer than any retry delay or send, so Redis never hands a task still in progress to a
# second worker; a task lost with its worker comes back after this.
VISIBILITY_TIMEOUT_S = 3600
_AFTER_COMMIT = "tasks_after_commit"
# Tasks the broker refused are offered again this often, until it takes them: after Redis
# comes back, emails leave within seconds instead of waiting for the sweep.
HANDOVER_RETRY_S = 2.0
# Beyond this many waiting tasks a process keeps no more: the sweep finds their rows.
HANDOVER_MAX_WAITING = 10_000
# Rows handed over together travel in tasks of at most this many: one task's claims,
# queries and commits then serve many emails, and several workers still share a burst.
BATCH_SIZE = 25

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
    """Hands tasks to the broker from a background thread of the process.

    A request only queues its tasks: it never waits for Redis, and the tasks of simultaneous
    requests leave together, those delivering outbox rows merged into as few messages as
    their batches allow. Tasks the broker refused are offered again every few seconds until
    it takes them. What a process holds when it dies is lost from this shortcut only: the
    rows stay committed and the notifications sweep finds them; on a normal exit the
    process hands over what it holds first.
    """

    def __init__(self, app: Flask, retry_interval: float = HANDOVER_RETRY_S) -> None:
        self._app = app
        self._retry_interval = retry_interval
        self._queued: list[TaskCall] = []
        self._refused: list[TaskCall] = []
        self._sending = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._drained_at_exit = False

    def send(self, calls: Iterable[TaskCall]) -> None:
        """Hand ``calls`` to the broker as soon as the background thread can."""
        with self._changed:
            self._queued.extend(calls)
            del self._queued[HANDOVER_MAX_WAITING:]
            # Started in the process that sends (a thread does not survive a server's fork),
            # and only while there is something to send.
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="handover", daemon=True)
                self._thread.start()
                if not self._drained_at_exit:
                    atexit.register(self.drain)
                    self._drained_at_exit = True
            self._changed.notify_all()

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every queued task was offered to the broker, at most ``timeout``
        seconds; say whether none is left unoffered."""
        with self._changed:
            return self._changed.wait_for(lambda: not (self._queued or self._sending), timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                # New tasks leave at once, refused ones again after the retry interval.
                self._changed.wait_for(lambda: self._queued, self._retry_interval)
                if not (self._queued or self._refused):
                    self._thread = None  # under the lock: send() starts another after this
                    return
                offered, retried = self._refused + self._queued, bool(self._refused)
                self._queued, self._refused, self._sending = [], [], True
            with self._app.app_context():
                taken = _publish(merged(offered))
            with self._changed:
                self._sending = False
                if not taken:
                    self._refused[:0] = offered[:HANDOVER_MAX_WAITING]
                self._changed.notify_all()
            if not (taken or retried):
                log.warning("%d tasks not enqueued; offered again in a moment", len(offered))
            elif taken and retried:
                log.info("broker back: %d waiting tasks handed over", len(offered))


def in_batches(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """``ids`` in consecutive lists of at most ``size``."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def merged(calls: list[TaskCall]) -> list[TaskCall]:
    """``calls``, with the outbox deliveries of several transactions joined into batches: one
    message, and one run of the task, for many rows."""
    outbox_ids = [
        outbox_id
        for name, args, _queue in calls
        if name == DELIVER_OUTBOX_TASK
        for outbox_id in args[0]
    ]
    deliveries = [(DELIVER_OUTBOX_TASK, [batch], MAIL_QUEUE) for batch in in_batches(outbox_ids)]
    return deliveries + [call for call in calls if call[0] != DELIVER_OUTBOX_TASK]


def send_tasks(calls: Iterable[TaskCall]) -> None:
    """Hand tasks to the broker once this process's background thread can (see HandOver).

    The rows these tasks work on are committed and stay queued when the broker is down: this
    process offers them again every few seconds, and the notifications sweep hands over what
    a process could not, so the caller never waits for Redis.
    """
    current_app.extensions["handover"].send(calls)


def _publish(calls: list[TaskCall]) -> bool:
    celery = current_app.extensions["celery"]
    try:
        with celery.producer_or_acquire() as producer:
            # One attempt at reaching Redis: kombu would otherwise retry for seconds.
            producer.connection.ensure_connection(max_retries=0)
            for name, args, queue in calls:
                # Declaring the queue again for each message costs kombu a copy and a bind of
                # it, a tenth of a publish: the workers declare the queues they read, and a
                # message to the default exchange goes straight to the queue's list.
                celery.send_task(
                    name, args=args, queue=queue, retry=False, producer=producer, declare=[]
                )
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
