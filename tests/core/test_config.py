from __future__ import annotations

import stat

import pytest

from rapport.config import load_config
from rapport.errors import ConfigError


def test_keys_are_generated_once_with_private_permissions(tmp_path):
    first = load_config({"RAPPORT_DATA_DIR": str(tmp_path)})
    second = load_config({"RAPPORT_DATA_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key
    assert first.fernet_keys == second.fernet_keys
    for name in ("secret_key", "encryption_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_environment_keys_win_over_files(tmp_path):
    config = load_config({"RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_SECRET_KEY": "s3cret"})
    assert config.secret_key == "s3cret"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_under_the_data_dir(tmp_path):
    config = load_config({"RAPPORT_DATA_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'rapport.sqlite3'}"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL must start with"),
        ("REDIS_URL", "http://x", "REDIS_URL must start with"),
        ("RAPPORT_DEBUG", "maybe", "RAPPORT_DEBUG='maybe' is not a boolean"),
        ("RAPPORT_TIME_ZONE", "Mars/Olympus", "not a known time zone"),
        ("RAPPORT_ENCRYPTION_KEY", "short", "not a valid Fernet key"),
        ("RAPPORT_BASE_URL", "ftp://x", "RAPPORT_BASE_URL must start with"),
    ],
)
def test_bad_values_are_named(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config({"RAPPORT_DATA_DIR": str(tmp_path), name: value})


def test_unwritable_data_dir_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot be created"):
        load_config({"RAPPORT_DATA_DIR": str(blocker / "sub")})


@pytest.mark.parametrize("value", ["soon", "0", "100000"])
def test_delivery_lease_must_be_a_sensible_number(tmp_path, value):
    with pytest.raises(ConfigError, match="RAPPORT_DELIVERY_LEASE_SECONDS"):
        load_config({"RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_DELIVERY_LEASE_SECONDS": value})
