"""Word count, character count and reading time of Markdown text (no Qt).

- A word is a run of non-space characters holding at least one letter or digit, so Markdown
  punctuation standing alone (``#``, ``-``, ``>``, `````, ``|``, ``---``) is not a word, while
  ``**bold**``, ``[link](url)``, ``3.14`` and ``don't`` are one word each. Chinese, Japanese
  and Thai text has no spaces between words: each of its characters counts as a word.
- ``chars`` counts every character but line breaks; ``chars_no_spaces`` leaves out all
  whitespace. Markup characters count as characters: they are in the text.
- ``reading_minutes`` is words / 230, rounded up; at least 1 when there is a word, 0 otherwise.
- ``count`` leaves out YAML front matter (``---`` on the first line to the next ``---`` or
  ``...``) unless ``skip_front_matter=False``: it is metadata, not something a reader reads.

A split and one regular-expression pass: about 10 ms for a 50,000-word post, so callers
run it on a timer after typing stops, not per keystroke.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

WORDS_PER_MINUTE = 230

# Scripts written without spaces between words: one character, one word.
_CJK = (
    "\u0e00-\u0e7f"  # Thai
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf"  # CJK Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\U00020000-\U0002fa1f"  # CJK Extensions B-F and supplement
)
_HAS_CJK = re.compile(f"[{_CJK}]")
# A token (after a space) with no letter or digit: Markdown punctuation such as "#" or "```".
_NOT_A_WORD = re.compile(r"\s(?:[^\w\s]|_)+(?=\s|\Z)")
_WORD_NO_CJK = re.compile(f"(?:(?![{_CJK}])[^\\W_])(?:(?![{_CJK}])\\S)*")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LINE_BREAKS = ("\n", "\r", "\u2028", "\u2029")
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n.*?(?:^|\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.DOTALL)


@dataclass(frozen=True)
class Stats:
    words: int
    chars: int
    chars_no_spaces: int
    reading_minutes: int


def strip_front_matter(text: str) -> str:
    """``text`` without a leading YAML front matter block (unchanged if there is none)."""
    if not text.startswith("---"):
        return text
    m = _FRONT_MATTER.match(text)
    return text[m.end() :] if m else text


def count_words(text: str, tokens: list[str] | None = None) -> int:
    """Words of ``text``; ``tokens`` may pass ``text.split()`` if it is at hand."""
    if _HAS_CJK.search(text) is not None:
        return len(_WORD_NO_CJK.findall(text)) + len(_CJK_CHAR.findall(text))
    if tokens is None:
        tokens = text.split()
    return len(tokens) - len(_NOT_A_WORD.findall(" " + text))


def reading_minutes(words: int, per_minute: int = WORDS_PER_MINUTE) -> int:
    return max(1, math.ceil(words / per_minute)) if words > 0 else 0


def count(text: str, *, skip_front_matter: bool = True) -> Stats:
    """Counts for ``text`` (a whole post, or a selection with ``skip_front_matter=False``)."""
    if skip_front_matter:
        text = strip_front_matter(text)
    tokens = text.split()
    words = count_words(text, tokens)
    breaks = sum(text.count(b) for b in _LINE_BREAKS)
    return Stats(
        words=words,
        chars=len(text) - breaks,
        chars_no_spaces=sum(map(len, tokens)),
        reading_minutes=reading_minutes(words),
    )
