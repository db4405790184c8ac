"""The queue backends: SQLite file in embedded mode, Redis at scale (real servers)."""

from __future__ import annotations

import dataclasses

from huey import RedisHuey, SqliteHuey

from rapport.config import load_config
from rapport.worker import make_huey


def _roundtrip(huey) -> int:  # type: ignore[no-untyped-def]
    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    result = add(2, 3)
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    return result.get()


def test_embedded_mode_queues_in_a_sqlite_file(tmp_path):
    config = load_config({"RAPPORT_DATA_DIR": str(tmp_path)})
    huey = make_huey(config)
    assert isinstance(huey, SqliteHuey)
    assert _roundtrip(huey) == 5
    assert (tmp_path / "huey.sqlite3").exists()


def test_scale_mode_queues_in_redis(tmp_path, redis_url):
    config = dataclasses.replace(
        load_config({"RAPPORT_DATA_DIR": str(tmp_path)}), redis_url=redis_url
    )
    huey = make_huey(config)
    assert isinstance(huey, RedisHuey)
    huey.flush()
    try:
        assert _roundtrip(huey) == 5
    finally:
        huey.flush()
