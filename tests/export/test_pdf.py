"""PDF export through QtWebEngine: text, code, images, links, metadata, pages, contents."""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
from pathlib import Path

import pytest
from export_helpers import CODE, make_post, png
from pypdf import PdfReader

from desktop_blog.render.standalone import DocPost

pdf_export = pytest.importorskip("desktop_blog.ui.pdf_export")


@pytest.fixture
def image_server():
    """A local web server with one image: a remote image the PDF must embed."""
    image = png(30, 20, (20, 120, 220))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/remote.png"
    server.shutdown()


def pdftext(path: Path) -> list[str]:
    """The text of each page (pdftotext, pages split on form feeds)."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split("\f")[:-1]


def uris(reader: PdfReader) -> list[str]:
    found = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                found.append(str(action["/URI"]))
    return found


def test_one_post_to_pdf(qapp, lib, tmp_path: Path, image_server: str):
    with lib.session() as s:
        post = make_post(s, image=png(120, 80), extra=f"\n![remote]({image_server})\n")
        s.commit()
    out = tmp_path / "post.pdf"
    doc = DocPost(post.title, post.body, post.published_at)
    result = pdf_export.export_pdf(
        [doc], out, pdf_export.PdfOptions(author="Ada Lovelace"), library=lib
    )
    assert result.pages == 1
    pages = pdftext(out)
    text = "\n".join(pages)
    for expected in ("Exporting posts", "Ada Lovelace", "5 March 2025", "Intro paragraph"):
        assert expected in text
    for line in CODE.splitlines():  # the highlighted code, as text
        assert line.strip() in text
    assert re.search(r"\b1 ?/ ?1\s*$", pages[0])  # the page number in the bottom margin
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True)
    sizes = {tuple(line.split()[3:5]) for line in images.stdout.splitlines()[2:]}
    assert ("120", "80") in sizes  # the library's image, through the dbmedia: handler
    assert ("30", "20") in sizes  # the remote one
    reader = PdfReader(out)
    assert reader.metadata.title == "Exporting posts"
    assert reader.metadata.author == "Ada Lovelace"
    assert "https://example.com/page" in uris(reader)
    assert out.stat().st_mode & 0o777 == 0o644
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


def test_code_blocks_do_not_split_and_page_count_fits(qapp, tmp_path: Path):
    blocks = []
    for b in range(40):
        lines = "\n".join(f"value_{b}_{n} = compute({n})  # line {n}" for n in range(14))
        blocks.append(
            f"Paragraph {b} " + "word " * (30 + 7 * (b % 5)) + f"\n\n```python\n{lines}\n```"
        )
    doc = DocPost("Many code blocks", "\n\n".join(blocks))
    out = tmp_path / "code.pdf"
    result = pdf_export.export_pdf([doc], out, pdf_export.PdfOptions(page_size="Letter"))
    pages = pdftext(out)
    assert len(pages) == result.pages
    assert 8 <= result.pages <= 25, result.pages
    for b in range(40):
        first = next(i for i, p in enumerate(pages) if f"value_{b}_0 " in p)
        last = next(i for i, p in enumerate(pages) if f"value_{b}_13 " in p)
        assert first == last, f"code block {b} split across pages {first + 1} and {last + 1}"
    for i, page in enumerate(pages, 1):
        assert re.search(rf"\b{i} ?/ ?{len(pages)}\s*$", page), page[-200:]
    box = PdfReader(out).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # Letter


def test_several_posts_with_contents(qapp, tmp_path: Path, caplog):
    long_body = "\n\n".join(f"## Part {n}\n\n" + "Some words here. " * 120 for n in range(8))
    posts = [
        DocPost("First post", long_body),
        DocPost("Second post", "Short one with [a link](https://example.org/second)."),
        DocPost("Third post", "## Part 0\n\nSame heading as the first post."),
    ]
    out = tmp_path / "all.pdf"
    result = pdf_export.export_pdf(posts, out, pdf_export.PdfOptions(title="My blog", author="Ada"))
    pages = pdftext(out)
    first_pages = result.post_pages
    assert first_pages["post-1"] == 2  # the contents take page 1
    assert first_pages["post-1"] < first_pages["post-2"] < first_pages["post-3"]
    toc = pages[0]
    assert "My blog" in toc
    for anchor, title in zip(("post-1", "post-2", "post-3"), ("First", "Second", "Third")):
        line = next(ln for ln in toc.splitlines() if f"{title} post" in ln)
        assert line.rstrip().endswith(str(first_pages[anchor])), line
        assert f"{title} post" in pages[first_pages[anchor] - 1]
    # Finished by an incremental update of Chromium's file (not rewritten by pypdf), which a
    # strict reader reads.
    assert "finishing it with pypdf" not in caplog.text
    assert out.read_bytes().count(b"%%EOF") == 2
    reader = PdfReader(out, strict=True)
    assert [o.title for o in reader.outline] == ["First post", "Second post", "Third post"]
    assert [reader.get_destination_page_number(o) + 1 for o in reader.outline] == [
        first_pages["post-1"],
        first_pages["post-2"],
        first_pages["post-3"],
    ]
    # The contents' entries are links inside the document.
    internal = [
        a.get_object() for a in reader.pages[0].get("/Annots") or [] if "/Dest" in a.get_object()
    ]
    assert len(internal) == 3
    assert reader.metadata.title == "My blog"
    assert "https://example.org/second" in uris(reader)


def test_options_are_checked():
    with pytest.raises(ValueError):
        pdf_export.PdfOptions(page_size="A5")
    with pytest.raises(ValueError):
        pdf_export.PdfOptions(margins_mm=(1, 2, 3))
    css = pdf_export.print_css(
        pdf_export.PdfOptions(page_size="Letter", margins_mm=(10, 11, 12, 13))
    )
    assert "size: letter" in css and "margin: 10mm 11mm 12mm 13mm" in css
    assert "counter(pages)" in css


def test_plain_http_images_are_fetched_by_the_loader(qapp, tmp_path: Path):
    """http:// images would be mixed content on the page's secure origin: the loader
    fetches them and they go in as data URIs (no network here: the loader answers)."""
    asked: list[str] = []

    def load(url: str):
        asked.append(url)
        return "image/png", png(50, 10, (0, 160, 0))

    doc = DocPost("Remote", "![old blog](http://old-blog.invalid/pic.png)\n\nText.")
    out = tmp_path / "remote.pdf"
    pdf_export.export_pdf([doc], out, load_image=load)
    assert asked == ["http://old-blog.invalid/pic.png"]
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True)
    assert any(line.split()[3:5] == ["50", "10"] for line in images.stdout.splitlines()[2:])
