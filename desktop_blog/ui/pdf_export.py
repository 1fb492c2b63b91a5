"""PDF export: the renderer's HTML printed by QtWebEngine, the engine of the preview.

How it works
------------
- ``build_document`` (no Qt; runs on any thread) makes the page: ``render.standalone``'s
  ``document_html`` (the preview's CSS, its print rules, a header with title, author and date
  per post, a table of contents for several posts) and ``print_css`` (the ``@page`` size,
  margins and page numbers). It also reads the library's images the page shows (one session),
  so the page's image requests are answered from memory, and inlines plain ``http://`` images.
- Page numbers: Chromium's header and footer templates are not exposed by Qt, but the CSS page
  margin boxes are (Chromium 131 and later; QtWebEngine 6.11 has Chromium 140): ``@page {
  @bottom-center { content: counter(page) " / " counter(pages) } }``. They are drawn in the
  page margin, so the margins given to ``printToPdf`` (the ``QPageLayout``) must leave room.
- ``PdfPrinter`` owns an off-the-record profile (no disk cache, no storage: the default
  profile's first use costs far more) and one page, and prints asynchronously: the page is
  served through the ``dbmedia:`` scheme handler (``dbmedia:/export/<token>``; ``setHtml`` is
  limited to 2 MB), ``loadFinished`` comes once every image has loaded or failed (the load event
  waits for them: no fixed sleeps), then ``printToPdf`` with a callback. Nothing blocks the
  event loop; ``warm_up`` starts Chromium's renderer while the caller is still rendering posts.
  Remote ``https://`` images load over the network; plain ``http://`` ones would be upgraded or
  blocked as mixed content (the page's origin is secure), so ``build_document`` inlines them
  through ``load_image``. The page's JavaScript is off: a post's scripts never run.
- Links stay links: Chromium writes URI annotations for ``http(s)`` links and internal ones for
  the table of contents (named destinations ``post-N``).
- Several posts are printed as one document, once. ``finish_pdf`` then sets the Title and
  Author (``printToPdf`` sets neither). Without a table of contents that is a small
  incremental update appended to Chromium's file (a new Info dictionary and cross-reference
  section: no PDF library is loaded, the bytes are not rewritten). With one, pypdf reads on which
  page each post starts (the named destination Chromium writes for each target of the contents'
  links), adds an outline (bookmarks) with one entry per post, and writes each page number at
  the right end of its contents entry (the link's rectangle; the CSS keeps that place empty), in
  Times-Roman, a standard PDF font. CSS cannot number them itself (Chromium has no
  ``target-counter()``), and printing twice, once to learn the pages, doubled the time of a long
  export. The file is written with mode 0644 (``printToPdf``'s own file writing uses 0600).

``export_pdf`` is the blocking form for the CLI and tests: it spins a local event loop (the
posts render on a thread meanwhile) and needs a QApplication (``ensure_application`` makes one
for the CLI, offscreen when there is no display). The window uses ``PdfPrinter`` directly.
``register_schemes()`` must have run before the application was created.

Where the time goes (whole CLI runs, measured on the shared two-core machine, lightly loaded).
A 5,000-word post (16 pages), about 1.7-1.9 s: Python and the CLI's own imports (SQLAlchemy,
the blog commands' httpx and keyring) with the library open, 0.7 s (``desktop-blog list`` alone
takes 0.8-1.3 s); PySide6 and QtWebEngine imports 0.2 s; the Markdown rendering 0.25 s (in a
forked process, while Chromium starts: see ``cli_export``); the renderer's start 0.2 s; the
page load 0.06 s; ``printToPdf`` 0.5 s; finishing 0.015 s; QtWebEngine's shutdown 0.3 s, which
the CLI skips. 100 posts of 800 words (342 pages), 14-20 s with the load: rendering 2-2.8 s,
load 0.5 s, ``printToPdf`` 10-15 s (about 27 ms of renderer CPU per page with the screen layout
off, 40 ms with it; images, code colours, links, tables: none of them stands out), finishing
0.25-0.5 s. The print is Chromium's own work; no CSS rule tried shortened it further.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEventLoop,
    QIODevice,
    QMarginsF,
    QObject,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestJob,
)

from desktop_blog.render.page_setup import parse_margins
from desktop_blog.render.standalone import DocPost, ImageLoader, document_html, inline_images

from .schemes import SCHEME, MediaSchemeHandler, register_schemes

if TYPE_CHECKING:
    from desktop_blog.core.db import Library

log = logging.getLogger(__name__)

__all__ = [
    "PAGE_SIZES",
    "PdfDocument",
    "PdfError",
    "PdfOptions",
    "PdfPrinter",
    "PdfResult",
    "build_document",
    "ensure_application",
    "export_pdf",
    "finish_pdf",
    "parse_margins",
    "print_css",
    "write_file",
]

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
_CSS_SIZES = {"A4": "A4", "Letter": "letter"}
# The contents' page numbers: Times-Roman (a PDF standard font), as large as the print text.
TOC_NUMBER_PT = 11.0
TOC_DIGIT_WIDTH = 0.5
EXPORT_PATH = "/export/"


class PdfError(RuntimeError):
    """The PDF could not be made (the page did not load, printing failed, a timeout)."""


@dataclass(frozen=True)
class PdfOptions:
    page_size: str = "A4"  # "A4" or "Letter"
    # top, right, bottom, left in millimetres; the page number sits in the bottom margin.
    margins_mm: tuple[float, float, float, float] = (18.0, 18.0, 20.0, 18.0)
    title: str | None = None  # default: the post's title, or "Posts"
    author: str = ""
    theme: str = "light"
    page_numbers: bool = True
    toc: bool | None = None  # default: with more than one post
    custom_css: str = ""
    timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if self.page_size not in PAGE_SIZES:
            raise ValueError(f"page size {self.page_size!r}: use {' or '.join(PAGE_SIZES)}")
        if len(self.margins_mm) != 4 or any(m < 0 for m in self.margins_mm):
            raise ValueError("margins: four lengths in mm (top, right, bottom, left), not negative")


@dataclass
class PdfResult:
    path: Path
    pages: int
    seconds: float
    post_pages: dict[str, int] = field(default_factory=dict)  # anchor -> first page (1-based)


# The page is only ever printed: no screen layout. Blink lays the page out for the screen when
# it loads and again for print; with nothing to lay out on screen, the load of 40 posts took
# 0.3 s instead of 0.9 s and the renderer's print work fell by a third (27 instead of 40 ms of
# CPU per page), and every page rendered pixel for pixel the same (measured with pdftoppm).
# Images still load (an <img> loads whether it is displayed or not), before loadFinished.
SCREEN_HIDDEN_CSS = "@media screen { body { display: none !important; } }\n"


def print_css(options: PdfOptions) -> str:
    """``@page`` rules: size, margins and the page number in the bottom margin; no layout
    for the screen (``SCREEN_HIDDEN_CSS``)."""
    top, right, bottom, left = options.margins_mm
    number = ""
    if options.page_numbers:
        number = (
            '@bottom-center { content: counter(page) " / " counter(pages);'
            ' font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 8.5pt;'
            " color: #555555; vertical-align: middle; }"
        )
    return (
        f"@page {{ size: {_CSS_SIZES[options.page_size]};"
        f" margin: {top}mm {right}mm {bottom}mm {left}mm; {number} }}\n"
        ".db-toc-page { min-width: 2.5em; text-align: right; }\n"
        + SCREEN_HIDDEN_CSS
        + options.custom_css
    )


def page_layout(options: PdfOptions) -> QPageLayout:
    top, right, bottom, left = options.margins_mm
    return QPageLayout(
        QPageSize(PAGE_SIZES[options.page_size]),
        QPageLayout.Orientation.Portrait,
        QMarginsF(left, top, right, bottom),
        QPageLayout.Unit.Millimeter,
    )


def ensure_application():
    """The running Q(Gui)Application, or a new QApplication for a headless command.

    Without a display (no ``DISPLAY`` or ``WAYLAND_DISPLAY``) the offscreen platform is used,
    with Chromium's GPU use off; as root, QtWebEngine's sandbox is turned off (it refuses to
    start otherwise)."""
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    if app is not None:
        return app
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        # No GPU to use offscreen; saying so skips Chromium's attempts (a few tenths of a
        # second off printing a 15-page post, measured on a loaded two-core machine).
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--disable-gpu" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --disable-gpu".strip()
    elif os.environ.get("QT_QPA_PLATFORM", "") not in ("", "offscreen", "xcb", "wayland"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import PySide6.QtWebEngineWidgets  # noqa: F401 - must precede the application
    from PySide6.QtWidgets import QApplication

    register_schemes()
    return QApplication(["desktop-blog"])


class _ExportSchemeHandler(MediaSchemeHandler):
    """``dbmedia:<uuid>`` images as in the preview, plus the export page itself.

    Images read beforehand by ``build_document`` (``prefetched``) are answered from memory:
    the GUI thread then does no database read while the page loads."""

    def __init__(self, library: Library | None, parent=None) -> None:
        super().__init__(library, parent)
        self.pages: dict[str, bytes] = {}
        self.prefetched: dict[str, tuple[str, bytes]] = {}

    def _lookup(self, uuid: str) -> tuple[str, bytes] | None:
        hit = self.prefetched.get(uuid.lower())
        return hit if hit is not None else super()._lookup(uuid)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 - Qt's name
        url = job.requestUrl()
        path = url.path()
        if path.startswith(EXPORT_PATH):
            data = self.pages.get(path[len(EXPORT_PATH) :])
            if data is None:
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
                return
            buffer = QBuffer(job)
            buffer.setData(QByteArray(data))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            job.reply(b"text/html;charset=utf-8", buffer)
            return
        super().requestStarted(job)


@dataclass
class PdfDocument:
    """A page ready to print, and what ``finish_pdf`` needs to know about it."""

    html: str
    title: str
    author: str
    posts: list[DocPost]
    toc: bool
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # uuid -> (mime, bytes)


class Cancelled(Exception):
    """Raised from a progress callback to stop ``build_document``."""


_MEDIA_SRC = re.compile(r"""src=["']dbmedia:/*([0-9a-fA-F-]{36})""")


def build_document(
    posts: Sequence[DocPost],
    options: PdfOptions = PdfOptions(),
    *,
    library: Library | None = None,
    date: datetime | None = None,
    load_image: ImageLoader | None = None,
    on_post: Callable[[int, int], None] | None = None,
    articles: Callable[[], Sequence[str] | None] | None = None,
) -> PdfDocument:
    """The page to print for ``posts`` (no Qt: any thread). ``on_post(done, total)`` after
    each post is rendered (it may raise ``Cancelled`` to stop). The library's images the page
    shows are read now; plain ``http://`` images go through ``load_image`` and are inlined.
    ``articles()``, when given, returns the posts' HTML made elsewhere (``standalone.
    articles_html`` of the posts as given, with their authors and anchors set), or None."""
    if not posts:
        raise ValueError("nothing to export: no posts")
    posts = [
        replace(p, author=p.author or options.author, anchor=p.anchor or f"post-{i}")
        for i, p in enumerate(posts, 1)
    ]
    many = len(posts) > 1
    title = options.title or (posts[0].title if not many else "Posts") or "(untitled)"
    toc = options.toc if options.toc is not None else many
    page = document_html(
        posts,
        title=title,
        author=options.author,
        date=date or datetime.now(UTC),
        theme=options.theme,
        toc=toc,
        extra_css=print_css(options),
        on_post=on_post,
        articles=articles() if articles is not None else None,
    )
    if load_image is not None:
        page, _ = inline_images(
            page, lambda url: load_image(url) if url.lower().startswith("http://") else None
        )
    images: dict[str, tuple[str, bytes]] = {}
    uuids = {u.lower() for u in _MEDIA_SRC.findall(page)}
    if uuids and library is not None:
        from desktop_blog.core.media import media_content

        with library.session() as session:
            for uuid in uuids:
                found = media_content(session, uuid)
                if found is not None:
                    images[uuid] = found
    return PdfDocument(page, title, options.author, posts, toc, images)


class PdfPrinter(QObject):
    """An off-the-record profile and one page that print HTML to PDF without blocking.

    ``print_document(doc, layout)`` loads the page and prints it; ``printed(bytes)`` or
    ``failed(message)`` follows, on the GUI thread. One document at a time. ``close()`` frees
    the page and the profile (call it outside this object's own signal handlers)."""

    printed = Signal(bytes)
    failed = Signal(str)

    def __init__(self, library: Library | None = None, timeout_s: float = 120.0) -> None:
        super().__init__()
        self.timeout_ms = int(timeout_s * 1000)
        # No storage name: off the record (memory only); no HTTP cache either.
        self.profile = QWebEngineProfile()
        self.profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.NoCache)
        self.handler = _ExportSchemeHandler(library, self.profile)
        self.profile.installUrlSchemeHandler(SCHEME, self.handler)
        self.page = QWebEnginePage(self.profile)
        settings = self.page.settings()
        for attr, on in (
            (QWebEngineSettings.WebAttribute.JavascriptEnabled, False),
            (QWebEngineSettings.WebAttribute.AutoLoadImages, True),
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False),
            (QWebEngineSettings.WebAttribute.PluginsEnabled, False),
            (QWebEngineSettings.WebAttribute.ErrorPageEnabled, False),
        ):
            settings.setAttribute(attr, on)
        self.page.loadFinished.connect(self._on_loaded)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self._state = "idle"  # idle, warming, loading, printing
        self._pending: tuple[PdfDocument, QPageLayout] | None = None
        self._layout: QPageLayout | None = None
        self._token: str | None = None
        self._job = 0  # bumped by cancel(): a late callback of an old job is ignored

    @property
    def busy(self) -> bool:
        return self._state in ("loading", "printing") or self._pending is not None

    def warm_up(self) -> None:
        """Start Chromium's renderer now (a tiny page of the same origin), so that the first
        print does not wait for it. Optional."""
        if self._state != "idle" or self.page is None:
            return
        self._state = "warming"
        self._load(b"<!DOCTYPE html><title>-</title>")

    def print_document(self, doc: PdfDocument, layout: QPageLayout) -> None:
        """Load ``doc`` and print it; ``printed`` or ``failed`` follows."""
        if self.busy:
            raise RuntimeError("PdfPrinter prints one document at a time")
        if self.page is None:
            raise RuntimeError("PdfPrinter is closed")
        self.handler.prefetched = dict(doc.images)
        if self._state == "warming":
            self._pending = (doc, layout)  # after the warm-up page has loaded
            return
        self._start(doc, layout)

    def cancel(self) -> None:
        """Stop the load or forget the print under way: no signal comes for it."""
        self._job += 1
        self._pending = None
        self._timer.stop()
        if self._state in ("loading", "warming") and self.page is not None:
            self.page.triggerAction(QWebEnginePage.WebAction.Stop)
        self._state = "idle" if self._state != "printing" else "printing-cancelled"

    def close(self) -> None:
        """Free the page, then the profile (QtWebEngine wants its pages gone first)."""
        self._job += 1
        self._timer.stop()
        if self.page is not None:
            try:
                self.page.loadFinished.disconnect(self._on_loaded)
            except (RuntimeError, TypeError):
                pass
        # Both are owned by Python (no parent): dropping them deletes them now, page first.
        self.page = None
        self.handler = None
        self.profile = None

    # --- internals -----------------------------------------------------------------------------

    def _load(self, data: bytes) -> None:
        if self._token is not None:
            self.handler.pages.pop(self._token, None)
        self._token = secrets.token_hex(8)
        self.handler.pages[self._token] = data
        self.page.load(QUrl(f"{SCHEME.decode()}:{EXPORT_PATH}{self._token}"))

    def _start(self, doc: PdfDocument, layout: QPageLayout) -> None:
        self._state = "loading"
        self._layout = layout
        self._timer.start(self.timeout_ms)
        self._load(doc.html.encode("utf-8"))

    def _on_loaded(self, ok: bool) -> None:
        state = self._state
        if self._token is not None and self.handler is not None:
            self.handler.pages.pop(self._token, None)
            self._token = None
        if state == "warming":
            self._state = "idle"
            if self._pending is not None:
                doc, layout = self._pending
                self._pending = None
                self._start(doc, layout)
            return
        if state != "loading":
            return
        if not ok:
            self._fail("the page to print did not load")
            return
        self._state = "printing"
        job = self._job
        self.page.printToPdf(lambda data, job=job: self._on_printed(job, data), self._layout)

    def _on_printed(self, job: int, data) -> None:
        if job != self._job:
            if self._state == "printing-cancelled":
                self._state = "idle"
            return
        self._timer.stop()
        self._state = "idle"
        data = bytes(data.data()) if hasattr(data, "data") else bytes(data)
        if not data.startswith(b"%PDF"):
            self.failed.emit("printing gave no PDF")
            return
        self.printed.emit(data)

    def _on_timeout(self) -> None:
        what = "printing" if self._state == "printing" else "loading the page"
        self._fail(f"{what} took longer than {self.timeout_ms / 1000:.0f} s")

    def _fail(self, message: str) -> None:
        self._job += 1
        self._timer.stop()
        if self._state == "loading" and self.page is not None:
            self.page.triggerAction(QWebEnginePage.WebAction.Stop)
        self._state = "idle"
        self.failed.emit(message)


def _dest_name(value) -> str:
    return str(value).lstrip("/")


def _toc_number_ops(annots, pages: dict[str, int], size: float) -> str:
    """PDF text operators writing each TOC entry's page number at the right end of its link."""
    ops = []
    for ref in annots:
        annot = ref.get_object()
        name = _dest_name(annot.get("/Dest", ""))
        if annot.get("/Subtype") != "/Link" or name not in pages:
            continue
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
        number = str(pages[name])
        width = TOC_DIGIT_WIDTH * size * len(number)  # Times-Roman digits are 0.5 em wide
        x = max(x1, x2) - width
        # On the entry's last line (a long title wraps): line boxes are 1.6 em high in print.
        line = min(abs(y2 - y1), 1.6 * size)
        y = min(y1, y2) + (line - size) / 2 + 0.22 * size
        ops.append(f"BT /DbTocNumber {size:.2f} Tf {x:.2f} {y:.2f} Td ({number}) Tj ET")
    return "\n".join(ops)


def _stamp_toc_numbers(writer, pages: dict[str, int], size: float) -> None:
    """Write the page numbers into the table of contents (the pages before the first post)."""
    from pypdf import PageObject
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    first_post = min(pages.values())
    for page in writer.pages[: first_post - 1]:
        ops = _toc_number_ops(page.get("/Annots") or [], pages, size)
        if not ops:
            continue
        box = page.mediabox
        overlay = PageObject.create_blank_page(width=box.width, height=box.height)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Times-Roman"),
            }
        )
        overlay[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/DbTocNumber"): font})}
        )
        stream = DecodedStreamObject()
        stream.set_data(("0.1 0.1 0.1 rg\n" + ops).encode("ascii"))
        overlay[NameObject("/Contents")] = writer._add_object(stream)
        page.merge_page(overlay)


def _finish(
    data: bytes,
    *,
    title: str,
    author: str,
    posts: Sequence[DocPost],
    toc: bool,
) -> tuple[bytes, int, dict[str, int]]:
    """Metadata (Title, Author), the outline, the contents' page numbers; one pypdf pass.

    Returns the bytes, the page count and each post's first page (from the named
    destinations Chromium writes for the targets of the contents' links)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    pages: dict[str, int] = {}
    if toc:
        dests = {_dest_name(k): v for k, v in reader.named_destinations.items()}
        for post in posts:
            dest = dests.get(post.anchor)
            if dest is not None:
                pages[post.anchor] = reader.get_destination_page_number(dest) + 1
    writer = PdfWriter(clone_from=reader)
    meta = {"/Title": title, "/Creator": "Desktop Blog"}
    if author:
        meta["/Author"] = author
    writer.add_metadata(meta)
    if pages:
        _stamp_toc_numbers(writer, pages, TOC_NUMBER_PT)
        for post in posts:
            if post.anchor in pages:
                writer.add_outline_item(
                    title=post.title or "(untitled)", page_number=pages[post.anchor] - 1
                )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages), pages


def _pdf_text(value: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, as hex (any title works)."""
    return b"<" + ("\ufeff" + value).encode("utf-16-be").hex().upper().encode("ascii") + b">"


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", re.DOTALL)


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page\b")


class _Update:
    """An incremental update of a PDF written as Chromium writes it (classic cross-reference
    table): new versions of some objects and new objects, appended after the original bytes,
    with their own cross-reference section and a trailer pointing back (``/Prev``)."""

    def __init__(self, data: bytes) -> None:
        m = _TRAILER.search(data[-4096:])
        if m is None:
            raise ValueError("not a PDF with a classic trailer")
        trailer = m.group(1)
        size = re.search(rb"/Size\s+(\d+)", trailer)
        root = re.search(rb"/Root\s+(\d+)\s+0\s+R", trailer)
        if size is None or root is None:
            raise ValueError("no /Size or /Root in the trailer")
        self.data = data
        self.prev = int(m.group(2))
        self.size = int(size.group(1))
        self.root = int(root.group(1))
        ident = re.search(rb"/ID\s*\[[^\]]*\]", trailer)
        self.ident = ident.group(0) if ident else b""
        self.objects: dict[int, bytes] = {}

    def new_number(self) -> int:
        self.size += 1
        return self.size - 1

    def put(self, number: int, obj) -> None:
        """Write ``obj`` (a pypdf object) as object ``number``."""
        out = io.BytesIO()
        obj.write_to_stream(out)
        self.objects[number] = out.getvalue()

    def put_stream(self, number: int, content: bytes) -> None:
        self.objects[number] = b"<</Length %d>>\nstream\n%s\nendstream" % (len(content), content)

    def bytes(self, info: bytes) -> bytes:
        """The updated file; ``info`` is the new Info dictionary's body."""
        info_number = self.new_number()
        self.objects[info_number] = b"<<" + info + b">>"
        body = bytearray(self.data)
        if not body.endswith(b"\n"):
            body += b"\n"
        offsets = {}
        for number in sorted(self.objects):
            offsets[number] = len(body)
            body += b"%d 0 obj\n%s\nendobj\n" % (number, self.objects[number])
        xref = len(body)
        # Object 0's free entry first, as readers expect a section to begin (pypdf would
        # otherwise take the table for one numbered from 1 and check every offset).
        body += b"xref\n0 1\n0000000000 65535 f \n"
        numbers = sorted(offsets)
        start = 0
        while start < len(numbers):  # contiguous runs of object numbers
            end = start
            while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
                end += 1
            body += b"%d %d\n" % (numbers[start], end - start + 1)
            for number in numbers[start : end + 1]:
                body += b"%010d 00000 n \n" % offsets[number]
            start = end + 1
        body += b"trailer\n<</Size %d /Root %d 0 R /Info %d 0 R /Prev %d%s>>\n" % (
            self.size,
            self.root,
            info_number,
            self.prev,
            b" " + self.ident if self.ident else b"",
        )
        body += b"startxref\n%d\n%%%%EOF\n" % xref
        return bytes(body)


def _info_body(data: bytes, title: str, author: str) -> bytes:
    """Chromium's Info entries (Producer, dates) with our Title, Author and Creator."""
    old = b""
    m = _TRAILER.search(data[-4096:])
    info_ref = re.search(rb"/Info\s+(\d+)\s+0\s+R", m.group(1)) if m else None
    if info_ref is not None:
        found = re.search(
            rb"(?:^|[\r\n])" + info_ref.group(1) + rb"\s+0\s+obj\s*<<(.*?)>>\s*endobj",
            data[:65536],
            re.DOTALL,
        )
        if found is not None:
            old = re.sub(
                rb"/(?:Title|Author|Creator)\s*(?:\([^)]*\)|<[^>]*>)", b"", found.group(1)
            ).strip()
    info = old + b" /Title " + _pdf_text(title) + b" /Creator " + _pdf_text("Desktop Blog")
    if author:
        info += b" /Author " + _pdf_text(author)
    return info


def _inherited(page, key: str):
    """``page[key]``, or the nearest page tree node's (Resources may be inherited)."""
    node, depth = page, 0
    while node is not None and depth < 32:
        if key in node:
            return node[key].get_object()
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        depth += 1
    return None


def _finish_toc(data: bytes, doc: PdfDocument) -> tuple[bytes, int, dict[str, int]]:
    """With a table of contents: outline, contents' page numbers and Info in one incremental
    update. pypdf only reads (the named destinations, the pages, the contents' links); the
    17 MB of a 100-post PDF are not parsed or written again."""
    from pypdf import PdfReader
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        NullObject,
        NumberObject,
        TextStringObject,
    )

    update = _Update(data)
    reader = PdfReader(io.BytesIO(data))
    count = len(reader.pages)
    dests = {_dest_name(k): v for k, v in reader.named_destinations.items()}
    pages: dict[str, int] = {}
    for post in doc.posts:
        dest = dests.get(post.anchor)
        if dest is not None:
            pages[post.anchor] = reader.get_destination_page_number(dest) + 1
    if pages:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Times-Roman"),
            }
        )
        save = update.new_number()
        update.put_stream(save, b"q")
        for page in reader.pages[: min(pages.values()) - 1]:
            ops = _toc_number_ops(page.get("/Annots") or [], pages, TOC_NUMBER_PT)
            if not ops:
                continue
            stamp = update.new_number()
            update.put_stream(stamp, ("Q\nq 0.1 0.1 0.1 rg\n" + ops + "\nQ").encode("ascii"))
            new_page = DictionaryObject(page)
            raw = page.raw_get("/Contents") if "/Contents" in page else None
            if isinstance(raw, IndirectObject) and isinstance(raw.get_object(), ArrayObject):
                raw = raw.get_object()
            parts = list(raw) if isinstance(raw, ArrayObject) else ([raw] if raw else [])
            new_page[NameObject("/Contents")] = ArrayObject(
                [IndirectObject(save, 0, None), *parts, IndirectObject(stamp, 0, None)]
            )
            resources = DictionaryObject(_inherited(page, "/Resources") or {})
            fonts = DictionaryObject(resources.get("/Font", DictionaryObject()).get_object())
            fonts[NameObject("/DbTocNumber")] = font
            resources[NameObject("/Font")] = fonts
            new_page[NameObject("/Resources")] = resources
            update.put(page.indirect_reference.idnum, new_page)
        # The outline: one entry per post, to its first page.
        entries = [p for p in doc.posts if p.anchor in pages]
        outline = update.new_number()
        numbers = [update.new_number() for _ in entries]
        for i, (post, number) in enumerate(zip(entries, numbers, strict=True)):
            page_ref = reader.pages[pages[post.anchor] - 1].indirect_reference
            item = DictionaryObject(
                {
                    NameObject("/Title"): TextStringObject(post.title or "(untitled)"),
                    NameObject("/Parent"): IndirectObject(outline, 0, None),
                    NameObject("/Dest"): ArrayObject(
                        [
                            IndirectObject(page_ref.idnum, 0, None),
                            NameObject("/XYZ"),
                            NullObject(),
                            NullObject(),
                            NullObject(),
                        ]
                    ),
                }
            )
            if i > 0:
                item[NameObject("/Prev")] = IndirectObject(numbers[i - 1], 0, None)
            if i + 1 < len(numbers):
                item[NameObject("/Next")] = IndirectObject(numbers[i + 1], 0, None)
            update.put(number, item)
        update.put(
            outline,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Outlines"),
                    NameObject("/First"): IndirectObject(numbers[0], 0, None),
                    NameObject("/Last"): IndirectObject(numbers[-1], 0, None),
                    NameObject("/Count"): NumberObject(len(numbers)),
                }
            ),
        )
        catalog = DictionaryObject(reader.trailer["/Root"].get_object())
        catalog[NameObject("/Outlines")] = IndirectObject(outline, 0, None)
        update.put(update.root, catalog)
    return update.bytes(_info_body(data, doc.title, doc.author)), count, pages


def finish_pdf(data: bytes, doc: PdfDocument) -> tuple[bytes, int, dict[str, int]]:
    """Chromium's PDF with the Title and Author set; with a table of contents also the
    outline and the contents' page numbers. Returns the bytes, the page count and each post's
    first page (1-based, only with a table of contents). No Qt: any thread.

    Both are incremental updates appended to Chromium's file; pypdf rewrites the whole file
    only when it is not laid out as Chromium writes it."""
    try:
        if not doc.toc:
            update = _Update(data)
            return (
                update.bytes(_info_body(data, doc.title, doc.author)),
                len(_PAGE_OBJECT.findall(data)),
                {},
            )
        return _finish_toc(data, doc)
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("PDF not laid out as expected; finishing it with pypdf", exc_info=True)
        return _finish(data, title=doc.title, author=doc.author, posts=doc.posts, toc=doc.toc)


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file; mode 0644 like any document."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _wait_for(future: concurrent.futures.Future):
    """Spin a local event loop until ``future`` is done (Chromium works meanwhile)."""

    class _Relay(QObject):
        done = Signal()

    relay = _Relay()
    loop = QEventLoop()
    relay.done.connect(loop.quit)
    future.add_done_callback(lambda _f: relay.done.emit())
    if not future.done():
        loop.exec()
    return future.result()


def print_blocking(printer: PdfPrinter, doc: PdfDocument, layout: QPageLayout) -> bytes:
    """Print ``doc`` with ``printer``, spinning a local event loop until it is done."""
    loop = QEventLoop()
    box: list = []

    def done(data: bytes) -> None:
        box.append(data)
        loop.quit()

    def failed(message: str) -> None:
        box.append(PdfError(message))
        loop.quit()

    printer.printed.connect(done)
    printer.failed.connect(failed)
    try:
        printer.print_document(doc, layout)
        if not box:
            loop.exec()
    finally:
        printer.printed.disconnect(done)
        printer.failed.disconnect(failed)
    if isinstance(box[0], Exception):
        raise box[0]
    return box[0]


def export_pdf(
    posts: Sequence[DocPost],
    path: str | Path,
    options: PdfOptions = PdfOptions(),
    *,
    library: Library | None = None,
    date: datetime | None = None,
    load_image: ImageLoader | None = None,
    on_post: Callable[[int, int], None] | None = None,
    articles: Callable[[], Sequence[str] | None] | None = None,
) -> PdfResult:
    """Print ``posts`` into one PDF at ``path``. Blocks (a local event loop runs).

    ``library`` serves ``dbmedia:`` images; ``date`` is the table of contents' date (today).
    ``load_image`` (``core.export_md.image_loader``), when given, fetches the plain ``http://``
    images, which are put in the page as data URIs: the page has a secure origin, and Chromium
    would upgrade or block them as mixed content (https ones load directly). The posts render
    on a thread while Chromium starts. ``on_post(done, total)`` (on that thread) after each.
    Raises PdfError, or OSError when the file cannot be written."""
    started = time.perf_counter()
    if not posts:
        raise ValueError("nothing to export: no posts")
    ensure_application()
    # The posts render on a thread while Chromium starts its renderer on this one.
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="pdf-render") as pool:
        future = pool.submit(
            build_document,
            posts,
            options,
            library=library,
            date=date,
            load_image=load_image,
            on_post=on_post,
            articles=articles,
        )
        printer = PdfPrinter(library, options.timeout_s)
        try:
            printer.warm_up()
            doc = _wait_for(future)
            data = print_blocking(printer, doc, page_layout(options))
        finally:
            printer.close()
    data, count, pages = finish_pdf(data, doc)
    write_file(Path(path), data)
    return PdfResult(Path(path), count, time.perf_counter() - started, pages)
