"""Page margins for printed (PDF) export, as the user types them in the dialog or on the
command line. No Qt: the command line parses them before it loads anything heavy."""

from __future__ import annotations

#: The widest margin accepted, in mm (a wider one leaves no page to print on).
MAX_MARGIN_MM = 100.0


def parse_margins(text: str) -> tuple[float, float, float, float]:
    """Margins in mm from "T, R, B, L" (or one value for all, or two: vertical, horizontal;
    commas or semicolons). Raises ValueError with a message for the user."""
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"margins: {text!r} is not a list of millimetres") from None
    if len(values) == 1:
        values *= 4
    elif len(values) == 2:
        values *= 2
    if len(values) != 4 or any(not 0 <= v <= MAX_MARGIN_MM for v in values):
        raise ValueError(
            f"margins: give 1, 2 or 4 lengths between 0 and {MAX_MARGIN_MM:g} mm "
            "(top, right, bottom, left)"
        )
    return (values[0], values[1], values[2], values[3])
