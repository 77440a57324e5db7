"""Waiting for something to become true, for the tools that drive a stack from outside."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    probe: Callable[[], T | None],
    what: str,
    *,
    timeout: float,
    every: float,
    tolerated: tuple[type[Exception], ...] = (),
) -> T:
    """Call ``probe`` every ``every`` seconds until it returns something true, and return it;
    the ``tolerated`` exceptions count as not yet. TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = probe()
            if last:
                return last  # type: ignore[return-value]
        except tolerated as failure:
            last = failure
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s (last: {last})")
        time.sleep(every)
