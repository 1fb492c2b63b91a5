"""MarkdownEditor: Enter continues lists and quotes, Tab indents, Ctrl+B/I/K wrap (one undo
step each), images are announced rather than inserted, lines, scrolling and counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QTextCursor
from PySide6.QtTest import QTest

from desktop_blog.render.textstats import Stats
from desktop_blog.ui.markdown_editor import MarkdownEditor

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def editor(qtbot) -> MarkdownEditor:
    e = MarkdownEditor()
    e.resize(700, 400)
    qtbot.addWidget(e)
    e.show()
    qtbot.waitExposed(e)
    return e


def type_at_end(editor: MarkdownEditor, text: str) -> None:
    editor.setPlainText(text)
    editor.highlighter().flush()
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)


def enter(editor: MarkdownEditor, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(editor, Qt.Key.Key_Return, modifier)


def select(editor: MarkdownEditor, start: int, end: int) -> None:
    cursor = editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


# -- Enter ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "typed", "after"),
    [
        ("- one", "two", "- one\n- two"),
        ("* one", "two", "* one\n* two"),
        ("+ one", "two", "+ one\n+ two"),
        ("1. one", "two", "1. one\n2. two"),
        ("9) one", "two", "9) one\n10) two"),
        ("    - nested", "x", "    - nested\n    - x"),
        ("- [x] done", "next", "- [x] done\n- [ ] next"),
        ("- [ ] todo", "next", "- [ ] todo\n- [ ] next"),
        ("> quoted", "more", "> quoted\n> more"),
        ("> > deep", "more", "> > deep\n> > more"),
        ("> - in quote", "x", "> - in quote\n> - x"),
        ("plain", "text", "plain\ntext"),
        ("    indented code", "x", "    indented code\n    x"),
    ],
)
def test_enter_continues(editor: MarkdownEditor, before: str, typed: str, after: str) -> None:
    type_at_end(editor, before)
    enter(editor)
    QTest.keyClicks(editor, typed)
    assert editor.toPlainText() == after


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("- one\n- ", "- one\n"),
        ("1. one\n2. ", "1. one\n"),
        ("- [ ] a\n- [ ] ", "- [ ] a\n"),
        ("> quoted\n> ", "> quoted\n"),
        ("> - a\n> - ", "> - a\n> "),
        ("- a\n    - b\n    - ", "- a\n    - b\n- "),  # a nested empty item moves out
    ],
)
def test_enter_on_an_empty_item_ends_it(editor: MarkdownEditor, text: str, after: str) -> None:
    type_at_end(editor, text)
    enter(editor)
    assert editor.toPlainText() == after
    editor.undo()
    assert editor.toPlainText() == text


def test_enter_splits_an_item_and_is_one_undo_step(editor: MarkdownEditor) -> None:
    type_at_end(editor, "- first second")
    cursor = editor.textCursor()
    cursor.setPosition(len("- first "))
    editor.setTextCursor(cursor)
    enter(editor)
    assert editor.toPlainText() == "- first \n- second"
    editor.undo()
    assert editor.toPlainText() == "- first second"


def test_enter_in_fenced_code_does_not_continue_lists(editor: MarkdownEditor) -> None:
    type_at_end(editor, "```\n- not a list")
    enter(editor)
    assert editor.toPlainText() == "```\n- not a list\n"


def test_shift_enter_is_a_plain_line_break(editor: MarkdownEditor) -> None:
    type_at_end(editor, "- item")
    enter(editor, Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "- item\n"
    assert editor.document().blockCount() == 2  # a real line, not U+2028


# -- Tab / Shift+Tab ------------------------------------------------------------------------------


def test_tab_indents_the_current_list_item(editor: MarkdownEditor) -> None:
    type_at_end(editor, "- a\n- b")
    QTest.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "- a\n    - b"
    QTest.keyClick(editor, Qt.Key.Key_Backtab)
    assert editor.toPlainText() == "- a\n- b"


def test_tab_inserts_spaces_outside_lists(editor: MarkdownEditor) -> None:
    type_at_end(editor, "word")
    QTest.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "word    "


def test_tab_indents_selected_lines_as_one_undo_step(editor: MarkdownEditor) -> None:
    type_at_end(editor, "one\ntwo\nthree\nfour")
    select(editor, 2, len("one\ntwo\nth"))  # from line 1 into line 3
    QTest.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "    one\n    two\n    three\nfour"
    assert editor.textCursor().selectedText() == "e\u2029    two\u2029    th"
    QTest.keyClick(editor, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "one\ntwo\nthree\nfour"
    editor.undo()
    assert editor.toPlainText() == "    one\n    two\n    three\nfour"
    editor.undo()
    assert editor.toPlainText() == "one\ntwo\nthree\nfour"


def test_selection_ending_at_a_line_start_leaves_that_line(editor: MarkdownEditor) -> None:
    type_at_end(editor, "a\nb\nc")
    select(editor, 0, len("a\nb\n"))
    editor.indent()
    assert editor.toPlainText() == "    a\n    b\nc"


def test_shift_tab_removes_at_most_four_spaces_or_a_tab(editor: MarkdownEditor) -> None:
    type_at_end(editor, "      six\n\ttab\n  two")
    editor.selectAll()
    editor.unindent()
    assert editor.toPlainText() == "  six\ntab\ntwo"


# -- Ctrl+B / Ctrl+I / Ctrl+K ---------------------------------------------------------------------


def test_ctrl_b_wraps_the_selection_in_one_undo_step(editor: MarkdownEditor) -> None:
    type_at_end(editor, "make this bold")
    select(editor, 5, 9)
    QTest.keyClick(editor, Qt.Key.Key_B, CTRL)
    assert editor.toPlainText() == "make **this** bold"
    assert editor.textCursor().selectedText() == "this"
    QTest.keyClick(editor, Qt.Key.Key_B, CTRL)  # toggles off
    assert editor.toPlainText() == "make this bold"
    editor.undo()
    assert editor.toPlainText() == "make **this** bold"
    editor.undo()
    assert editor.toPlainText() == "make this bold"


def test_ctrl_b_without_selection_puts_the_cursor_between(editor: MarkdownEditor) -> None:
    type_at_end(editor, "x ")
    QTest.keyClick(editor, Qt.Key.Key_B, CTRL)
    QTest.keyClicks(editor, "y")
    assert editor.toPlainText() == "x **y**"
    editor.undo()
    editor.undo()
    assert editor.toPlainText() == "x "


def test_ctrl_i_wraps_and_trims_whitespace(editor: MarkdownEditor) -> None:
    type_at_end(editor, "an important word")
    select(editor, 2, 13)  # " important " with the spaces
    QTest.keyClick(editor, Qt.Key.Key_I, CTRL)
    assert editor.toPlainText() == "an *important* word"
    editor.undo()
    assert editor.toPlainText() == "an important word"


def test_italic_inside_bold_and_back(editor: MarkdownEditor) -> None:
    type_at_end(editor, "**both**")
    select(editor, 2, 6)
    editor.format_italic()
    assert editor.toPlainText() == "***both***"
    editor.format_bold()
    assert editor.toPlainText() == "*both*"
    editor.format_italic()
    assert editor.toPlainText() == "both"


def test_ctrl_i_without_selection(editor: MarkdownEditor) -> None:
    type_at_end(editor, "")
    QTest.keyClick(editor, Qt.Key.Key_I, CTRL)
    QTest.keyClicks(editor, "it")
    assert editor.toPlainText() == "*it*"


def test_ctrl_k_selects_url_for_typing(editor: MarkdownEditor) -> None:
    type_at_end(editor, "see the docs now")
    select(editor, 8, 12)
    QTest.keyClick(editor, Qt.Key.Key_K, CTRL)
    assert editor.textCursor().selectedText() == "url"
    QTest.keyClicks(editor, "https://example.com")
    assert editor.toPlainText() == "see the [docs](https://example.com) now"
    editor.undo()  # the typing
    editor.undo()  # the link
    assert editor.toPlainText() == "see the docs now"


def test_ctrl_k_without_selection_and_with_a_url(editor: MarkdownEditor) -> None:
    type_at_end(editor, "")
    QTest.keyClick(editor, Qt.Key.Key_K, CTRL)
    QTest.keyClicks(editor, "text")
    assert editor.toPlainText() == "[text](url)"
    type_at_end(editor, "https://example.com")
    editor.selectAll()
    editor.format_link()
    assert editor.toPlainText() == "[text](https://example.com)"
    assert editor.textCursor().selectedText() == "text"


def test_format_keys_win_over_window_shortcuts(qtbot, editor: MarkdownEditor) -> None:
    from PySide6.QtGui import QAction, QKeySequence

    fired = []
    action = QAction(editor)
    action.setShortcut(QKeySequence("Ctrl+B"))
    action.triggered.connect(lambda: fired.append(1))
    editor.addAction(action)
    type_at_end(editor, "")
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_B, CTRL)
    assert editor.toPlainText() == "****"
    assert fired == []


def test_format_works_with_astral_characters(editor: MarkdownEditor) -> None:
    type_at_end(editor, "a 😀 b")
    editor.selectAll()
    editor.format_bold()
    assert editor.toPlainText() == "**a 😀 b**"
    assert editor.textCursor().selectedText() == "a 😀 b"


# -- images -----------------------------------------------------------------------------------------


def test_pasting_image_data_emits_bytes(qtbot, editor: MarkdownEditor) -> None:
    type_at_end(editor, "text")
    image = QImage(4, 3, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    mime = QMimeData()
    mime.setImageData(image)
    assert editor.canInsertFromMimeData(mime)
    with qtbot.waitSignal(editor.imageDataPasted) as blocker:
        editor.insertFromMimeData(mime)
    data, kind = blocker.args
    assert kind == "image/png"
    assert data.startswith(b"\x89PNG")
    decoded = QImage.fromData(data)
    assert (decoded.width(), decoded.height()) == (4, 3)
    assert editor.toPlainText() == "text"  # nothing inserted by the editor itself


def test_pasting_encoded_image_keeps_its_bytes(qtbot, editor: MarkdownEditor) -> None:
    mime = QMimeData()
    mime.setData("image/jpeg", b"\xff\xd8\xff\xe0fake-jpeg")
    with qtbot.waitSignal(editor.imageDataPasted) as blocker:
        editor.insertFromMimeData(mime)
    assert blocker.args == [b"\xff\xd8\xff\xe0fake-jpeg", "image/jpeg"]


def test_ctrl_v_of_an_image_goes_through_the_clipboard(qtbot, editor: MarkdownEditor) -> None:
    from PySide6.QtWidgets import QApplication

    image = QImage(2, 2, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    QApplication.clipboard().setImage(image)
    with qtbot.waitSignal(editor.imageDataPasted, timeout=2000):
        editor.paste()


def test_text_with_a_picture_of_itself_pastes_as_text(qtbot, editor: MarkdownEditor) -> None:
    mime = QMimeData()
    mime.setText("cells from a spreadsheet")
    mime.setImageData(QImage(2, 2, QImage.Format.Format_RGB32))
    editor.insertFromMimeData(mime)
    assert editor.toPlainText() == "cells from a spreadsheet"


def test_dropped_image_files_are_announced(qtbot, editor: MarkdownEditor, tmp_path: Path) -> None:
    png = tmp_path / "photo.PNG"
    png.write_bytes(b"x")
    other = tmp_path / "notes.txt"
    other.write_text("x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(png)), QUrl.fromLocalFile(str(other))])
    assert editor.canInsertFromMimeData(mime)
    with qtbot.waitSignal(editor.imageFilesDropped) as blocker:
        editor.insertFromMimeData(mime)
    assert blocker.args == [[str(png)]]


def test_insert_markdown_at_cursor_is_one_undo_step(editor: MarkdownEditor) -> None:
    type_at_end(editor, "before ")
    editor.insert_markdown_at_cursor("![photo](dbmedia:1)\nnext")
    assert editor.toPlainText() == "before ![photo](dbmedia:1)\nnext"
    editor.undo()
    assert editor.toPlainText() == "before "


# -- lines and scrolling ----------------------------------------------------------------------------


LINES = "\n".join(f"line {i}" for i in range(1, 501))


def test_goto_and_cursor_line(editor: MarkdownEditor) -> None:
    editor.setPlainText(LINES)
    editor.goto_line(250)
    assert editor.cursor_line() == 250
    assert editor.textCursor().block().text() == "line 250"
    editor.goto_line(10_000)
    assert editor.cursor_line() == 500
    editor.goto_line(0)
    assert editor.cursor_line() == 1


def test_center_on_line(editor: MarkdownEditor) -> None:
    editor.setPlainText(LINES)
    editor.center_on_line(300)
    assert editor.cursor_line() == 300
    rect = editor.cursorRect()
    middle = editor.viewport().height() / 2
    assert abs(rect.center().y() - middle) < rect.height() * 2


def test_scroll_to_line_keeps_the_cursor_and_reports_it(qtbot, editor: MarkdownEditor) -> None:
    editor.setPlainText(LINES)
    editor.goto_line(3)
    with qtbot.waitSignal(editor.visibleLineChanged) as blocker:
        editor.scroll_to_line(120)
    assert blocker.args == [120]
    assert editor.first_visible_line() == 120
    assert editor.cursor_line() == 3
    top = editor.cursorForPosition(QPoint(5, 5)).blockNumber() + 1
    assert top == 120


def test_visible_line_changes_on_scroll(qtbot, editor: MarkdownEditor) -> None:
    editor.setPlainText(LINES)
    seen = []
    editor.visibleLineChanged.connect(seen.append)
    editor.verticalScrollBar().setValue(40)
    editor.verticalScrollBar().setValue(41)
    editor.verticalScrollBar().setValue(41)
    assert seen == [41, 42]


# -- layout, fonts, counts --------------------------------------------------------------------------


def test_column_width_centres_the_text(qtbot, editor: MarkdownEditor) -> None:
    editor.resize(1000, 400)
    editor.set_column_width(40)
    qtbot.waitUntil(lambda: editor.viewport().width() < 700)
    left = editor.viewport().geometry().left()
    right = editor.width() - editor.viewport().geometry().right()
    assert left > 100
    assert abs(left - right) < 40  # the scroll bar sits on the right
    editor.set_column_width(None)
    qtbot.waitUntil(lambda: editor.viewport().width() > 900)


def test_monospace_option(editor: MarkdownEditor) -> None:
    editor.set_monospace(True)
    assert editor.is_monospace()
    metrics = editor.fontMetrics()
    assert metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("MMMM")
    editor.set_monospace(False)
    assert not editor.is_monospace()


def test_stats_are_debounced_and_follow_the_selection(qtbot, editor: MarkdownEditor) -> None:
    seen: list[Stats] = []
    editor.statsChanged.connect(seen.append)
    QTest.keyClicks(editor, "one two three")
    assert seen == []  # not per keystroke
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert seen[-1].words == 3
    assert len(seen) == 1
    select(editor, 0, 7)
    qtbot.waitUntil(lambda: seen[-1].words == 2, timeout=2000)
    assert editor.stats() == Stats(words=2, chars=7, chars_no_spaces=6, reading_minutes=1)
