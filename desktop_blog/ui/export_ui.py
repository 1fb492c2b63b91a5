"""File → Export ▸ (PDF…, HTML…, Markdown…) and File → Import ▸ (Markdown Files…, Folder…).

What is exported: the open post, the posts selected in the tree, a folder of the tree, or every
post of a blog (or of the local library) but the trash; chosen in a small dialog
(``ExportDialog``), or from the tree's context menu (Export ▸), which takes the row under it.

Threads: the posts are read on the database worker; rendering, image reads and file writes run
on the task pool (``window.tasks.run_net``) with their own sessions; the PDF is printed by a
``pdf_export.PdfPrinter`` on the GUI thread, asynchronously (its renderer starts while the
posts render). An import runs on the database worker (the one writer) in one transaction: the
readable files come in, or, when cancelled, none. Progress comes back through ``tasks.run_on_main``
into a QProgressDialog whose Cancel stops the work between two posts or files; a PDF or HTML
export that is cancelled writes no file (files are written whole, through a temporary file), a
Markdown export says how many of its files were written. At the end a message says what was
done and which posts or files failed and why; after an import the tree is read again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from .settings import OPTIONS

log = logging.getLogger(__name__)

__all__ = [
    "ExportController",
    "ExportDialog",
    "ExportScope",
    "install",
    "resolve_scope",
]

FORMAT_NAMES = {"pdf": "PDF", "html": "HTML", "md": "Markdown"}
# mm: top, right, bottom, left (the setting's default)
DEFAULT_MARGINS: str = OPTIONS["pdf/margins_mm"].default
FILE_FILTERS = {"pdf": "PDF documents (*.pdf)", "html": "Web pages (*.html *.htm)"}
MARKDOWN_FILTER = "Markdown files (*.md *.markdown *.mdown *.mkd);;All files (*)"
PROGRESS_DELAY_MS = 400  # shorter work finishes before a progress dialog would show


class Cancelled(Exception):
    """The user pressed Cancel; raised inside the worker to stop between posts or files."""


@dataclass(frozen=True)
class ExportScope:
    """Which posts to export: given ids, a folder (blog and status), or a whole blog."""

    kind: str  # "posts", "folder" or "blog"
    label: str  # for the dialog, the default file name and the final message
    post_ids: tuple[int, ...] = ()
    blog_id: int | None = None  # None: the local library
    status: str | None = None


def resolve_scope(session, scope: ExportScope) -> list[int]:
    """The ids of ``scope``'s posts, oldest first for a folder or a blog (as they are read)."""
    from desktop_blog.core import library

    if scope.kind == "posts":
        return list(dict.fromkeys(scope.post_ids))
    if scope.kind == "folder":
        ids = library.post_ids(session, scope.blog_id, scope.status or "", limit=10**9)
        return list(reversed(ids))
    every = library.list_posts(session, scope.blog_id)
    return [p.id for p in reversed(every) if p.status != library.TRASH]


@dataclass
class Outcome:
    """What an export or import did, for the final message."""

    what: str  # "export" or "import"
    fmt: str = ""
    path: Path | None = None
    total: int = 0
    done: int = 0
    cancelled: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)  # (post or file, why)
    pages: int | None = None
    written: int = 0  # Markdown: files written
    counts: dict[str, int] = field(default_factory=dict)  # import: created, updated, unchanged


def message_for(outcome: Outcome) -> str:
    """The text the user reads at the end."""
    lines: list[str] = []
    if outcome.what == "import":
        if outcome.cancelled:
            lines.append("Import cancelled. Nothing was imported.")
        else:
            c = outcome.counts
            n = sum(c.values())
            lines.append(
                f"Imported {n} file{'s' if n != 1 else ''}: {c.get('created', 0)} new, "
                f"{c.get('updated', 0)} updated, {c.get('unchanged', 0)} unchanged."
            )
    else:
        name = FORMAT_NAMES.get(outcome.fmt, outcome.fmt)
        posts = f"{outcome.done} post{'s' if outcome.done != 1 else ''}"
        if outcome.cancelled:
            if outcome.fmt == "md" and outcome.written:
                lines.append(
                    f"Export cancelled after {posts} of {outcome.total}. Their Markdown files "
                    f"({outcome.written} files with images) are in {outcome.path}; "
                    "the other posts were not exported."
                )
            else:
                lines.append(f"{name} export cancelled. No file was written.")
        elif outcome.fmt == "md":
            lines.append(f"Exported {posts} to Markdown files in {outcome.path}.")
        else:
            pages = f" ({outcome.pages} pages)" if outcome.pages else ""
            lines.append(f"Exported {posts} to {outcome.path}{pages}.")
    if outcome.failures:
        kind = "file" if outcome.what == "import" else "post"
        n = len(outcome.failures)
        lines.append("")
        lines.append(
            f"{n} {kind}{'s' if n != 1 else ''} could not be "
            f"{'imported' if outcome.what == 'import' else 'exported'}:"
        )
        for name, why in outcome.failures[:20]:
            lines.append(f"• {name}: {why}" if why and not why.startswith(name) else f"• {why}")
        if n > 20:
            lines.append(f"… and {n - 20} more")
    return "\n".join(lines)


# --- the dialog -----------------------------------------------------------------------------


class ExportDialog(QDialog):
    """Which posts to export (and, for a PDF, the page size)."""

    def __init__(
        self,
        parent: QWidget | None,
        fmt: str,
        choices: Sequence[ExportScope],
        blogs: Sequence[tuple[int | None, str]],
    ) -> None:
        super().__init__(parent)
        self.fmt = fmt
        self.setWindowTitle(f"Export to {FORMAT_NAMES[fmt]}")
        self.choices = list(choices)
        self.blogs = list(blogs)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Export:"))
        self.group = QButtonGroup(self)
        for i, scope in enumerate(self.choices):
            button = QRadioButton(scope.label)
            self.group.addButton(button, i)
            layout.addWidget(button)
        self.blog_button = QRadioButton("Every post (but the trash) of:")
        self.group.addButton(self.blog_button, len(self.choices))
        self.blog_box = QComboBox()
        for _blog_id, name in self.blogs:
            self.blog_box.addItem(name)
        self.blog_box.activated.connect(lambda _i: self.blog_button.setChecked(True))
        layout.addWidget(self.blog_button)
        layout.addWidget(self.blog_box)
        self.page_size = QComboBox()
        self.page_size.addItems(["A4", "Letter"])
        self.margins = QLineEdit(DEFAULT_MARGINS)
        self.margins.setToolTip("Top, right, bottom, left, in mm (one value: all four)")
        if fmt == "pdf":
            form = QFormLayout()
            form.addRow("Page size:", self.page_size)
            form.addRow("Margins (mm):", self.margins)
            layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        (self.group.button(0) or self.blog_button).setChecked(True)

    def accept(self) -> None:
        if self.fmt == "pdf":
            from .pdf_export import parse_margins

            try:
                parse_margins(self.margins.text())
            except ValueError as exc:
                QMessageBox.warning(self, "Export", str(exc))
                self.margins.setFocus()
                return
        super().accept()

    def scope(self) -> ExportScope:
        """The scope chosen."""
        i = self.group.checkedId()
        if 0 <= i < len(self.choices):
            return self.choices[i]
        blog_id, name = self.blogs[max(0, self.blog_box.currentIndex())]
        return ExportScope("blog", f"every post of {name}", blog_id=blog_id)


# --- the controller -------------------------------------------------------------------------


class ExportController(QObject):
    """The Export and Import menus and the work behind them; one job at a time."""

    # The final message, once shown (tests wait on it).
    finished = Signal(str)
    # (done, total) while a job runs, on the GUI thread.
    progressed = Signal(int, int)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.progress: QProgressDialog | None = None
        self.message_box: QMessageBox | None = None
        self.last_message = ""
        self._cancel = threading.Event()
        self._job: str | None = None
        self._printer = None
        self._outcome: Outcome | None = None
        self._title: str | None = None
        self._margins = DEFAULT_MARGINS  # the PDF's, as the user typed them (mm)

        self.export_menu = QMenu("&Export", window)
        self.export_menu.setObjectName("exportMenu")
        self.actions: dict[str, QAction] = {}
        for fmt, text in (("pdf", "&PDF…"), ("html", "&HTML…"), ("md", "&Markdown…")):
            action = QAction(text, window)
            action.setObjectName(f"export_{fmt}")
            action.setStatusTip(f"Export posts to {FORMAT_NAMES[fmt]}")
            action.triggered.connect(lambda _c=False, f=fmt: self.export(f))
            self.export_menu.addAction(action)
            self.actions[f"export_{fmt}"] = action
        self.import_menu = QMenu("&Import", window)
        self.import_menu.setObjectName("importMenu")
        files = QAction("Markdown &Files…", window)
        files.setStatusTip("Import Markdown files with front matter (Jekyll, Hugo)")
        files.triggered.connect(self.import_files)
        folder = QAction("F&older (Jekyll _posts, Hugo content)…", window)
        folder.setStatusTip("Import every Markdown file of a folder and its subfolders")
        folder.triggered.connect(self.import_folder)
        self.import_menu.addActions([files, folder])
        self.actions["import_files"] = files
        self.actions["import_folder"] = folder

        # The tree's context menu: Export ▸ the row under the pointer.
        self.context_menu = QMenu("&Export", window)
        for fmt, text in (("pdf", "As &PDF…"), ("html", "As &HTML…"), ("md", "As &Markdown…")):
            action = QAction(text, window)
            action.triggered.connect(lambda _c=False, f=fmt: self.export_tree_selection(f))
            self.context_menu.addAction(action)
            self.actions[f"context_{fmt}"] = action

        menu = window.file_menu
        before = self._preferences_action(window)
        self._separator = menu.insertSeparator(before) if before is not None else None
        menu.insertMenu(self._separator or before, self.export_menu)
        menu.insertMenu(self._separator or before, self.import_menu)
        if before is None:
            menu.addMenu(self.export_menu)
            menu.addMenu(self.import_menu)
        self._set_enabled(False)
        window.libraryReady.connect(self._on_library_ready)
        # A window that closes stops the job: the workers are waited for at close.
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.window and event.type() == QEvent.Type.Close and self.busy:
            self._cancel.set()
            printer, self._printer = self._printer, None
            if printer is not None:
                printer.cancel()
                printer.close()  # its page goes before QtWebEngine's profile at exit
        return False

    @staticmethod
    def _preferences_action(window: Any) -> QAction | None:
        try:
            from .main_window import Act

            return window.actions_[Act.PREFERENCES]
        except (ImportError, AttributeError, KeyError):
            return None

    def _on_library_ready(self) -> None:
        tree = self.window.tree
        if tree is not None:
            tree.add_context_actions([self.context_menu.menuAction()])
        self._set_enabled(True)

    def _set_enabled(self, on: bool) -> None:
        self.export_menu.setEnabled(on)
        self.import_menu.setEnabled(on)
        self.context_menu.setEnabled(on)

    @property
    def busy(self) -> bool:
        return self._job is not None

    # --- what to export ----------------------------------------------------------------------

    def _tree_index(self):
        tree = self.window.tree
        return None if tree is None else tree.view.currentIndex()

    def _tree_scope(self) -> ExportScope | None:
        """The scope of the tree's current row: a post, a folder, or a blog (library row)."""
        from .post_tree import BlogIdRole, NodeKindRole, PostIdRole, StatusRole
        from .post_tree_model import FOLDER_NAMES

        index = self._tree_index()
        if index is None or not index.isValid():
            return None
        kind = index.data(NodeKindRole)
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if kind == "post":
            post_id = index.data(PostIdRole)
            return ExportScope("posts", f"the post “{name}”", (post_id,))
        blog_id = index.data(BlogIdRole)
        if kind == "folder":
            status = index.data(StatusRole)
            library_name = str(index.parent().data(Qt.ItemDataRole.DisplayRole) or "")
            label = f"the folder {FOLDER_NAMES.get(status, status)} of {library_name}"
            return ExportScope("folder", label, blog_id=blog_id, status=status)
        if kind == "library":
            return ExportScope("blog", f"every post of {name}", blog_id=blog_id)
        return None

    def _selected_posts(self) -> list[int]:
        tree = self.window.tree
        return [] if tree is None else tree.selected_post_ids()

    def choices(self) -> list[ExportScope]:
        """What the dialog offers: the open post, the selection, the tree's folder or blog."""
        out: list[ExportScope] = []
        current = self.window.current_post_id()
        if current is not None:
            panel = getattr(self.window, "editor_panel", None)
            field_ = getattr(panel, "title", None)
            title = field_.text().strip() if hasattr(field_, "text") else ""
            out.append(ExportScope("posts", f"The open post “{title or 'Untitled'}”", (current,)))
        selected = self._selected_posts()
        if len(selected) > 1:
            n = len(selected)
            out.append(ExportScope("posts", f"The {n} selected posts", tuple(selected)))
        node = self._tree_scope()
        if node is not None and node.kind != "posts":
            label = node.label[0].upper() + node.label[1:]
            out.append(ExportScope(node.kind, label, (), node.blog_id, node.status))
        return out

    def blogs(self) -> list[tuple[int | None, str]]:
        """(blog id, name) of every library row of the tree: the local one first."""
        from .post_tree import BlogIdRole

        tree = self.window.tree
        out: list[tuple[int | None, str]] = []
        if tree is not None:
            model = tree.view.model()
            for row in range(model.rowCount()):
                index = model.index(row, 0)
                out.append((index.data(BlogIdRole), str(index.data() or "")))
        return out or [(None, "On this computer")]

    # --- export ------------------------------------------------------------------------------

    def export(self, fmt: str, scope: ExportScope | None = None, path: str | None = None) -> None:
        """Ask what (unless ``scope``) and where (unless ``path``), then export in the
        background."""
        if self.busy or self.window.library is None:
            return
        settings = self.window.settings
        page_size = settings.get("pdf/page_size")
        margins = settings.get("pdf/margins_mm")
        if scope is None:
            dialog = ExportDialog(self.window, fmt, self.choices(), self.blogs())
            dialog.page_size.setCurrentText(page_size)
            dialog.margins.setText(margins)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            scope = dialog.scope()
            if fmt == "pdf":  # remembered for the next PDF
                page_size, margins = dialog.page_size.currentText(), dialog.margins.text()
                settings.set("pdf/page_size", page_size)
                settings.set("pdf/margins_mm", margins)
        self._margins = margins
        if path is None:
            path = self._ask_path(fmt, scope)
            if not path:
                return
        self._start_export(fmt, scope, Path(path), page_size)

    def export_tree_selection(self, fmt: str) -> None:
        """Export the tree's current row (a post, a folder, a blog): the context menu."""
        scope = self._tree_scope()
        if scope is None:
            current = self.window.current_post_id()
            if current is None:
                return
            scope = ExportScope("posts", "the open post", (current,))
        self.export(fmt, scope)

    def _ask_path(self, fmt: str, scope: ExportScope) -> str:
        from desktop_blog.core.library import slugify

        start = Path.home()
        if fmt == "md":
            return QFileDialog.getExistingDirectory(
                self.window, "Export Markdown files into folder", str(start)
            )
        name = slugify(scope.label.split("“")[-1].rstrip("”")) or "posts"
        suggested = str(start / f"{name}.{fmt}")
        path, _filter = QFileDialog.getSaveFileName(
            self.window, f"Export to {FORMAT_NAMES[fmt]}", suggested, FILE_FILTERS[fmt]
        )
        if path and not Path(path).suffix:
            path += f".{fmt}"
        return path

    def _start_export(self, fmt: str, scope: ExportScope, path: Path, page_size: str) -> None:
        lib = self.window.library
        autosaver = getattr(self.window, "autosaver", None)
        if autosaver is not None:
            autosaver.flush()  # the open post's last keystrokes go in before it is read
        self._begin("export", f"Exporting to {FORMAT_NAMES[fmt]}…")
        self._outcome = Outcome("export", fmt, path)
        # A folder's or a blog's PDF is titled after it; posts keep theirs ("Posts" for many).
        self._title = None if scope.kind == "posts" else scope.label[:1].upper() + scope.label[1:]
        if fmt == "pdf":
            from . import pdf_export

            self._printer = pdf_export.PdfPrinter(lib)
            self._printer.warm_up()  # the renderer starts while the posts are read and rendered

        def read() -> list:
            from desktop_blog.core import library

            with lib.session() as session:
                posts = []
                for post_id in resolve_scope(session, scope):
                    try:
                        posts.append(library.get_post(session, post_id))
                    except library.PostNotFound:
                        self._outcome.failures.append((f"post {post_id}", "it no longer exists"))
                return posts

        def got(posts: list) -> None:
            if self._job != "export":
                return
            if not posts:
                self._end("There is no post to export there.")
                return
            self._outcome.total = len(posts)
            if self.progress is not None:
                self.progress.setMaximum(len(posts) + (1 if fmt == "pdf" else 0))
            run = {"md": self._run_md, "html": self._run_html, "pdf": self._run_pdf}[fmt]
            run(posts, path, page_size)

        self.window.tasks.run_db(read, got, self._failed)

    def _doc_posts(self, posts: list) -> list:
        from desktop_blog.render.standalone import DocPost

        return [
            DocPost(
                title=p.title,
                body=p.body,
                date=p.published_at or p.scheduled_at or p.created_at,
                anchor=f"post-{p.id}",
            )
            for p in posts
        ]

    def _step(self, done: int, total: int, label: str = "") -> None:
        """From a worker: report progress; raise Cancelled when the user cancelled."""
        if self._cancel.is_set():
            raise Cancelled
        self.window.tasks.run_on_main(lambda: self._show_progress(done, total, label))

    def _run_md(self, posts: list, folder: Path, _page_size: str) -> None:
        lib = self.window.library
        outcome = self._outcome

        def work() -> Outcome:
            from desktop_blog.core import export_md

            used: set[str] = set()
            folder.mkdir(parents=True, exist_ok=True)
            with lib.session() as session:
                for i, post in enumerate(posts, 1):
                    if self._cancel.is_set():
                        outcome.cancelled = True
                        break
                    try:
                        written = export_md.export_post(session, post, folder, used_names=used)
                        outcome.done += 1
                        outcome.written += 1 + len(written.images)
                    except OSError as exc:
                        outcome.failures.append(
                            (post.title or "Untitled", exc.strerror or str(exc))
                        )
                    try:
                        self._step(i, len(posts), post.title)
                    except Cancelled:
                        outcome.cancelled = i < len(posts)
                        break
            return outcome

        self.window.tasks.run_net(work, self._done, self._failed)

    def _run_html(self, posts: list, path: Path, _page_size: str) -> None:
        lib = self.window.library
        outcome = self._outcome
        docs = self._doc_posts(posts)

        def work() -> Outcome:
            from desktop_blog.core.export_md import image_loader
            from desktop_blog.render.standalone import document_html, inline_images

            from .pdf_export import write_file

            try:
                page = document_html(docs, on_post=lambda d, t: self._step(d, t + 1, "Rendering"))
                page, missing = inline_images(page, image_loader(lib.session))
                if self._cancel.is_set():
                    raise Cancelled
            except Cancelled:
                outcome.cancelled = True
                return outcome
            outcome.failures += [
                ("image", f"not included (cannot be loaded): {u}") for u in missing
            ]
            write_file(path, page.encode("utf-8"))
            outcome.done = len(posts)
            return outcome

        self.window.tasks.run_net(work, self._done, self._failed)

    def _run_pdf(self, posts: list, path: Path, page_size: str) -> None:
        from . import pdf_export

        lib = self.window.library
        outcome = self._outcome
        docs = self._doc_posts(posts)
        try:
            margins = pdf_export.parse_margins(self._margins)
        except ValueError:  # a hand-edited setting: the defaults rather than no PDF
            margins = pdf_export.parse_margins(DEFAULT_MARGINS)
        if page_size not in pdf_export.PAGE_SIZES:
            page_size = "A4"
        options = pdf_export.PdfOptions(page_size=page_size, margins_mm=margins, title=self._title)

        def build():
            from desktop_blog.core.export_md import image_loader

            return pdf_export.build_document(
                docs,
                options,
                library=lib,
                load_image=image_loader(lib.session),
                on_post=lambda d, t: self._step(d, t + 1, "Rendering"),
            )

        def built(doc) -> None:
            if self._job != "export" or self._printer is None:
                return
            if self._cancel.is_set():
                self._close_printer()
                outcome.cancelled = True
                self._done(outcome)
                return
            self._show_progress(len(posts), len(posts) + 1, "Printing the PDF")
            printer = self._printer
            printer.printed.connect(lambda data: self._printed(data, doc, path))
            printer.failed.connect(self._print_failed)
            printer.print_document(doc, pdf_export.page_layout(options))

        self.window.tasks.run_net(build, built, self._failed)

    def _printed(self, data: bytes, doc, path: Path) -> None:
        from . import pdf_export

        self._close_printer()
        if self._job != "export":
            return
        outcome = self._outcome

        def work() -> Outcome:
            if self._cancel.is_set():
                outcome.cancelled = True
                return outcome
            data2, pages, _ = pdf_export.finish_pdf(data, doc)
            if self._cancel.is_set():
                outcome.cancelled = True
                return outcome
            pdf_export.write_file(path, data2)
            outcome.pages = pages
            outcome.done = outcome.total
            return outcome

        self.window.tasks.run_net(work, self._done, self._failed)

    def _print_failed(self, message: str) -> None:
        self._close_printer()
        if self._job == "export":
            self._end(f"The PDF could not be made: {message}. No file was written.")

    def _close_printer(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            printer.cancel()
            # Not from inside its own signal: freed once this handler has returned.
            QTimer.singleShot(0, printer.close)

    # --- import ------------------------------------------------------------------------------

    def import_files(self) -> None:
        """Ask for Markdown files and import them."""
        if self.busy or self.window.library is None:
            return
        paths, _filter = QFileDialog.getOpenFileNames(
            self.window, "Import Markdown files", str(Path.home()), MARKDOWN_FILTER
        )
        if paths:
            self.import_paths(paths)

    def import_folder(self) -> None:
        """Ask for a folder (a Jekyll ``_posts``, a Hugo ``content``) and import it."""
        if self.busy or self.window.library is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self.window, "Import a folder of Markdown files", str(Path.home())
        )
        if folder:
            self.import_paths([folder])

    def import_paths(self, paths: Sequence[str | Path]) -> None:
        """Import files and folders on the database worker, in one transaction."""
        if self.busy or self.window.library is None:
            return
        lib = self.window.library
        self._begin("import", "Importing…")
        outcome = self._outcome = Outcome("import")

        def work() -> Outcome:
            from desktop_blog.core import import_md

            with lib.session() as session:
                try:
                    report = import_md.import_paths(
                        session, list(paths), lambda d, t: self._step(d, t)
                    )
                except Cancelled:
                    session.rollback()
                    outcome.cancelled = True
                    return outcome
                if self._cancel.is_set():
                    session.rollback()
                    outcome.cancelled = True
                    return outcome
                session.commit()
            for action in ("created", "updated", "unchanged"):
                outcome.counts[action] = report.count(action)
            outcome.failures = [(str(p), why) for p, why in report.errors]
            return outcome

        def done(result: Outcome) -> None:
            tree = self.window.tree
            if tree is not None and not result.cancelled:
                tree.refresh()
            self._done(result)

        self.window.tasks.run_db(work, done, self._failed)

    # --- progress and the end ----------------------------------------------------------------

    def _begin(self, job: str, label: str) -> None:
        self._job = job
        self._cancel.clear()
        self._set_enabled(False)
        progress = QProgressDialog(label, "Cancel", 0, 0, self.window)
        progress.setWindowTitle("Export" if job == "export" else "Import")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(PROGRESS_DELAY_MS)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setValue(0)
        progress.canceled.connect(self.cancel)
        self.progress = progress

    def cancel(self) -> None:
        """Stop the job under way (between two posts or files; a print in progress is
        dropped). What was done is said in the final message."""
        if self._job is None:
            return
        self._cancel.set()
        if self.progress is not None:
            self.progress.setLabelText("Cancelling…")
        if self._printer is not None and self._printer.busy:
            self._close_printer()
            if self._outcome is not None:
                self._outcome.cancelled = True
            self._done(self._outcome)

    def _show_progress(self, done: int, total: int, label: str = "") -> None:
        progress = self.progress
        if self._job is None or progress is None or self._cancel.is_set():
            return
        if progress.maximum() != total:
            progress.setMaximum(total)
        if label:
            what = "Importing" if self._job == "import" else "Exporting"
            progress.setLabelText(f"{what} {done} of {total}…\n{label[:80]}")
        self.progressed.emit(done, total)
        # A window-modal progress dialog runs the event loop in setValue: the job may end
        # (and this dialog go) meanwhile, so this comes last.
        if self.progress is progress and not self._cancel.is_set():
            progress.setValue(min(done, total))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self._close_printer()
            if self._outcome is not None:
                self._outcome.cancelled = True
            self._done(self._outcome)
            return
        log.warning("%s failed: %s", self._job, exc, exc_info=exc)
        if isinstance(exc, OSError):
            why = f"{exc.filename or ''} {exc.strerror or exc}".strip()
        else:
            why = str(exc) or type(exc).__name__
        what = "Import" if self._job == "import" else "Export"
        suffix = " Nothing was imported." if self._job == "import" else ""
        self._close_printer()
        self._end(f"{what} failed: {why}.{suffix}")

    def _done(self, outcome: Outcome | None) -> None:
        if self._job is None or outcome is None:
            return
        if self._cancel.is_set() and outcome.what == "export" and outcome.fmt != "md":
            outcome.cancelled = True
        self._end(message_for(outcome))

    def _end(self, text: str) -> None:
        if self._job is None:
            return
        job, self._job = self._job, None
        self._outcome = None
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        self._set_enabled(True)
        self.last_message = text
        if getattr(self.window, "closed", False):
            return
        box = QMessageBox(self.window)
        box.setWindowTitle("Export" if job == "export" else "Import")
        failed = "could not" in text or "failed" in text
        box.setIcon(QMessageBox.Icon.Warning if failed else QMessageBox.Icon.Information)
        first, _, rest = text.partition("\n")
        box.setText(first)
        if rest.strip():
            box.setInformativeText(rest.strip())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_box = box
        self.finished.emit(text)


def install(window: Any) -> ExportController:
    """Add File → Export ▸ and File → Import ▸ to ``window``; returns the controller."""
    return ExportController(window)
