"""Real image files for the media tests, made with Pillow (and one hand-built PNG header)."""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

from PIL import Image

from rapport.channels.records import MediaItem
from rapport.publish.media import check_image


def png(width: int = 64, height: int = 48, *, noise: bool = False) -> bytes:
    """A PNG; ``noise`` makes it incompressible, so its size is about width*height*3 bytes."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 150, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 150, 200)).save(out, "JPEG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` pixels, in a few hundred bytes.

    Decoding it would need gigabytes; the check must refuse it from the header alone.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


HTML_AS_PNG = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def media_item(name: str, data: bytes, alt: str) -> Any:
    image = check_image(name, data)
    return MediaItem(
        name=name,
        content_type=image.content_type,
        size=image.size,
        width=image.width,
        height=image.height,
        alt=alt,
        url="",
        read=lambda: data,
    )
