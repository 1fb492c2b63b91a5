"""Whole HTML documents of one or more posts: the standalone HTML export and the PDF's source.

The page is built from what the preview shows (``resources/preview``: ``base.css``, the theme's
CSS, the renderer's Pygments CSS) and the same ``render_html`` output, so an export looks like
the preview. ``base.css`` carries the print rules (black on white, no splitting of code blocks);
``EXPORT_CSS`` below adds the post header (title, author, date), the table of contents and page
breaks between posts.

``standalone_html`` makes one self-contained file: CSS inline, every image a ``data:`` URI
(``load_image(url)`` supplies the bytes: the library's ``dbmedia:`` images, and remote ones when
the caller fetches them), no script. It opens offline in any browser.

No Qt and no database: posts come in as ``DocPost``.
"""

from __future__ import annotations

import base64
import html
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

from .markdown import DARK_STYLE, LIGHT_STYLE, pygments_css, render_html

__all__ = [
    "EXPORT_CSS",
    "articles_html",
    "DocPost",
    "ImageLoader",
    "document_html",
    "inline_images",
    "page_css",
    "post_html",
    "standalone_html",
]

THEMES = ("light", "dark", "sepia")
# The preview's code styles per theme (ui/preview.py CODE_STYLES).
_CODE_STYLES = {"light": LIGHT_STYLE, "dark": DARK_STYLE, "sepia": "solarized-light"}

# (mime type, bytes) of an image URL, or None when it cannot be had.
ImageLoader = Callable[[str], "tuple[str, bytes] | None"]

EXPORT_CSS = """
body { padding: 32px 32px 48px; }
.db-post-header { margin: 0 0 1.6em; }
.db-post-header h1 { margin: 0 0 0.25em; }
.db-byline {
  margin: 0; color: var(--muted);
  font-family: "Noto Sans", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; font-size: 0.9em;
}
.db-doc + .db-doc, .db-toc + .db-doc { margin-top: 3em; padding-top: 2em;
  border-top: 1px solid var(--border); }
.db-toc { max-width: 46em; margin: 0 auto; }
.db-toc ol { list-style: none; padding: 0; margin: 1.5em 0 0; }
.db-toc li { margin: 0 0 0.5em; }
.db-toc a { display: flex; gap: 0.6em; color: var(--fg); text-decoration: none; }
.db-toc .db-toc-title { flex: 0 1 auto; }
.db-toc .db-toc-leader { flex: 1 1 auto; border-bottom: 1px dotted var(--border);
  margin-bottom: 0.35em; }
.db-toc .db-toc-page { flex: 0 0 auto; font-variant-numeric: tabular-nums; }
.db-toc .db-toc-date { color: var(--muted); font-size: 0.85em; }
@media print {
  body { padding: 0; }
  .db-doc + .db-doc, .db-toc + .db-doc { break-before: page; margin-top: 0; padding-top: 0;
    border-top: 0; }
  .codehilite, pre, table, figure { break-inside: avoid; }
  .db-post-header { break-after: avoid; }
  .db-toc a::after { content: none; }
}
"""


@dataclass(frozen=True)
class DocPost:
    """What an export shows of a post: the Markdown body and the header's facts."""

    title: str
    body: str
    date: datetime | None = None
    author: str = ""
    anchor: str = ""  # the id of its <article> ("post-12"); links of a TOC point at it


@cache
def _resource(name: str) -> str:
    return (resources.files("desktop_blog.resources") / "preview" / name).read_text("utf-8")


def _style_text(css: str) -> str:
    return css.replace("</", "<\\/")


def page_css(theme: str = "light", custom_css: str = "") -> str:
    """The preview's CSS for ``theme`` (base, theme, code) with EXPORT_CSS and the user's."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; have {', '.join(THEMES)}")
    parts = [
        _resource("base.css"),
        _resource(f"{theme}.css"),
        pygments_css(_CODE_STYLES[theme]),
        EXPORT_CSS,
        custom_css,
    ]
    return "\n".join(p for p in parts if p)


def format_date(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.astimezone():%d %B %Y}".lstrip("0")


def _byline(post: DocPost) -> str:
    parts = [html.escape(p) for p in (post.author, format_date(post.date)) if p]
    return " · ".join(parts)


_LEADING_H1 = re.compile(r"^\s*<h1\b[^>]*>(.*?)</h1>\s*", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_IDS = re.compile(r'(\s(?:id|href)=")(#?)([^"]*)"')


def _scope_ids(body: str, prefix: str) -> str:
    """Prefix heading ids and the links to them, so posts put together keep theirs apart."""

    def fix(m: re.Match) -> str:
        attr, hash_, value = m.groups()
        if attr.strip().startswith("href") and not hash_:
            return m.group(0)
        return f'{attr}{hash_}{prefix}-{value}"'

    return _IDS.sub(fix, body)


def post_html(post: DocPost, *, scope_ids: bool = False) -> str:
    """One post as an ``<article>``: a header (title, author · date), then its rendered body.

    A body that starts with a first-level heading saying the title again loses that heading.
    """
    body = render_html(post.body)
    m = _LEADING_H1.match(body)
    if m and html.unescape(_TAGS.sub("", m.group(1))).strip() == post.title.strip():
        body = body[m.end() :]
    if scope_ids and post.anchor:
        body = _scope_ids(body, post.anchor)
    anchor = f' id="{html.escape(post.anchor)}"' if post.anchor else ""
    byline = _byline(post)
    header = f'<h1 class="db-title">{html.escape(post.title or "(untitled)")}</h1>'
    if byline:
        header += f'\n<p class="db-byline">{byline}</p>'
    return (
        f'<article class="db-doc db-post entry-content"{anchor}>\n'
        f'<header class="db-post-header">{header}</header>\n{body}\n</article>'
    )


def toc_html(posts: Sequence[DocPost], title: str = "", author: str = "", date=None) -> str:
    """The table of contents: a header, then one link per post to its ``anchor``.

    Each entry has an empty ``<span class="db-toc-page" data-for="ANCHOR">`` for a page number
    (the PDF export writes the numbers into that place once it knows the pages)."""
    items = []
    for p in posts:
        anchor = html.escape(p.anchor)
        when = format_date(p.date)
        date_html = f' <span class="db-toc-date">{html.escape(when)}</span>' if when else ""
        items.append(
            f'<li><a href="#{anchor}" class="db-toc-link">'
            f'<span class="db-toc-title">{html.escape(p.title or "(untitled)")}{date_html}</span>'
            f'<span class="db-toc-leader"></span>'
            f'<span class="db-toc-page" data-for="{anchor}"></span></a></li>'
        )
    head = DocPost(title=title or "Contents", body="", author=author, date=date)
    byline = _byline(head)
    return (
        '<nav class="db-toc" id="db-toc">\n<header class="db-post-header">'
        f'<h1 class="db-title">{html.escape(head.title)}</h1>'
        + (f'\n<p class="db-byline">{byline}</p>' if byline else "")
        + "</header>\n<ol>\n"
        + "\n".join(items)
        + "\n</ol>\n</nav>"
    )


def articles_html(posts: Sequence[DocPost], scope_ids: bool) -> list[str]:
    """Each post's ``post_html`` as ``document_html`` makes them (``scope_ids``: several
    posts in the document), for its ``articles``."""
    return [post_html(p, scope_ids=scope_ids) for p in posts]


_DOCUMENT = string.Template("""<!DOCTYPE html>
<html lang="${lang}" data-theme="${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="${color_scheme}">
${meta}<title>${title}</title>
<style>${css}</style>
</head>
<body>
${content}
</body>
</html>
""")


def document_html(
    posts: Sequence[DocPost],
    *,
    title: str | None = None,
    author: str = "",
    date: datetime | None = None,
    theme: str = "light",
    toc: bool | None = None,
    extra_css: str = "",
    lang: str = "en",
    on_post: Callable[[int, int], None] | None = None,
    articles: Sequence[str] | None = None,
) -> str:
    """A whole HTML page of ``posts`` (a table of contents first when ``toc``; by default when
    there is more than one post). Images keep their URLs; see ``standalone_html``.

    ``on_post(done, total)`` is called after each post is rendered; an exception it raises
    (a cancel) stops the rendering and propagates. ``articles``: the posts' ``articles_html``
    already made (elsewhere, e.g. in another process), one per post."""
    if not posts:
        raise ValueError("nothing to export: no posts")
    many = len(posts) > 1
    posts = [
        p if p.anchor else DocPost(p.title, p.body, p.date, p.author, f"post-{i}")
        for i, p in enumerate(posts, 1)
    ]
    if title is None:
        title = posts[0].title if not many else "Posts"
    parts = []
    if toc if toc is not None else many:
        parts.append(toc_html(posts, title, author, date))
    if articles is not None and len(articles) == len(posts):
        parts += articles
        if on_post is not None:
            on_post(len(posts), len(posts))
    else:
        for i, p in enumerate(posts, 1):
            parts.append(post_html(p, scope_ids=many))
            if on_post is not None:
                on_post(i, len(posts))
    meta = ""
    if author:
        meta += f'<meta name="author" content="{html.escape(author)}">\n'
    return _DOCUMENT.substitute(
        lang=html.escape(lang),
        theme=html.escape(theme),
        color_scheme="dark" if theme == "dark" else "light",
        meta=meta,
        title=html.escape(title or "(untitled)"),
        css=_style_text(page_css(theme, extra_css)),
        content="\n".join(parts),
    )


_IMG_SRC = re.compile(r"(<img\b[^>]*?\ssrc=\")([^\"]+)(\")", re.IGNORECASE)


def inline_images(page: str, load_image: ImageLoader) -> tuple[str, list[str]]:
    """Every ``<img src>`` that ``load_image`` can load becomes a ``data:`` URI.

    Returns the page and the URLs that could not be loaded (left as they were)."""
    done: dict[str, str | None] = {}
    missing: list[str] = []

    def replace(m: re.Match) -> str:
        url = html.unescape(m.group(2))
        if url.startswith("data:"):
            return m.group(0)
        if url not in done:
            try:
                found = load_image(url)
            except Exception:  # a loader's network or database error: report, go on
                found = None
            if found is None:
                done[url] = None
                missing.append(url)
            else:
                mime, data = found
                done[url] = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        uri = done[url]
        return m.group(0) if uri is None else m.group(1) + uri + m.group(3)

    return _IMG_SRC.sub(replace, page), missing


def standalone_html(
    posts: Sequence[DocPost], load_image: ImageLoader, **options
) -> tuple[str, list[str]]:
    """One self-contained HTML file of ``posts`` (``document_html`` options), images inlined.

    Returns the page and the image URLs that could not be inlined."""
    return inline_images(document_html(posts, **options), load_image)
