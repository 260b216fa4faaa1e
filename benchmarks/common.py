"""Small pieces the benchmarks share: running a statement on a PostgreSQL server (to create and
drop scratch databases: `storage.db.admin_execute`, shared with the test suite), and
percentiles."""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import admin_execute

__all__ = ["admin_execute", "percentile"]


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
