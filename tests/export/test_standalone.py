"""Standalone HTML: one file, CSS inline, images as data URIs, nothing loaded from outside."""

from __future__ import annotations

import base64
from html.parser import HTMLParser
from pathlib import Path

import pytest
from export_helpers import make_post, png

from desktop_blog.core.export_md import image_loader
from desktop_blog.render import standalone
from desktop_blog.render.standalone import DocPost


class _Resources(HTMLParser):
    """Every URL the page would load by itself (not links a reader clicks)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for name in ("src", "srcset", "poster", "data"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_standalone_inlines_css_and_images(lib, tmp_path: Path):
    with lib.session() as s:
        post = make_post(s, image=png(8, 6))
        s.commit()
    page, missing = standalone.standalone_html(
        [DocPost(post.title, post.body, post.published_at, "Ada")],
        image_loader(lib.session, remote=False),
    )
    assert missing == []
    parser = _Resources()
    parser.feed(page)
    assert parser.scripts == 0
    assert parser.urls and all(u.startswith("data:") for u in parser.urls), parser.urls
    assert "data:image/png;base64," + base64.b64encode(png(8, 6)).decode() in page
    assert "url(http" not in page and "@import" not in page
    # Looks like the preview: its CSS and the code highlighting are in the page.
    assert standalone._resource("base.css").splitlines()[3] in page
    assert 'class="codehilite"' in page and ".codehilite .k" in page
    assert "<title>Exporting posts</title>" in page
    assert "Ada · 5 March 2025" in page


def test_a_missing_image_is_reported_and_left():
    page, missing = standalone.standalone_html(
        [DocPost("T", "![x](dbmedia:00000000-0000-0000-0000-000000000000)")], lambda url: None
    )
    assert missing == ["dbmedia:00000000-0000-0000-0000-000000000000"]
    assert 'src="dbmedia:00000000' in page


def test_several_posts_keep_their_heading_ids_apart():
    page = standalone.document_html(
        [DocPost("A", "## Intro\n\n[up](#intro)"), DocPost("B", "## Intro")]
    )
    assert 'id="post-1-intro"' in page and 'id="post-2-intro"' in page
    assert 'href="#post-1-intro"' in page
    assert 'href="#post-1"' in page and 'href="#post-2"' in page  # the contents


def test_the_title_is_not_repeated():
    page = standalone.document_html([DocPost("Hello", "# Hello\n\nText")])
    assert page.count(">Hello</h1>") == 1


def test_html_export_renders_with_no_network(qtbot, lib):
    """Loaded in QtWebEngine, the page asks for nothing but data: URLs."""
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineCore import (
        QWebEnginePage,
        QWebEngineProfile,
        QWebEngineUrlRequestInterceptor,
    )

    with lib.session() as s:
        post = make_post(s, image=png(8, 6))
        s.commit()
    page_html, _ = standalone.standalone_html(
        [DocPost(post.title, post.body)], image_loader(lib.session, remote=False)
    )

    class Counter(QWebEngineUrlRequestInterceptor):
        def __init__(self):
            super().__init__()
            self.requests: list[str] = []

        def interceptRequest(self, info):  # noqa: N802
            self.requests.append(info.requestUrl().toString())

    profile = QWebEngineProfile()
    counter = Counter()
    profile.setUrlRequestInterceptor(counter)
    page = QWebEnginePage(profile)
    with qtbot.waitSignal(page.loadFinished, timeout=20000) as loaded:
        page.setHtml(page_html, QUrl("about:blank"))
    assert loaded.args == [True]
    images = []
    page.runJavaScript(
        "JSON.stringify(Array.from(document.images).map(i => [i.complete, i.naturalWidth]))",
        0,
        images.append,
    )
    qtbot.waitUntil(lambda: bool(images), timeout=5000)
    assert images[0] == "[[true,8]]"
    outside = [u for u in counter.requests if not u.startswith(("data:", "about:"))]
    assert outside == []
    # The interceptor does see what a page loads from outside: the same page with one such image.
    with qtbot.waitSignal(page.loadFinished, timeout=20000):
        page.setHtml(
            page_html.replace("</body>", '<img src="http://127.0.0.1:9/x.png"></body>'),
            QUrl("about:blank"),
        )
    assert "http://127.0.0.1:9/x.png" in counter.requests
    del page
    del profile


@pytest.mark.parametrize("theme", ["light", "dark", "sepia"])
def test_themes(theme):
    assert "--bg" in standalone.page_css(theme)
