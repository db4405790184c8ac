"""Fast inserts for ingest: reserve primary keys, then one ``executemany`` per batch.

Django's ``bulk_create`` prepares every field of every object in Python and, on
SQLite, splits a batch into 45-row statements; at a million comments that alone
takes minutes. Ingest knows its rows, so it reserves the ids first (which also
lets a reply point at a parent in the same batch) and sends plain tuples.

Fields that ingest does not set get their model default, prepared once per
batch, so a field added later with a default needs no change here.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _column(field: models.Field[Any, Any]) -> str:
    """The database column of a concrete field (the only kind that has one)."""
    if field.column is None:
        raise TypeError(f"{field!r} has no column of its own")
    return field.column


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``; call inside ``transaction.atomic``.

    SQLite: the transaction holds the write lock (``BEGIN IMMEDIATE``), so the
    next ids after the highest ever used are ours. PostgreSQL: drawn from the
    table's sequence, safe with any number of concurrent writers.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, _column(model._meta.pk), count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(
                f"fast ingest supports SQLite and PostgreSQL, not {connection.vendor}"
            )
        pk = connection.ops.quote_name(_column(model._meta.pk))
        cursor.execute(f"SELECT MAX({pk}) FROM {connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


class FastInsert:
    """Insert rows given as tuples of ``(pk, *columns)`` into ``model``.

    ``columns`` are attribute names (``author_id``, ``created_at``, ...). Values
    must already be what the database takes, except datetimes and JSON, which
    are adapted here.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        self.explicit = [fields[name] for name in columns]
        self.rest = [
            f for f in meta.concrete_fields if f.attname not in columns and f is not meta.pk
        ]
        quote = connection.ops.quote_name
        names = [meta.pk, *self.explicit, *self.rest]
        table, column_list = quote(meta.db_table), ", ".join(quote(_column(f)) for f in names)
        self.sql = f"INSERT INTO {table} ({column_list}) VALUES ({', '.join(['%s'] * len(names))})"
        self.copy_sql = f"COPY {table} ({column_list}) FROM STDIN"

    @staticmethod
    def adapter(field: models.Field[Any, Any]) -> Any:
        """A function from a Python value to what the database takes; None: as it is."""
        ops = connection.ops
        if isinstance(field, models.DateTimeField):
            return _sqlite_datetime if connection.vendor == "sqlite" else None
        if isinstance(field, models.JSONField):
            encoder, adapt_json = field.encoder, ops.adapt_json_value
            empty = adapt_json({}, encoder)
            return lambda v: empty if type(v) is dict and not v else adapt_json(v, encoder)
        return None

    def _defaults(self) -> tuple[Any, ...]:
        now = timezone.now()
        values = []
        for field in self.rest:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
            values.append(field.get_db_prep_save(value, connection))
        return tuple(values)

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        defaults = self._defaults()
        adapters = [self.adapter(f) for f in self.explicit]  # per call: per connection
        adapt = [(i + 1, a) for i, a in enumerate(adapters) if a is not None]
        params = []
        for row in rows:
            values = list(row)
            for i, a in adapt:
                if values[i] is not None:
                    values[i] = a(values[i])
            values.extend(defaults)
            params.append(values)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY is several times faster than INSERT on PostgreSQL
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for values in params:
                        copy.write_row(values)
            else:
                cursor.executemany(self.sql, params)


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (UTC, no offset), fast."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def lookup(
    model: type[models.Model],
    columns: Sequence[str],
    *,
    workspace_id: int,
    source: str,
    source_ids: Sequence[str],
    chunk: int = 500,
) -> list[tuple[Any, ...]]:
    """Rows ``(source_id, *columns)`` of ``model`` for these source ids, in plain SQL.

    The ORM prepares every value of an ``IN (...)`` list one by one; ingest asks
    for thousands of ids per batch, and the columns are simple, so SQL it is.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    wanted = ", ".join(quote(c) for c in ("source_id", *columns))
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(source_ids), chunk):
            part = list(source_ids[start : start + chunk])
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"SELECT {wanted} FROM {table} WHERE workspace_id = %s AND source = %s "
                f"AND source_id IN ({marks})",
                [workspace_id, source, *part],
            )
            found.extend(cursor.fetchall())
    return found


@contextmanager
def paused_gc() -> Iterator[None]:
    """Stop the cyclic garbage collector for a bulk write, then collect once.

    A long import allocates millions of short-lived objects, and each of them
    counts towards the next collection; the full ones walk every live object
    (Django, the id caches), which cost a fifth of a million-comment import.
    Ingest creates few reference cycles, so memory is not at risk while paused.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()
