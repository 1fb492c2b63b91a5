"""MarkdownHighlighter: formats per construct, fence and front-matter states, idle continuation,
palettes, and that highlighting never touches undo or the modified flag."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFont, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit

from desktop_blog.ui.highlighter import (
    CODE_BLOCK,
    FENCE,
    FRONT_MATTER,
    HEADING,
    NORMAL,
    MarkdownHighlighter,
    scan_line,
)
from desktop_blog.ui.palette import DARK, LIGHT, EditorPalette, contrast_ratio


def kinds(text: str, prev_state: int = NORMAL, **kw) -> set[str]:
    spans, _state = scan_line(text, prev_state, **kw)
    return {kind for _s, _l, kind in spans}


def formats(doc: QTextDocument, line: int) -> list:
    return doc.findBlockByNumber(line - 1).layout().formats()


def described(doc: QTextDocument, line: int) -> list[tuple]:
    """The formats of a line as plain values (FormatRange objects are temporaries)."""
    return [
        (
            r.start,
            r.length,
            r.format.foreground().color().name(),
            r.format.background().color().name(),
            r.format.fontWeight(),
            r.format.fontItalic(),
            r.format.fontUnderline(),
        )
        for r in formats(doc, line)
    ]


def covers_whole_line(doc: QTextDocument, line: int, fmt) -> bool:
    block = doc.findBlockByNumber(line - 1)
    return any(
        r.start == 0 and r.length >= block.length() - 1 and r.format == fmt
        for r in block.layout().formats()
    )


# -- the line scanner (no Qt) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Title", {"heading", "marker"}),
        ("###### Six ######", {"heading", "marker"}),
        ("Some *em* text", {"emphasis", "marker"}),
        ("Some **strong** text", {"strong", "marker"}),
        ("Some __strong__ text", {"strong", "marker"}),
        ("Use `code()` here", {"code", "marker"}),
        ("A [link](https://example.com) here", {"link", "url", "marker"}),
        ("A [ref][1] link", {"link", "url", "marker"}),
        ("![alt text](pic.png)", {"image", "url"}),
        ("<https://example.com>", {"url"}),
        ("- item", {"list_marker"}),
        ("12. item", {"list_marker"}),
        ("- [x] done", {"list_marker", "task"}),
        ("> quoted *text*", {"quote", "marker", "emphasis"}),
        ("---", {"marker"}),
        ("| a | b |", {"marker"}),
        ("[1]: https://example.com", {"link", "url"}),
        ("<!-- note -->", {"comment"}),
        ("<span class=x>", {"html"}),
    ],
)
def test_scan_line_kinds(text: str, expected: set[str]) -> None:
    assert kinds(text) == expected


def test_plain_text_and_snake_case_have_no_formats() -> None:
    assert kinds("Just a sentence with snake_case_words in it.") == set()
    assert kinds("#hashtag is not a heading") == set()


def test_emphasis_is_not_looked_for_inside_code_or_urls() -> None:
    spans, _ = scan_line("`a *b* c` and [x](http://e.com/*y*)", NORMAL)
    assert "emphasis" not in {k for _s, _l, k in spans}


def test_fence_states() -> None:
    spans, state = scan_line("```python", NORMAL)
    assert state & FENCE
    assert {k for *_x, k in spans} >= {"code_block", "fence_marker", "fence_info"}
    assert kinds("# not a heading", state) == {"code_block"}
    assert scan_line("~~~", state)[1] == state  # another fence character does not close it
    assert scan_line("``", state)[1] == state
    assert scan_line("````", state)[1] == NORMAL  # longer closes
    assert scan_line("```code```", NORMAL)[1] == NORMAL  # inline code, not a fence


def test_setext_headings() -> None:
    assert kinds("Title", next_text=lambda: "=====") == {"heading"}
    assert "heading" in kinds("=====", prev_text=lambda: "Title")
    assert "heading" not in kinds("---", prev_text=lambda: "")  # a rule after a blank line
    assert "heading" not in kinds("---", prev_text=lambda: "- item")


def test_front_matter_only_at_the_top() -> None:
    assert scan_line("---", NORMAL, first=True)[1] == FRONT_MATTER
    assert kinds("title: Hello", FRONT_MATTER) == {"front_matter", "front_matter_key"}
    assert scan_line("---", FRONT_MATTER)[1] == NORMAL
    assert scan_line("---", NORMAL, first=False)[1] == NORMAL


def test_astral_characters_are_counted_in_utf16(qapp) -> None:
    doc = QTextDocument()
    doc.setPlainText("😀 **bold**")
    hl = MarkdownHighlighter(doc)
    hl.flush()
    strong = hl.format_for("strong")
    ranges = [r for r in formats(doc, 1) if r.format == strong]
    assert [(r.start, r.length) for r in ranges] == [(3, 8)]  # the emoji is two UTF-16 units


# -- the highlighter on a document --------------------------------------------------------------

POST = """---
title: Hello
---
# Heading

Text with `code` and **bold**.

```python
def f():
    return 1
```

Setext
======
"""


def test_formats_are_applied_to_blocks(qapp) -> None:
    doc = QTextDocument()
    doc.setPlainText(POST)
    hl = MarkdownHighlighter(doc)
    hl.flush()
    assert covers_whole_line(doc, 4, hl.format_for(HEADING))
    code_block = hl.format_for(CODE_BLOCK)
    for line in (8, 9, 10, 11):
        assert covers_whole_line(doc, line, code_block), line
    assert not covers_whole_line(doc, 6, code_block)
    assert any(r.format == hl.format_for("code") for r in formats(doc, 6))
    assert covers_whole_line(doc, 13, hl.format_for(HEADING))
    assert any(r.format == hl.format_for("front_matter_key") for r in formats(doc, 2))
    assert hl.block_state(doc.findBlockByNumber(0)) == FRONT_MATTER
    assert hl.in_code_block(doc.findBlockByNumber(8))


def long_post(paragraphs: int = 400) -> str:
    return "# Top\n\nIntro line.\n\n" + "\n\n".join(
        f"Paragraph {i} with some *words* in it." for i in range(paragraphs)
    )


@pytest.fixture
def editor(qtbot) -> QPlainTextEdit:
    from desktop_blog.ui.markdown_editor import MarkdownEditor

    e = MarkdownEditor()
    e.resize(600, 300)
    qtbot.addWidget(e)
    e.show()
    qtbot.waitExposed(e)
    return e


def test_opening_a_fence_near_the_top_continues_in_idle_time(qtbot, editor) -> None:
    editor.setPlainText(long_post())
    hl = editor.highlighter()
    qtbot.waitUntil(lambda: not hl.is_pending(), timeout=10_000)
    doc = editor.document()
    last = doc.blockCount()
    code_block = hl.format_for(CODE_BLOCK)
    assert not covers_whole_line(doc, last, code_block)

    editor.goto_line(2)  # the empty line under "# Top"
    qtbot.keyClicks(editor, "```")
    # The visible blocks are done at once; the far end of the post is left for idle time...
    assert covers_whole_line(doc, 3, code_block)
    assert hl.is_pending()
    assert not covers_whole_line(doc, last, code_block)
    # ...and gets there without anything else happening.
    qtbot.waitUntil(lambda: covers_whole_line(doc, last, code_block), timeout=10_000)
    assert not hl.is_pending()

    # Closing the fence (deleting a backtick) restores every line.
    qtbot.keyClick(editor, "\b")
    assert not covers_whole_line(doc, 3, code_block)
    qtbot.waitUntil(lambda: not hl.is_pending(), timeout=10_000)
    assert not covers_whole_line(doc, last, code_block)
    assert any(r.format == hl.format_for("emphasis") for r in formats(doc, last))


def test_edits_during_idle_work_end_consistent(qtbot, editor) -> None:
    """Several edits while the idle pass runs: the end state equals a fresh highlight."""
    editor.setPlainText(long_post(300))
    hl = editor.highlighter()
    hl.flush()
    editor.goto_line(2)
    qtbot.keyClicks(editor, "~~~")
    editor.goto_line(300)
    qtbot.keyClicks(editor, "# x ")
    editor.goto_line(2)
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, "\b")  # "~~" no longer opens a fence
    qtbot.waitUntil(lambda: not hl.is_pending(), timeout=10_000)
    doc = editor.document()
    incremental = [described(doc, n + 1) for n in range(doc.blockCount())]
    fresh_doc = QTextDocument()
    fresh_doc.setPlainText(editor.toPlainText())
    fresh = MarkdownHighlighter(fresh_doc)
    fresh.flush()
    expected = [described(fresh_doc, n + 1) for n in range(fresh_doc.blockCount())]
    assert incremental == expected


def test_highlighting_leaves_undo_and_modified_flag_alone(qtbot, editor) -> None:
    editor.setPlainText(long_post(200))
    doc = editor.document()
    doc.setModified(False)
    changes = []
    editor.textChanged.connect(lambda: changes.append(1))
    hl = editor.highlighter()
    hl.set_dark(True)  # re-highlights everything, partly in idle time
    qtbot.waitUntil(lambda: not hl.is_pending(), timeout=10_000)
    assert changes == []
    assert not doc.isModified()
    assert doc.availableUndoSteps() == 0

    editor.goto_line(2)
    qtbot.keyClicks(editor, "```")
    qtbot.waitUntil(lambda: not hl.is_pending(), timeout=10_000)
    assert doc.isModified()
    steps = doc.availableUndoSteps()
    assert len(changes) == 3  # one per key, none from the idle work
    doc.undo()
    assert doc.availableUndoSteps() < steps
    qtbot.waitUntil(lambda: not hl.is_pending(), timeout=10_000)
    assert not covers_whole_line(doc, doc.blockCount(), hl.format_for(CODE_BLOCK))


def test_dark_palette_switch_changes_colours(qtbot, editor) -> None:
    editor.setPlainText("# Heading\n\ntext")
    hl = editor.highlighter()
    hl.flush()
    doc = editor.document()

    def heading_colour() -> QColor:
        (r,) = [r for r in formats(doc, 1) if r.format.fontWeight() == QFont.Weight.Bold]
        return r.format.foreground().color()

    assert heading_colour() == QColor(LIGHT.heading)
    editor.set_dark(True)
    hl.flush()
    assert hl.is_dark()
    assert heading_colour() == QColor(DARK.heading)
    assert editor.palette().base().color() == QColor(DARK.background)
    editor.set_dark(False)
    hl.flush()
    assert heading_colour() == QColor(LIGHT.heading)


def test_disabling_clears_formats(qtbot, editor) -> None:
    editor.setPlainText(POST)
    hl = editor.highlighter()
    hl.flush()
    assert formats(editor.document(), 4)
    editor.set_highlighting(False)
    assert not formats(editor.document(), 4)
    editor.set_highlighting(True)
    hl.flush()
    assert formats(editor.document(), 4)


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_palette_contrast(palette: EditorPalette) -> None:
    for role in EditorPalette.TEXT_ROLES:
        ratio = contrast_ratio(getattr(palette, role), palette.background)
        assert ratio >= 4.5, (role, round(ratio, 2))
    assert contrast_ratio(palette.marker, palette.background) >= 3.0
    assert contrast_ratio(palette.code, palette.code_background) >= 4.5
