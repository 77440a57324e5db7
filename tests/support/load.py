"""Concurrent load from threads released together."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def all_at_once(count: int, action: Callable[[int], T]) -> list[T]:
    """Run ``action(i)`` for every i < count, on ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def run(i: int) -> T:
        barrier.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """``action()``'s result and how long it took, in seconds."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank); NaN for none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]
