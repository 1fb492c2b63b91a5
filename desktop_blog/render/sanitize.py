"""nh3 policies for HTML that comes from outside: comments (and anything else a visitor wrote).

What a comment may keep: text, paragraphs, line breaks, emphasis, lists, quotes, code, and links.
Everything else goes:

- ``<script>``, ``<style>``, SVG, MathML, frames, forms, ``<template>``… are removed with their
  content; other unknown tags are removed but their text kept.
- No ``style``, ``class`` or ``id`` attribute and no event handler survives, so nothing can
  escape its box (``position: fixed`` overlays) or reach the page's own code.
- Images are never loaded: each ``<img>`` becomes the text ``[image: ALT] (not loaded)``.
  No other element that could make a request (``src``, ``srcset``, ``background``, ``poster``,
  ``<link>``, ``<object>``) is kept, so a view of the result makes no request at all.
- Links keep only ``http``, ``https`` and ``mailto`` targets (``javascript:``, ``data:``,
  relative and every other kind of URL are dropped), get ``rel="nofollow noopener noreferrer"``
  and show where they really go: the real host (in its ASCII form, so a look-alike
  internationalized name shows as ``xn--…``) follows the link text in brackets unless the text
  already is that host or a URL on it.
- Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are replaced by a visible
  marker such as ``[U+202E]``, so text cannot be shown reversed.
- Invalid UTF-8 (bytes) and lone surrogates become U+FFFD; NUL and other control characters
  (but tab and newlines) are removed.

``sanitize_comment`` gives the whole comment, for the detail view (nh3 cleans a 1 MB comment in
tens of ms); ``excerpt`` gives plain text from the start of a comment, for the list, reading only
``EXCERPT_SOURCE_CHARS`` characters of it. This module imports nothing of ours and no Qt.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "cite",
        "code",
        "del",
        "em",
        "i",
        "img",  # replaced by a placeholder below; never kept as an element
        "ins",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "strike",
        "strong",
        "sub",
        "sup",
        "u",
        "ul",
    }
)
# Removed together with everything inside them.
REMOVED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "svg",
        "math",
        "template",
        "iframe",
        "object",
        "embed",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "textarea",
        "select",
        "title",
        "head",
        "frameset",
        "frame",
        "applet",
        "audio",
        "video",
        "canvas",
        "form",
        "button",
        "plaintext",
        "marquee",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "img": {"alt"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
# The list shows the start of a comment: this many characters of its HTML are read.
EXCERPT_SOURCE_CHARS = 1000
EXCERPT_LENGTH = 160

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")
# C0 controls but tab, LF, CR; DEL; C1 controls. (Lone surrogates are handled before.)
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_IMG_RE = re.compile(r'<img(?: alt="([^"]*)")?\s*/?>')
_A_RE = re.compile(r"<a((?:\s[^>]*)?)>(.*?)</a>", re.DOTALL)
_HREF_RE = re.compile(r'\shref="([^"]*)"')
# Tags that separate words: replaced by a space in plain text.
_BLOCK_TAGS = ("p", "br", "li", "div", "blockquote", "pre", "tr", "td", "th", "h1", "h2", "h3")
_BLOCK_RE = re.compile(r"</?(?:" + "|".join(_BLOCK_TAGS) + r")\s*/?>")
_TAG_RE = re.compile(r"<[^>]*>")
_SPLIT_TAGS_RE = re.compile(r"(<[^>]*>)")
# Words longer than this get ``<wbr>`` break opportunities, so they wrap without CSS
# ``overflow-wrap``. *Measured* with QtWebEngine 6.11 (software rendering): with
# ``overflow-wrap: break-word`` a 50,000-letter word took 8 s to lay out and a 200,000-letter
# one did not finish in 20 s; split by U+200B, still 15-20 s; split by ``<wbr>``, 0.5 s.
LONG_WORD = 40
_LONG_WORD_RE = re.compile(r"[^\s&<>\u200b]{" + str(LONG_WORD) + ",}")
_SPACE_RE = re.compile(r"\s+")
# Text that looks like a URL or a host name: "example.com", "www.bank.com/login", "https://x".
_URLISH_RE = re.compile(
    r"^\s*(?:[a-z][a-z0-9+.-]*://)?(?:[^\s/@]+@)?([^\s/:?#]+\.[^\s/:?#]{2,})(?:[:/?#]\S*)?\s*$",
    re.IGNORECASE,
)


def to_text(raw: str | bytes) -> str:
    """Text safe to parse: invalid UTF-8 and lone surrogates as U+FFFD, control characters
    (but tab and newlines) removed."""
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", "replace")
    else:
        try:
            raw.encode("utf-8")
            text = raw
        except UnicodeEncodeError:
            text = raw.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            # A surrogate pair split across code points decodes fine above; lone ones remain
            # as encoded bytes that "replace" turned into U+FFFD.
    return _CONTROL_RE.sub("", text)


def neutralize_bidi(text: str) -> str:
    """Replace bidirectional overrides and isolates by a visible marker such as ``[U+202E]``."""
    if not any(ch in text for ch in BIDI_CONTROLS):  # nine C scans: faster than the regex
        return text
    return _BIDI_RE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        value = value.strip()
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if scheme not in URL_SCHEMES:
            return None
        if scheme != "mailto" and not urlsplit(value).hostname:
            return None
    return value


def real_host(href: str) -> str:
    """The host a link goes to, as ASCII (punycode for internationalized names), lowercase;
    for ``mailto:`` the address's domain. Empty when there is none."""
    try:
        if href.lower().startswith("mailto:"):
            address = href[7:].split("?", 1)[0]
            host = address.rpartition("@")[2]
        else:
            host = urlsplit(href).hostname or ""
    except ValueError:
        return ""
    host = host.strip().rstrip(".").lower()
    if not host:
        return ""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        # Not a valid IDN: show every non-ASCII character escaped, never the look-alike.
        return host.encode("ascii", "backslashreplace").decode("ascii")


def _shown_host(link_text: str) -> str | None:
    """The host a link's text claims to be, when it looks like a URL or host name."""
    match = _URLISH_RE.match(link_text)
    if match is None:
        return None
    host = match.group(1).rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _annotate_link(match: re.Match[str]) -> str:
    attrs, inner = match.group(1), match.group(2)
    found = _HREF_RE.search(attrs)
    if found is None:
        # The target was refused: keep the text, not a dead link.
        return f'<span class="db-link-removed">{inner}</span>'
    href = found.group(1)
    target = html.unescape(href)
    host = real_host(target)
    shown = _shown_host(html.unescape(_TAG_RE.sub("", inner)))
    anchor = f'<a{attrs} data-real-url="{href}">{inner}</a>'
    if host and shown == host:
        return anchor
    label = host or target
    cls = "db-real-host db-lookalike" if shown is not None else "db-real-host"
    return f'{anchor} <span class="{cls}">[{html.escape(label)}]</span>'


def _image_placeholder(match: re.Match[str]) -> str:
    alt = html.unescape(match.group(1) or "").strip()
    label = f"image: {alt}" if alt else "image"
    return f'<span class="db-image">[{html.escape(label)}] (not loaded)</span>'


def sanitize_comment(raw: str | bytes) -> str:
    """The comment's HTML made safe to show: see the module's docstring for the policy."""
    text = neutralize_bidi(to_text(raw))
    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
    )
    cleaned = _IMG_RE.sub(_image_placeholder, cleaned)
    return _break_long_words(_A_RE.sub(_annotate_link, cleaned))


def _split_word(match: re.Match[str]) -> str:
    word = match.group()
    return "<wbr>".join(word[i : i + LONG_WORD] for i in range(0, len(word), LONG_WORD))


def _break_long_words(markup: str) -> str:
    """Insert ``<wbr>`` into very long words of the text (never inside tags or entities)."""
    if len(markup) < LONG_WORD:
        return markup
    parts = _SPLIT_TAGS_RE.split(markup)
    for i in range(0, len(parts), 2):
        if len(parts[i]) >= LONG_WORD:
            parts[i] = _LONG_WORD_RE.sub(_split_word, parts[i])
    return "".join(parts)


def plain_text(raw: str | bytes) -> str:
    """All of the comment's text, without markup, whitespace collapsed, bidi made visible."""
    text = neutralize_bidi(to_text(raw))
    cleaned = nh3.clean(
        text,
        tags=set(_BLOCK_TAGS) | {"img"},
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={"img": {"alt"}},
    )
    cleaned = _BLOCK_RE.sub(" ", cleaned)
    cleaned = _IMG_RE.sub(lambda m: f"[image: {m.group(1)}]" if m.group(1) else "[image]", cleaned)
    return _SPACE_RE.sub(" ", html.unescape(cleaned)).strip()


_DROP_RE = re.compile(
    r"<!--.*?(?:-->|$)|<(script|style|svg|math|template|noscript|iframe|object|textarea|title)\b"
    r".*?(?:</\1\s*>|$)",
    re.DOTALL | re.IGNORECASE,
)
_IMG_ALT_RE = re.compile(
    r"""<img\b(?:[^>]*?\salt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?[^>]*>""", re.IGNORECASE
)
_BLOCK_ANY_RE = re.compile(r"</?(?:" + "|".join(_BLOCK_TAGS) + r")\b[^>]*>", re.IGNORECASE)


def _image_text(match: re.Match[str]) -> str:
    alt = match.group(1) or match.group(2) or match.group(3)
    return f" [image: {alt}] " if alt else " [image] "


def excerpt(raw: str | bytes, length: int = EXCERPT_LENGTH) -> str:
    """Plain text from the start of a comment, at most ``length`` characters (with "…" when cut),
    for a list (shown as text, never as HTML).

    Reads only the first ``EXCERPT_SOURCE_CHARS`` characters, so a huge comment costs no more
    than a short one, and strips the markup with regular expressions: about ten times faster
    than a parse, which matters for a list that reads a hundred rows at a time.
    """
    head = raw[: EXCERPT_SOURCE_CHARS * 4] if isinstance(raw, bytes) else raw[:EXCERPT_SOURCE_CHARS]
    text = to_text(head)
    if "<" in text:
        text = _DROP_RE.sub(" ", text)
        text = _IMG_ALT_RE.sub(_image_text, text)
        text = _BLOCK_ANY_RE.sub(" ", text)
        text = _TAG_RE.sub("", text)
        text = text.split("<", 1)[0]  # a tag cut off at the end
    text = " ".join(html.unescape(text).split())
    text = neutralize_bidi(_CONTROL_RE.sub("", text))
    if len(text) > length:
        return text[: length - 1].rstrip() + "…"
    return text


# The detail view's stylesheet: every comment in its own box that nothing can leave.
DETAIL_CSS = """
:root { color-scheme: light dark; }
body { font: 14px/1.5 system-ui, sans-serif; margin: 12px; }
.db-meta { color: GrayText; font-size: 12px; margin-bottom: 6px; }
.db-meta dt { display: inline; font-weight: 600; }
.db-meta dd { display: inline; margin: 0 12px 0 4px; }
.db-comment { contain: content; overflow: auto; position: relative; unicode-bidi: isolate;
  border-left: 3px solid #8884; padding: 2px 10px; margin: 8px 0; }
.db-comment.db-current { border-left-color: #3b82f6; }
.db-thread-parent, .db-thread-reply { opacity: 0.8; font-size: 13px; }
.db-author { font-weight: 600; }
.db-real-host { color: GrayText; font-size: 12px; }
.db-lookalike { color: #b91c1c; font-weight: 600; }
.db-image { color: GrayText; font-style: italic; }
pre { white-space: pre-wrap; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"


def page(body_html: str, title: str = "Comment") -> str:
    """A whole HTML document around already sanitized ``body_html``, with a Content Security
    Policy that forbids every request and script (a second wall behind the sanitizer)."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{html.escape(title)}</title><style>{DETAIL_CSS}</style></head>"
        f"<body>{body_html}</body></html>"
    )


def escape_text(value: str) -> str:
    """Plain text (an author's name, a post title) ready for HTML: controls removed, bidi made
    visible, escaped."""
    return html.escape(neutralize_bidi(to_text(value)))
