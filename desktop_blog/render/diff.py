"""Side-by-side differences between two texts, as HTML for a revision viewer (no Qt)."""

from __future__ import annotations

import difflib
import html
import re

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")

STYLE = """
<style>
  body { font-family: monospace; white-space: pre-wrap; margin: 0; }
  .l { padding: 0 4px; min-height: 1.2em; }
  .del { background: #fde2e2; } .ins { background: #dff5e1; }
  .gap { background: #f0f0f0; }
  .del b { background: #f5a3a3; font-weight: normal; }
  .ins b { background: #9be3a6; font-weight: normal; }
</style>
"""


def _words_diff(old: str, new: str) -> tuple[str, str]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part = html.escape("".join(a[i1:i2]))
        new_part = html.escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
        else:
            if old_part:
                left.append(f"<b>{old_part}</b>")
            if new_part:
                right.append(f"<b>{new_part}</b>")
    return "".join(left), "".join(right)


def _line(cls: str, content: str) -> str:
    return f'<div class="l {cls}">{content or "&#8203;"}</div>'


def side_by_side(old: str, new: str) -> tuple[str, str, int]:
    """HTML for the old and new text, lines aligned, changes marked; and the number of changed
    lines. Changed lines get ``del``/``ins`` classes, changed words inside them ``<b>``."""
    a, b = old.splitlines(), new.splitlines()
    left: list[str] = []
    right: list[str] = []
    changed = 0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for line in a[i1:i2]:
                esc = html.escape(line)
                left.append(_line("", esc))
                right.append(_line("", esc))
            continue
        old_lines, new_lines = a[i1:i2], b[j1:j2]
        changed += max(len(old_lines), len(new_lines))
        for k in range(max(len(old_lines), len(new_lines))):
            o = old_lines[k] if k < len(old_lines) else None
            n = new_lines[k] if k < len(new_lines) else None
            if o is not None and n is not None:
                lo, ro = _words_diff(o, n)
                left.append(_line("del", lo))
                right.append(_line("ins", ro))
            elif o is not None:
                left.append(_line("del", html.escape(o)))
                right.append(_line("gap", ""))
            else:
                left.append(_line("gap", ""))
                right.append(_line("ins", html.escape(n or "")))
    return STYLE + "".join(left), STYLE + "".join(right), changed
