"""Documents drawn as PDF fetch nothing outside themselves, whatever the text in them holds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import segno

from shared.documents import pdf_from_html


class CountingHandler(BaseHTTPRequestHandler):
    """Answers every request with an empty stylesheet, counting them on its server."""

    def do_GET(self) -> None:
        self.server.requests += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        """Silent."""


@pytest.fixture
def outside() -> Iterator[ThreadingHTTPServer]:
    """A web server that a document could reach, counting the requests it gets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_document_reaches_no_server_and_no_file(outside):
    url = f"http://127.0.0.1:{outside.server_port}"
    html = (
        f'<link rel="stylesheet" href="{url}/style.css">'
        f'<style>@import url("{url}/more.css");</style>'
        f'<p>Name <img src="{url}/tracker.png"> <img src="file:///etc/passwd"></p>'
    )

    pdf = pdf_from_html(html)

    assert pdf.startswith(b"%PDF")
    assert outside.requests == 0


def test_what_a_document_embeds_is_still_drawn():
    qr = segno.make("https://inscriptions.example.org/certificates/X").png_data_uri(scale=4)

    pdf = pdf_from_html(f'<img src="{qr}" alt="">')

    assert b"/Subtype /Image" in pdf
