"""Configuration, read once from the environment and validated at start-up.

Everything Rapport can be told comes in through environment variables with the
``RAPPORT_`` prefix (plus the conventional ``DATABASE_URL`` and ``REDIS_URL``).
``settings.py`` is the only caller; feature code reads Django settings, never the
environment, so a bad value fails loudly at start-up instead of deep in a request.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

from rapport.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    fernet_keys: tuple[str, ...]
    debug: bool
    allowed_hosts: tuple[str, ...]
    csrf_trusted_origins: tuple[str, ...]
    base_url: str
    time_zone: str
    allow_private_webhooks: bool
    email_url: str | None
    default_from_email: str
    delivery_lease_seconds: int
    max_lateness_hours: int


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def _list(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, default).split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range; use {low} to {high}")
    return value


def _key_file(path: Path, make: str) -> str:
    """Return the key stored at ``path``, creating it (mode 0600) on first run."""
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
        value = path.read_text().strip()
        if not value:
            raise ConfigError(f"{path} is empty; delete it to generate a new key")
        return value
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(make + "\n")
    return make


def load_config(env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    data_dir = Path(env.get("RAPPORT_DATA_DIR", "var")).expanduser().resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"RAPPORT_DATA_DIR={data_dir} cannot be created: {exc.strerror}") from exc
    if not os.access(data_dir, os.W_OK):
        raise ConfigError(f"RAPPORT_DATA_DIR={data_dir} is not writable")
    (data_dir / "static").mkdir(exist_ok=True)  # collectstatic's target; whitenoise wants it

    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'rapport.sqlite3'}"
    if not database_url.startswith(("sqlite:", "postgres:", "postgresql:", "pgsql:")):
        raise ConfigError(
            f"DATABASE_URL must start with sqlite:// or postgres://, got {database_url.split(':')[0]!r}"
        )
    redis_url = env.get("REDIS_URL") or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")

    secret_key = env.get("RAPPORT_SECRET_KEY") or _key_file(
        data_dir / "secret_key", secrets.token_urlsafe(50)
    )
    raw_fernet = env.get("RAPPORT_ENCRYPTION_KEY") or _key_file(
        data_dir / "encryption_key", Fernet.generate_key().decode()
    )
    # Several comma-separated keys allow rotation: the first encrypts, all decrypt.
    fernet_keys = tuple(k.strip() for k in raw_fernet.split(",") if k.strip())
    for key in fernet_keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise ConfigError(
                "RAPPORT_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64 bytes)"
            ) from exc

    time_zone = env.get("RAPPORT_TIME_ZONE", "UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"RAPPORT_TIME_ZONE={time_zone!r} is not a known time zone") from exc

    base_url = env.get("RAPPORT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError("RAPPORT_BASE_URL must start with http:// or https://")

    return Config(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secret_key,
        fernet_keys=fernet_keys,
        debug=_bool(env, "RAPPORT_DEBUG", False),
        allowed_hosts=_list(env, "RAPPORT_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]"),
        csrf_trusted_origins=_list(env, "RAPPORT_CSRF_TRUSTED_ORIGINS", ""),
        base_url=base_url,
        time_zone=time_zone,
        allow_private_webhooks=_bool(env, "RAPPORT_ALLOW_PRIVATE_WEBHOOKS", False),
        email_url=env.get("RAPPORT_EMAIL_URL") or None,
        default_from_email=env.get("RAPPORT_FROM_EMAIL", "rapport@localhost"),
        # How long a worker may hold a delivery before the sweep calls it unconfirmed.
        delivery_lease_seconds=_int(env, "RAPPORT_DELIVERY_LEASE_SECONDS", 120, 10, 3600),
        # A post that missed its time by more than this fails instead of firing late.
        max_lateness_hours=_int(env, "RAPPORT_MAX_LATENESS_HOURS", 12, 1, 24 * 14),
    )
