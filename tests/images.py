"""Test images made in a few bytes, without Qt: valid PNGs of one colour."""

from __future__ import annotations

import struct
import zlib


def png(width: int, height: int, color: tuple[int, int, int] | bytes | int = (0, 0, 0)) -> bytes:
    """An RGB PNG of ``width`` × ``height`` pixels of one colour: an (r, g, b) tuple, three
    bytes, or a grey level; different colours make different images of one size."""
    if isinstance(color, int):
        color = (color, color, color)
    rgb = bytes(color)
    if len(rgb) != 3:
        raise ValueError(f"a colour is three bytes, not {len(rgb)}")

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    row = b"\0" + rgb * width  # filter byte 0, then the pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
