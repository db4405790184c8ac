"""The one huey instance: SQLite file in embedded mode, Redis at scale.

``settings.HUEY`` is built here from the validated config; djhuey then exposes it
as ``huey.contrib.djhuey.HUEY`` and autodiscovers each feature's ``tasks.py``.
Tasks take ids (never model instances), are enqueued with
``transaction.on_commit`` and are idempotent, because every queue delivers at
least once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

if TYPE_CHECKING:
    from rapport.config import Config


def make_huey(config: Config) -> Huey:
    if config.redis_url:
        return RedisHuey("rapport", url=config.redis_url, utc=True)
    return SqliteHuey("rapport", filename=str(config.data_dir / "huey.sqlite3"), utc=True)
