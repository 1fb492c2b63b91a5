"""IncrementalRenderer: the same HTML as a full render, and only changed blocks redone."""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdstrategies import chaos_document, document, edits

from desktop_blog.render.incremental import IncrementalRenderer, RenderResult
from desktop_blog.render.markdown import render_html

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.postgen import generate_post  # noqa: E402

HAND_MADE = [
    "",
    "\n\n\n",
    "just text",
    "---\ntitle: x\n---\n# Title\n\nBody\n",
    "# A\n\ntext\n\n# A\n\ntext\n\n## A {#a_1}\n\n# A\n",
    "- a\n\n- b\n\n    continued\n\n- c\n\nafter\n\n1. one\n\n2. two\n",
    "> one\n\n> two\n\nthree\n\n> four\n",
    "```\nopen fence\n\nwith blank lines\n\n",
    "```python\nx = 1\n\n\ny = 2\n```\n\ntext\n\n~~~\n~~~\n\n````\n```\n````\n",
    "para\n\n<div>\nraw\n\nhtml\n</div>\n\nafter\n\n<div>\nunclosed\n\nstill\n",
    "<!-- comment\n\nover blank lines -->\n\ntext\n\n<!--more-->\n\nmore\n",
    '<div markdown="1">\n# In HTML\n\n- item\n</div>\n\n# Out\n',
    "<script>\nvar a = '<div>';\n\nvar b;\n</script>\n\ntext\n",
    "Term\n: one\n\nTerm 2\n\n: loose\n\nNext para\n\n: def for it\n",
    "    code\n\n\n\n    more code\n\ntext\n\n    code at the end\n\n\n",
    "[a] and [b][] and [c][a]\n\ntext\n\n[a]: http://a\n[b]: http://b 'B'\n\n[a]: http://late\n",
    "text [x]\n\n[x]: http://x\n\n: definition after a reference\n\n- list\n\n[y]: http://y\n\n- more\n",
    "Footnote[^1] here.\n\n[^1]: The note.\n\nMore text.\n",
    "*[HTML]: Hyper Text\n\nHTML is here.\n\nAnd HTML.\n",
    "[TOC]\n\n# One\n\n# Two\n",
    "C&#\n\n<div>\n\nx\n",
    "<![CDATA[ open\n\ntext\n\n<div>\n",
]


def check(renderer: IncrementalRenderer, text: str) -> RenderResult:
    result = renderer.render(text)
    assert result.html == render_html(text)
    assert "\n".join(b.html for b in result.blocks if b.html).strip() == result.html
    return result


@pytest.mark.parametrize("text", HAND_MADE)
def test_hand_made_documents_equal_a_full_render(text):
    check(IncrementalRenderer(), text)


def test_generated_posts_and_edits_equal_a_full_render():
    renderer = IncrementalRenderer()
    for seed in range(3):
        text = generate_post(1500, seed)
        check(renderer, text)
        middle = text.index("\n\n", len(text) // 2)
        for edit in ["x", "\n", "\n\n", "```", "<div>", "- ", "> "]:
            check(renderer, text[:middle] + edit + text[middle:])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_documents_and_edits_equal_a_full_render(data):
    text = data.draw(st.one_of(document(), chaos_document()))
    renderer = IncrementalRenderer()
    for version in [text, *data.draw(edits(text))]:
        check(renderer, version)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text())
def test_arbitrary_text_equals_a_full_render(text):
    check(IncrementalRenderer(), text)


def apply(blocks: list[tuple[str, str]], result: RenderResult) -> list[tuple[str, str]]:
    """What a preview does with ``ops()``: a list of (id, html) standing in for the DOM."""
    dom = list(blocks)
    for op in result.ops():
        if op[0] == "remove":
            dom = [b for b in dom if b[0] != op[1]]
        elif op[0] == "replace":
            dom = [(i, op[2] if i == op[1] else h) for i, h in dom]
        elif op[0] == "insert":
            _, new_id, after, html = op
            at = 0 if after is None else [i for i, _ in dom].index(after) + 1
            dom.insert(at, (new_id, html))
        elif op[0] == "shift":
            _, block_id, delta = op

            def shift(m: re.Match[str], delta: int = delta) -> str:
                return f'data-source-line="{int(m.group(1)) + delta}"'

            dom = [
                (i, re.sub(r'data-source-line="(\d+)"', shift, h) if i == block_id else h)
                for i, h in dom
            ]
    return dom


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_applying_the_operations_gives_the_new_blocks(data):
    text = data.draw(document())
    renderer = IncrementalRenderer()
    dom = [(b.id, b.html) for b in renderer.render(text).blocks]
    for version in data.draw(edits(text)):
        result = renderer.render(version)
        dom = apply(dom, result)
        assert dom == [(b.id, b.html) for b in result.blocks]


def big_post() -> str:
    return generate_post(5000, seed=7)


def test_editing_one_paragraph_renders_one_chunk():
    text = big_post()
    renderer = IncrementalRenderer()
    first = check(renderer, text)
    assert first.rendered == len(first.blocks) > 50
    assert first.inserted and not first.changed and not first.removed

    at = text.index(" the ", len(text) // 2) + 1
    edited = text[:at] + "x" + text[at:]
    result = check(renderer, edited)
    assert result.rendered == 1
    assert len(result.changed) == 1
    assert not result.inserted and not result.removed and not result.shifted
    unchanged = [b for b in result.blocks if b.id not in result.changed]
    before = {b.id: b for b in first.blocks}
    assert all(before[b.id] == b for b in unchanged)


def test_a_new_line_shifts_the_blocks_below_without_rendering_them():
    text = big_post()
    renderer = IncrementalRenderer()
    renderer.render(text)
    at = text.index(" the ", len(text) // 3) + 1
    result = check(renderer, text[:at] + "new words\n" + text[at:])
    assert result.rendered == 1
    assert len(result.changed) == 1
    assert result.shifted and all(delta == 1 for _, delta in result.shifted)
    for block in result.blocks:
        m = re.search(r'data-source-line="(\d+)"', block.html)
        if m and not block.html.startswith("<!--"):
            assert int(m.group(1)) >= block.line


def test_splitting_a_paragraph_inserts_a_block_and_joining_removes_it():
    text = "one\n\ntwo words\n\nthree\n"
    renderer = IncrementalRenderer()
    ids = [b.id for b in renderer.render(text).blocks]
    split = check(renderer, "one\n\ntwo\n\nwords\n\nthree\n")
    assert len(split.changed) == 1 and len(split.inserted) == 1 and not split.removed
    assert split.inserted[0][1] == split.changed[0]
    joined = check(renderer, text)
    assert len(joined.removed) == 1 and [b.id for b in joined.blocks][0] == ids[0]


def test_reference_definitions_reach_every_chunk_and_changes_rerender_users_only():
    paragraphs = [f"Paragraph {i} with plain words." for i in range(20)]
    paragraphs[5] = "This one links to [the site][site]."
    text = "\n\n".join(paragraphs) + "\n\n[site]: http://one.example\n"
    renderer = IncrementalRenderer()
    assert 'href="http://one.example"' in check(renderer, text).html
    result = check(renderer, text.replace("one.example", "two.example"))
    assert 'href="http://two.example"' in result.html
    assert result.rendered == 2  # the chunk with the definition and the one using it


def test_heading_ids_stay_unique_across_chunks():
    text = "# Notes\n\ntext\n\n# Notes\n\ntext\n\n# Notes\n"
    renderer = IncrementalRenderer()
    assert re.findall(r'id="([^"]+)"', check(renderer, text).html) == [
        "notes",
        "notes_1",
        "notes_2",
    ]
    # Removing the first renames the others, though their chunks are not rendered again.
    result = check(renderer, text.replace("# Notes\n\ntext\n\n", "", 1))
    assert re.findall(r'id="([^"]+)"', result.html) == ["notes", "notes_1"]


def test_footnotes_are_a_block_of_their_own_at_the_end():
    text = "\n\n".join(f"Paragraph {i} with a note[^n{i}]." for i in range(10))
    text += "\n\n" + "\n\n".join(f"[^n{i}]: Note {i}." for i in range(10))
    renderer = IncrementalRenderer()
    result = check(renderer, text)
    assert not result.full and result.blocks[-1].html.startswith('<div class="footnote">')
    # A new note in the middle renumbers the notes after it: those chunks render again.
    edited = text.replace("Paragraph 5 with", "Paragraph 5[^new] with") + "\n\n[^new]: New."
    result = check(renderer, edited)
    assert '<a class="footnote-ref" href="#fn:new">11</a>' in result.html
    # Changing a note's text only changes the footnotes block (and the chunk defining it).
    result = check(renderer, edited.replace("Note 3.", "Note three."))
    assert result.changed == [result.blocks[-1].id] and result.rendered == 2


def test_a_footnote_referred_to_twice_makes_the_post_render_whole():
    renderer = IncrementalRenderer()
    result = check(renderer, "Text[^1].\n\nAgain[^1].\n\n[^1]: Note.\n\nMore.\n")
    assert result.full and len(result.blocks) == 1
    again = check(renderer, "Text[^1].\n\nAgain[^1].\n\n[^1]: Note!\n\nMore.\n")
    assert again.changed == [result.blocks[0].id]


def test_renderers_in_threads():
    texts = [generate_post(800, seed) for seed in range(4)]

    def run(text: str) -> bool:
        renderer = IncrementalRenderer()
        return all(
            renderer.render(t).html == render_html(t) for t in (text, text + "\n\nmore", text)
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(run, texts))
