"""Writing in the real window: the Markdown editor, the live preview (real QtWebEngine, real render
and database threads), find and replace, the outline, images, focus mode, themes, revisions.

The preview's DOM is read back through ``runJavaScript`` in the ApplicationWorld, which works with
the page's own JavaScript off.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from window_helpers import stored_post, wait_saved

from desktop_blog.core import library
from desktop_blog.ui.main_window import Act, MainWindow

TIMEOUT = 20_000


def js(window: MainWindow, qtbot, script: str, timeout: int = 10_000):
    """The value of ``script`` run in the preview's ApplicationWorld."""
    box: list = []
    window.preview.run_app_js(script, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=timeout)
    return box[0]


def preview_text(window: MainWindow, qtbot) -> str:
    return js(window, qtbot, "document.getElementById('db-content').innerText")


def wait_preview_shows(window: MainWindow, qtbot, needle: str) -> None:
    qtbot.waitUntil(
        lambda: window.preview is not None and window.preview.is_ready(), timeout=TIMEOUT
    )
    qtbot.waitUntil(lambda: needle in preview_text(window, qtbot), timeout=TIMEOUT)


def long_post(sections: int = 30) -> str:
    parts = []
    for i in range(sections):
        parts.append(f"## Section {i}")
        parts.append(f"Paragraph {i} starts here. " + "Some words to fill a few lines. " * 12)
        parts.append(f"- item {i}.1\n- item {i}.2")
    return "\n\n".join(parts) + "\n"


def set_text(qtbot, window: MainWindow, text: str) -> None:
    """Replace the post's text as typing would (one edit), and wait for the preview."""
    editor = window.editor_panel.editor
    cursor = editor.textCursor()
    cursor.select(cursor.SelectionType.Document)
    cursor.insertText(text)
    editor.setTextCursor(cursor)
    last = text.strip().splitlines()[-1].lstrip("-# ").strip()
    wait_preview_shows(window, qtbot, last[:30])


def type_text(widget, text: str) -> None:
    """Type ``text``, with Return for each line break (QTest.keyClicks cannot type those)."""
    for i, line in enumerate(text.split("\n")):
        if i:
            QTest.keyClick(widget, Qt.Key.Key_Return)
        if line:
            QTest.keyClicks(widget, line)


def png_bytes(width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@pytest.fixture
def window(make_window) -> MainWindow:
    """A new user's window (the preview beside the editor) showing the welcome post."""
    return make_window(preview=True)


@pytest.fixture
def shown(qtbot, window) -> MainWindow:
    """The window once its preview shows the welcome post."""
    wait_preview_shows(window, qtbot, "Desktop Blog is where you write")
    return window


# --- the preview follows the editor -------------------------------------------------------------


def test_the_preview_is_beside_the_editor_and_follows_typing(qtbot, shown):
    window = shown
    assert window.preview.isVisible() and window.editor_panel.editor.isVisible()
    assert window.preview.parent() is window.work_splitter
    assert window.actions_[Act.SHOW_PREVIEW].isChecked()
    editor = window.editor_panel.editor
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    type_text(editor, "\n\n## Typed heading\n\nSome *typed* words")
    ems = "JSON.stringify([...document.querySelectorAll('#db-content em')].map(e => e.textContent))"
    qtbot.waitUntil(lambda: "typed" in json.loads(js(window, qtbot, ems)), timeout=TIMEOUT)
    headings = json.loads(
        js(
            window,
            qtbot,
            "JSON.stringify([...document.querySelectorAll('#db-content h2')].map(e => e.textContent))",
        )
    )
    assert "Typed heading" in headings
    # The status bar counts words, characters and reading time, for the selection too.
    qtbot.waitUntil(lambda: window.word_count_label.text().endswith("words"), timeout=3000)
    assert window.char_count_label.text().endswith("characters")
    assert window.reading_time_label.text().endswith("min read")
    editor.moveCursor(
        editor.textCursor().MoveOperation.StartOfBlock, editor.textCursor().MoveMode.KeepAnchor
    )
    qtbot.waitUntil(lambda: window.word_count_label.text() == "Selection: 3 words", timeout=3000)
    assert window.char_count_label.text() == "18 characters"


def test_opening_another_post_shows_it_in_the_preview(qtbot, shown):
    window = shown
    window.actions_[Act.NEW_POST].trigger()
    qtbot.waitUntil(lambda: window.editor_panel.post_id not in (None, 1), timeout=5000)
    qtbot.waitUntil(lambda: preview_text(window, qtbot).strip() == "", timeout=TIMEOUT)
    set_text(qtbot, window, "Only this post.\n")
    assert "What it does" not in preview_text(window, qtbot)


def test_scroll_sync_both_ways(qtbot, shown):
    window = shown
    editor, preview = window.editor_panel.editor, window.preview
    text = long_post(30)
    set_text(qtbot, window, text)
    lines = text.splitlines()
    target = lines.index("## Section 20") + 1
    # Editor -> preview: the block of that line comes to the top.
    editor.scroll_to_line(target)
    top_line = (
        "(() => { const e = [...document.querySelectorAll('#db-content [data-source-line]')]"
        ".find(e => e.getBoundingClientRect().bottom > 0); return parseInt(e.dataset.sourceLine); })()"
    )
    qtbot.waitUntil(lambda: js(window, qtbot, top_line) == target, timeout=TIMEOUT)
    # Preview -> editor: the user scrolls the preview back up; the editor follows.
    proxy = preview.focusProxy()
    pos = QPointF(preview.width() / 2, preview.height() / 2)

    def wheel_up() -> bool:
        event = QWheelEvent(
            pos,
            proxy.mapToGlobal(pos),
            QPoint(0, 0),
            QPoint(0, 360),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(proxy, event)
        return editor.first_visible_line() < target - 10

    qtbot.waitUntil(wheel_up, timeout=TIMEOUT)
    qtbot.wait(200)
    assert abs(editor.first_visible_line() - js(window, qtbot, top_line)) <= 8


# --- images ----------------------------------------------------------------------------------------


def test_a_pasted_image_is_stored_and_appears_in_the_preview(qtbot, shown, home):
    window = shown
    editor = window.editor_panel.editor
    set_text(qtbot, window, "Before the image.\n\n")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    mime = QMimeData()
    mime.setImageData(QImage.fromData(png_bytes(64, 48)))
    QApplication.clipboard().setMimeData(mime)
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "dbmedia:" in editor.toPlainText(), timeout=5000)
    uuid = editor.toPlainText().split("dbmedia:")[1].split(")")[0]
    natural = f"(document.querySelector('img[src=\"dbmedia:{uuid}\"]') || {{}}).naturalWidth"
    qtbot.waitUntil(lambda: js(window, qtbot, natural) == 64, timeout=TIMEOUT)
    wait_saved(qtbot, window)
    body = stored_post(home, window.editor_panel.post_id).body
    assert f"(dbmedia:{uuid})" in body
    assert "file:" not in body and "/tmp" not in body and str(home) not in body


# --- find, replace, go to line, outline ---------------------------------------------------------------


def test_find_replace_and_go_to_line_in_the_window(qtbot, shown):
    window = shown
    editor = window.editor_panel.editor
    bar = window.editor_panel.find_bar
    set_text(qtbot, window, "cat one\n\ncat two\n\nconcatenate\n\nlast line\n")
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert bar.isVisible() and not bar.replace_field.isVisible()
    assert window.focusWidget() is bar.find_field
    QTest.keyClicks(bar.find_field, "cat")
    qtbot.waitUntil(lambda: len(bar.matches()) == 3, timeout=3000)
    bar.word_toggle.setChecked(True)
    qtbot.waitUntil(lambda: len(bar.matches()) == 2, timeout=3000)
    QTest.keyClick(bar.find_field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and window.focusWidget() is editor
    # Ctrl+H: the replace row; replace all is one undo step.
    QTest.keyClick(editor, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert bar.replace_field.isVisible()
    bar.replace_field.setText("dog")
    bar.replace_all_button.click()
    assert editor.toPlainText() == "dog one\n\ndog two\n\nconcatenate\n\nlast line\n"
    wait_preview_shows(window, qtbot, "dog two")
    editor.undo()
    assert editor.toPlainText().startswith("cat one\n\ncat two")
    # Ctrl+G: go to line.
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    goto = window.editor_panel.goto_bar
    assert goto.isVisible() and not bar.isVisible()
    QTest.keyClicks(goto.field, "7")
    QTest.keyClick(goto.field, Qt.Key.Key_Return)
    assert editor.textCursor().blockNumber() == 6 and window.focusWidget() is editor
    # Ctrl+Shift+F still searches the posts.
    QTest.keyClick(
        editor,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.focusWidget() is window.tree.search_box


def test_outline_dock_lists_headings_and_jumps(qtbot, shown):
    window = shown
    editor = window.editor_panel.editor
    assert not window.outline_dock.isVisible()
    window.actions_[Act.TOGGLE_OUTLINE].trigger()
    assert window.outline_dock.isVisible()
    set_text(qtbot, window, long_post(20))
    outline = window.outline
    qtbot.waitUntil(lambda: len(outline.headings()) == 20, timeout=3000)
    item = outline.tree.topLevelItem(15)
    assert item.text(0) == "Section 15"
    outline.tree.itemClicked.emit(item, 0)
    heading_line = outline.headings()[15].line
    assert editor.cursor_line() == heading_line
    assert window.focusWidget() is editor


# --- safety: scripts in a post ------------------------------------------------------------------------


def test_a_script_in_a_post_does_not_run_in_the_preview_by_default(qtbot, shown, home):
    window = shown
    assert not window.actions_[Act.EMBEDS].isChecked()
    title = js(window, qtbot, "document.title")
    set_text(
        qtbot,
        window,
        "Text before.\n\n<script>document.title = 'pwned'</script>\n\n"
        '<img src="x" onerror="document.title = \'pwned by onerror\'">\n\nText after.\n',
    )
    qtbot.wait(300)
    assert js(window, qtbot, "document.title") == title
    # Embeds on: the scripts run (as on the blog), and the choice is kept.
    window.actions_[Act.EMBEDS].trigger()
    qtbot.waitUntil(
        lambda: js(window, qtbot, "document.title").startswith("pwned"), timeout=TIMEOUT
    )
    assert window.settings.embeds
    window.actions_[Act.EMBEDS].trigger()
    qtbot.waitUntil(window.preview.is_ready, timeout=TIMEOUT)
    wait_preview_shows(window, qtbot, "Text after.")
    assert not window.settings.embeds


# --- view modes, focus mode, full screen, themes ------------------------------------------------------


def test_preview_toggles_and_the_layout_survive_a_restart(qtbot, make_window, home, tmp_path):
    window = make_window(preview=True)
    wait_preview_shows(window, qtbot, "What it does")
    a = window.actions_
    a[Act.SHOW_PREVIEW].trigger()  # off
    assert window.view_mode == "editor" and window.preview.isHidden()
    assert a[Act.EDITOR_ONLY].isChecked() and not a[Act.SHOW_PREVIEW].isChecked()
    a[Act.PREVIEW_ONLY].trigger()
    assert window.view_mode == "preview"
    assert window.editor_panel.isHidden() and window.preview.isVisible()
    a[Act.PREVIEW_ONLY].trigger()  # off again: both
    assert window.view_mode == "both"
    assert window.editor_panel.isVisible() and window.preview.isVisible()
    # Within the offscreen screen (800x600), which a restored geometry is kept inside.
    window.details.hide()
    window.resize(780, 560)
    qtbot.waitUntil(lambda: window.width() == 780)
    a[Act.TOGGLE_OUTLINE].trigger()
    window.resizeDocks([window.outline_dock], [150], Qt.Orientation.Horizontal)
    window.splitter.setSizes([180, 600])
    qtbot.wait(50)
    total = sum(window.work_splitter.sizes())
    window.work_splitter.setSizes([total // 3, total - total // 3])
    qtbot.waitUntil(lambda: abs(window.work_splitter.sizes()[0] - total // 3) <= 2)
    a[Act.PREVIEW_THEME_SEPIA].trigger()
    css = tmp_path / "blog.css"
    css.write_text("#db-content p { letter-spacing: 3px; }")
    window.set_custom_css(str(css))
    spacing = "getComputedStyle(document.querySelector('#db-content p')).letterSpacing"
    qtbot.waitUntil(lambda: js(window, qtbot, spacing) == "3px", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: js(window, qtbot, "document.documentElement.dataset.theme") == "sepia")
    window.close()

    second = make_window(preview=True)
    assert second.view_mode == "both" and second.actions_[Act.SHOW_PREVIEW].isChecked()
    assert second.outline_dock.isVisible()
    assert abs(second.work_splitter.sizes()[0] - total // 3) <= 2
    assert second.settings.preview_theme == "sepia"
    assert second.actions_[Act.PREVIEW_THEME_SEPIA].isChecked()
    wait_preview_shows(second, qtbot, "What it does")
    assert second.preview.theme() == "sepia"
    qtbot.waitUntil(lambda: js(second, qtbot, spacing) == "3px", timeout=TIMEOUT)
    second.actions_[Act.EDITOR_ONLY].trigger()
    second.close()

    third = make_window(preview=True)
    assert third.view_mode == "editor" and third.preview is None  # not even made
    third.actions_[Act.SHOW_PREVIEW].trigger()
    qtbot.waitUntil(lambda: third.preview is not None, timeout=5000)
    wait_preview_shows(third, qtbot, "What it does")


def test_focus_mode_hides_everything_but_the_editor_and_esc_leaves(qtbot, shown):
    window = shown
    editor = window.editor_panel.editor
    window.actions_[Act.TOGGLE_OUTLINE].trigger()
    before = {
        "tree": window._left.isVisible(),
        "details": window.details.isVisible(),
        "outline": window.outline_dock.isVisible(),
        "toolbar": window.toolbar.isVisible(),
        "words": window.word_count_label.isVisible(),
    }
    assert all(before.values())
    editor.setFocus()
    text = editor.toPlainText()
    QTest.keyClick(
        editor,
        Qt.Key.Key_Return,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.focus_mode and window.actions_[Act.FOCUS_MODE].isChecked()
    for widget in (
        window._left,
        window.details,
        window.outline_dock,
        window.toolbar,
        window.word_count_label,
        window.char_count_label,
        window.reading_time_label,
        window.preview,
    ):
        assert not widget.isVisible(), widget
    # Whether the text is saved is still said.
    assert window.save_state_label.isVisible()
    assert editor.isVisible() and editor.column_width() is not None
    # The text sits in a centred column.
    qtbot.waitUntil(lambda: editor.viewportMargins().left() > 0, timeout=3000)
    left, right = editor.viewportMargins().left(), editor.viewportMargins().right()
    assert abs(left - right) <= 1
    # Ctrl+Shift+Return went to the action, not into the text.
    assert editor.toPlainText() == text
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    assert not window.focus_mode
    for name, widget in (
        ("tree", window._left),
        ("details", window.details),
        ("outline", window.outline_dock),
        ("toolbar", window.toolbar),
        ("words", window.word_count_label),
    ):
        assert widget.isVisible() == before[name], name
    assert window.preview.isVisible() and editor.column_width() is None
    # Full screen and back (F11; Esc leaves it too).
    window.actions_[Act.FULL_SCREEN].trigger()
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    assert window.actions_[Act.FULL_SCREEN].isChecked()
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    assert not window.actions_[Act.FULL_SCREEN].isChecked()


def test_dark_mode_switches_the_window_the_editor_and_the_preview(qtbot, shown):
    window = shown
    editor = window.editor_panel.editor
    background = "getComputedStyle(document.documentElement).backgroundColor"
    light_bg = js(window, qtbot, background)
    window.actions_[Act.APPEARANCE_DARK].trigger()
    assert window.settings.theme == "dark" and window.is_dark()
    assert editor.is_dark()
    assert QApplication.palette().window().color().lightness() < 128
    assert window.preview.theme() == "dark"
    qtbot.waitUntil(lambda: js(window, qtbot, background) != light_bg, timeout=TIMEOUT)
    dark_bg = js(window, qtbot, background)
    channels = [int(c) for c in dark_bg[dark_bg.index("(") + 1 : -1].split(",")[:3]]
    assert sum(channels) < 3 * 100, dark_bg
    # An explicit preview theme stays put when the window changes.
    window.actions_[Act.PREVIEW_THEME_SEPIA].trigger()
    window.actions_[Act.APPEARANCE_LIGHT].trigger()
    assert not editor.is_dark() and window.preview.theme() == "sepia"
    assert QApplication.palette().window().color().lightness() >= 128
    window.actions_[Act.PREVIEW_THEME_AUTO].trigger()
    assert window.preview.theme() == "light"
    # Following the system: the system's scheme decides (unknown offscreen: light).
    window.actions_[Act.APPEARANCE_SYSTEM].trigger()
    assert window.settings.theme == "system" and not window.is_dark()


# --- revision history ------------------------------------------------------------------------------------


def test_restoring_a_revision_through_the_window(qtbot, shown, home):
    window = shown
    post_id = window.editor_panel.post_id
    editor = window.editor_panel.editor
    set_text(qtbot, window, "The old version of the post.\n")
    wait_saved(qtbot, window)

    def snapshot() -> None:
        with window.library.session() as session:
            library.snapshot(session, post_id, "periodic")
            session.commit()

    done = window.tasks.run_db(snapshot)
    done.result(timeout=5)
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    QTest.keyClicks(editor, "A newer line, not saved yet.")
    window.actions_[Act.REVISIONS].trigger()
    qtbot.waitUntil(lambda: window.revision_dialog is not None, timeout=5000)
    dialog = window.revision_dialog
    qtbot.waitUntil(lambda: dialog.list.count() >= 1, timeout=5000)
    # The dialog compares with the text as it is now, which was saved before it opened.
    assert stored_post(home, post_id).body.endswith("A newer line, not saved yet.")
    row = next(
        i for i, rev in enumerate(dialog._revisions) if rev.body == "The old version of the post.\n"
    )
    dialog.list.setCurrentRow(row)
    with qtbot.waitSignal(dialog.restored, timeout=5000):
        dialog.restore_selected()
    qtbot.waitUntil(lambda: editor.toPlainText() == "The old version of the post.\n", timeout=5000)
    # Shown as loaded, not as a new edit; the database has the same; nothing was lost.
    assert not window.autosaver.has_unsaved()
    qtbot.wait(700)  # longer than the autosave debounce
    assert not window.autosaver.has_unsaved()
    assert stored_post(home, post_id).body == "The old version of the post.\n"
    with window.library.session() as session:
        revisions = library.list_revisions(session, post_id)
    assert any(r.body.endswith("A newer line, not saved yet.") for r in revisions)
    wait_preview_shows(window, qtbot, "The old version")
    assert "newer line" not in preview_text(window, qtbot)
    # The tree's context menu offers the same.
    assert window.actions_[Act.REVISIONS] in window.tree._actions
