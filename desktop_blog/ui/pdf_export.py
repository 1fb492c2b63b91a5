"""PDF export: the renderer's HTML printed by QtWebEngine, the engine of the preview.

How it works
------------
- ``render.standalone.document_html`` builds the page (the preview's CSS, its print rules, a
  header with title, author and date per post, a table of contents for several posts) and
  ``print_css`` adds the page set-up: ``@page`` size and margins, and the page numbers.
- Page numbers: Chromium's header and footer templates are not exposed by Qt, but the CSS page
  margin boxes are (Chromium 131 and later; QtWebEngine 6.11 has Chromium 140): ``@page {
  @bottom-center { content: counter(page) " / " counter(pages) } }``. They are drawn in the
  page margin, so the margins given to ``printToPdf`` (the ``QPageLayout``) must leave room.
- The page is served to an off-the-record profile through the ``dbmedia:`` scheme handler
  (``dbmedia:/export/<token>``; ``setHtml`` is limited to 2 MB), so the library's images load as
  in the preview; remote ``https://`` images load over the network. Plain ``http://`` ones
  would be upgraded or blocked by Chromium as mixed content (the page's origin is secure), so
  the caller may pass ``load_image`` and they are fetched and inlined as data URIs first.
  The page's JavaScript is off: a post's scripts never run.
- Links stay links: Chromium writes URI annotations for ``http(s)`` links and internal ones for
  the table of contents (named destinations ``post-N``).
- The page is printed once; pypdf then finishes the file in one pass: it sets the document's
  Title and Author (``printToPdf`` sets neither); with a table of contents, it reads on which
  page each post starts (the named destination Chromium writes for each target of the
  contents' links), adds an outline (bookmarks) with one entry per post, and writes each page
  number at the right end of its contents entry (the link's rectangle; the CSS keeps that
  place empty), in Times-Roman, a standard PDF font. CSS cannot number them itself
  (Chromium has no ``target-counter()``), and printing twice, once to learn the pages, doubled
  the time of a long export. The file is written with mode 0644 (``printToPdf``'s own file
  writing uses 0600).

``export_pdf`` blocks in a local event loop and needs a QApplication (``ensure_application``
makes one for the CLI, offscreen when there is no display). ``register_schemes()`` must have
run before the application was created.
"""

from __future__ import annotations

import io
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QEventLoop, QIODevice, QMarginsF, QTimer, QUrl
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestJob,
)

from desktop_blog.render.standalone import DocPost, ImageLoader, document_html, inline_images

from .schemes import SCHEME, MediaSchemeHandler, register_schemes

if TYPE_CHECKING:
    from desktop_blog.core.db import Library

__all__ = [
    "PAGE_SIZES",
    "PdfError",
    "PdfOptions",
    "PdfResult",
    "ensure_application",
    "export_pdf",
    "print_css",
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


def print_css(options: PdfOptions) -> str:
    """``@page`` rules: size, margins and the page number in the bottom margin."""
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
        ".db-toc-page { min-width: 2.5em; text-align: right; }\n" + options.custom_css
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
    """``dbmedia:<uuid>`` images as in the preview, plus the export page itself."""

    def __init__(self, library: Library | None, parent=None) -> None:
        super().__init__(library, parent)
        self.pages: dict[str, bytes] = {}

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


class _Printer:
    """One off-the-record profile and page; loads and prints with a local event loop."""

    def __init__(self, library: Library | None, timeout_s: float) -> None:
        self.timeout_ms = int(timeout_s * 1000)
        self.profile = QWebEngineProfile()  # no storage name: off the record
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

    def close(self) -> None:
        # Both are owned by Python (no parent): dropping them deletes them now, the page
        # first, as QtWebEngine requires (a profile released before its pages warns).
        self.page = None
        self.handler = None
        self.profile = None

    def _wait(self, start: Callable[[Callable[..., None]], None], what: str):
        loop = QEventLoop()
        box: list = []

        def done(*args) -> None:
            if not box:
                box.append(args)
            loop.quit()

        start(done)
        if not box:
            QTimer.singleShot(self.timeout_ms, loop.quit)
            loop.exec()
        if not box:
            raise PdfError(f"{what} took longer than {self.timeout_ms / 1000:.0f} s")
        return box[0]

    def load(self, html: str) -> None:
        token = secrets.token_hex(8)
        self.handler.pages[token] = html.encode("utf-8")
        page = self.page

        def start(done) -> None:
            page.loadFinished.connect(done)
            page.load(QUrl(f"{SCHEME.decode()}:{EXPORT_PATH}{token}"))

        try:
            (ok,) = self._wait(start, "loading the page")
        finally:
            self.handler.pages.pop(token, None)
            try:
                page.loadFinished.disconnect()
            except (RuntimeError, TypeError):
                pass
        if not ok:
            raise PdfError("the page to print did not load")

    def print_pdf(self, layout: QPageLayout) -> bytes:
        (data,) = self._wait(lambda done: self.page.printToPdf(done, layout), "printing")
        data = bytes(data.data()) if hasattr(data, "data") else bytes(data)
        if not data.startswith(b"%PDF"):
            raise PdfError("printing gave no PDF")
        return data


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


def export_pdf(
    posts: Sequence[DocPost],
    path: str | Path,
    options: PdfOptions = PdfOptions(),
    *,
    library: Library | None = None,
    date: datetime | None = None,
    load_image: ImageLoader | None = None,
) -> PdfResult:
    """Print ``posts`` into one PDF at ``path``. Blocks (a local event loop runs).

    ``library`` serves ``dbmedia:`` images; ``date`` is the table of contents' date (today).
    ``load_image`` (``core.export_md.image_loader``), when given, fetches the plain ``http://``
    images, which are put in the page as data URIs: the page has a secure origin, and Chromium
    would upgrade or block them as mixed content (https ones load directly).
    Raises PdfError, or OSError when the file cannot be written."""
    started = time.perf_counter()
    if not posts:
        raise ValueError("nothing to export: no posts")
    posts = [
        replace(p, author=p.author or options.author, anchor=p.anchor or f"post-{i}")
        for i, p in enumerate(posts, 1)
    ]
    many = len(posts) > 1
    title = options.title or (posts[0].title if not many else "Posts") or "(untitled)"
    toc = options.toc if options.toc is not None else many
    html = document_html(
        posts,
        title=title,
        author=options.author,
        date=date or datetime.now(UTC),
        theme=options.theme,
        toc=toc,
        extra_css=print_css(options),
    )
    if load_image is not None:
        html, _ = inline_images(
            html, lambda url: load_image(url) if url.lower().startswith("http://") else None
        )
    ensure_application()
    printer = _Printer(library, options.timeout_s)
    try:
        printer.load(html)
        data = printer.print_pdf(page_layout(options))
    finally:
        printer.close()
    data, count, pages = _finish(data, title=title, author=options.author, posts=posts, toc=toc)
    write_file(Path(path), data)
    return PdfResult(Path(path), count, time.perf_counter() - started, pages)
