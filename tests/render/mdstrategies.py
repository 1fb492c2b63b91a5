"""Hypothesis strategies for Markdown documents made of random blocks, and random edits.

The blocks are chosen to hit what makes incremental rendering hard: fences (also unclosed, with
attributes, of different lengths), raw HTML (with blank lines inside, unclosed, comments, scripts,
``markdown="1"``), lists that go on across blank lines, consecutive quotes, definition lists,
indented code, reference definitions and links, repeated headings and explicit ids.
"""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = ["alpha", "beta", "gamma", "Intro", "Setup", "x", "the", "and", "Code", "end"]
TITLES = ["Intro", "Setup", "Intro", "Notes", "Intro 1", "intro_1", "Setup"]
REF_IDS = ["a", "b", "Ref", "x y"]
NOTE_IDS = ["1", "2", "n", "x", "y", "z"]

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)

inline = st.one_of(
    words,
    words.map(lambda w: f"*{w}*"),
    words.map(lambda w: f"**{w}**"),
    words.map(lambda w: f"`{w}`"),
    words.map(lambda w: f"[{w}](http://example.com/{len(w)})"),
    st.sampled_from(REF_IDS).map(lambda r: f"[link][{r}]"),
    st.sampled_from(REF_IDS).map(lambda r: f"[{r}]"),
    st.sampled_from(["<span>s</span>", "<b>b", "&amp;", "a < b", "\\*", "<!-- c -->", "x  "]),
    st.sampled_from(NOTE_IDS).map(lambda n: f"[^{n}]"),
)

line = st.lists(inline, min_size=1, max_size=4).map(" ".join)
paragraph = st.lists(line, min_size=1, max_size=4).map("\n".join)

heading = st.one_of(
    st.tuples(st.integers(1, 6), st.sampled_from(TITLES)).map(lambda t: "#" * t[0] + " " + t[1]),
    st.sampled_from(TITLES).map(lambda t: f"{t}\n====="),
    st.sampled_from(TITLES).map(lambda t: f"{t}\n-----"),
    st.sampled_from(TITLES).map(lambda t: f"## {t} {{#intro}}"),
)


@st.composite
def a_list(draw: st.DrawFn) -> str:
    ordered = draw(st.booleans())
    sep = draw(st.sampled_from(["\n", "\n\n"]))
    items = []
    for i in range(draw(st.integers(1, 4))):
        marker = f"{i + 1}." if ordered else draw(st.sampled_from(["-", "*", "+"]))
        item = f"{marker} {draw(line)}"
        extra = draw(st.sampled_from(["", "", "nested", "para", "code", "lazy"]))
        if extra == "nested":
            item += f"\n    - {draw(line)}"
        elif extra == "para":
            item += f"\n\n    {draw(line)}"
        elif extra == "code":
            item += f"\n\n        {draw(line)}"
        elif extra == "lazy":
            item += f"\n{draw(line)}"
        items.append(item)
    return sep.join(items)


@st.composite
def fence(draw: st.DrawFn) -> str:
    mark = draw(st.sampled_from(["```", "~~~", "````"]))
    info = draw(st.sampled_from(["", "python", " js", "{.python #fid}", "{ bad", "text"]))
    body = draw(
        st.lists(st.one_of(line, st.just(""), st.just("```"), st.just("<div>")), max_size=4)
    )
    close = draw(st.sampled_from([mark, mark, mark, "", "```", mark + " "]))
    return "\n".join([mark + info, *body, close]).rstrip("\n")


html_block = st.one_of(
    st.just('<div class="box">\ninside\n\nstill inside\n</div>'),
    st.just("<div>\nunclosed"),
    st.just("<!--more-->"),
    st.just("<!-- a comment\n\nwith a blank line -->"),
    st.just("<!-- unclosed comment"),
    st.just('<div markdown="1">\n*md* inside\n\n- item\n</div>'),
    st.just("<script>\nvar a = 1;\n\nvar b = '<div>';\n</script>"),
    st.just("<table><tr><td>cell</td></tr></table>"),
    st.just("<p>para\n\n</p>"),
    st.just('<div\nclass="split">\n</div>'),
    st.just("<hr>"),
    st.just("<div>one</div> tail"),
    st.just("   <section>\nindented start\n</section>"),
)

other = st.one_of(
    paragraph.map(lambda p: "> " + p.replace("\n", "\n> ")),
    paragraph.map(lambda p: "    " + p.replace("\n", "\n    ")),
    st.just("| a | b |\n|---|---|\n| 1 | 2 |"),
    st.sampled_from(["---", "***", "* * *", "___"]),
    st.tuples(st.sampled_from(REF_IDS), words).map(lambda t: f'[{t[0]}]: http://r/{t[1]} "T"'),
    st.tuples(words, line).map(lambda t: f"{t[0]}\n: {t[1]}"),
    st.tuples(st.sampled_from(NOTE_IDS), line).map(lambda t: f"[^{t[0]}]: {t[1]}"),
    st.tuples(st.sampled_from(NOTE_IDS), line, line).map(
        lambda t: f"[^{t[0]}]: {t[1]}\n\n    {t[2]}\n\n    - in a note"
    ),
    line.map(lambda w: f": {w}"),
    paragraph.map(lambda p: p + "\n{: #pid .cls }"),
    st.just("Term\n\n: loose definition"),
    st.text(alphabet="<>`~*_-#[]:|!\\ \tab\n=", max_size=12),
)

block = st.one_of(paragraph, paragraph, heading, a_list(), fence(), html_block, other)
separator = st.sampled_from(["\n\n", "\n\n", "\n", "\n\n\n", "\n  \n", "\n\t\n"])


@st.composite
def document(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(block, min_size=1, max_size=12))
    seps = draw(st.lists(separator, min_size=len(blocks), max_size=len(blocks)))
    text = "".join(b + s for b, s in zip(blocks, seps))
    if draw(st.integers(0, 9)) == 0:
        text = "---\ntitle: t\n---\n" + text
    return text


EDIT_CHARS = "\n\n \t`~<>-*#[]:|!x/=\\\"'"


@st.composite
def edits(draw: st.DrawFn, text: str) -> list[str]:
    """Successive versions of ``text``, each one small edit away from the one before."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        n = len(text)
        pos = draw(st.integers(0, n))
        kind = draw(st.sampled_from(["insert", "insert", "delete", "dup_line", "type"]))
        if kind == "insert":
            text = text[:pos] + draw(st.sampled_from(EDIT_CHARS)) + text[pos:]
        elif kind == "type":
            text = (
                text[:pos]
                + draw(st.sampled_from(["```", "<div>", "</div>", "- ", "> "]))
                + text[pos:]
            )
        elif kind == "delete" and n:
            end = min(n, pos + draw(st.integers(1, 5)))
            text = text[:pos] + text[end:]
        elif kind == "dup_line":
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            end = n if end < 0 else end
            text = text[:end] + "\n" + text[start:end] + text[end:]
        out.append(text)
    return out


CHAOS_TOKENS = [
    *"``` ~~~ ```` <div> </div> <!-- --> <p> </p> [a]: [a] [b][a] # ## | --- === <script>".split(),
    *"</script> &# &amp; < > </ word text * _ ` \\ {:#i} <hr> <![CDATA[ ]]> <? ?> <span>".split(),
    *"</span> <b Term [^1] [^1]: [^x]".split(),
    *["- ", "* ", "1. ", "2) ", "> ", ": ", "# ", "    ", "  ", "\t", "[a]: http://x"],
    '<div markdown="1">',
]


@st.composite
def chaos_document(draw: st.DrawFn) -> str:
    """Lines of Markdown-significant fragments and blank lines, in no sensible order."""
    lines = []
    for _ in range(draw(st.integers(1, 25))):
        if draw(st.integers(0, 2)) == 0:
            lines.append("")
        else:
            lines.append(
                "".join(draw(st.lists(st.sampled_from(CHAOS_TOKENS), min_size=1, max_size=4)))
            )
    return "\n".join(lines)
