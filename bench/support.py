"""What the benchmarks share: load generation with wrk, servers, and printing figures."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import RedisServer, serving

POSTGRES = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class LoadResult:
    """What wrk measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, connections: int, seconds: int, script: str | None = None) -> LoadResult:
    """Load ``url`` with wrk: ``connections`` concurrent clients for ``seconds``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
        if script:
            lua.write(script)
            lua.flush()
            args += ["-s", lua.name]
        output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if os.environ.get("BENCH_VERBOSE"):
        print(output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return LoadResult(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(latency["50"]),
        p99_ms=_milliseconds(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        errors=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(map(int, socket.groups())) if socket else 0),
    )


def web_workers() -> int:
    """As in production: two processes per core."""
    return 2 * (os.cpu_count() or 1)


@contextmanager
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of the benchmark's own."""
    with tempfile.TemporaryDirectory() as folder:
        server = RedisServer(Path(folder)).start()
        try:
            yield server
        finally:
            server.stop()


@contextmanager
def served(service: str, env: dict[str, str], *, workers: int | None = None) -> Iterator[str]:
    """Run ``services.<service>`` under gunicorn; yield its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "gunicorn.log"
        with serving(f"services.{service}", env, log, workers=workers or web_workers()) as url:
            yield url


def figure(name: str, value: float | int, unit: str, *, baseline: float | None = None) -> str:
    """One line of the report; with a baseline, the ratio to it."""
    shown = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    line = f"{name}: {shown} {unit}"
    if baseline:
        line += f"  (ratio: {value / baseline:.2f}× baseline)"
    print(line, flush=True)
    return line
