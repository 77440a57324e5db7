"""Every answer of every service is in the one error shape and documented, the requests that
gunicorn refuses by itself included: a request line or headers beyond its limits, or a request
it cannot read at all."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from services.calendar import create_app as create_calendar
from services.notifications import create_app as create_notifications
from services.registration import create_app as create_registration
from shared.openapi import ANY_OPERATION_RESPONSES
from tests.conftest import closing
from tests.support.servers import serving

TOKEN = "Hx4vTokenInTheRequestLine9Qm"
# What gunicorn cannot take (see gunicorn.conf.py): a request line of 8,418 bytes, as found by
# schemathesis, a header of 16,381 bytes and a hundred and one headers.
REFUSED = {
    "request line too long": (
        f"GET /api/v1/messages?token={TOKEN}&padding={'p' * 8362} HTTP/1.1\r\n"
        "Host: localhost\r\n\r\n",
        414,
        "request_uri_too_long",
    ),
    "header too large": (
        f"GET /api/v1/docs HTTP/1.1\r\nHost: localhost\r\nX-Note: {'n' * 16_381}\r\n\r\n",
        431,
        "request_header_fields_too_large",
    ),
    "too many headers": (
        "GET /api/v1/docs HTTP/1.1\r\nHost: localhost\r\n"
        + "".join(f"X-Note-{n}: {n}\r\n" for n in range(101))
        + "\r\n",
        431,
        "request_header_fields_too_large",
    ),
    "unreadable request line": (
        f"GET /manage/{TOKEN} HTTP/1.1 extra\r\nHost: localhost\r\n\r\n",
        400,
        "bad_request",
    ),
}
SERVICES = {
    "services.registration": create_registration,
    "services.notifications": create_notifications,
    "services.calendar": create_calendar,
}


def exchange(base_url: str, request: str) -> tuple[int, str | None, bytes]:
    """Send ``request`` as it is written; the answer's status, content type and body."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request.encode("ascii"))
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, answer.getheader("Content-Type"), answer.read()


@pytest.fixture(params=list(SERVICES))
def served(request, base_config, tmp_path) -> Iterator[tuple[str, str]]:
    """Each web service under gunicorn, with gunicorn.conf.py; its URL and its log file."""
    env = {"DATABASE_URL": base_config["DATABASE_URL"], "REDIS_URL": base_config["REDIS_URL"]}
    log = tmp_path / "gunicorn.log"
    with serving(request.param, env, log, workers=1) as base_url:
        yield base_url, log


@pytest.mark.slow
def test_gunicorns_own_refusals_are_in_the_error_shape_and_log_no_token(served):
    base_url, log = served

    for name, (request, status, code) in REFUSED.items():
        answered, content_type, body = exchange(base_url, request)

        assert (answered, content_type) == (status, "application/json"), name
        error = json.loads(body)
        assert (error["code"], error["status"]) == (code, status), name
        assert set(error) == {"code", "status", "message"} and error["message"], name

    assert TOKEN not in log.read_text()


@pytest.mark.parametrize("factory", list(SERVICES.values()))
def test_every_operation_documents_the_servers_refusals(base_config, factory):
    refusals = {str(status) for _request, status, _code in REFUSED.values()}
    assert refusals <= set(ANY_OPERATION_RESPONSES)

    for app in closing(factory(dict(base_config))):
        spec = app.test_client().get("/api/v1/openapi.json").json
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if method in {"get", "post", "put", "patch", "delete"}:
                    missing = refusals - set(operation["responses"])
                    assert not missing, f"{method} {path} lacks {missing}"
