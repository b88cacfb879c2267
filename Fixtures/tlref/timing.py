"""Wall-clock timing shared by the PyTorch benchmark scripts (the peers of `workbench bench`)."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_ms(run: Callable[[], None], warmup: int, repeats: int) -> float:
    """Median wall time of `run` in milliseconds after `warmup` untimed calls (as Swift's Timing.medianMilliseconds)."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)
