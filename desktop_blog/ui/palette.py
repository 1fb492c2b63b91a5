"""Light and dark colour palettes for the Markdown editor and its highlighter.

A palette is plain data (colours as ``#rrggbb`` strings), so it can be compared, listed in
settings and checked for contrast without a running QApplication; the highlighter turns it into
``QTextCharFormat`` objects once per palette (``highlighter.formats_for``), never per block.

Text colours keep a contrast of at least 4.5:1 against the background (WCAG AA); the dimmed
colour for Markdown punctuation (``#``, ``*``, `````, ``>``) keeps at least 3:1, so it recedes
without becoming unreadable. ``tests/ui/test_highlighter.py`` checks both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EditorPalette:
    name: str
    dark: bool
    background: str
    foreground: str
    selection_background: str
    selection_foreground: str
    heading: str
    marker: str  # Markdown punctuation: #, *, _, `, >, [ ] ( ), fence markers
    code: str
    code_background: str
    fence_info: str  # the language after an opening fence
    link: str
    url: str
    image: str
    list_marker: str
    quote: str
    front_matter: str
    front_matter_key: str
    comment: str
    html: str
    match_background: str  # find bar: every match
    current_match_background: str  # find bar: the current match

    # The colours that carry text (checked for 4.5:1 against the background).
    TEXT_ROLES = (
        "foreground",
        "heading",
        "code",
        "fence_info",
        "link",
        "url",
        "image",
        "list_marker",
        "quote",
        "front_matter",
        "front_matter_key",
        "comment",
        "html",
    )


LIGHT = EditorPalette(
    name="light",
    dark=False,
    background="#fbfbf9",
    foreground="#1f2328",
    selection_background="#b6d3f7",
    selection_foreground="#1f2328",
    heading="#16427a",
    marker="#84898f",
    code="#9a1f55",
    code_background="#eeeeea",
    fence_info="#6639ba",
    link="#0a58b8",
    url="#5b636c",
    image="#116329",
    list_marker="#9c4a00",
    quote="#4f5862",
    front_matter="#4f5862",
    front_matter_key="#6639ba",
    comment="#5f6770",
    html="#7132c8",
    match_background="#fbe58a",
    current_match_background="#f5a623",
)

DARK = EditorPalette(
    name="dark",
    dark=True,
    background="#1e1f22",
    foreground="#d7dade",
    selection_background="#264f78",
    selection_foreground="#ffffff",
    heading="#79b8ff",
    marker="#7f8690",
    code="#f2a2c3",
    code_background="#2b2d31",
    fence_info="#c9a7ff",
    link="#6cb6ff",
    url="#9aa3ad",
    image="#7ee787",
    list_marker="#ffa657",
    quote="#aab3bd",
    front_matter="#aab3bd",
    front_matter_key="#d2a8ff",
    comment="#959da7",
    html="#d2a8ff",
    match_background="#5c4d14",
    current_match_background="#9a6a00",
)


def palette_for(dark: bool) -> EditorPalette:
    return DARK if dark else LIGHT


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    value = colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two ``#rrggbb`` colours (1.0 to 21.0)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
