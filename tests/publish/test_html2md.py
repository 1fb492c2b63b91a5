"""HTML written elsewhere becomes Markdown that the app's renderer turns back into the same text."""

from __future__ import annotations

import re

import pytest

from desktop_blog.publish.html2md import autop, html_to_markdown
from desktop_blog.render.markdown import render_html


def visible(html: str) -> str:
    """What a reader sees, roughly: tags, source-line attributes and spacing removed."""
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html.split())


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>Hello <em>you</em> and <strong>me</strong>.</p>", "Hello *you* and **me**.\n"),
        ("<h2>Title</h2><p>x</p>", "## Title\n\nx\n"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b\n"),
        ("<ol><li>one</li><li>two</li></ol>", "1. one\n2. two\n"),
        ("<blockquote><p>Quote</p></blockquote>", "> Quote\n"),
        ('<p><a href="https://x.org/">link</a></p>', "[link](https://x.org/)\n"),
        ('<p><img src="https://x.org/a.png" alt="A"></p>', "![A](https://x.org/a.png)\n"),
        (
            '<pre><code class="language-python">x = 1\nif x &lt; 2:\n    pass</code></pre>',
            "```python\nx = 1\nif x < 2:\n    pass\n```\n",
        ),
        ("<p>x<br>y</p>", "x  \ny\n"),
        ("", ""),
    ],
)
def test_common_html(html, markdown):
    assert html_to_markdown(html) == markdown


def test_block_comments_and_our_marker_go():
    html = (
        "<!-- wp:paragraph -->\n<p>Block editor text.</p>\n<!-- /wp:paragraph -->"
        "<!-- desktop-blog:0f9c2d5e-aaaa-bbbb-cccc-000000000000 -->"
    )
    assert html_to_markdown(html) == "Block editor text.\n"


def test_classic_editor_content_without_paragraph_tags_is_read_like_wpautop():
    html = "First line\nsecond line\n\nNext <em>paragraph</em>.\n\n<pre>keep\n\n  this</pre>"
    assert autop("<p>has paragraphs</p>\nx") == "<p>has paragraphs</p>\nx"
    md = html_to_markdown(html)
    assert md == "First line  \nsecond line\n\nNext *paragraph*.\n\n```\nkeep\n\n  this\n```\n"
    rendered = render_html(md)
    assert "second line" in rendered and "<br />" in rendered and "<em>paragraph</em>" in rendered


def test_text_that_looks_like_markup_stays_text():
    html = "<p>a &amp; b &lt;tag&gt; &amp;copy; 2*3 [not a link]</p><p># not a heading</p>"
    md = html_to_markdown(html)
    rendered = render_html(md)
    assert visible(rendered) == visible(
        "a &amp; b &lt;tag&gt; &amp;copy; 2*3 [not a link] # not a heading"
    )
    assert "<h1" not in rendered and "<tag>" not in rendered


def test_round_trip_of_the_renderers_own_html():
    source = (
        "# Title\n\nSome *emphasis*, **strong** and `code`.\n\n- one\n- two\n\n"
        "> quoted\n\n[a link](https://example.org/)\n"
    )
    again = html_to_markdown(render_html(source))
    assert visible(render_html(again)) == visible(render_html(source))
