"""Pasted and dropped images: stored in the library's Media table, Markdown inserted at the cursor.

``attach_image_handling(editor, library)`` connects the Markdown editor's ``imageDataPasted(bytes,
str)`` and ``imageFilesDropped(list[str])`` signals. Each image is stored with
``core.media.store_image`` (the same bytes are stored once) and ``![alt](dbmedia:<uuid>)`` goes in
at the cursor, so the post holds no file path and works offline. Anything that goes wrong (an
unreadable file, a file that is not an image, a library that cannot be written) is reported in a
message, and the post's text is left as it was: nothing is inserted for that image.

The store runs on the GUI thread: hashing and writing one image takes milliseconds, and doing it
in place keeps the cursor position and the undo step simple.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_blog.core import media
from desktop_blog.core.db import Library, storage_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageProblem:
    name: str
    reason: str


class ImageInserter(QObject):
    """Stores images the editor hands over and inserts their Markdown."""

    # The Media rows whose Markdown was inserted.
    inserted = Signal(list)
    # A message for the user, one line per image that could not be added.
    failed = Signal(str)

    def __init__(self, editor, library: Library, *, show_errors: bool = True) -> None:
        super().__init__(editor)
        self.editor = editor
        self.library = library
        self.show_errors = show_errors
        editor.imageDataPasted.connect(self.add_data)
        editor.imageFilesDropped.connect(self.add_files)

    @Slot(bytes, str)
    def add_data(self, data: bytes, mime: str = "") -> None:
        """A pasted image (clipboard bytes)."""
        ext = media.SUPPORTED.get(mime, mimetypes.guess_extension(mime or "") or ".png")
        name = f"pasted-{datetime.now():%Y%m%d-%H%M%S}{ext}"
        self._add([(name, bytes(data), mime)], alt="image", problems=[])

    @Slot(list)
    def add_files(self, paths: list[str]) -> None:
        """Image files dropped on the editor, in the order given."""
        items: list[tuple[str, bytes, str]] = []
        problems: list[ImageProblem] = []
        for path in paths:
            p = Path(path)
            try:
                data = p.read_bytes()
            except OSError as exc:
                problems.append(ImageProblem(p.name, exc.strerror or str(exc)))
                continue
            items.append((p.name, data, mimetypes.guess_type(p.name)[0] or ""))
        self._add(items, alt=None, problems=problems)

    def _add(
        self, items: list[tuple[str, bytes, str]], alt: str | None, problems: list[ImageProblem]
    ) -> None:
        stored: list[media.MediaData] = []
        if items:
            try:
                with self.library.session() as session:
                    for name, data, mime in items:
                        try:
                            stored.append(media.store_image(session, data, name, mime))
                        except ValueError as exc:  # NotAnImage, too large
                            problems.append(ImageProblem(name, str(exc)))
                    session.commit()
            except Exception as exc:  # the library could not be written
                log.exception("storing images failed")
                problems = [*problems, *(ImageProblem(n, storage_message(exc)) for n, *_ in items)]
                stored = []
        if stored:
            markdown = "\n\n".join(media.markdown_for(m, alt=alt) for m in stored)
            self.editor.insert_markdown_at_cursor(markdown)
            self.inserted.emit(stored)
        if problems:
            self._report(problems)

    def _report(self, problems: list[ImageProblem]) -> None:
        lines = [f"{p.name}: {p.reason}" for p in problems]
        head = (
            "This image could not be added:"
            if len(problems) == 1
            else "These images could not be added:"
        )
        message = head + "\n" + "\n".join(lines)
        self.failed.emit(message)
        if self.show_errors:
            parent = self.editor if isinstance(self.editor, QWidget) else None
            box = QMessageBox(QMessageBox.Icon.Warning, "Image not added", message, parent=parent)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()


def attach_image_handling(editor, library: Library, *, show_errors: bool = True) -> ImageInserter:
    """Store the images pasted into or dropped onto ``editor`` and insert their Markdown."""
    return ImageInserter(editor, library, show_errors=show_errors)
