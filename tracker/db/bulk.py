"""Bulk insert: Postgres `COPY` in production, `executemany` on embedded SQLite
(docs/runtime.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    insert,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from tracker import jsonio
from tracker.db.dialect import is_postgres


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in ``columns`` order) inside the session's transaction.

    Values are plain Python: str rather than enum members, dicts for JSON columns, aware
    datetimes for timestamps. Table and column names come from the models, never from input.
    """
    connection = session.connection()
    if is_postgres(connection):
        _copy(connection, table, columns, rows)
    else:
        _executemany(connection, table, columns, rows)


def bulk_insert_with_ids(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert ``rows`` like `bulk_insert` and return their new ``id`` values, in row order.

    On Postgres the ids come from the table's own sequence in one query and the rows go by
    `COPY` (a multi-row INSERT … RETURNING costs more to build and parse than to run); on
    SQLite each row is one INSERT … RETURNING.
    """
    if not rows:
        return []
    connection = session.connection()
    if not is_postgres(connection):
        return [
            connection.execute(
                insert(table).values(dict(zip(columns, row, strict=True))).returning(table.c.id)
            ).scalar_one()
            for row in rows
        ]
    ids = list(connection.execute(_NEXT_IDS, {"table": table.name, "count": len(rows)}).scalars())
    with_ids = ((new_id, *row) for new_id, row in zip(ids, rows, strict=True))
    _copy(connection, table, ("id", *columns), with_ids)
    return ids


def bulk_update(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: str = "id",
) -> None:
    """Set ``columns`` of the rows with the given keys: each row is (the ``key`` column's value,
    *values in ``columns`` order), values as for `bulk_insert` (None is SQL NULL).

    On Postgres one ``UPDATE … FROM unnest(…)`` of typed arrays, a single statement however many
    rows, its arrays sent in binary (as text, every JSON element would be quoted and escaped
    character by character); on SQLite an executemany.
    """
    if not rows:
        return
    connection = session.connection()
    if not is_postgres(connection):
        assignments = ", ".join(f"{name} = ?" for name in columns)
        _run_many(
            connection,
            table,
            (*columns, key),
            [(*row[1:], row[0]) for row in rows],
            f"UPDATE {table.name} SET {assignments} WHERE {key} = ?",  # noqa: S608
        )
        return
    type_names = [_binary_copy_type(table, name, connection.dialect) for name in (key, *columns)]
    arrays: list[list[Any]] = [[] for _ in type_names]
    for row in rows:
        for array, type_name, value in zip(arrays, type_names, row, strict=True):
            wrap = type_name == "jsonb" and value is not None
            array.append(Jsonb(value, dumps=jsonio.dumps) if wrap else value)
    names = [key, *columns]
    unnested = ", ".join(f"%b::{type_name}[]" for type_name in type_names)
    assignments = ", ".join(f"{name} = u.{name}" for name in columns)
    statement = (
        f"UPDATE {table.name} AS t SET {assignments} "  # noqa: S608 (names from the models)
        f"FROM unnest({unnested}) AS u({', '.join(names)}) WHERE t.{key} = u.{key}"
    )
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    with driver_connection.cursor() as cursor:
        cursor.execute(statement, arrays)


_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"
)


def _copy(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Binary COPY: neither side formats or parses numbers as text."""
    type_names = [_binary_copy_type(table, name, connection.dialect) for name in columns]
    json_positions = [i for i, type_name in enumerate(type_names) if type_name == "jsonb"]
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(type_names)
        for row in rows:
            if json_positions:
                row = list(row)  # noqa: PLW2901 (a copy: the caller's row stays as it was)
                for position in json_positions:
                    row[position] = Jsonb(row[position], dumps=jsonio.dumps)
            copy.write_row(row)


_BINARY_COPY_TYPES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (BigInteger, "int8"),
    (Integer, "int4"),
    (Float, "float8"),
    (JSON, "jsonb"),
    (DateTime, "timestamptz"),
    (Boolean, "bool"),
    (String, "text"),  # also Text and enums stored as strings: they share text's wire format
)


def _binary_copy_type(table: Table, column: str, dialect: Dialect) -> str:
    column_type = table.c[column].type.dialect_impl(dialect)
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    for type_class, name in _BINARY_COPY_TYPES:
        if isinstance(column_type, type_class):
            return name
    raise TypeError(f"no binary COPY type for {table.name}.{column} ({column_type!r})")


def _executemany(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """The DB-API's executemany with each column type's own bind processing (timestamps, JSON):
    SQLAlchemy's per-row bookkeeping would cost more than the inserts themselves."""
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    _run_many(connection, table, columns, rows, statement)


def _run_many(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    statement: str,
) -> None:
    """`statement` (one ``?`` per column, in ``columns`` order) for every row, each value through
    its column type's bind processing."""
    dialect = connection.dialect
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    values = [
        tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(processors, row, strict=True)
        )
        for row in rows
    ]
    if not values:
        return
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    cursor = driver_connection.cursor()
    try:
        cursor.executemany(statement, values)
    finally:
        cursor.close()
