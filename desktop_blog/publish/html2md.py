"""HTML written elsewhere (WordPress's editors, other clients) to Markdown for editing here.

The conversion cannot be perfect (HTML says more than Markdown); the original HTML is kept beside
the post (``Post.original_html``) so nothing is lost. What it does:

- WordPress's block comments (``<!-- wp:paragraph -->``) and our idempotency marker go; other
  comments go too (they would show as text in Markdown).
- Content without any ``<p>`` is run through a small ``wpautop``: blank lines separate paragraphs
  and a single newline is a line break, which is how WordPress displays such content.
- ``markdownify`` does the rest: ATX headings (``#``), ``-`` bullets, fenced code blocks with
  the language of a ``language-xyz`` class, ``*`` emphasis.
"""

from __future__ import annotations

import re

from markdownify import MarkdownConverter

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCK_TAG = re.compile(
    r"</?(p|div|h[1-6]|ul|ol|li|pre|blockquote|table|figure|hr|dl|section|article|address|"
    r"details|form|header|footer|nav|aside|main)\b",
    re.IGNORECASE,
)
_LONE_P = re.compile(r"<p\b[^>]*>(?:(?!</?p\b).)*</p>", re.IGNORECASE | re.DOTALL)
_PRE = re.compile(r"(<pre\b.*?</pre\s*>)", re.IGNORECASE | re.DOTALL)
_BLANK_LINES = re.compile(r"\n\s*\n")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+(?=\n)")


_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_CODE_OR_LINK = re.compile(r"([\[\]`])")
_BLOCK_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|[-+](?=\s|$)|>)")
_NUMBERED = re.compile(r"^(\s*\d{1,9})([.)](?=\s|$))")


class _Converter(MarkdownConverter):
    """markdownify, plus: text that Markdown would read as markup stays text (`<tag>`,
    `&copy;`, `[x]`, and `#`, `-`, `+`, `1.`, `>` where a text starts)."""

    def escape(self, text, parent_tags):  # markdownify's hook for text outside code
        text = super().escape(text, parent_tags)
        text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")
        text = _CODE_OR_LINK.sub(r"\\\1", text)
        text = _BLOCK_START.sub(r"\1\\\2", text)
        return _NUMBERED.sub(r"\1\\\2", text)


def _language(el) -> str:
    for node in (el, el.find("code") if hasattr(el, "find") else None):
        if node is None:
            continue
        for cls in node.get("class") or []:
            if cls.startswith("language-"):
                return cls[len("language-") :]
            if cls.startswith("lang-"):
                return cls[len("lang-") :]
    return ""


def autop(text: str) -> str:
    """What WordPress's wpautop shows for classic (non-block) content: text separated by blank
    lines becomes paragraphs, and a newline inside one becomes a line break. Blocks that start
    with a block tag are kept, except that a lone ``<p>`` also gets its newlines as breaks."""
    if "<!-- wp:" in text:
        return text
    parts = _PRE.split(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:  # a <pre> block: untouched
            out.append(part)
            continue
        for chunk in _BLANK_LINES.split(part.strip("\n")):
            chunk = chunk.strip()
            if not chunk:
                continue
            if _LONE_P.fullmatch(chunk):
                out.append(chunk.replace("\n", "<br />\n"))
            elif _BLOCK_TAG.match(chunk):
                out.append(chunk)
            else:
                out.append("<p>" + chunk.replace("\n", "<br />\n") + "</p>")
    return "\n".join(out)


def html_to_markdown(html: str) -> str:
    """Markdown for editing ``html`` (a post's raw content)."""
    if not html or not html.strip():
        return ""
    text = html.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = _COMMENT.sub("", autop(text))
    converter = _Converter(
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        code_language_callback=_language,
        escape_underscores=False,
        escape_misc=False,
    )
    markdown = converter.convert(cleaned)
    # trailing spaces go, except the two of a hard line break
    markdown = _TRAILING.sub(lambda m: "  " if len(m.group(0)) >= 2 else "", markdown)
    markdown = _MANY_NEWLINES.sub("\n\n", markdown).strip("\n")
    return markdown + "\n" if markdown else ""


__all__ = ["autop", "html_to_markdown"]
