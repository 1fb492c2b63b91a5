"""The configured renderer: what publish, export and the preview all get."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdstrategies import chaos_document, document

from desktop_blog.render.markdown import DARK_STYLE, prepare, pygments_css, render_html


def tree(html: str) -> etree.Element:
    return etree.fromstring(f"<root>{html}</root>")


def test_code_is_highlighted_with_css_classes():
    html = render_html("```python\ndef f():\n    return 1\n```\n")
    assert '<div data-source-line="1" class="codehilite">' in html
    assert '<span class="k">def</span>' in html
    assert "style=" not in html  # classes, not inline styles


def test_no_language_guessing_and_indented_code_is_highlighted_too():
    html = render_html("```\nimport os\n```\n\n    def f(): pass\n")
    assert html.count('class="codehilite"') == 2
    assert '<span class="k">' not in html  # plain text: no guessed lexer


def test_tables_footnotes_definition_lists_and_attributes():
    text = (
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "Text[^n].\n\n[^n]: The note.\n\n"
        "Term\n: Definition\n\n"
        "Para\n{: .lead #first }\n"
    )
    html = render_html(text)
    assert "<table" in html and "<th>a</th>" in html and "<td>2</td>" in html
    assert 'class="footnote-ref"' in html and 'id="fn:n"' in html
    assert "<dt>Term</dt>" in html and "<dd>Definition</dd>" in html
    assert 'class="lead"' in html and 'id="first"' in html


def test_heading_ids_are_unique_like_toc_makes_them():
    html = render_html("# Intro\n\n## Intro\n\ntext\n\n### Intro {#intro_1}\n\n# Intro\n")
    ids = [el.get("id") for el in tree(html) if el.tag.startswith("h")]
    assert ids == ["intro", "intro_2", "intro_1", "intro_3"]


def test_front_matter_is_not_content_and_lines_still_count():
    text = "---\ntitle: Hello\ntags: [a]\n---\n# Hello\n\nBody\n"
    html = render_html(text)
    assert "title" not in html and "tags" not in html and "<hr" not in html
    assert '<h1 data-source-line="5" id="hello">Hello</h1>' in html
    assert '<p data-source-line="7">Body</p>' in html
    assert prepare(text).count("\n") == text.count("\n")


def test_a_rule_at_the_top_without_closing_line_is_not_front_matter():
    html = render_html("---\n\nText\n")
    assert "<hr" in html and "Text" in html


def test_soft_line_breaks_are_joined_so_wpautop_adds_no_br():
    text = (
        "A paragraph wrapped\nover *three*\nlines.\n\n"
        "- a list item\n  wrapped\n\n"
        "> a quote\n> wrapped\n\n"
        "Hard break  \nhere `code\nspan`.\n\n"
        "```\nkeep\nthese\n```\n"
    )
    html = render_html(text)
    root = tree(html)
    for el in root.iter():
        if el.tag in ("p", "li"):
            inner = etree.tostring(el, encoding="unicode").split(">", 1)[1].rsplit("<", 1)[0]
            # The only newline left in a paragraph is the one after a hard break.
            assert "\n" not in inner.replace("<br />\n", ""), inner
    assert "A paragraph wrapped over <em>three</em> lines." in html
    assert '<li data-source-line="5">a list item wrapped</li>' in html
    assert "Hard break<br />\nhere <code>code span</code>." in html
    assert "keep\nthese" in html  # code blocks keep their lines


def test_line_endings_and_byte_order_mark():
    lf = render_html("# T\n\na\nb\n")
    assert render_html("\ufeff# T\r\n\r\na\r\nb\r\n") == lf
    assert render_html("# T\r\ra\rb\r") == lf


def test_pygments_css_light_and_dark():
    light, dark = pygments_css(), pygments_css(DARK_STYLE)
    assert ".codehilite .k" in light and ".codehilite" in dark
    assert light != dark


def test_render_html_is_thread_safe():
    texts = [
        f"# Post {i}\n\n" + "word " * (50 * i) + "\n\n```python\nx = 1\n```\n" for i in range(8)
    ]
    expected = [render_html(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(render_html, texts)) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(), document(), chaos_document()))
def test_render_html_never_raises(text):
    html = render_html(text)
    assert isinstance(html, str)
    assert not re.search(r"[\x02\x03]", html)  # no placeholder or token left behind
