"""The ``dbmedia:`` URL scheme: images of the local library, served to QtWebEngine by uuid.

A post refers to an image as ``dbmedia:<uuid>`` (see ``core.media``). ``register_schemes()`` must
run before the QApplication exists (QtWebEngine reads the list of schemes once, at start-up);
``app.py`` and ``tests/conftest.py`` call it. ``install_media_handler(profile, library)`` then
lets a profile's pages load those URLs: the preview uses it, and so can the PDF export.

The handler runs on the GUI thread (QtWebEngine calls ``requestStarted`` there). Each request
reads the row with a fresh, short session; the bytes of recently served images are kept in a
small cache, which is safe because a uuid always names the same bytes (media is deduplicated
by content and never edited in place).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QObject
from PySide6.QtWebEngineCore import (
    QWebEngineProfile,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

if TYPE_CHECKING:
    from desktop_blog.core.db import Library

log = logging.getLogger(__name__)

# core.media.MEDIA_SCHEME; spelt out so that registering at start-up does not import the
# database layer (SQLAlchemy alone takes a quarter of a second). A test keeps them equal.
SCHEME = b"dbmedia"
CACHE_BYTES = 32 * 1024 * 1024


def register_schemes(*, late: bool = False) -> None:
    """Register ``dbmedia:`` with QtWebEngine. Idempotent; must precede the QApplication.

    ``late=True``: the QApplication exists, but no QtWebEngine profile, page or view has been
    made yet. The main window registers then, after its first frame, to keep QtWebEngine off the
    start-up path (importing it takes 40-70 ms); measured with PySide6 6.11.3: the scheme works
    (QtWebEngine locks its scheme list when its context starts, not when the QApplication does).
    """
    if QWebEngineUrlScheme.schemeByName(SCHEME).name() == SCHEME:
        return
    if QCoreApplication.instance() is not None and not late:
        raise RuntimeError(
            "register_schemes() must be called before the QApplication is created: "
            "QtWebEngine ignores URL schemes registered later."
        )
    scheme = QWebEngineUrlScheme(SCHEME)
    # dbmedia:<uuid>: a path, no host or port, so Markdown's ![alt](dbmedia:...) stays short.
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Path)
    # Secure, so a secure page may show these images without mixed-content warnings; nothing
    # else (no local file access, no CORS, no fetch from other origins needed).
    scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme)
    QWebEngineUrlScheme.registerScheme(scheme)


class MediaSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers ``dbmedia:<uuid>`` with the Media row's bytes and MIME type."""

    def __init__(self, library: Library | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._cache: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._cached_bytes = 0
        self.requests = 0  # served requests, for tests and diagnostics

    def set_library(self, library: Library | None) -> None:
        self.library = library
        self._cache.clear()
        self._cached_bytes = 0

    def _lookup(self, uuid: str) -> tuple[str, bytes] | None:
        hit = self._cache.get(uuid)
        if hit is not None:
            self._cache.move_to_end(uuid)
            return hit
        if self.library is None:
            return None
        from desktop_blog.core.media import media_content

        with self.library.session() as session:
            found = media_content(session, uuid)
        if found is not None and len(found[1]) <= CACHE_BYTES // 4:
            self._cache[uuid] = found
            self._cached_bytes += len(found[1])
            while self._cached_bytes > CACHE_BYTES:
                _, (_, old) = self._cache.popitem(last=False)
                self._cached_bytes -= len(old)
        return found

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 - Qt's name
        url = job.requestUrl().toString()
        if bytes(job.requestMethod().data()).upper() != b"GET":
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        from desktop_blog.core.media import uuid_from_url

        uuid = uuid_from_url(url)
        if uuid is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        try:
            found = self._lookup(uuid)
        except Exception:
            log.exception("could not read %s from the library", url)
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        if found is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        mime, data = found
        # The buffer belongs to the job, which QtWebEngine deletes when the reply is read.
        buffer = QBuffer(job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.requests += 1
        job.reply(mime.encode(), buffer)


def install_media_handler(
    profile: QWebEngineProfile | None = None, library: Library | None = None
) -> MediaSchemeHandler:
    """The ``dbmedia:`` handler of ``profile`` (default: the default profile), installing it
    once; a later call with another library points the same handler at that library."""
    register_schemes()  # no-op when done in time; raises when the app started without it
    profile = profile or QWebEngineProfile.defaultProfile()
    existing = profile.urlSchemeHandler(SCHEME)
    if isinstance(existing, MediaSchemeHandler):
        if library is not None and existing.library is not library:
            existing.set_library(library)
        return existing
    if existing is not None:
        profile.removeUrlSchemeHandler(existing)
    handler = MediaSchemeHandler(library, parent=profile)
    profile.installUrlSchemeHandler(SCHEME, handler)
    return handler
