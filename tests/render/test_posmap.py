"""posmap: data-source-line on top-level blocks, checked with plain ``markdown()`` calls."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdstrategies import chaos_document, document

from desktop_blog.render.posmap import ATTR, PosMapExtension

_ATTR_RE = re.compile(rf' {ATTR}="\d+"')


def md(text: str, *extensions, **kwargs) -> str:
    return markdown.markdown(text, extensions=[PosMapExtension(**kwargs), *extensions])


def lines_of(html: str) -> list[tuple[str, int]]:
    """(tag, line) of the top-level elements that have the attribute, in order."""
    root = etree.fromstring(f"<root>{html}</root>")
    return [(el.tag, int(el.get(ATTR))) for el in root if el.get(ATTR) is not None]


def test_blocks_get_their_first_line_one_based():
    text = "# Title\n\nOne\ntwo\n\n- a\n- b\n\n1. x\n\n> quote\n> more\n\n---\n\n    code\n"
    assert lines_of(md(text, "sane_lists")) == [
        ("h1", 1),
        ("p", 3),
        ("ul", 6),
        ("ol", 9),
        ("blockquote", 11),
        ("hr", 14),
        ("pre", 16),
    ]


def test_blocks_split_from_one_paragraph_block():
    # No blank lines: Python-Markdown splits the block at the heading and the rule.
    text = "intro\n# Heading\nafter\n\n---\nSetext\n======\nrest"
    assert lines_of(md(text)) == [
        ("p", 1),
        ("h1", 2),
        ("p", 3),
        ("hr", 5),
        ("h1", 6),
        ("p", 8),
    ]


def test_list_items_at_any_depth_get_their_line():
    text = "- x\n  y\n- y\n    - nested\n- z\n\n1. one\n\n2. two\n\n    para\n\n> - q1\n> - q2\n"
    items = re.findall(rf'<li {ATTR}="(\d+)">', md(text, "sane_lists"))
    assert [int(n) for n in items] == [1, 3, 4, 5, 7, 9, 13, 14]


def test_tables_and_definition_lists():
    text = "para\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nTerm\n: definition\n\nTerm 2\n\n: loose\n"
    assert lines_of(md(text, "tables", "def_list")) == [("p", 1), ("table", 3), ("dl", 7)]


def test_lines_after_fenced_code_are_right():
    text = "a\n\n```python\nx = 1\n\ny = 2\n```\n\nb\n\n~~~\n~~~\nc"
    html = md(text, "fenced_code")
    assert lines_of(html) == [("p", 1), ("pre", 3), ("p", 9), ("pre", 11), ("p", 13)]


def test_fenced_code_with_codehilite_gets_the_attribute_on_its_div():
    text = "intro\n\n```python\nprint(1)\n```\n"
    html = md(text, "fenced_code", "codehilite")
    assert f'<div {ATTR}="3" class="codehilite">' in html


def test_raw_html_blocks_and_lines_after_them():
    text = (
        "one\n\n"
        '<div class="box">\ninside\n\nstill inside\n</div>\n\n'
        "two\n\n"
        "<!-- a comment\n\nover lines -->\n\n"
        "three\n"
    )
    html = md(text)
    assert f'<div {ATTR}="3" class="box">' in html
    assert lines_of(html) == [("p", 1), ("div", 3), ("p", 9), ("p", 15)]


def test_markdown_in_html_block():
    text = 'a\n\n<div markdown="1">\n*b*\n\nc\n</div>\n\nd'
    html = md(text, "md_in_html")
    assert lines_of(html) == [("p", 1), ("div", 3), ("p", 9)]


def test_paragraph_of_inline_html_keeps_its_attribute_and_block_html_is_not_wrapped():
    html = md("<span>x</span>\n\n</div>\n\ntext")
    assert f'<p {ATTR}="1"><span>x</span></p>' in html
    assert "<p></div></p>" not in html and f'<p {ATTR}="3"></div>' not in html
    assert f'<p {ATTR}="5">text</p>' in html


def test_offset_option_and_line_endings():
    assert lines_of(md("a\n\nb", offset=10)) == [("p", 11), ("p", 13)]
    assert lines_of(md("a\r\n\r\nb\r\n\r\n# c")) == [("p", 1), ("p", 3), ("h1", 5)]


def test_reference_definitions_and_blank_lines_do_not_shift_lines():
    text = "\n\n\n[a]: http://example.com\n\n[a] one\n\n\n\ntwo [a]"
    assert lines_of(md(text)) == [("p", 6), ("p", 10)]


def test_same_instance_converts_again_after_reset():
    m = markdown.Markdown(extensions=[PosMapExtension(), "fenced_code"])
    first = m.convert("a\n\n```\nx\n```\n\nb")
    m.reset()
    assert m.convert("a\n\n```\nx\n```\n\nb") == first
    m.reset()
    assert lines_of(m.convert("\n\nz")) == [("p", 3)]


EXTENSIONS = ["extra", "toc", "codehilite", "sane_lists"]
WITH_POSMAP = markdown.Markdown(extensions=[*EXTENSIONS, PosMapExtension()])
WITHOUT = markdown.Markdown(extensions=EXTENSIONS)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(document(), chaos_document()))
def test_output_without_the_attributes_is_what_markdown_gives_without_posmap(text):
    with_posmap = WITH_POSMAP.reset().convert(text)
    without = WITHOUT.reset().convert(text)
    assert _ATTR_RE.sub("", with_posmap) == without
    n_lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for m in re.finditer(rf'{ATTR}="(\d+)"', with_posmap):
        assert 1 <= int(m.group(1)) <= n_lines
