"""The centre of the window: a post's title and Markdown text, and its metadata panel.

The panel knows nothing of the database: ``load`` shows a post (a ``PostData``), ``edited``
says the user changed something, and ``current_edit`` hands the autosaver what to write.
The text is a ``MarkdownEditor``; the find / replace and go-to-line bars sit under it (the
window's actions open them). The metadata panel is a separate widget so the window can dock
it where it likes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from desktop_blog.render.textstats import Stats

from .autosave import Metadata, PostEdit
from .featured_image import FeaturedImageField
from .find_bar import FindBar, GotoLineBar
from .markdown_editor import MarkdownEditor
from .term_completer import ListCompleter

# The statuses of core.models.STATUSES with their labels (core is not imported at start-up:
# it brings SQLAlchemy; tests/ui/test_main_window.py checks the two lists agree).
STATUS_LABELS = {
    "draft": "Draft",
    "scheduled": "Scheduled",
    "published": "Published",
    "trash": "In the trash",
}
TRASH = "trash"


def split_names(text: str) -> list[str]:
    """``"a, b,, c "`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


NO_STATS = Stats(0, 0, 0, 0)
EDITOR_POINT_SIZE = 11.5


KIND_LABELS = {"post": "Post", "page": "Page"}
ON_BLOG_KIND_TIP = (
    "This {kind} is on the blog already: WordPress keeps posts and pages apart, so it stays a "
    "{kind}. Duplicate it to make a {other} of it."
)
PAGE_TERMS_TIP = "Pages have no tags or categories; these are kept in case it becomes a post."


class MetadataPanel(QWidget):
    """Post or page, status and scheduled date, featured image, slug, tags, categories and
    excerpt of the open post."""

    edited = Signal()
    #: a message for the user (an image that could not be the featured image)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metadataPanel")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(form)
        outer.addStretch(1)

        self.kind = QComboBox()
        self.kind.setObjectName("postKind")
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        form.addRow("T&ype", self.kind)

        self.status = QComboBox()
        for status, label in STATUS_LABELS.items():
            self.status.addItem(label, status)
        # The trash is entered and left through Post > Move to Trash / Restore.
        trash_item = self.status.model().item(self.status.findData(TRASH))
        trash_item.setEnabled(False)
        form.addRow("&Status", self.status)

        self.schedule = QCheckBox("Publish at")
        self.scheduled_at = QDateTimeEdit()
        self.scheduled_at.setCalendarPopup(True)
        self.scheduled_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.scheduled_at.setEnabled(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.schedule)
        row.addWidget(self.scheduled_at, 1)
        form.addRow("Schedule", row)

        self.featured = FeaturedImageField()
        form.addRow("&Featured image", self.featured)
        self.featured_label = form.labelForField(self.featured)
        if isinstance(self.featured_label, QLabel):
            self.featured_label.setBuddy(self.featured.choose)

        self.slug = QLineEdit()
        self.slug.setPlaceholderText("from the title")
        form.addRow("S&lug", self.slug)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("comma, separated")
        form.addRow("&Tags", self.tags)
        self.categories = QLineEdit()
        self.categories.setPlaceholderText("comma, separated")
        form.addRow("C&ategories", self.categories)
        self.category_completer = ListCompleter(self.categories)
        self.tag_completer = ListCompleter(self.tags)
        self.excerpt = QPlainTextEdit()
        self.excerpt.setTabChangesFocus(True)
        self.excerpt.setPlaceholderText("A sentence or two for lists and feeds")
        self.excerpt.setMaximumHeight(90)
        form.addRow("E&xcerpt", self.excerpt)

        self._loading = False
        for signal in (
            self.kind.currentIndexChanged,
            self.featured.changed,
            self.status.currentIndexChanged,
            self.schedule.toggled,
            self.scheduled_at.dateTimeChanged,
            self.slug.textEdited,
            self.tags.textEdited,
            self.categories.textEdited,
            self.excerpt.textChanged,
        ):
            signal.connect(self._changed)
        self.schedule.toggled.connect(self.scheduled_at.setEnabled)
        self.kind.currentIndexChanged.connect(self._kind_shown)
        self.featured.failed.connect(self.failed)
        self.setEnabled(False)

    def set_term_names(self, categories: list[str], tags: list[str]) -> None:
        """The category and tag names to offer while typing (the post's blog's)."""
        self.category_completer.set_names(categories)
        self.tag_completer.set_names(tags)

    def _kind_shown(self, *_args: Any) -> None:
        is_page = self.kind.currentData() == "page"
        for edit in (self.tags, self.categories):
            edit.setEnabled(not is_page)
            edit.setToolTip(PAGE_TERMS_TIP if is_page else "")

    def _changed(self, *_args: Any) -> None:
        if not self._loading:
            self.edited.emit()

    def load(self, post: Any | None) -> None:
        self._loading = True
        try:
            if post is None:
                self.kind.setCurrentIndex(0)
                self.status.setCurrentIndex(0)
                for edit in (self.slug, self.tags, self.categories):
                    edit.clear()
                self.excerpt.clear()
                self.schedule.setChecked(False)
                self.featured.load(None, None)
                self.setEnabled(False)
                return
            kind = getattr(post, "kind", "post")
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
            on_blog = getattr(post, "remote_id", None) is not None
            self.kind.setEnabled(not on_blog)
            other = "page" if kind == "post" else "post"
            self.kind.setToolTip(ON_BLOG_KIND_TIP.format(kind=kind, other=other) if on_blog else "")
            self._kind_shown()
            self.featured.load(
                getattr(post, "featured_media_id", None), getattr(post, "remote_featured_id", None)
            )
            self.status.setCurrentIndex(max(0, self.status.findData(post.status)))
            self.slug.setText(post.slug)
            self.tags.setText(", ".join(post.tags))
            self.categories.setText(", ".join(post.categories))
            if self.excerpt.toPlainText() != post.excerpt:
                self.excerpt.setPlainText(post.excerpt)
            self.schedule.setChecked(post.scheduled_at is not None)
            when = post.scheduled_at
            if when is not None:
                self.scheduled_at.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))
            else:
                self.scheduled_at.setDateTime(QDateTime.currentDateTime().addSecs(3600))
            self.setEnabled(post.status != TRASH)
        finally:
            self._loading = False

    def values(self) -> Metadata:
        when = None
        if self.schedule.isChecked():
            secs = self.scheduled_at.dateTime().toSecsSinceEpoch()
            when = datetime.fromtimestamp(secs, UTC)
        featured_id, remote_featured = self.featured.value()
        return Metadata(
            slug=self.slug.text().strip(),
            excerpt=self.excerpt.toPlainText(),
            tags=split_names(self.tags.text()),
            categories=split_names(self.categories.text()),
            status=self.status.currentData(),
            scheduled_at=when,
            kind=self.kind.currentData(),
            featured_media_id=featured_id,
            remote_featured_id=remote_featured,
        )


class EditorPanel(QWidget):
    """Title field and Markdown text of the open post."""

    # the user changed the title, the text or the metadata
    edited = Signal()
    titleEdited = Signal(str)
    # textstats.Stats of the selection when there is one (then ``selection`` is True), else of
    # the whole text; after typing pauses, not per keystroke
    statsChanged = Signal(object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editorPanel")
        self._post: Any | None = None
        self._loading = False
        self._meta_dirty = False

        self.title = QLineEdit()
        self.title.setObjectName("titleField")
        self.title.setPlaceholderText("Title")
        self.title.setFrame(False)
        title_font = QFont(self.font())
        title_font.setPointSizeF(max(14.0, title_font.pointSizeF() * 1.6))
        title_font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(title_font)
        self.title.setContentsMargins(14, 10, 14, 6)

        self.editor = self._make_editor()

        self.metadata = MetadataPanel()
        self.metadata.featured.set_text_provider(self.editor.toPlainText)

        self.message = QLabel()
        self.message.setObjectName("emptyMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setEnabled(False)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(line)
        layout.addWidget(self.editor, 1)
        # The window puts Find, Replace, F3 and Go to line on its own actions.
        self.find_bar = FindBar(self.editor, install_shortcuts=False)
        self.goto_bar = GotoLineBar(self.editor, install_shortcut=False)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.goto_bar)
        self._page = page

        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.message)
        self._stack.addWidget(page)

        self.title.textEdited.connect(self._title_edited)
        self.editor.statsChanged.connect(self._emit_stats)
        self.editor.textChanged.connect(self._text_changed)
        self.metadata.edited.connect(self._metadata_edited)
        self.title.returnPressed.connect(self.editor.setFocus)
        self.show_message("Opening library…")

    def _make_editor(self) -> MarkdownEditor:
        editor = MarkdownEditor()
        editor.setObjectName("markdownEditor")
        editor.setFrameShape(QFrame.Shape.NoFrame)
        font = QFont(editor.font())
        font.setPointSizeF(max(font.pointSizeF(), EDITOR_POINT_SIZE))
        editor.document().setDocumentMargin(14)
        editor.set_editor_font(font)
        return editor

    # --- showing a post -----------------------------------------------------------------------

    @property
    def post(self) -> Any | None:
        """The PostData last loaded (its text may have been edited since)."""
        return self._post

    @property
    def post_id(self) -> int | None:
        return None if self._post is None else self._post.id

    def load(self, post: Any) -> None:
        """Show ``post`` (a PostData), replacing whatever was shown."""
        self._loading = True
        try:
            self._post = post
            self._meta_dirty = False
            self.title.setText(post.title)
            self.title.setCursorPosition(0)
            self.editor.setPlainText(post.body)
            self.metadata.load(post)
            writable = post.status != TRASH
            self.title.setReadOnly(not writable)
            self.editor.setReadOnly(not writable)
            self._stack.setCurrentWidget(self._page)
        finally:
            self._loading = False
        self._emit_stats(self.editor.stats())

    def update_metadata(self, post: Any) -> None:
        """The same post changed outside the editor (status, title): keep the typed text."""
        if self._post is None or post.id != self._post.id:
            return
        self._post = post
        self._loading = True
        try:
            if self.title.text() != post.title:
                self.title.setText(post.title)
            # Metadata edited since this was read (a choice made while it was on its way) is
            # newer: keep it, still to be written.
            if not self._meta_dirty:
                self.metadata.load(post)
            writable = post.status != TRASH
            self.title.setReadOnly(not writable)
            self.editor.setReadOnly(not writable)
        finally:
            self._loading = False

    def show_message(self, text: str) -> None:
        """No post open: say why (or what to do)."""
        self._post = None
        self._loading = True
        try:
            self.title.clear()
            self.editor.setPlainText("")
            self.metadata.load(None)
        finally:
            self._loading = False
        self.message.setText(text)
        self._stack.setCurrentWidget(self.message)
        self.find_bar.close_bar()
        self.goto_bar.close_bar()
        self.statsChanged.emit(NO_STATS, False)

    def current_edit(self) -> PostEdit | None:
        """What to write for the open post (its metadata too if that was edited)."""
        if self._post is None:
            return None
        metadata = None
        if self._meta_dirty:
            metadata = self.metadata.values()
            self._meta_dirty = False
        return PostEdit(self._post.id, self.title.text(), self.editor.toPlainText(), metadata)

    def word_count(self) -> int:
        return self.editor.stats().words

    # --- signals ------------------------------------------------------------------------------

    def _title_edited(self, text: str) -> None:
        if not self._loading:
            self.titleEdited.emit(text)
            self.edited.emit()

    def _text_changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def _metadata_edited(self) -> None:
        if not self._loading and self._post is not None:
            self._meta_dirty = True
            self.edited.emit()

    def _emit_stats(self, stats: Stats) -> None:
        if self._post is None:
            return
        self.statsChanged.emit(stats, self.editor.textCursor().hasSelection())
