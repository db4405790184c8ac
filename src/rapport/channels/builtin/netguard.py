"""SSRF guard for outbound URLs that owners type in (webhook targets).

A webhook URL is checked twice: when the channel is added (so the owner sees
the mistake at once) and again right before each send, after resolving the
host, because a name that was public yesterday may point at 127.0.0.1 today.
``settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS`` lifts the address check (for local
peers and tests); the scheme check always applies.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from rapport.errors import ValidationError


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_public_url(url: str, *, field: str = "url", resolve: bool = True) -> str:
    """Return ``url`` if it is http(s) and (unless allowed) reaches only public addresses."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValidationError(
            f"{field} must start with http:// or https:// (got {parts.scheme or 'no'} scheme)",
            field=field,
        )
    if not parts.hostname:
        raise ValidationError(f"{field} has no host name", field=field)
    if settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS or not resolve:
        return url.strip()
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(
            f"{field}: cannot resolve {parts.hostname!r} ({exc})", field=field
        ) from None
    for info in infos:
        if _is_private(str(info[4][0])):
            raise ValidationError(
                f"{field} points at a private or loopback address ({info[4][0]}); "
                "set RAPPORT_ALLOW_PRIVATE_WEBHOOKS=1 to allow local targets",
                field=field,
            )
    return url.strip()
