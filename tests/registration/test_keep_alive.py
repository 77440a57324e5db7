"""A request refused as too large (413) leaves the client's keep-alive connection usable:
under gunicorn, the next request on the same connection is answered."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import requests

# Over the service's 64 KiB limit, and over the 64 KiB gunicorn discards by itself.
TOO_LARGE = json.dumps({"group": "g", "first_name": "A" * 100_000}).encode()
PATH = "/api/v1/events/any/registrations"


def test_the_next_request_on_the_same_socket_is_answered(registration_server):
    address = urlsplit(registration_server)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(
            b"POST %s HTTP/1.1\r\nHost: atelier\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (PATH.encode(), len(TOO_LARGE), TOO_LARGE)
        )
        refused = read_response(connection)
        connection.sendall(b"GET /livez HTTP/1.1\r\nHost: atelier\r\n\r\n")
        answered = read_response(connection)

    assert refused.startswith(b"HTTP/1.1 413")
    assert answered.startswith(b"HTTP/1.1 200")
    assert answered.endswith(b'{"status":"ok"}\n')


def test_a_keep_alive_client_goes_on_after_a_413(registration_server):
    with requests.Session() as session:
        refused = session.post(
            f"{registration_server}{PATH}",
            data=TOO_LARGE,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        answered = session.get(f"{registration_server}/livez", timeout=10)

    assert refused.status_code == 413
    assert refused.json()["code"] == "request_entity_too_large"
    assert answered.status_code == 200


def read_response(connection: socket.socket) -> bytes:
    """One HTTP response with a Content-Length, read whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
