"""Figures that suites measure (counts, percentiles) with their bounds, printed at the end of the
run so that every CI log shows them."""

from __future__ import annotations

import dataclasses

__all__ = ["Figure", "FIGURES", "record"]


@dataclasses.dataclass(frozen=True)
class Figure:
    suite: str
    name: str
    value: float | int | str
    bound: str
    met: bool


FIGURES: list[Figure] = []


def record(suite: str, name: str, value, bound: str, met: bool) -> bool:
    """Keep a figure for the summary; returns `met` so a test can assert on it."""
    FIGURES.append(Figure(suite, name, value, bound, met))
    return met
