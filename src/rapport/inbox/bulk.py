"""Fast inserts for ingest: reserve primary keys, then one ``executemany`` per batch.

Django's ``bulk_create`` prepares every field of every object in Python and, on
SQLite, splits a batch into 45-row statements; at a million comments that alone
takes minutes. Ingest knows its rows, so it reserves the ids first (which also
lets a reply point at a parent in the same batch) and sends plain tuples.

Fields that ingest does not set get their model default, prepared once per
batch, so a field added later with a default needs no change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


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
                [table, model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(
                f"fast ingest supports SQLite and PostgreSQL, not {connection.vendor}"
            )
        pk = connection.ops.quote_name(model._meta.pk.column)
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
        self.sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in names)}) "
            f"VALUES ({', '.join(['%s'] * len(names))})"
        )
        self._adapt = [self._adapter(f) for f in self.explicit]
        self._plain = all(a is None for a in self._adapt)

    @staticmethod
    def _adapter(field: models.Field[Any, Any]) -> Any:
        if isinstance(field, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value
        if isinstance(field, models.JSONField):
            return lambda value: connection.ops.adapt_json_value(value, field.encoder)
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
        if self._plain:
            params = [(*row, *defaults) for row in rows]
        else:
            adapt = self._adapt
            params = [
                (
                    row[0],
                    *(
                        value if a is None or value is None else a(value)
                        for a, value in zip(adapt, row[1:], strict=True)
                    ),
                    *defaults,
                )
                for row in rows
            ]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)
