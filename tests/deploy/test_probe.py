"""``python -m shared.probe URL``: the web containers' healthcheck."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.probe import main
from tests.support.servers import PROJECT_ROOT, free_port, service_environment


class StatusHandler(BaseHTTPRequestHandler):
    """Answers /healthz with 200 and /degraded with 503, like shared/health.py."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture(scope="module")
def health_server() -> Iterator[str]:
    """A local HTTP server's base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_healthy_service_passes(health_server: str) -> None:
    assert main([f"{health_server}/healthz"]) == 0


def test_degraded_service_fails(health_server: str) -> None:
    assert main([f"{health_server}/degraded"]) == 1


def test_service_that_does_not_answer_fails() -> None:
    assert main([f"http://127.0.0.1:{free_port()}/healthz"]) == 1


def test_probe_without_a_url_is_a_usage_error() -> None:
    assert main([]) == 2


def test_exit_status_is_the_verdict_when_run_as_a_module(health_server: str) -> None:
    def run(path: str) -> int:
        command = [sys.executable, "-m", "shared.probe", f"{health_server}{path}"]
        env = service_environment()
        return subprocess.run(command, cwd=PROJECT_ROOT, env=env, timeout=30).returncode

    assert run("/healthz") == 0
    assert run("/degraded") == 1
