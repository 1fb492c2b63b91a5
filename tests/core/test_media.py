"""Images in the Media table: dedupe, sizes read from headers, the Markdown that shows them."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from desktop_blog.core import db, media
from desktop_blog.core.models import Media
from tests.images import png


def jpeg(width: int, height: int, orientation: int | None = None, sof: int = 0xC0) -> bytes:
    """The header segments of a JPEG: enough for the parser, as a real encoder lays them out."""
    out = b"\xff\xd8"
    out += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    if orientation is not None:
        # Exif, big-endian TIFF, one IFD entry: Orientation (0x0112), SHORT, 1, value.
        tiff = b"MM\0\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
        tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
        body = b"Exif\0\0" + tiff
        out += b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    out += b"\xff\xdb" + struct.pack(">H", 67) + b"\0" + bytes(64)  # a quantisation table
    out += b"\xff\xff"  # a fill byte before the next marker is allowed
    out += bytes([0xFF, sof]) + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    out += b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00" + b"\x00" * 10
    return out + b"\xff\xd9"


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00" + b"\x3b"


def webp_vp8x(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0"
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_vp8(width: int, height: int) -> bytes:
    frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


@pytest.mark.parametrize(
    ("data", "mime", "size"),
    [
        (png(3, 2), "image/png", (3, 2)),
        (jpeg(640, 480), "image/jpeg", (640, 480)),
        (jpeg(640, 480, sof=0xC2), "image/jpeg", (640, 480)),  # progressive
        (jpeg(4000, 3000, orientation=1), "image/jpeg", (4000, 3000)),
        (jpeg(4000, 3000, orientation=6), "image/jpeg", (3000, 4000)),  # shown rotated
        (gif(17, 9), "image/gif", (17, 9)),
        (webp_vp8x(1920, 1080), "image/webp", (1920, 1080)),
        (webp_vp8l(300, 200), "image/webp", (300, 200)),
        (webp_vp8(64, 48), "image/webp", (64, 48)),
    ],
)
def test_image_info_reads_format_and_size(data, mime, size):
    info = media.image_info(data)
    assert (info.mime_type, info.width, info.height) == (mime, *size)


@pytest.mark.parametrize(
    "data", [b"", b"hello, world", b"%PDF-1.7\n", b"<svg xmlns='http://www.w3.org/2000/svg'/>"]
)
def test_not_an_image_is_refused(data):
    with pytest.raises(media.NotAnImage):
        media.image_info(data)


def test_truncated_header_gives_no_size_but_no_crash():
    info = media.image_info(jpeg(10, 10)[:30])
    assert info.mime_type == "image/jpeg"
    assert (info.width, info.height) == (None, None)
    assert media.image_info(png(1, 1)[:12]).width is None


@pytest.fixture
def lib(tmp_path: Path):
    lib = db.open_library(tmp_path)
    yield lib
    lib.close()


def test_store_dedupes_by_sha256_and_trusts_content_over_claimed_mime(lib):
    data = png(5, 4)
    with lib.session() as s:
        first = media.store_image(s, data, "/home/me/Pictures/My_cat-photo.png", "image/png")
        s.commit()
    with lib.session() as s:
        # Same bytes under another name and a wrong MIME type: the same row is reused.
        again = media.store_image(s, data, "clipboard.jpg", "image/jpeg")
        other = media.store_image(s, gif(2, 2), "", "application/octet-stream")
        s.commit()
    assert again.uuid == first.uuid and again.reused and not first.reused
    assert first.filename == "My_cat-photo.png"  # no folder kept
    assert (first.mime_type, first.width, first.height, first.size) == (
        "image/png",
        5,
        4,
        len(data),
    )
    assert other.mime_type == "image/gif" and other.filename == "image.gif"
    with lib.session() as s:
        assert s.query(Media).count() == 2
        assert media.media_content(s, first.uuid) == ("image/png", data)
        assert media.get_media(s, first.uuid) == first
        assert media.get_media(s, "00000000-0000-0000-0000-000000000000") is None
        assert media.media_content(s, "nope") is None


def test_store_refuses_non_images_and_huge_files(lib, monkeypatch):
    with lib.session() as s:
        with pytest.raises(media.NotAnImage):
            media.store_image(s, b"just text", "notes.png", "image/png")
        monkeypatch.setattr(media, "MAX_IMAGE_BYTES", 10)
        with pytest.raises(ValueError, match="can be stored"):
            media.store_image(s, png(40, 40), "big.png", "image/png")
        assert s.query(Media).count() == 0


def _data(width: int | None, filename: str = "a_photo.jpg") -> media.MediaData:
    return media.MediaData(
        id=1,
        uuid="0f8fad5b-d9cb-469f-a165-70867728950e",
        filename=filename,
        mime_type="image/jpeg",
        sha256="0" * 64,
        size=1,
        width=width,
        height=None,
    )


def test_markdown_for_small_and_large_images():
    assert media.markdown_for(_data(640)) == (
        "![a photo](dbmedia:0f8fad5b-d9cb-469f-a165-70867728950e)"
    )
    assert media.markdown_for(_data(None)).endswith(")")
    large = media.markdown_for(_data(4000))
    assert large == ('![a photo](dbmedia:0f8fad5b-d9cb-469f-a165-70867728950e){: width="800" }')
    # Brackets in a name cannot break the Markdown.
    assert media.markdown_for(_data(10, "x]y[z.png")).startswith(r"![x\]y\[z](")
    assert media.markdown_for(_data(10), alt="Chart [1]").startswith(r"![Chart \[1\]](")


def test_large_image_markdown_renders_with_a_display_width():
    import markdown

    html = markdown.markdown(media.markdown_for(_data(4000)), extensions=["extra"])
    assert 'src="dbmedia:0f8fad5b-d9cb-469f-a165-70867728950e"' in html
    assert 'width="800"' in html


def test_media_urls_round_trip():
    uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert media.uuid_from_url(media.media_url(uuid)) == uuid
    assert media.uuid_from_url(f"dbmedia://{uuid}") == uuid
    assert media.uuid_from_url(f"dbmedia:/{uuid}?x=1") == uuid
    assert media.uuid_from_url("https://example.com/a.png") is None
    assert media.uuid_from_url("dbmedia:../../etc/passwd") is None
    assert media.MEDIA_URL_RE.findall(f"![a](dbmedia:{uuid}) ![b](dbmedia:{uuid})") == [uuid] * 2
