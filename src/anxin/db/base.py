"""The shared declarative base and column types every context's store uses."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Stores UTC without zone (SQLite has none), always hands back aware UTC datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


def table(row: type[Base]) -> sa.Table:
    """A mapped class's Table, typed as one.

    SQLAlchemy types ``__table__`` as the wider FromClause, which ``insert()``/``update()`` refuse; every row class
    here is declared over a plain Table, so the check below never fails.
    """
    t = row.__table__
    if not isinstance(t, sa.Table):
        raise TypeError(f"{row.__name__} is not mapped to a Table")
    return t


def rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE/DELETE/INSERT matched.

    ``Session.execute`` is typed to return the generic Result, but for DML it is always a CursorResult, the only
    kind that has ``rowcount``.
    """
    if not isinstance(result, sa.CursorResult):
        raise TypeError("rowcount asked of a result that is not a cursor result")
    return result.rowcount


def within(column: Any, values: list[str] | None) -> sa.ColumnElement[bool]:
    """``column IN values``; no restriction when ``values`` is None (the analytics exports' optional shop list)."""
    return column.in_(values) if values is not None else sa.true()


def after_key(order: list[tuple[Any, bool]], key: tuple[Any, ...] | None) -> sa.ColumnElement[bool]:
    """Rows strictly after ``key`` in ``order`` (pairs of expression and descending?): keyset pagination's
    condition, ``a > k0 OR (a = k0 AND b > k1) OR …`` with each comparison turned for descending columns. The
    expressions must be non-null (coalesce a nullable one); no restriction when ``key`` is None (the first page)."""
    if key is None:
        return sa.true()
    if len(key) != len(order):
        raise ValueError("a keyset key has one value per sort expression")
    clauses = []
    for i, (expr, descending) in enumerate(order):
        equal = [o == k for (o, _), k in zip(order[:i], key[:i], strict=True)]
        clauses.append(sa.and_(*equal, expr < key[i] if descending else expr > key[i]))
    return sa.or_(*clauses)
