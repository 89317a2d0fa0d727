"""Timing shared by the benchmarks: contestants run alternately in the same process."""

from __future__ import annotations

from collections.abc import Callable


def alternate(runs: int, *contestants: Callable[[], float]) -> list[list[float]]:
    """Each contestant ``runs`` times, alternating, so drifts in machine speed hit all alike.

    A contestant returns the seconds it measured; the result holds each one's list of times.
    """
    times: list[list[float]] = [[] for _ in contestants]
    for _ in range(runs):
        for i, contestant in enumerate(contestants):
            times[i].append(contestant())
    return times
