"""The featured image of the open post, in the metadata panel: a thumbnail, Choose and Remove.

A post's featured image is an image of the library (``Post.featured_media_id``), chosen among
the images the post shows or from a file (stored in the Media table like a dropped image), or
dropped on the field. A pulled post may instead have one the blog holds and the library does
not (``remote_featured_id``): it is shown by its number on the blog and kept until replaced
or removed.

The field knows nothing of the database: a ``MediaSource`` (given by the window once the
library is open) lists, stores and reads images. The image's bytes are read on the database
worker and decoded at the thumbnail's size on a pool thread (a large PNG takes 150 ms: too long
for the GUI thread; QImage and QImageReader may be used on any thread, and every Qt type and
enum they need is made here, at import, on the GUI thread); only the small QPixmap is made on
the GUI thread. Thumbnails are kept, per image, for the session.
"""

from __future__ import annotations

import logging
import mimetypes
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

THUMB_SIZE = QSize(128, 72)
# Made here, on the GUI thread: the decoding thread only uses them (see the module's doc).
_READ_ONLY = QIODevice.OpenModeFlag.ReadOnly
_KEEP_ASPECT = Qt.AspectRatioMode.KeepAspectRatio
_SMOOTH = Qt.TransformationMode.SmoothTransformation
_NO_IMAGE = QImage()
_CACHE_SIZE = 32
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.webp);;All files (*)"


def choose_image_file(parent: QWidget) -> str:
    """Ask for an image file; "" when cancelled. (Tests replace this.)"""
    path, _filter = QFileDialog.getOpenFileName(
        parent, "Choose a featured image", str(Path.home()), IMAGE_FILTER
    )
    return path


class MediaSource:
    """The library's images, as the featured-image field needs them."""

    def __init__(self, library: Any, tasks: Any) -> None:
        self.library = library
        self.tasks = tasks

    def images_in(self, text: str) -> list[Any]:
        """The images a post's text shows (``core.media.ImageRef``); one small query."""
        from desktop_blog.core import media

        with self.library.session() as session:
            return media.images_in_text(session, text)

    def store_file(self, path: str) -> Any:
        """Store an image file in the library (``MediaData``); raises OSError or ValueError.

        On the GUI thread, as for dropped images: reading and hashing one image takes
        milliseconds, and the choice is then made at once."""
        from desktop_blog.core import media

        data = Path(path).read_bytes()
        with self.library.session() as session:
            stored = media.store_image(
                session, data, Path(path).name, mimetypes.guess_type(path)[0] or ""
            )
            session.commit()
        return stored

    def read(
        self,
        media_id: int,
        on_done: Callable[[tuple[Any, QImage] | None], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """The image's ``(ImageRef, thumbnail QImage)`` (None: gone): read on the database
        worker, decoded on a pool thread; ``on_done`` is called on the GUI thread."""

        def work() -> tuple[Any, bytes] | None:
            from desktop_blog.core import media

            with self.library.session() as session:
                ref = media.image_ref(session, media_id)
                content = media.media_content_by_id(session, media_id)
            return None if ref is None or content is None else (ref, content[1])

        def decode(got: tuple[Any, bytes] | None) -> None:
            if got is None:
                on_done(None)
                return
            ref, data = got
            self.tasks.run_net(lambda: (ref, thumbnail(data)), on_done, on_error)

        self.tasks.run_db(work, decode, on_error)


def thumbnail(data: bytes, size: QSize = THUMB_SIZE) -> QImage:
    """``data`` decoded straight to at most ``size`` (aspect kept), its EXIF orientation
    applied; a null image if unreadable. Safe on any thread (no QPixmap)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(_READ_ONLY)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    full = reader.size()
    if full.isValid() and (full.width() > size.width() or full.height() > size.height()):
        # JPEG decodes at the small size directly; other formats are scaled after
        reader.setScaledSize(full.scaled(size, _KEEP_ASPECT))
    image = reader.read()
    if image.isNull():
        return QImage(_NO_IMAGE)
    if image.width() > size.width() or image.height() > size.height():
        image = image.scaled(size, _KEEP_ASPECT, _SMOOTH)
    return image


class FeaturedImageField(QWidget):
    """Thumbnail and name of the featured image, with Choose (menu) and Remove."""

    #: the user chose or removed the image
    changed = Signal()
    #: something went wrong that the user should read (a file that is not an image)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featuredImage")
        self.setAcceptDrops(True)
        self._source: MediaSource | None = None
        self._text: Callable[[], str] = str
        self._media_id: int | None = None
        self._remote_id: str | None = None
        self._names: dict[int, str] = {}
        self._thumbs: OrderedDict[int, QPixmap] = OrderedDict()

        self.thumb = QLabel()
        self.thumb.setObjectName("featuredThumb")
        self.thumb.setFixedSize(THUMB_SIZE)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setFrameShape(QLabel.Shape.StyledPanel)
        self.caption = QLabel()
        self.caption.setObjectName("featuredCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.menu = QMenu(self)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.choose = QToolButton()
        self.choose.setObjectName("chooseFeatured")
        self.choose.setText("Choose…")
        self.choose.setToolTip("An image of this post, or an image file (or drop one here)")
        self.choose.setMenu(self.menu)
        self.choose.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.remove = QToolButton()
        self.remove.setObjectName("removeFeatured")
        self.remove.setText("Remove")
        self.remove.clicked.connect(self.clear_image)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.choose)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.caption)
        side.addLayout(buttons)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.thumb)
        row.addLayout(side, 1)
        self._show()

    # --- set-up, by the panel and the window --------------------------------------------------

    def set_source(self, source: MediaSource | None) -> None:
        """Where images come from (the window gives it once the library is open)."""
        self._source = source
        self._show()

    def set_text_provider(self, text: Callable[[], str]) -> None:
        """The post's current Markdown, to offer the images it shows."""
        self._text = text

    # --- the value ----------------------------------------------------------------------------

    def load(self, media_id: int | None, remote_id: str | None) -> None:
        """Show a post's featured image (no ``changed``)."""
        self._media_id, self._remote_id = media_id, remote_id
        self._show()

    def value(self) -> tuple[int | None, str | None]:
        """``(featured_media_id, remote_featured_id)``."""
        return self._media_id, self._remote_id

    def set_image(self, media_id: int, name: str = "") -> None:
        """Make the library's image ``media_id`` the featured image."""
        if name:
            self._names[media_id] = name
        if (self._media_id, self._remote_id) == (media_id, None):
            return
        self._media_id, self._remote_id = media_id, None
        self._show()
        self.changed.emit()

    def clear_image(self) -> None:
        """No featured image."""
        if self._media_id is None and self._remote_id is None:
            return
        self._media_id = self._remote_id = None
        self._show()
        self.changed.emit()

    def choose_file(self) -> None:
        """Ask for an image file, store it in the library and choose it."""
        path = choose_image_file(self.window())
        if path:
            self.add_file(path)

    def add_file(self, path: str) -> bool:
        """Store the image file at ``path`` and choose it; False (and ``failed``) if it is not
        an image or cannot be read or stored."""
        if self._source is None:
            return False
        try:
            stored = self._source.store_file(path)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            message = f"{Path(path).name} cannot be the featured image: {reason}"
            log.warning("featured image: %s", message)
            self.failed.emit(message)
            return False
        except Exception as exc:  # the library could not be written
            from desktop_blog.core.db import storage_message

            log.exception("storing the featured image failed")
            self.failed.emit(
                f"{Path(path).name} cannot be the featured image: {storage_message(exc)}"
            )
            return False
        self.set_image(stored.id, stored.filename)
        return True

    # --- showing ------------------------------------------------------------------------------

    def _show(self) -> None:
        media_id, remote = self._media_id, self._remote_id
        self.remove.setEnabled(media_id is not None or remote is not None)
        self.choose.setEnabled(self._source is not None)
        if media_id is None:
            self.thumb.setPixmap(QPixmap())
            if remote is not None:
                self.thumb.setText("On the blog")
                self.caption.setText(f"The blog's image #{remote}")
                self.caption.setToolTip(
                    "This image is in the blog's media library, not in yours. It stays until "
                    "you choose another or remove it."
                )
            else:
                self.thumb.setText("None")
                self.caption.setText("No featured image")
                self.caption.setToolTip("")
            return
        self.caption.setText(self._names.get(media_id, ""))
        self.caption.setToolTip("")
        cached = self._thumbs.get(media_id)
        if cached is not None:
            self._thumbs.move_to_end(media_id)
            self.thumb.setText("")
            self.thumb.setPixmap(cached)
            if media_id in self._names:
                return
        else:
            self.thumb.setPixmap(QPixmap())
            self.thumb.setText("…")
        if self._source is not None:
            self._source.read(
                media_id,
                lambda got, wanted=media_id: self._arrived(wanted, got),
                lambda exc: log.warning("featured image %s: %s", media_id, exc),
            )

    def _arrived(self, media_id: int, got: tuple[Any, QImage] | None) -> None:
        if got is None:
            self._names[media_id] = "(image missing from the library)"
            self._thumbs[media_id] = QPixmap()
        else:
            ref, image = got
            self._names[media_id] = ref.filename
            self._thumbs[media_id] = QPixmap.fromImage(image)
            while len(self._thumbs) > _CACHE_SIZE:
                self._thumbs.popitem(last=False)
        if media_id != self._media_id:
            return  # another post or image is shown by now
        pixmap = self._thumbs[media_id]
        self.thumb.setPixmap(pixmap)
        self.thumb.setText("" if not pixmap.isNull() else "?")
        self.caption.setText(self._names[media_id])

    def _fill_menu(self) -> None:
        self.menu.clear()
        images: list[Any] = []
        if self._source is not None:
            try:
                images = self._source.images_in(self._text())
            except Exception:
                log.exception("listing the post's images failed")
        if images:
            self.menu.addSection("Images in this post")
            for ref in images:
                size = f" ({ref.width}×{ref.height})" if ref.width and ref.height else ""
                action = self.menu.addAction(ref.filename + size)
                action.setCheckable(True)
                action.setChecked(ref.id == self._media_id)
                action.triggered.connect(
                    lambda _checked=False, r=ref: self.set_image(r.id, r.filename)
                )
        else:
            none = self.menu.addAction("This post shows no images")
            none.setEnabled(False)
        self.menu.addSeparator()
        self.menu.addAction("Image File…", self.choose_file)

    # --- drops --------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self._source is not None and self.isEnabled() and _dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        path = _dropped_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.add_file(path)


def _dropped_file(mime: Any) -> str:
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            return url.toLocalFile()
    return ""
