"""Benchmarks: each `bench_*.py` module's `run()` measures our work against a raw baseline in the same run."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: The repository's root: importable whichever directory the benchmarks run from (some use the tests' helpers).
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Measurement:
    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float
    #: The most ``ratio`` may be.
    aim: float | None = None
    #: A 99th percentile latency measured with the rest, and the most it may be (an aim of its own).
    p99_seconds: float | None = None
    limit_seconds: float | None = None
    #: The most ``seconds`` itself may be (an absolute aim, as for a command's start-up).
    seconds_limit: float | None = None

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("inf")

    @property
    def within_limit(self) -> bool | None:
        """Whether the p99 is within its limit; None when there is no such aim."""
        if self.limit_seconds is None or self.p99_seconds is None:
            return None
        return self.p99_seconds <= self.limit_seconds

    @property
    def within_seconds_limit(self) -> bool | None:
        """Whether ``seconds`` is within ``seconds_limit``; None when there is no such aim."""
        return None if self.seconds_limit is None else self.seconds <= self.seconds_limit


def best_of(repeat: int, work: Callable[[], T]) -> tuple[float, T]:
    """The fastest of ``repeat`` runs (the least disturbed by the rest of the machine) and its result."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    assert result is not None or repeat > 0
    return best, result  # type: ignore[return-value]


def median_alternated(repeat: int, ours: Callable[[], object], baseline: Callable[[], object]) -> tuple[float, float]:
    """Medians of ``repeat`` runs of each, ours and the baseline alternated (so a busy moment of the
    machine falls on both alike), after one warm-up run of each."""
    ours()
    baseline()
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        mine.append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline()
        theirs.append(time.perf_counter() - start)
    return statistics.median(mine), statistics.median(theirs)
