"""Every error Rapport raises on purpose, in one tree.

    RapportError                      base: a message meant for the user
    ├── ConfigError                   a bad environment value at start-up
    ├── NotFound                      unknown workspace, item, channel, ...
    ├── PermissionDenied              the user's role does not allow this
    ├── ValidationError               input that breaks a rule (field, message)
    ├── ImportFormatError             a bad archive (path, line, reason)
    ├── ImportBusy                    the same archive (or, on SQLite, any) is importing
    ├── ChannelError                  a platform refused or failed (channel, message)
    │   ├── ChannelAuthError          credentials expired or revoked: needs reconnect
    │   ├── RateLimited               slow down (retry_after seconds)
    │   ├── TemporaryChannelError     5xx, timeout, dropped connection: retry later
    │   └── PermanentChannelError     the platform said no for good: do not retry
    └── ModelError                    the triage model is missing or corrupt

Messages tell the user the fix. The web UI, the API and the CLI each map these
to their own form in exactly one place (``web/errors.py``, ``api.py``, ``cli``).
"""

from __future__ import annotations


class RapportError(Exception):
    """Base class; ``str(exc)`` is shown to the user as it is."""


class ConfigError(RapportError):
    pass


class NotFound(RapportError):
    pass


class PermissionDenied(RapportError):
    pass


class ValidationError(RapportError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ImportFormatError(RapportError):
    def __init__(self, path: str, reason: str, *, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


class ImportBusy(RapportError):
    """The database cannot take this import now: the same archive, or on SQLite any
    other import, is being written. Nothing was written; try again later."""


class ChannelError(RapportError):
    def __init__(self, message: str, *, channel_id: int | None = None) -> None:
        super().__init__(message)
        self.channel_id = channel_id


class ChannelAuthError(ChannelError):
    pass


class RateLimited(ChannelError):
    def __init__(self, message: str, *, retry_after: float, channel_id: int | None = None) -> None:
        super().__init__(message, channel_id=channel_id)
        self.retry_after = retry_after


class TemporaryChannelError(ChannelError):
    pass


class PermanentChannelError(ChannelError):
    pass


class ModelError(RapportError):
    pass
