"""What bench/instructions.py reads from callgrind and makes of two runs' totals."""

from __future__ import annotations

import pytest

from bench.instructions import collected, per_registration

# The end of what valgrind 3.19's callgrind writes on standard error, after the program's own.
REPORT = """\
{"time": "2026-12-01 09:38:22,281", "level": "INFO", "message": "request", "status": 201}
==25449== 
==25449== Events    : Ir
==25449== Collected : 9218716138
==25449== 
==25449== I   refs:      9,218,716,138
"""  # noqa: W291


def test_the_count_is_read_from_callgrinds_report() -> None:
    assert collected(REPORT) == 9_218_716_138


def test_a_run_without_a_report_is_refused() -> None:
    with pytest.raises(ValueError, match="no instruction count"):
        collected(REPORT.replace("Collected", "Counted"))


def test_start_up_and_warm_up_cancel_out() -> None:
    start_up, each = 5_000_000_000, 9_000_000
    fewer = (100, start_up + 100 * each)
    more = (400, start_up + 400 * each)
    assert per_registration(fewer, more) == each
