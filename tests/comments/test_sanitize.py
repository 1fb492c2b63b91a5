"""render.sanitize: nothing dangerous survives, on a corpus of hostile comments."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hostile import BEACON, HOSTILE

from desktop_blog.render import sanitize
from desktop_blog.render.sanitize import BIDI_CONTROLS, excerpt, sanitize_comment

# What the output may hold, and nothing else.
OUTPUT_TAGS = (sanitize.ALLOWED_TAGS - {"img"}) | {"span", "wbr"}
OUTPUT_ATTRIBUTES = {
    "a": {"href", "title", "rel", "data-real-url"},
    "abbr": {"title"},
    "span": {"class"},
}


class Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in OUTPUT_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name not in OUTPUT_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {tag}.{name}")
            if name in ("href", "data-real-url"):
                scheme = (value or "").split(":", 1)[0].lower()
                if scheme not in ("http", "https", "mailto"):
                    self.problems.append(f"url {value!r}")
            if name == "rel" and value != "nofollow noopener noreferrer":
                self.problems.append(f"rel {value!r}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append("comment")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl}")

    def handle_pi(self, data):
        self.problems.append("processing instruction")


def test_corpus_is_big_enough():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("name,raw", HOSTILE, ids=[n for n, _ in HOSTILE])
def test_nothing_dangerous_remains(name, raw):
    out = sanitize_comment(raw)
    checker = Checker()
    checker.feed(out)
    checker.close()
    assert checker.problems == []
    lowered = out.lower()
    for needle in ("<script", "<svg", "<math", "<img", "<iframe", "<style", " style=", " src="):
        assert needle not in lowered
    assert "javascript:" not in lowered.replace("&", "")
    assert not any(ch in out for ch in BIDI_CONTROLS)
    out.encode("utf-8")  # no lone surrogates
    assert "\x00" not in out
    # Beacons may appear only as a link target, never as something loaded.
    if BEACON in out:
        assert "pixel.gif" not in out and ".png" not in out and ".css" not in out
    excerpt(raw).encode("utf-8")


def test_images_become_placeholders():
    out = sanitize_comment(f'<img src="https://{BEACON}/p.gif" alt="a <b>cat</b> & dog">')
    assert out == (
        '<span class="db-image">[image: a &lt;b&gt;cat&lt;/b&gt; &amp; dog] (not loaded)</span>'
    )
    assert BEACON not in out


def test_links_show_where_they_go():
    honest = sanitize_comment('<a href="https://example.com/a">https://example.com/a</a>')
    assert "db-real-host" not in honest and 'rel="nofollow noopener noreferrer"' in honest
    plain = sanitize_comment('<a href="https://example.com/a">my site</a>')
    assert '<span class="db-real-host">[example.com]</span>' in plain
    lookalike = sanitize_comment(f'<a href="https://{BEACON}/">www.mybank.com</a>')
    assert f'<span class="db-real-host db-lookalike">[{BEACON}]</span>' in lookalike
    homograph = sanitize_comment('<a href="https://аррӏе.com/">apple.com</a>')
    assert "[xn--80ak6aa92e.com]" in homograph and "db-lookalike" in homograph
    for bad in ("javascript:alert(1)", "data:text/html,x", "/relative", "file:///etc/passwd"):
        out = sanitize_comment(f'<a href="{bad}">text</a>')
        assert out == '<span class="db-link-removed">text</span>'


def test_bidi_made_visible():
    out = sanitize_comment("invoice\u202egpj.exe")
    assert out == "invoice[U+202E]gpj.exe"


def test_invalid_utf8_replaced():
    assert sanitize_comment(b"a\xffb") == "a\ufffdb"
    assert "\ufffd" in sanitize_comment("x\udc80y")


def test_huge_comment_whole_in_detail_short_in_list():
    raw = "<p>" + "word " * 300_000 + "</p>"
    assert len(sanitize_comment(raw)) > 1_400_000
    short = excerpt(raw)
    assert len(short) <= sanitize.EXCERPT_LENGTH and short.endswith("…")


def test_excerpt_is_plain_text():
    raw = "<p>Hello <b>wo</b>rld</p><script>evil()</script><p>next<br>line</p><img alt=cat>"
    assert excerpt(raw) == "Hello world next line [image: cat]"
    assert excerpt("a &lt;b&gt; &amp;") == "a <b> &"
    assert excerpt("\u202eabc") == "[U+202E]abc"


def test_page_has_a_policy_that_forbids_requests():
    doc = sanitize.page("<p>x</p>", title="<t>")
    assert "default-src 'none'" in doc and "&lt;t&gt;" in doc
