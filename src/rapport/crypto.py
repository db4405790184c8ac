"""Encryption of secrets at rest (channel credentials, webhook secrets).

Fernet with key rotation: the first key in ``RAPPORT_ENCRYPTION_KEY`` encrypts,
every listed key decrypts. Plain values never reach the database or the logs.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from rapport.errors import ConfigError


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.RAPPORT_FERNET_KEYS])


def encrypt_json(value: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ConfigError(
            "stored credentials cannot be decrypted with RAPPORT_ENCRYPTION_KEY; "
            "restore the old key (keys may be listed comma-separated) or reconnect the channel"
        ) from exc
