"""FindBar and GotoLineBar on the real MarkdownEditor (and on a plain QPlainTextEdit)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from desktop_blog.ui.find_bar import FIELD_STYLES, FindBar, GotoLineBar, compile_pattern, find_all
from desktop_blog.ui.markdown_editor import MarkdownEditor

TEXT = "Cat cat CAT\ncatalog concat\nthe cat sat\n"


@pytest.fixture
def setup(qtbot):
    window = QWidget()
    layout = QVBoxLayout(window)
    editor = MarkdownEditor()
    bar = FindBar(editor)
    layout.addWidget(editor)
    layout.addWidget(bar)
    window.resize(700, 400)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    editor.setPlainText(TEXT)
    yield editor, bar  # the window stays referenced until the test ends
    window.close()


def selected(editor: QPlainTextEdit) -> tuple[int, int]:
    c = editor.textCursor()
    return c.selectionStart(), c.selectionEnd()


def search(bar: FindBar, text: str, *, case=False, word=False, regex=False) -> None:
    bar.case_toggle.setChecked(case)
    bar.word_toggle.setChecked(word)
    bar.regex_toggle.setChecked(regex)
    bar.find_field.setText(text)


def test_pattern_helpers() -> None:
    p = compile_pattern("a.b", regex=False, case=True, whole_word=False)
    assert [(m.start, m.end) for m in find_all(p, "a.b axb")] == [(0, 3)]
    p = compile_pattern("x*", regex=True, case=True, whole_word=False)
    assert [(m.start, m.end) for m in find_all(p, "axxb")] == [(1, 3)]  # empty matches skipped
    p = compile_pattern("b", regex=False, case=True, whole_word=False)
    assert [(m.start, m.end) for m in find_all(p, "😀b")] == [(2, 3)]  # UTF-16 positions


def test_find_next_and_previous_wrap(setup) -> None:
    editor, bar = setup
    bar.open_find()
    search(bar, "cat")
    assert len(bar.matches()) == 6
    editor.moveCursor(editor.textCursor().MoveOperation.Start)
    assert bar.find_next()
    assert selected(editor) == (0, 3)
    assert bar.count_label.text() == "1 of 6"
    QTest.keyClick(editor, Qt.Key.Key_F3)
    assert selected(editor) == (4, 7)
    QTest.keyClick(editor, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert selected(editor) == (0, 3)
    bar.find_previous()  # wraps to the last
    assert selected(editor) == (31, 34)
    assert bar.count_label.text() == "6 of 6"
    bar.find_next()
    assert selected(editor) == (0, 3)


def test_enter_and_shift_enter_in_the_find_field(setup) -> None:
    editor, bar = setup
    bar.open_find()
    QTest.keyClicks(bar.find_field, "cat")
    first = selected(editor)
    QTest.keyClick(bar.find_field, Qt.Key.Key_Return)
    second = selected(editor)
    assert second[0] > first[0]
    QTest.keyClick(bar.find_field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert selected(editor) == first


def test_options_case_word_regex(setup) -> None:
    _editor, bar = setup
    bar.open_find()
    search(bar, "cat", case=True)
    assert len(bar.matches()) == 4
    search(bar, "cat", word=True)
    assert len(bar.matches()) == 4  # not catalog, concat
    search(bar, "cat", case=True, word=True)
    assert len(bar.matches()) == 2
    search(bar, r"c\w+g", regex=True)
    assert bar.matches() == [(12, 19)]
    search(bar, r"^the", regex=True)
    assert bar.matches() == [(27, 30)]  # ^ matches at line starts
    search(bar, "c.t", regex=False)
    assert bar.matches() == []
    assert bar.count_label.text() == "No results"


def test_invalid_regex_is_shown_not_raised(setup) -> None:
    _editor, bar = setup
    bar.open_find()
    search(bar, "(unclosed", regex=True)
    assert bar.pattern_error() is not None
    assert "position" in bar.pattern_error()
    assert bar.find_field.property("findState") == "error"
    assert bar.find_field.styleSheet()
    assert bar.find_field.toolTip() == bar.pattern_error()
    assert bar.count_label.text() == "Invalid pattern"
    assert bar.matches() == []
    assert not bar.find_next()
    assert bar.replace_all() == 0
    search(bar, "(closed)", regex=True)
    assert bar.pattern_error() is None
    assert bar.find_field.property("findState") != "error"


def test_invalid_replacement_template(setup) -> None:
    editor, bar = setup
    bar.open_replace()
    search(bar, "cat", regex=True)
    bar.replace_field.setText(r"\9")
    assert bar.replace_all() == 0
    assert bar.pattern_error() is not None
    assert editor.toPlainText() == TEXT


def test_replace_all_is_one_undo_step(setup) -> None:
    editor, bar = setup
    bar.open_replace()
    search(bar, "cat", word=True)
    bar.replace_field.setText("dog")
    assert bar.replace_all() == 4
    assert editor.toPlainText() == "dog dog dog\ncatalog concat\nthe dog sat\n"
    assert bar.count_label.text() == "Replaced 4"
    editor.undo()
    assert editor.toPlainText() == TEXT


def test_replace_all_with_groups_and_astral_text(setup) -> None:
    editor, bar = setup
    editor.setPlainText("😀 a=1, 🎉 b=2")
    bar.open_replace()
    search(bar, r"(\w)=(\d)", regex=True)
    bar.replace_field.setText(r"\2:\1")
    assert bar.replace_all() == 2
    assert editor.toPlainText() == "😀 1:a, 🎉 2:b"


def test_replace_current_then_moves_on(setup) -> None:
    editor, bar = setup
    bar.open_replace()
    search(bar, "cat", case=True, word=True)
    bar.replace_field.setText("dog")
    editor.moveCursor(editor.textCursor().MoveOperation.Start)
    assert not bar.replace_current()  # nothing selected yet: only finds
    assert editor.textCursor().selectedText() == "cat"
    assert bar.replace_current()
    assert editor.toPlainText().startswith("Cat dog CAT")
    assert editor.textCursor().selectedText() == "cat"  # the next one, on line 3
    assert editor.textCursor().blockNumber() == 2


def test_matches_are_highlighted_and_cleared_on_escape(setup) -> None:
    editor, bar = setup
    bar.open_find()
    QTest.keyClicks(bar.find_field, "cat")
    assert len(editor.extraSelections()) == 6
    assert bar.isVisible()
    QTest.keyClick(bar.find_field, Qt.Key.Key_Escape)
    assert not bar.isVisible()
    assert editor.extraSelections() == []


def test_edits_refresh_the_matches(qtbot, setup) -> None:
    editor, bar = setup
    bar.open_find()
    search(bar, "cat")
    assert len(bar.matches()) == 6
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    QTest.keyClicks(editor, "cat")
    qtbot.waitUntil(lambda: len(editor.extraSelections()) == 7, timeout=2000)
    assert len(bar.matches()) == 7


def test_only_visible_matches_are_painted(qtbot, setup) -> None:
    editor, bar = setup
    editor.setPlainText("word\n" * 20_000)
    bar.open_find()
    search(bar, "word")
    assert len(bar.matches()) == 20_000
    painted = len(editor.extraSelections())
    assert 0 < painted < 2_000
    editor.verticalScrollBar().setValue(10_000)
    starts = [s.cursor.selectionStart() for s in editor.extraSelections()]
    assert min(starts) > 40_000


def test_works_on_a_plain_qplaintextedit(qtbot) -> None:
    editor = QPlainTextEdit()
    qtbot.addWidget(editor)
    editor.setPlainText(TEXT)
    bar = FindBar(editor, install_shortcuts=False)
    qtbot.addWidget(bar)
    bar.open_replace()
    search(bar, "cat", case=True, word=True)
    bar.replace_field.setText("x")
    assert bar.replace_all() == 2
    editor.undo()
    assert editor.toPlainText() == TEXT


def test_goto_line_bar(qtbot) -> None:
    editor = MarkdownEditor()
    editor.setPlainText("\n".join(f"line {i}" for i in range(1, 301)))
    bar = GotoLineBar(editor)
    window = QWidget()
    layout = QVBoxLayout(window)
    layout.addWidget(editor)
    layout.addWidget(bar)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert bar.isVisible()
    assert bar.range_label.text() == "1–300"
    QTest.keyClicks(bar.field, "250")
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert not bar.isVisible()
    assert editor.cursor_line() == 250
    bar.open()
    QTest.keyClicks(bar.field, "x9999")  # digits only; past the end means the last line
    assert bar.field.text() == "9999"
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert editor.cursor_line() == 300
    bar.open()
    QTest.keyClicks(bar.field, "5")
    QTest.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible()
    assert editor.cursor_line() == 300


def _contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        c = QColor(hex_colour)
        out = []
        for v in (c.redF(), c.greenF(), c.blueF()):
            out.append(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
        return 0.2126 * out[0] + 0.7152 * out[1] + 0.0722 * out[2]

    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_field_colours_are_readable_in_light_and_dark() -> None:
    import re

    for (dark, state), style in FIELD_STYLES.items():
        background = re.search(r"background: (#[0-9a-f]{6})", style).group(1)
        text = re.search(r"[^-]color: (#[0-9a-f]{6})", style).group(1)
        assert _contrast(text, background) >= 7, (dark, state)
        # A dark window gets a dark field, a light one a light field.
        assert (QColor(background).lightness() < 128) == dark, (dark, state)


def test_no_match_and_errors_follow_the_dark_palette(setup) -> None:
    from desktop_blog.ui.main_window import _dark_palette

    _editor, bar = setup
    bar.open_find()
    search(bar, "nothing like this")
    assert bar.count_label.text() == "No results"
    assert bar.find_field.property("findState") == "none"
    assert FIELD_STYLES[False, "none"] in bar.find_field.styleSheet()
    bar.setPalette(_dark_palette())
    assert bar.is_dark()
    assert FIELD_STYLES[True, "none"] in bar.find_field.styleSheet()
    search(bar, "(unclosed", regex=True)
    assert FIELD_STYLES[True, "error"] in bar.find_field.styleSheet()
    search(bar, "cat", regex=False)  # found: the field has its own colours again
    assert bar.find_field.property("findState") == ""
    assert not bar.find_field.styleSheet()
