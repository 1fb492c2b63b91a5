"""Pygments styles for code blocks, their CSS, and the lock that keeps Pygments' first use on
one thread.

Importing Pygments and Python-Markdown's extensions, and Pygments' lazily loaded styles and
lexers, from two threads at the same moment can fail (``_DeadlockError`` from the import system,
or a half-initialised module seen by the other thread). The preview's start-up used to do just
that: the render worker warmed the renderer while another thread made the code CSS. Now every
first use goes through ``FIRST_USE``: ``warm_up`` (the render worker, once) and ``pygments_css``
take it, so whichever thread comes second waits and then finds everything imported.

This module imports neither Pygments nor Markdown itself, so taking the lock costs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
CODE_CSS_CLASS = "codehilite"

# Held while Pygments / Markdown are first imported and their lexers and styles loaded.
FIRST_USE = threading.RLock()

T = TypeVar("T")


def under_first_use_lock(fn: Callable[[], T]) -> T:
    """``fn()`` with ``FIRST_USE`` held (for the render worker's warm-up)."""
    with FIRST_USE:
        return fn()


def pygments_css(style: str = LIGHT_STYLE) -> str:
    """CSS for highlighted code blocks; ``pygments_css(DARK_STYLE)`` for a dark theme."""
    with FIRST_USE:
        from pygments.formatters import HtmlFormatter

        return HtmlFormatter(style=style).get_style_defs(f".{CODE_CSS_CLASS}")
