"""Images of the local library: stored once in the Media table, referenced from posts by uuid.

A post points at an image with the URL ``dbmedia:<uuid>`` (``MEDIA_SCHEME``), which the preview
resolves through a URL scheme handler and which publishing rewrites to the uploaded URL. No file
path ever appears in a post, so a post works offline and on another machine with the same library.

Image dimensions are read from the file headers (PNG, JPEG, GIF, WebP) by the small parsers below:
no Qt, no Pillow. Like the other core operations, ``store_image`` flushes and the caller commits.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Media

MEDIA_SCHEME = "dbmedia"
# dbmedia:<uuid>, as it appears in Markdown ("![alt](dbmedia:...)") and in rendered HTML.
MEDIA_URL_RE = re.compile(r"dbmedia:([0-9a-fA-F-]{36})")

# Images wider than this get a display width in the post; the stored original keeps its size.
LARGE_WIDTH = 1200
DISPLAY_WIDTH = 800
# Larger files are refused with a message rather than bloating the library.
MAX_IMAGE_BYTES = 64 * 1024 * 1024

SUPPORTED = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


class NotAnImage(ValueError):
    """The data is not an image format the library stores (PNG, JPEG, GIF, WebP)."""


@dataclass(frozen=True)
class ImageInfo:
    mime_type: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class MediaData:
    """A Media row without its bytes, detached from the session."""

    id: int
    uuid: str
    filename: str
    mime_type: str
    sha256: str
    size: int
    width: int | None
    height: int | None
    # True when an identical image (same sha256) was already stored and is reused.
    reused: bool = False

    @property
    def url(self) -> str:
        return media_url(self.uuid)


def media_url(uuid: str) -> str:
    return f"{MEDIA_SCHEME}:{uuid}"


def uuid_from_url(url: str) -> str | None:
    """The uuid of a ``dbmedia:<uuid>`` URL (a leading ``//`` or ``/`` is tolerated)."""
    if not url.lower().startswith(MEDIA_SCHEME + ":"):
        return None
    rest = url[len(MEDIA_SCHEME) + 1 :].lstrip("/")
    rest = rest.split("?", 1)[0].split("#", 1)[0]
    return rest if re.fullmatch(r"[0-9a-fA-F-]{36}", rest) else None


# --- header parsers ---------------------------------------------------------------------------


def _png(data: bytes) -> tuple[int, int] | None:
    # Signature, then the IHDR chunk: length (4), type (4), width (4), height (4), big-endian.
    if len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _gif(data: bytes) -> tuple[int, int] | None:
    if len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    return None


# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _exif_orientation(segment: bytes) -> int:
    """The EXIF orientation (1–8) in an APP1 segment's payload; 1 when absent or unreadable."""
    if not segment.startswith(b"Exif\0\0") or len(segment) < 14:
        return 1
    tiff = segment[6:]
    endian = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if endian is None:
        return 1
    try:
        (ifd,) = struct.unpack(endian + "I", tiff[4:8])
        (count,) = struct.unpack(endian + "H", tiff[ifd : ifd + 2])
        for i in range(count):
            entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
            tag, _type, _n = struct.unpack(endian + "HHI", entry[:8])
            if tag == 0x0112:
                (value,) = struct.unpack(endian + "H", entry[8:10])
                return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1


def _jpeg(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments to the first start-of-frame.

    Orientations 5–8 (EXIF) are rotated by 90°, and browsers show them rotated, so width and
    height are swapped to give the size as displayed.
    """
    i, n = 2, len(data)
    orientation = 1
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xDA)):  # standalone markers: no length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        if marker == 0xE1:
            orientation = _exif_orientation(data[i + 4 : i + 2 + length])
        if marker in _SOF:
            if i + 9 > n:
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return (height, width) if orientation >= 5 else (width, height)
        if marker == 0xDA:  # start of scan without a frame header: broken
            return None
        i += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    return None


def image_info(data: bytes) -> ImageInfo:
    """The format (from the content, not the name) and the displayed size of an image.

    Raises NotAnImage for anything but PNG, JPEG, GIF and WebP. The size is None when the
    header is recognised but cut short.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime, size = "image/png", _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        mime, size = "image/jpeg", _jpeg(data)
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        mime, size = "image/gif", _gif(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime, size = "image/webp", _webp(data)
    else:
        raise NotAnImage(
            "This is not an image the library can store (PNG, JPEG, GIF or WebP are supported)."
        )
    width, height = size if size else (None, None)
    return ImageInfo(mime, width, height)


# --- library operations -----------------------------------------------------------------------


def _to_data(media: Media, reused: bool = False) -> MediaData:
    return MediaData(
        id=media.id,
        uuid=media.uuid,
        filename=media.filename,
        mime_type=media.mime_type,
        sha256=media.sha256,
        size=len(media.data or b""),
        width=media.width,
        height=media.height,
        reused=reused,
    )


def _clean_filename(filename: str, mime: str) -> str:
    # Only the name: a dropped file's folder says nothing the library should keep.
    name = PurePath(filename.replace("\\", "/")).name.strip() if filename else ""
    ext = SUPPORTED[mime]
    if not name:
        return "image" + ext
    if "." not in name:
        name += ext
    return name[:400]


def store_image(session: Session, data: bytes, filename: str = "", mime: str = "") -> MediaData:
    """Store an image in the Media table, or reuse the identical one already there.

    The format is read from the content; ``mime`` (what the clipboard or file name claimed) is
    only a hint and is not trusted. Raises NotAnImage for other data and ValueError for files
    over MAX_IMAGE_BYTES. Flushes; the caller commits.
    """
    if not data:
        raise NotAnImage("The image is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(
            f"The image is {len(data) / 1024 / 1024:.0f} MB; images up to "
            f"{MAX_IMAGE_BYTES // 1024 // 1024} MB can be stored."
        )
    info = image_info(data)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalars(select(Media).where(Media.sha256 == digest).limit(1)).first()
    if existing is not None:
        return _to_data(existing, reused=True)
    media = Media(
        filename=_clean_filename(filename, info.mime_type),
        mime_type=info.mime_type,
        sha256=digest,
        data=data,
        width=info.width,
        height=info.height,
    )
    session.add(media)
    session.flush()
    return _to_data(media)


def get_media(session: Session, uuid: str) -> MediaData | None:
    media = session.scalars(select(Media).where(Media.uuid == uuid)).first()
    return _to_data(media) if media is not None else None


def media_content(session: Session, uuid: str) -> tuple[str, bytes] | None:
    """``(mime_type, bytes)`` of a stored image, reading only those two columns."""
    row = session.execute(select(Media.mime_type, Media.data).where(Media.uuid == uuid)).first()
    if row is None or row.data is None:
        return None
    return row.mime_type, row.data


@dataclass(frozen=True)
class ImageRef:
    """What a list of images shows of one: no bytes."""

    id: int
    uuid: str
    filename: str
    width: int | None
    height: int | None


def _refs(session: Session, clause) -> list[ImageRef]:
    rows = session.execute(
        select(Media.id, Media.uuid, Media.filename, Media.width, Media.height).where(clause)
    )
    return [ImageRef(*row) for row in rows]


def images_in_text(session: Session, text: str) -> list[ImageRef]:
    """The library's images a post's Markdown shows (``dbmedia:`` URLs), in order, once each."""
    uuids = list(dict.fromkeys(u.lower() for u in MEDIA_URL_RE.findall(text)))
    if not uuids:
        return []
    found = {ref.uuid.lower(): ref for ref in _refs(session, Media.uuid.in_(uuids))}
    return [found[u] for u in uuids if u in found]


def image_ref(session: Session, media_id: int) -> ImageRef | None:
    refs = _refs(session, Media.id == media_id)
    return refs[0] if refs else None


def media_content_by_id(session: Session, media_id: int) -> tuple[str, bytes] | None:
    """``(mime_type, bytes)`` of the image with this id, reading only those two columns."""
    row = session.execute(select(Media.mime_type, Media.data).where(Media.id == media_id)).first()
    if row is None or row.data is None:
        return None
    return row.mime_type, row.data


def _alt_text(filename: str) -> str:
    stem = PurePath(filename).stem if filename else ""
    alt = re.sub(r"[-_]+", " ", stem).strip()
    # Brackets and backslashes would end or escape the alt text of ![alt](url).
    return re.sub(r"([\[\]\\])", r"\\\1", alt)


def markdown_for(media: MediaData, alt: str | None = None) -> str:
    """The Markdown that shows ``media``: ``![alt](dbmedia:UUID)``.

    Images wider than LARGE_WIDTH get ``{: width="800" }`` (attr_list, part of Markdown extra),
    so a photo straight from a camera is shown at a sensible size while the library keeps the
    original. The height follows from the aspect ratio.
    """
    text = _alt_text(media.filename) if alt is None else re.sub(r"([\[\]\\])", r"\\\1", alt)
    out = f"![{text}]({media_url(media.uuid)})"
    if media.width and media.width > LARGE_WIDTH:
        out += f'{{: width="{DISPLAY_WIDTH}" }}'
    return out
