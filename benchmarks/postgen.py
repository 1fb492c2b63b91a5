"""Generate a long, realistic Markdown blog post for the rendering benchmarks and tests.

``generate_post(words, seed)`` returns a post of about ``words`` words (counted as whitespace
separated tokens of the Markdown source) with YAML front matter, headings (some repeated, so the
table of contents has to make ids unique), paragraphs wrapped at about 80 columns (soft line
breaks), emphasis, inline code, inline and reference-style links, bullet and numbered lists (some
nested, some loose), tables, fenced code in a few languages, block quotes and rules. The same
arguments always give the same text. Run ``python benchmarks/postgen.py 5000`` to see one.
"""

from __future__ import annotations

import random
import sys
import textwrap

_WORDS = (
    "the of and to in is that it for on with as was this be by are at from or an have not but "
    "which one all were they their there can more when been has would what about if out so some "
    "them time into only other also then its two first new could these any way well even because "
    "render preview editor paragraph heading markdown blog post writer draft publish server theme "
    "keyboard window sentence column table list quote code block python widget signal thread cache "
    "library comment reader morning coffee river mountain garden letter winter summer station "
    "bridge lantern harbour orchard violin engine pocket ribbon meadow compass journal"
).split()
_LANGS = ["python", "javascript", "bash", "json", "css", "text"]
_TITLES = [
    "Introduction",
    "Background",
    "Setting up",
    "The first attempt",
    "What went wrong",
    "Measuring",
    "A better design",
    "Results",
    "Notes",
    "Conclusion",
]


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    for i in range(len(words)):
        r = rng.random()
        if r < 0.03:
            words[i] = f"*{words[i]}*"
        elif r < 0.045:
            words[i] = f"**{words[i]}**"
        elif r < 0.06:
            words[i] = f"`{words[i]}()`"
        elif r < 0.066:
            words[i] = f"[{words[i]}](https://example.com/{words[i]})"
        elif r < 0.07:
            words[i] = f"[{words[i]}][ref{rng.randrange(8)}]"
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + rng.choice([".", ".", ".", "?", "!"])


def _paragraph(rng: random.Random) -> str:
    text = " ".join(_sentence(rng, rng.randint(6, 18)) for _ in range(rng.randint(2, 6)))
    return textwrap.fill(text, width=80, break_long_words=False, break_on_hyphens=False)


def _list(rng: random.Random) -> str:
    ordered = rng.random() < 0.4
    loose = rng.random() < 0.3
    items = []
    for i in range(rng.randint(3, 7)):
        marker = f"{i + 1}." if ordered else "-"
        item = f"{marker} {_sentence(rng, rng.randint(4, 14))}"
        if rng.random() < 0.2:
            item += "\n" + "\n".join(
                f"    - {_sentence(rng, rng.randint(3, 8))}" for _ in range(rng.randint(1, 3))
            )
        items.append(item)
    return ("\n\n" if loose else "\n").join(items)


def _table(rng: random.Random) -> str:
    cols = rng.randint(2, 4)
    head = "| " + " | ".join(rng.choice(_WORDS).title() for _ in range(cols)) + " |"
    rule = "|" + "|".join("---" for _ in range(cols)) + "|"
    rows = [
        "| " + " | ".join(" ".join(rng.choices(_WORDS, k=rng.randint(1, 3))) for _ in range(cols))
        for _ in range(rng.randint(3, 8))
    ]
    return "\n".join([head, rule, *[r + " |" for r in rows]])


def _code(rng: random.Random) -> str:
    lang = rng.choice(_LANGS)
    lines = []
    for i in range(rng.randint(4, 14)):
        a, b = rng.choice(_WORDS), rng.choice(_WORDS)
        if lang == "python":
            lines.append(f"{'    ' * (i % 3 > 0)}{a}_{i} = {b}({i}, '{a}')  # {b}")
        elif lang == "javascript":
            lines.append(f'const {a}{i} = {b}({i}, "{a}"); // {b}')
        elif lang == "bash":
            lines.append(f"{a} --{b} {i} | grep {a}")
        elif lang == "json":
            lines.append(f'  "{a}{i}": [{i}, "{b}"],')
        elif lang == "css":
            lines.append(f".{a}-{i} {{ margin: {i}px; color: #{i:03d}; }}")
        else:
            lines.append(f"{a} {b} {i}")
    fence = rng.choice(["```", "```", "~~~"])
    return f"{fence}{lang}\n" + "\n".join(lines) + f"\n{fence}"


def _quote(rng: random.Random) -> str:
    text = textwrap.fill(" ".join(_sentence(rng, 10) for _ in range(rng.randint(1, 3))), 76)
    return "\n".join("> " + line for line in text.splitlines())


def generate_post(words: int, seed: int = 0) -> str:
    """A Markdown post of about ``words`` words; deterministic for a given ``seed``."""
    rng = random.Random(seed)
    parts = [
        "---\ntitle: A generated post\ntags: [benchmark, markdown]\ndraft: true\n---",
        f"# A long post of {words} words",
    ]
    count = 0
    section = 0
    while count < words:
        if section == 0 or rng.random() < 0.12:
            title = _TITLES[section % len(_TITLES)]
            parts.append(f"{'#' * rng.choice([2, 2, 3])} {title}")
            section += 1
        r = rng.random()
        if r < 0.62:
            block = _paragraph(rng)
        elif r < 0.75:
            block = _list(rng)
        elif r < 0.82:
            block = _code(rng)
        elif r < 0.88:
            block = _table(rng)
        elif r < 0.96:
            block = _quote(rng)
        else:
            block = "---" if rng.random() < 0.5 else "* * *"
        parts.append(block)
        count += len(block.split())
    parts.append(
        "\n".join(f'[ref{i}]: https://example.com/reference/{i} "Reference {i}"' for i in range(8))
    )
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    sys.stdout.write(generate_post(n, int(sys.argv[2]) if len(sys.argv) > 2 else 0))
