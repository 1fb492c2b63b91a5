"""render.textstats: word and character counts, reading time; no Qt."""

from __future__ import annotations

import sys
import time

import pytest

from desktop_blog.render.textstats import Stats, count, count_words, reading_minutes


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("one two  three\nfour", 4),
        ("# Title", 1),
        ("- item one\n- item two", 4),
        ("```\ncode here\n```", 2),
        ("---\n\n* * *\n\n> quoted", 1),
        ("| a | b |\n|---|---|", 2),
        ("**bold** and *italic* and `code`", 5),
        ("[a link](https://example.com) here", 3),
        ("Pi is 3.14, and 42 counts too", 7),
        ("don't e.g. well-known", 3),
        ("snake_case ___ _", 1),
        ("日本語のテキスト and English", 10),
        ("naïve café — déjà vu", 4),
    ],
)
def test_words(text: str, words: int) -> None:
    assert count(text, skip_front_matter=False).words == words


def test_characters() -> None:
    stats = count("ab c\nd\r\ne")
    assert stats.chars == 6  # a b space c d e: line breaks are not characters
    assert stats.chars_no_spaces == 5
    # A QTextCursor selection separates paragraphs with U+2029.
    assert count("ab\u2029cd", skip_front_matter=False) == Stats(2, 4, 4, 1)


def test_reading_time_rounds_up_with_a_minimum_of_one() -> None:
    assert reading_minutes(0) == 0
    assert reading_minutes(1) == 1
    assert reading_minutes(230) == 1
    assert reading_minutes(231) == 2
    assert count("word " * 461).reading_minutes == 3
    assert count("# --- *").reading_minutes == 0  # no words


def test_front_matter_is_left_out_by_default() -> None:
    text = "---\ntitle: A long title here\ntags: [a, b]\n---\nBody text.\n"
    assert count(text).words == 2
    assert count(text, skip_front_matter=False).words == 10
    assert count("---\nnot closed\n").words == 2  # no closing line: not front matter
    assert count("text\n---\nmore").words == 2


def test_fifty_thousand_words_are_fast() -> None:
    text = (
        "Some **words** in a `sentence`, with [links](https://example.com) and 3.14 more.\n" * 5000
    )
    count(text)
    started = time.perf_counter()
    stats = count(text)
    elapsed = time.perf_counter() - started
    assert stats.words == 50_000
    assert count_words(text) == 50_000
    # About 10 ms here; the bound leaves room for a slow, busy machine.
    assert elapsed < 0.25


def test_no_qt() -> None:
    assert "desktop_blog.render.textstats" in sys.modules
    import desktop_blog.render.textstats as module

    assert "PySide6" not in module.__dict__
    assert not any(name.startswith("PySide6") for name in vars(module))
