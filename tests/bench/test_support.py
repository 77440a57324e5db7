"""What make bench relies on: reading wrk's output, and the floor's database address."""

from __future__ import annotations

import pytest

from bench.floor import conninfo
from bench.support import LoadResult, parse_wrk

# Captured from wrk 4.1.0; a value in seconds or minutes is padded with a space.
SLOW = """\
Running 3s test @ http://127.0.0.1:18766/slow
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.22s    22.25ms   1.24s   100.00%
    Req/Sec     5.00      4.36    10.00     66.67%
  Latency Distribution
     50%    1.24s 
     75%    1.24s 
     90%    1.24s 
     99%    2.10m 
  8 requests in 3.01s, 0.88KB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:      2.66
Transfer/sec:     300.49B
"""  # noqa: W291

FAST = """\
Running 1s test @ http://127.0.0.1:18766/fast
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   510.20us  100.10us   3.01ms   90.00%
    Req/Sec     9.80k     1.00k   11.00k    70.00%
  Latency Distribution
     50%  480.00us
     75%  550.00us
     90%  700.00us
     99%    1.50ms
  19600 requests in 1.00s, 2.24MB read
Requests/sec:  19600.00
Transfer/sec:      2.24MB
"""


def test_values_in_seconds_and_minutes_padded_with_a_space() -> None:
    assert parse_wrk(SLOW) == LoadResult(
        requests_per_s=2.66, p50_ms=1240.0, p99_ms=126_000.0, requests=8, errors=6
    )


def test_values_in_microseconds_and_milliseconds() -> None:
    result = parse_wrk(FAST)
    assert (result.p50_ms, result.p99_ms) == (pytest.approx(0.48), 1.5)
    assert (result.requests, result.errors) == (19600, 0)


def test_output_without_latency_distribution_is_refused() -> None:
    with pytest.raises(ValueError, match="latency percentiles"):
        parse_wrk(FAST.replace("99%", "98%"))


def test_the_floor_connects_where_the_services_do() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/atelier_test"
    assert conninfo(url) == "postgresql://postgres@127.0.0.1:5432/atelier_test"
