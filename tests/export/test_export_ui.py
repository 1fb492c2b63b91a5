"""File → Export and File → Import in the real window, through its real threads.

The file dialogs are answered by monkeypatching QFileDialog's static methods; the small export
dialog is answered as a user would (its default choice, the open post, then Export…). What is
checked is what a user sees: the files written, the final message, the tree's rows.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from export_helpers import CODE, make_post, png
from pypdf import PdfReader
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QPushButton

from desktop_blog.app import open_library_in_window
from desktop_blog.core import db, library
from desktop_blog.ui.export_ui import ExportDialog, ExportScope
from desktop_blog.ui.main_window import MainWindow
from desktop_blog.ui.settings import Settings

WAIT_MS = 60_000


def _library(home: Path, posts: int = 1) -> list[int]:
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            ids = [make_post(s, image=png(60, 40)).id]
            for i in range(1, posts):
                ids.append(make_post(s, f"Post number {i}", extra="More words. " * 60).id)
            s.commit()
    finally:
        lib.close()
    return ids


@pytest.fixture
def make_window(qtbot, home: Path):
    def make(post_id: int | None = None) -> MainWindow:
        settings = Settings(home)
        settings.view_mode = "editor"  # no preview: the export has its own page
        settings.sync()
        window = MainWindow(home)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.libraryReady, timeout=15_000):
            open_library_in_window(window)
        if post_id is not None:
            window.tree.select_post(post_id)
            qtbot.waitUntil(lambda: window.current_post_id() == post_id, timeout=10_000)
        return window

    yield make


def accept_export_dialog(seen: list) -> None:
    """Press Export… in the export dialog once it shows, with its default choice."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, ExportDialog):
            seen.append(dialog.scope())
            dialog.accept()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def controller(window):
    return window.features["export_ui"]


def menu_texts(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions()]


def test_menus_are_in_the_file_menu(qtbot, make_window, home: Path):
    _library(home)
    window = make_window()
    texts = menu_texts(window.file_menu)
    assert "Export" in texts and "Import" in texts
    assert texts.index("Import") < texts.index("Preferences…")
    ctl = controller(window)
    assert menu_texts(ctl.export_menu) == ["PDF…", "HTML…", "Markdown…"]
    assert ctl.export_menu.isEnabled()
    # The tree's context menu has Export ▸ too.
    assert ctl.context_menu.menuAction() in window.tree._actions


@pytest.mark.parametrize("fmt", ["pdf", "html", "md"])
def test_export_the_open_post(qtbot, make_window, home: Path, tmp_path: Path, monkeypatch, fmt):
    post_id = _library(home)[0]
    window = make_window(post_id)
    ctl = controller(window)
    target = tmp_path / ("out" if fmt == "md" else f"post.{fmt}")
    asked: list[str] = []

    def save_name(parent, caption, directory, filter_=""):
        asked.append(directory)
        return str(target), filter_

    def folder(parent, caption, directory=""):
        asked.append(caption)
        return str(target)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", folder)
    seen: list = []
    accept_export_dialog(seen)
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.actions[f"export_{fmt}"].trigger()
    message = signal.args[0]
    assert seen and seen[0].post_ids == (post_id,)  # the open post was the default choice
    assert asked
    assert "Exported 1 post" in message, message
    if fmt == "pdf":
        assert asked[0].endswith("exporting-posts.pdf")  # the title as the file name
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True)
        assert "Exporting posts" in text.stdout and CODE.splitlines()[0] in text.stdout
        assert PdfReader(target).metadata.title == "Exporting posts"
        images = subprocess.run(["pdfimages", "-list", str(target)], capture_output=True, text=True)
        assert any(line.split()[3:5] == ["60", "40"] for line in images.stdout.splitlines()[2:])
        assert target.stat().st_mode & 0o777 == 0o644
    elif fmt == "html":
        page = target.read_text("utf-8")
        assert "Exporting posts" in page and 'src="data:image/png;base64,' in page
    else:
        names = sorted(p.suffix for p in target.iterdir())
        assert names == [".md", ".png"]
        md = next(target.glob("*.md")).read_text("utf-8")
        assert "title: Exporting posts" in md
    assert ctl.message_box is not None and ctl.message_box.isVisible()
    ctl.message_box.close()


def test_cancel_a_many_post_pdf_export_leaves_no_file(
    qtbot, make_window, home: Path, tmp_path: Path
):
    ids = _library(home, posts=40)
    window = make_window()
    ctl = controller(window)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "many.pdf"
    cancelled: list[int] = []

    def on_progress(done: int, total: int) -> None:
        if done >= 2 and not cancelled:
            cancelled.append(done)
            ctl.progress.findChild(QPushButton).click()  # the progress dialog's Cancel

    ctl.progressed.connect(on_progress)
    scope = ExportScope("posts", "40 posts", tuple(ids))
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.export("pdf", scope, str(target))
    assert cancelled
    assert "cancelled" in signal.args[0] and "No file was written" in signal.args[0]
    assert not target.exists()
    assert list(out.iterdir()) == []  # no temporary file either
    # The window goes on: a new export works.
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.export("pdf", ExportScope("posts", "two", tuple(ids[:2])), str(target))
    assert "Exported 2 posts" in signal.args[0]
    assert len(PdfReader(target).pages) >= 3  # contents, then the posts


def test_cancel_a_markdown_export_says_what_was_written(
    qtbot, make_window, home: Path, tmp_path: Path
):
    ids = _library(home, posts=30)
    window = make_window()
    ctl = controller(window)
    folder = tmp_path / "md"

    def on_progress(done: int, total: int) -> None:
        if done >= 3:
            ctl.cancel()

    ctl.progressed.connect(on_progress)
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.export("md", ExportScope("posts", "30 posts", tuple(ids)), str(folder))
    message = signal.args[0]
    written = list(folder.glob("*.md"))
    assert "cancelled" in message
    assert 3 <= len(written) < 30
    assert f"after {len(written)} posts of 30" in message, message


def test_export_a_folder_from_the_tree(qtbot, make_window, home: Path, tmp_path: Path):
    _library(home, posts=3)
    window = make_window()
    ctl = controller(window)
    tree = window.tree
    folder_index = tree.model.folder_index(None, library.PUBLISHED)
    tree.view.setCurrentIndex(folder_index)
    out = tmp_path / "site"
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.export("md", ctl._tree_scope(), str(out))
    assert "Exported 3 posts" in signal.args[0]
    assert len(list(out.glob("*.md"))) == 3


def test_import_a_folder_with_one_broken_file(
    qtbot, make_window, home: Path, tmp_path: Path, monkeypatch
):
    _library(home)
    window = make_window()
    ctl = controller(window)
    folder = tmp_path / "_posts"
    folder.mkdir()
    for i in range(3):
        (folder / f"2024-05-0{i + 1}-imported-{i}.md").write_text(
            f"---\ntitle: Imported post {i}\ntags: [a, b]\n---\nBody {i}\n", "utf-8"
        )
    (folder / "2024-05-09-broken.md").write_text("---\ntitle: [unclosed\n---\nText\n", "utf-8")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.actions["import_folder"].trigger()
    message = signal.args[0]
    assert "Imported 3 files: 3 new" in message, message
    assert "2024-05-09-broken.md" in message and "could not be imported" in message
    box = ctl.message_box
    assert box.icon() == box.Icon.Warning and "broken.md" in box.informativeText()
    box.close()

    def titles() -> set[str]:
        model = window.tree.model
        index = model.folder_index(None, library.PUBLISHED)
        return {model.index(r, 0, index).data() for r in range(model.rowCount(index))}

    qtbot.waitUntil(lambda: {f"Imported post {i}" for i in range(3)} <= titles(), timeout=10_000)
    # Again: nothing doubles.
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.import_paths([folder])
    assert "0 new, 0 updated, 3 unchanged" in signal.args[0]


def test_the_export_dialog_offers_the_open_post_the_folder_and_blogs(
    qtbot, make_window, home: Path
):
    post_id = _library(home)[0]
    window = make_window(post_id)
    ctl = controller(window)
    choices = ctl.choices()
    assert choices[0].post_ids == (post_id,) and "Exporting posts" in choices[0].label
    dialog = ExportDialog(window, "pdf", choices, ctl.blogs())
    qtbot.addWidget(dialog)
    assert dialog.scope() == choices[0]
    dialog.blog_button.setChecked(True)
    scope = dialog.scope()
    assert scope.kind == "blog" and scope.blog_id is None
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_export_posts_selected_together_in_the_tree(
    qtbot, make_window, home: Path, tmp_path: Path, monkeypatch
):
    from tests.ui.window_helpers import ctrl_click

    first, second = _library(home, posts=2)
    window = make_window(first)
    ctrl_click(qtbot, window, second)  # adds it to the selection; the editor follows the click
    assert sorted(window.tree.selected_post_ids()) == sorted([first, second])
    ctl = controller(window)
    scope = next(c for c in ctl.choices() if "selected" in c.label)
    assert scope.label == "The 2 selected posts" and set(scope.post_ids) == {first, second}

    target = tmp_path / "two.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PDF (*.pdf)")
    )

    def choose_selection() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(20, choose_selection)
            return
        labels = [c.label for c in dialog.choices]
        dialog.group.button(labels.index(scope.label)).click()
        dialog.accept()

    QTimer.singleShot(0, choose_selection)
    with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS) as signal:
        ctl.actions["export_pdf"].trigger()
    assert "Exported 2 posts" in signal.args[0], signal.args[0]
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True).stdout
    assert "Exporting posts" in text and "Post number 1" in text
    ctl.message_box.close()


def test_pdf_page_size_and_margins_are_chosen_checked_and_remembered(
    qtbot, make_window, home: Path, tmp_path: Path, monkeypatch
):
    post_id = _library(home)[0]
    window = make_window(post_id)
    ctl = controller(window)
    targets = iter([tmp_path / "wide.pdf", tmp_path / "narrow.pdf"])
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(next(targets)), "PDF (*.pdf)")
    )
    warnings: list[str] = []
    monkeypatch.setattr(
        "desktop_blog.ui.export_ui.QMessageBox.warning",
        lambda _parent, _title, text, *a, **k: warnings.append(text),
    )

    def answer(page_size: str, margins: list[str]) -> None:
        def poll() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, ExportDialog):
                QTimer.singleShot(20, poll)
                return
            dialog.page_size.setCurrentText(page_size)
            for text in margins:  # the first may be refused: the dialog then stays open
                dialog.margins.setText(text)
                dialog.accept()

        QTimer.singleShot(0, poll)

    def export(page_size: str, margins: list[str]) -> None:
        answer(page_size, margins)
        with qtbot.waitSignal(ctl.finished, timeout=WAIT_MS):
            ctl.actions["export_pdf"].trigger()
        ctl.message_box.close()

    export("Letter", ["five", "40"])
    assert warnings and "margins" in warnings[0]
    export("Letter", ["5"])
    wide, narrow = PdfReader(tmp_path / "wide.pdf"), PdfReader(tmp_path / "narrow.pdf")
    for reader in (wide, narrow):
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # Letter

    # The text starts where the left margin says: 40 mm is about 113 pt, 5 mm about 14 pt.
    def left_edge(path: Path) -> float:
        out = subprocess.run(
            ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
            capture_output=True,
            text=True,
        ).stdout
        return min(float(x) for x in re.findall(r'<word xMin="([0-9.]+)"', out))

    assert 100 < left_edge(tmp_path / "wide.pdf") < 130
    assert left_edge(tmp_path / "narrow.pdf") < 30
    # The next export starts from what was chosen.
    assert window.settings.get("pdf/page_size") == "Letter"
    assert window.settings.get("pdf/margins_mm") == "5"
