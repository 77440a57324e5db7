"""Answers to public feed requests, kept while the feed's data is trusted without reading it
again (CALENDAR_RECHECK_S, see freshness): the same request within that time gets the same
status, headers and bytes before Flask's request cycle starts, and is still counted and
logged. A burst of subscribers polling one feed then costs a dictionary look-up each.

Only answers a view offers (``keep_answer``) are kept, and only 200s and 304s setting no
cookie. The key is everything such an answer depends on: the path, the query, and the
headers a feed's language and validators come from.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import request

from services.calendar.freshness import RecentReads
from shared.observability import record_request, route_of_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

KEY_FIELDS = (
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_COOKIE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
)
KEPT_STATUSES = (200, 304)
MAX_ANSWERS = 1024
MAX_BYTES = 32 * 1024 * 1024
# Where a view leaves its offer in the WSGI environment: until when, and the route's name.
_OFFERED = "atelier.answer_offered"

Key = tuple[str | None, ...]


@dataclass(frozen=True)
class Answer:
    """A whole answer, as it was written, and until when it may be given again."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    route: str
    until: float


def keep_answer(until: float) -> None:
    """Offer this request's answer for giving again, to the same request, until ``until``
    (on the clock of the service's recent reads)."""
    request.environ[_OFFERED] = (until, route_of_request())


class RecentAnswers:
    """WSGI layer giving kept answers again, and keeping those offered."""

    def __init__(self, app: WSGIApplication, service: str, reads: RecentReads[object]) -> None:
        self.app = app
        self.service = service
        # The reads' clock: an answer expires when the data it shows would be read again.
        self.reads = reads
        self._answers: dict[Key, Answer] = {}
        self._bytes = 0
        self._keeping = threading.Lock()

    def __call__(
        self, wsgi_environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Give the kept answer to this request if there is one, else ask the app."""
        if wsgi_environ.get("REQUEST_METHOD") != "GET":
            return self.app(wsgi_environ, start_response)
        started = time.perf_counter()
        key = tuple(wsgi_environ.get(field) for field in KEY_FIELDS)
        answer = self._answers.get(key)
        if answer is not None and self.reads.clock() < answer.until:
            start_response(answer.status, list(answer.headers))
            status = int(answer.status[:3])
            record_request(self.service, "GET", answer.route, status, started)
            return [answer.body]
        written: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            written.append((status, headers))
            return start_response(status, headers, exc_info)

        body = self.app(wsgi_environ, capture)
        offered = wsgi_environ.get(_OFFERED)
        if offered is None or not written or not _keepable(*written[-1]):
            return body
        try:
            content = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        (status, headers), (until, route) = written[-1], offered
        self._keep(key, Answer(status, list(headers), content, route, until))
        return [content]

    def _keep(self, key: Key, answer: Answer) -> None:
        with self._keeping:
            if len(self._answers) >= MAX_ANSWERS or self._bytes + len(answer.body) > MAX_BYTES:
                # Kept for a second or so: starting afresh loses little.
                self._answers.clear()
                self._bytes = 0
            replaced = self._answers.get(key)
            self._answers[key] = answer
            self._bytes += len(answer.body) - (len(replaced.body) if replaced else 0)


def _keepable(status: str, headers: list[tuple[str, str]]) -> bool:
    return int(status[:3]) in KEPT_STATUSES and all(
        name.lower() != "set-cookie" for name, _value in headers
    )
