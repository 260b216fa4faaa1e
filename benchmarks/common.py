"""Small pieces the benchmarks share: running a statement on a PostgreSQL server (to create and
drop scratch databases), and percentiles."""

from __future__ import annotations

from collections.abc import Sequence


async def admin_execute(url: str, statement: str) -> None:
    """Run one statement (e.g. `CREATE DATABASE`) on the server at `url`, outside a transaction."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from storage.db import normalise_url

    parsed = make_url(normalise_url(url))
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
