"""The ``mail`` host's SMTP server: accepts every message and writes one JSON line per message
accepted (recipient, Message-ID, the sending host's address, the time) to a file of its own.

A small HTTP control port lets the operator watch it and hold the messages of one sending
host in the middle of their DATA, so that a worker can be killed while it is sending: a held
message whose sender goes away is not accepted (aiosmtpd cancels its handler), and is
recorded as abandoned.

    python -m tools.scale_test.sink --host 10.77.0.12 --records /…/mail/records.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import Counter
from email import policy
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

SMTP_PORT = 25
CONTROL_PORT = 8025


class Sink:
    """aiosmtpd handler recording every accepted message as a JSON line."""

    def __init__(self, records: Path) -> None:
        records.parent.mkdir(parents=True, exist_ok=True)
        self._file = records.open("a", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()
        self.held: set[str] = set()
        self.in_flight: Counter[str] = Counter()
        self.accepted = 0
        self.abandoned = 0
        self.per_peer: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Accept the message once its sender is not held, and record it."""
        peer = str(session.peer[0]) if session.peer else "?"
        raw = envelope.original_content or envelope.content
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        record = {
            "rcpt": list(envelope.rcpt_tos),
            "to": str(headers.get("To", "")),
            "message_id": str(headers.get("Message-ID", "")),
            "subject": str(headers.get("Subject", "")),
            "peer": peer,
        }
        with self._lock:
            self.in_flight[peer] += 1
        try:
            while peer in self.held:
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:  # the sender went away before the server answered
            self._write({**record, "abandoned": True, "t": time.time()})
            with self._lock:
                self.abandoned += 1
            raise
        finally:
            with self._lock:
                self.in_flight[peer] -= 1
        self._write({**record, "t": time.time()})
        with self._lock:
            self.accepted += 1
            self.per_peer[peer] += 1
        return "250 Message accepted for delivery"

    def _write(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._file.write(json.dumps(record) + "\n")

    def state(self) -> dict[str, Any]:
        """What the sink holds and has received so far."""
        with self._lock:
            return {
                "accepted": self.accepted,
                "abandoned": self.abandoned,
                "held": sorted(self.held),
                "in_flight": {peer: n for peer, n in self.in_flight.items() if n},
                "per_peer": dict(self.per_peer),
            }


def control_server(sink: Sink, host: str, port: int) -> ThreadingHTTPServer:
    """``GET /state``, ``POST /hold?peer=ADDRESS``, ``POST /release?peer=ADDRESS``."""

    class Control(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(sink.state() if urlparse(self.path).path == "/state" else None)

        def do_POST(self) -> None:
            url = urlparse(self.path)
            peer = parse_qs(url.query).get("peer", [""])[0]
            if url.path == "/hold" and peer:
                sink.held.add(peer)
            elif url.path == "/release" and peer:
                sink.held.discard(peer)
            elif url.path == "/release":
                sink.held.clear()
            else:
                self._answer(None)
                return
            self._answer(sink.state())

        def _answer(self, body: dict[str, Any] | None) -> None:
            data = json.dumps(body if body is not None else {"error": "not found"}).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), Control)


def main() -> None:
    """Serve SMTP and the control port until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=SMTP_PORT)
    parser.add_argument("--control-port", type=int, default=CONTROL_PORT)
    parser.add_argument("--records", type=Path, required=True)
    args = parser.parse_args()
    sink = Sink(args.records)
    controller = Controller(sink, hostname=args.host, port=args.port)
    controller.start()
    control = control_server(sink, args.host, args.control_port)
    print(f"SMTP sink on {args.host}:{args.port}, control on :{args.control_port}", flush=True)
    try:
        control.serve_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
