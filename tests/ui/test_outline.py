"""Outline: parse_headings (no Qt) and the panel on a real MarkdownEditor."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from desktop_blog.ui.markdown_editor import MarkdownEditor
from desktop_blog.ui.outline import Heading, OutlinePanel, clean_heading, parse_headings

POST = """---
title: Not a heading
# nor this
---
# Intro

Text.

## Details *with* `code` and [a link](https://example.com) ##

```python
# a comment, not a heading
```

~~~
## still code
~~~

Setext one
==========

Setext two
----------

- a list item
---

### Deep
#hashtag is text
## Back up
"""


def test_parse_headings() -> None:
    assert parse_headings(POST) == [
        Heading(1, "Intro", 5),
        Heading(2, "Details with code and a link", 9),
        Heading(1, "Setext one", 19),
        Heading(2, "Setext two", 22),
        Heading(3, "Deep", 28),
        Heading(2, "Back up", 30),
    ]


def test_unclosed_fence_hides_the_rest() -> None:
    assert parse_headings("# A\n```\n# B\n") == [Heading(1, "A", 1)]
    assert parse_headings("# A\n````\n```\n# B\n````\n# C") == [
        Heading(1, "A", 1),
        Heading(1, "C", 6),
    ]


def test_clean_heading() -> None:
    assert clean_heading("**Bold** and _it_ ![img](x.png)") == "Bold and it img"
    assert clean_heading("snake_case_name") == "snake_case_name"


def test_fifty_thousand_words_parse_quickly() -> None:
    text = "\n\n".join(
        f"## Section {i}\n\n" + "word " * 480 + "\n\n```\n# code\n```" for i in range(100)
    )
    started = time.perf_counter()
    headings = parse_headings(text)
    assert time.perf_counter() - started < 0.25  # a few ms here; slack for a busy machine
    assert len(headings) == 100


@pytest.fixture
def panel_and_editor(qtbot):
    editor = MarkdownEditor()
    editor.resize(600, 300)
    panel = OutlinePanel()
    qtbot.addWidget(editor)
    qtbot.addWidget(panel)
    editor.show()
    panel.show()
    qtbot.waitExposed(editor)
    panel.set_editor(editor)
    return panel, editor


def tree_titles(panel: OutlinePanel) -> list[tuple[str, list]]:
    def walk(item):
        return (item.text(0), [walk(item.child(i)) for i in range(item.childCount())])

    tree = panel.tree
    return [walk(tree.topLevelItem(i)) for i in range(tree.topLevelItemCount())]


def test_panel_nests_headings_by_level(panel_and_editor) -> None:
    panel, editor = panel_and_editor
    editor.setPlainText(POST)
    panel.refresh()
    assert tree_titles(panel) == [
        ("Intro", [("Details with code and a link", [])]),
        ("Setext one", [("Setext two", [("Deep", [])]), ("Back up", [])]),
    ]


def test_panel_updates_debounced_after_typing(qtbot, panel_and_editor) -> None:
    panel, editor = panel_and_editor
    editor.setPlainText("# One\n\ntext\n")
    panel.refresh()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, "## Two")
    assert [h.text for h in panel.headings()] == ["One"]  # not on the keystroke
    qtbot.waitUntil(lambda: [h.text for h in panel.headings()] == ["One", "Two"], timeout=2000)
    assert tree_titles(panel) == [("One", [("Two", [])])]


def test_clicking_a_heading_jumps_there(qtbot, panel_and_editor) -> None:
    panel, editor = panel_and_editor
    body = "\n".join(f"line {i}" for i in range(200))
    editor.setPlainText(f"# Top\n{body}\n## Far down\n{body}\n")
    panel.refresh()
    far = panel.tree.topLevelItem(0).child(0)
    assert far.text(0) == "Far down"
    rect = panel.tree.visualItemRect(far)
    with qtbot.waitSignal(panel.headingActivated) as blocker:
        qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [202]
    assert editor.cursor_line() == 202
    assert editor.textCursor().block().text() == "## Far down"
    # centred: the heading is in the middle of the view, not at its edge
    y = editor.cursorRect().center().y()
    assert editor.viewport().height() * 0.25 < y < editor.viewport().height() * 0.75


def test_the_current_heading_follows_the_cursor(panel_and_editor) -> None:
    panel, editor = panel_and_editor
    editor.setPlainText("intro\n# A\ntext\n## B\ntext\n# C\n")
    panel.refresh()
    editor.goto_line(5)
    assert panel.tree.currentItem().text(0) == "B"
    editor.goto_line(1)
    assert panel.tree.currentItem() is None
    editor.goto_line(6)
    assert panel.tree.currentItem().text(0) == "C"


def test_empty_post_shows_a_placeholder(panel_and_editor) -> None:
    panel, editor = panel_and_editor
    editor.setPlainText("no headings here")
    panel.refresh()
    assert panel.empty_label.isVisible()
    assert not panel.tree.isVisible()
