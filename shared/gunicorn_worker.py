"""The gunicorn worker of the web services (``worker_class`` in gunicorn.conf.py).

gunicorn refuses some requests before any service sees them: a request line or headers beyond
its limits, or a request it cannot parse. It answers those by itself with an HTML page, and
logs the request's target, which carries tokens. This worker answers them in the services' one
JSON error shape instead (the very body the service would give), with the statuses the OpenAPI
documents list for every operation (see shared.openapi), and logs only what went wrong.
"""

from __future__ import annotations

import socket
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gunicorn.http import errors
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker

if TYPE_CHECKING:
    from flask import Flask

# Refusals of a request gunicorn could not read, by the limit it went beyond; any other request
# it cannot parse is a 400.
LIMIT_STATUSES = ((errors.LimitRequestLine, 414), (errors.LimitRequestHeaders, 431))
# Parse errors that are the server's fault, not the client's: a header the app tried to send,
# a configuration gunicorn cannot apply.
SERVER_FAULTS = (
    errors.InvalidResponseHeader,
    errors.InvalidResponseHeaderName,
    errors.ConfigurationProblem,
)
REASONS = {
    400: "Bad Request",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


def refusal_status(error: BaseException) -> int:
    """The status gunicorn's refusal of a request answers with, for the error it met."""
    if not isinstance(error, errors.ParseException) or isinstance(error, SERVER_FAULTS):
        return 500
    for limit, status in LIMIT_STATUSES:
        if isinstance(error, limit):
            return status
    return 400


@lru_cache(maxsize=len(REASONS))
def refusal(app: Flask, status: int) -> bytes:
    """The whole HTTP answer of a refusal: the service's error body for ``status``, in its
    default language (the request's headers may not have been read), closing the connection."""
    # Imported here, in a worker whose app has loaded it already: gunicorn's master process
    # imports this module to find the worker class, and would otherwise hold Flask and
    # SQLAlchemy in memory for nothing (about 30 MiB per service).
    from shared.errors_http import API_PREFIX, error_response

    with app.test_request_context(API_PREFIX):
        body = error_response(status).get_data()
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class JsonErrorWorker(ThreadWorker):
    """gunicorn's threaded worker, refusing requests in the services' JSON error shape."""

    wsgi: Flask

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        """Answer a request gunicorn refused, or whose handling failed before any answer."""
        status = refusal_status(exc)
        # Never the request's target or the error's text: both may carry a token.
        if status >= 500:
            self.log.exception("Error handling a request: %s", type(exc).__name__)
        else:
            self.log.warning("Request refused before the service: %s", type(exc).__name__)
        try:
            write_nonblock(client, refusal(self.wsgi, status))
        except OSError:
            self.log.debug("Failed to send error message.")
