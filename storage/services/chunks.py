"""Sending many ids (or keys) to the database: asyncpg takes at most 32,767 parameters a
statement, and a national pass can name tens of thousands of placements. On PostgreSQL the
values go as one array parameter (`= ANY(...)`), which is also quicker to build than a long
IN list; elsewhere (SQLite, one instance, small) as IN lists of a thousand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

CHUNK = 1000
ARRAY_CHUNK = 20_000

Column = ColumnElement[Any] | QueryableAttribute[Any]


def chunks(ids: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """The values, sorted and without repeats, in lists of at most `size`."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def chunk_size(session: AsyncSession) -> int:
    """How many values go in one condition on this session's database."""
    return ARRAY_CHUNK if session.get_bind().dialect.name == "postgresql" else CHUNK


def one_of(session: AsyncSession, column: Column, values: list[Any]) -> ColumnElement[bool]:
    """`column IN values`, for at most `chunk_size` values."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def listed(column: Column, name: str, *, postgresql: bool) -> ColumnElement[bool]:
    """`column IN :name` for a statement built once, the values (at most `chunk_size`) given
    when it runs (`{name: [...]}`): on PostgreSQL one array parameter, elsewhere an expanding
    IN. A statement built with `one_of` is built anew on every call; this one only once."""
    if postgresql:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def among(
    session: AsyncSession, column: Column, values: Iterable[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions `column IN values`, one per chunk of the values (none for no values)."""
    for chunk in chunks(values, chunk_size(session)):
        yield one_of(session, column, chunk)
