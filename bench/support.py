"""What the benchmarks share: load generation with wrk, servers, and figures set against the
floor (bench/floor.py) with their targets."""

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


# wrk pads a value whose unit has one letter with a space: "1.58s ", "2.10m ".
LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> LoadResult:
    """The figures in the output of ``wrk --latency``."""
    latency = {
        percent: float(number) * MILLISECONDS[unit]
        for percent, number, unit in LATENCY.findall(output)
    }
    if latency.keys() != {"50", "99"}:
        raise ValueError(f"no 50th and 99th latency percentiles in wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return LoadResult(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency["50"],
        p99_ms=latency["99"],
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        errors=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(map(int, socket.groups())) if socket else 0),
    )


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
    return parse_wrk(output)


def best(runs: list[LoadResult]) -> LoadResult:
    """Several runs of one load as one: the best rate and latencies, every request and error.

    Other work on the machine only ever slows a run down, so the best of each is the figure.
    """
    return LoadResult(
        requests_per_s=max(run.requests_per_s for run in runs),
        p50_ms=min(run.p50_ms for run in runs),
        p99_ms=min(run.p99_ms for run in runs),
        requests=sum(run.requests for run in runs),
        errors=sum(run.errors for run in runs),
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
def served(module: str, env: dict[str, str], *, workers: int | None = None) -> Iterator[str]:
    """Run ``module``'s ``create_app()`` (a service, or bench.floor) under the services'
    gunicorn settings; yield its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "gunicorn.log"
        with serving(module, env, log, workers=workers or web_workers()) as url:
            yield url


@dataclass(frozen=True)
class Verdict:
    """Whether one figure met its target, for the summary at the end of ``make bench``."""

    name: str
    outcome: str
    met: bool


VERDICTS: list[Verdict] = []


def _shown(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def figure(
    name: str, value: float, unit: str, *, floor: float | None = None, versus: str = "floor"
) -> None:
    """Print one figure; with the floor's (or that of what ``versus`` names), that too and the
    ratio to it."""
    line = f"{name}: {_shown(value)} {unit}"
    if floor:
        line += f"; {versus} {_shown(floor)} {unit}; {value / floor:.2f}× {versus}"
    print(line, flush=True)


def against_floor(
    name: str,
    value: float,
    floor: float,
    unit: str,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    versus: str = "floor",
) -> None:
    """Print a figure beside the floor's (or that of what ``versus`` names), their ratio and its
    target (a ratio ``at_least`` or ``at_most``), and record whether it met the target."""
    if (at_least is None) == (at_most is None):
        raise ValueError("a target is either at_least or at_most a ratio")
    ratio = value / floor
    if at_least is not None:
        met, target = ratio >= at_least, f"≥ {at_least:.2f}×"
    else:
        met, target = ratio <= at_most, f"≤ {at_most:.2f}×"
    outcome = (
        f"{_shown(value)} {unit}; {versus} {_shown(floor)} {unit}; {ratio:.2f}× {versus}, "
        f"target {target}"
    )
    print(f"{name}: {outcome}: " + ("met" if met else "MISSED"), flush=True)
    VERDICTS.append(Verdict(name, outcome, met))


def requirement(name: str, count: int, unit: str) -> None:
    """Print a count of what must never happen (places oversold, errors), and record whether
    it is zero."""
    met = count == 0
    outcome = f"{count:,} {unit}, required 0"
    print(f"{name}: {outcome}: " + ("met" if met else "MISSED"), flush=True)
    VERDICTS.append(Verdict(name, outcome, met))


def target(name: str, value: float, unit: str, *, at_most: float) -> None:
    """Print a figure with its absolute target (``at_most``), and record whether it met it."""
    met = value <= at_most
    outcome = f"{_shown(value)} {unit}, target ≤ {_shown(at_most)} {unit}"
    print(f"{name}: {outcome}: " + ("met" if met else "MISSED"), flush=True)
    VERDICTS.append(Verdict(name, outcome, met))
