"""PDF margins as typed in the export dialog and on the command line (one parser for both)."""

import pytest

from desktop_blog.render.page_setup import parse_margins


@pytest.mark.parametrize(
    ("typed", "margins"),
    [
        ("18", (18, 18, 18, 18)),
        ("10, 20", (10, 20, 10, 20)),
        ("5,6,7,8", (5, 6, 7, 8)),
        ("5; 6; 7; 8", (5, 6, 7, 8)),
        (" 0 , 12.5 ", (0, 12.5, 0, 12.5)),
    ],
)
def test_one_two_or_four_lengths(typed, margins):
    assert parse_margins(typed) == margins


@pytest.mark.parametrize("typed", ["", "a", "1,2,3", "1,2,3,4,5", "-1", "101", "10 mm"])
def test_what_cannot_be_margins_says_why(typed):
    with pytest.raises(ValueError, match="margins: "):
        parse_margins(typed)
