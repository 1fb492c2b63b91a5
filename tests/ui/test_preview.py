"""The live preview, through the real render thread and a real QtWebEngine page.

Every test reads the page back through ``runJavaScript`` in the ApplicationWorld, which works with
the page's own JavaScript switched off.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QEvent, QIODevice, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_blog.core import db, media
from desktop_blog.core.models import Media
from desktop_blog.render.markdown import render_html
from desktop_blog.ui import schemes
from desktop_blog.ui.image_drop import attach_image_handling
from desktop_blog.ui.markdown_editor import MarkdownEditor as Editor
from desktop_blog.ui.preview import PreviewView, connect_preview
from desktop_blog.ui.render_worker import RenderWorker, default_renderer

WIDTH, HEIGHT = 900, 700


def js(view: PreviewView, qtbot, script: str, timeout: int = 10_000):
    """The value of ``script`` run in the ApplicationWorld."""
    box: list = []
    view.run_app_js(script, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=timeout)
    return box[0]


# The first block whose bottom is below the top of the view: [line, text, top].
TOP_BLOCK = (
    "(() => { const e = [...document.querySelectorAll('#db-content [data-source-line]')]"
    ".find(e => e.getBoundingClientRect().bottom > 0);"
    " return JSON.stringify([parseInt(e.dataset.sourceLine), e.textContent.slice(0, 60),"
    " e.getBoundingClientRect().top]); })()"
)
# The preview's blocks equal a full render of the same text, node for node.
SAME_AS = """(() => {
  const t = document.createElement('template');
  t.innerHTML = %s;
  const nodes = (parent) => [...parent.childNodes].filter(
    (n) => !(n.nodeType === 3 && !n.textContent.trim()));
  const a = nodes(document.getElementById('db-content'));
  const b = nodes(t.content);
  if (a.length !== b.length) return 'count ' + a.length + ' != ' + b.length;
  for (let i = 0; i < a.length; i++)
    if (!a[i].isEqualNode(b[i])) return 'node ' + i + ': ' + a[i].outerHTML.slice(0, 200)
      + ' != ' + b[i].outerHTML.slice(0, 200);
  return 'same';
})()"""


def top_block(view, qtbot) -> list:
    return json.loads(js(view, qtbot, TOP_BLOCK))


def same_as_full_render(view, qtbot, text: str) -> str:
    return js(view, qtbot, SAME_AS % json.dumps(render_html(text)))


def long_post(sections: int = 30) -> str:
    parts = []
    for i in range(sections):
        parts.append(f"## Section {i}")
        parts.append(
            f"Paragraph {i} starts here. " + "Some words to fill a few lines of text. " * 12
        )
        parts.append(f"- item {i}.1\n- item {i}.2\n- item {i}.3")
    return "\n\n".join(parts) + "\n"


@pytest.fixture
def lib(tmp_path: Path):
    library = db.open_library(tmp_path)
    yield library
    library.close()


@pytest.fixture
def preview(qtbot, lib):
    view = PreviewView(library=lib, open_links_externally=False)
    qtbot.addWidget(view)
    view.resize(WIDTH, HEIGHT)
    view.show()
    qtbot.waitUntil(view.is_ready, timeout=20_000)
    yield view
    # Delete the page now, not at exit, after its profile ("Release of profile requested but
    # WebEnginePage still not deleted").
    view.close()
    view.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def worker():
    w = RenderWorker(default_renderer())
    yield w
    w.close()


@pytest.fixture
def wired(qtbot, preview, worker):
    """An editor wired to the worker and the preview, as the main window does it."""
    editor = Editor()
    qtbot.addWidget(editor)
    editor.resize(500, HEIGHT)
    connection = connect_preview(editor, worker, preview)
    return editor, preview, connection


def show_text(qtbot, editor, preview, text: str) -> int:
    """Put ``text`` in the editor and wait until the preview painted the render of it."""
    with qtbot.waitSignal(preview.painted, timeout=20_000) as blocker:
        editor.setPlainText(text)
    return blocker.args[0]


def test_typing_renders_into_the_preview_through_the_worker_thread(qtbot, wired):
    editor, preview, _ = wired
    show_text(qtbot, editor, preview, "# Hello\n\nFirst *paragraph*.\n")
    assert "First paragraph." in js(preview, qtbot, "document.body.innerText")
    heading = js(preview, qtbot, "document.querySelector('#db-content h1').outerHTML")
    assert 'data-source-line="1"' in heading

    # Typing a character at the end of the paragraph shows it.
    cursor = editor.textCursor()
    cursor.setPosition(len("# Hello\n\nFirst *paragraph*"))
    editor.setTextCursor(cursor)
    editor.setFocus()
    with qtbot.waitSignal(preview.painted, timeout=10_000):
        QTest.keyClicks(editor, "!")
    assert "First paragraph!." in js(preview, qtbot, "document.body.innerText")


def test_worker_renders_off_the_gui_thread_and_coalesces(qtbot):
    class Slow:
        def __init__(self) -> None:
            self.calls: list[str] = []
            self.threads: set[int] = set()

        def render(self, text: str) -> str:
            self.calls.append(text)
            self.threads.add(threading.get_ident())
            time.sleep(0.05)
            return f"<p>{text}</p>"

    renderer = Slow()
    worker = RenderWorker(renderer)
    got = []
    worker.rendered.connect(lambda result, gen: got.append((result, gen)))
    try:
        generations = [worker.submit(f"text {i}") for i in range(20)]
        qtbot.waitUntil(lambda: bool(got) and got[-1][1] == generations[-1], timeout=5000)
        qtbot.wait(100)
    finally:
        worker.close()
    # The newest text is rendered last; the ones typed meanwhile are skipped, not queued.
    assert got[-1] == ("<p>text 19</p>", 20)
    assert len(renderer.calls) <= 3
    assert threading.get_ident() not in renderer.threads
    assert [g for _, g in got] == sorted(g for _, g in got)


def test_warm_up_renders_a_sample_and_reports_nothing(qtbot):
    class Recording:
        def __init__(self) -> None:
            self.calls: list[str] = []
            self.resets = 0

        def render(self, text: str) -> str:
            self.calls.append(text)
            return text

        def reset(self) -> None:
            self.resets += 1

    renderer = Recording()
    worker = RenderWorker(renderer)
    got = []
    worker.rendered.connect(lambda result, gen: got.append(gen))
    try:
        worker.warm_up()
        qtbot.waitUntil(lambda: worker.is_idle() and renderer.resets == 1)
        assert "```python" in renderer.calls[0]
        worker.warm_up()  # once is enough
        generation = worker.submit("the post")
        qtbot.waitUntil(lambda: got == [generation])
    finally:
        worker.close()
    assert renderer.calls[1:] == ["the post"]


def test_a_changed_paragraph_is_swapped_without_reloading_the_page(qtbot, wired):
    editor, preview, _ = wired
    text = long_post(5)
    show_text(qtbot, editor, preview, text)
    loads = []
    preview.page().loadFinished.connect(loads.append)
    # A variable of the ApplicationWorld, and marks on blocks that will not change.
    js(
        preview,
        qtbot,
        "window.__marker = 42;document.querySelectorAll('#db-content h2')[4].__kept = 'yes'; 1",
    )
    assert js(preview, qtbot, "document.querySelectorAll('#db-content h2')[4].dataset.sourceLine")
    text = text.replace("Paragraph 3 starts", "Paragraph 3 begins")
    show_text(qtbot, editor, preview, text)
    assert "Paragraph 3 begins" in js(preview, qtbot, "document.body.innerText")
    assert js(preview, qtbot, "window.__marker") == 42
    kept = "document.querySelectorAll('#db-content h2')[4]"
    assert js(preview, qtbot, f"{kept}.__kept") == "yes"
    line_before = int(js(preview, qtbot, f"{kept}.dataset.sourceLine"))
    # Lines added above: the blocks below keep their nodes, only their line numbers move.
    text = "A new first line\nand a second one.\n\n" + text
    show_text(qtbot, editor, preview, text)
    assert js(preview, qtbot, f"{kept}.__kept") == "yes"
    assert int(js(preview, qtbot, f"{kept}.dataset.sourceLine")) == line_before + 3
    # Blocks split and merged.
    text = text.replace("Paragraph 2 starts here.", "Paragraph 2 starts\n\n## here.")
    show_text(qtbot, editor, preview, text)
    text = text.replace("- item 1.3\n\n## Section 2", "- item 1.3\n## Section 2")
    show_text(qtbot, editor, preview, text)
    assert same_as_full_render(preview, qtbot, text) == "same"
    assert loads == []


def test_scroll_position_holds_across_an_update(qtbot, wired):
    editor, preview, _ = wired
    text = long_post(30)
    show_text(qtbot, editor, preview, text)
    assert js(preview, qtbot, "window.scrollTo(0, 2500); window.scrollY") == 2500
    # A change below the view, and one above it that keeps the block's height.
    text = text.replace("Paragraph 28 starts", "Paragraph 28 begins")
    show_text(qtbot, editor, preview, text)
    text = text.replace("Paragraph 1 starts", "Paragraph 1 Starts")
    show_text(qtbot, editor, preview, text)
    assert js(preview, qtbot, "window.scrollY") == 2500
    # Blocks above the view grow, or come new: the text at the top stays where it was.
    line, words, top = top_block(preview, qtbot)
    text = text.replace("Paragraph 1 Starts here.", "Paragraph 1 starts here. " * 30)
    show_text(qtbot, editor, preview, text)
    line_after, words_after, top_after = top_block(preview, qtbot)
    assert (line_after, words_after) == (line, words) and abs(top_after - top) <= 1
    show_text(qtbot, editor, preview, "New first paragraph.\n\n" + text)
    line_after, words_after, top_after = top_block(preview, qtbot)
    assert (line_after, words_after) == (line + 2, words) and abs(top_after - top) <= 1
    assert js(preview, qtbot, "window.scrollY") > 2500


def test_scroll_to_source_line_moves_the_preview(qtbot, wired):
    editor, preview, _ = wired
    text = long_post(30)
    show_text(qtbot, editor, preview, text)
    lines = text.splitlines()
    target = lines.index("## Section 20") + 1
    preview.scroll_to_source_line(target, len(lines))
    qtbot.waitUntil(lambda: js(preview, qtbot, "window.scrollY") > 0)
    top = js(
        preview,
        qtbot,
        f"document.querySelector('[data-source-line=\"{target}\"]').getBoundingClientRect().top",
    )
    assert abs(top) <= 2
    # Half-way between two blocks lands half-way between them.
    preview.scroll_to_source_line(target + 1, len(lines))
    qtbot.waitUntil(lambda: abs(js(preview, qtbot, "window.scrollY") - 0) > 0)
    top_after = js(
        preview,
        qtbot,
        f"document.querySelector('[data-source-line=\"{target}\"]').getBoundingClientRect().top",
    )
    assert top_after < 0
    # The editor drives it through connect_preview.
    editor.scroll_to_line(target)
    qtbot.waitUntil(lambda: top_block(preview, qtbot)[0] == target)
    editor.scroll_to_line(1)
    qtbot.waitUntil(lambda: js(preview, qtbot, "window.scrollY") == 0)


def wheel(view: PreviewView, steps: int) -> None:
    proxy = view.focusProxy()
    pos = QPointF(WIDTH / 2, HEIGHT / 2)
    for _ in range(steps):
        event = QWheelEvent(
            pos,
            proxy.mapToGlobal(pos),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(proxy, event)


def test_scrolling_the_preview_reports_the_source_line_at_the_top(qtbot, wired):
    editor, preview, _ = wired
    text = long_post(30)
    show_text(qtbot, editor, preview, text)
    reported = []
    preview.sourceLineVisible.connect(reported.append)

    def scroll_down() -> bool:
        # Right after a page update Chromium may drop the first wheel events: go on until
        # the page has moved.
        wheel(preview, 3)
        return js(preview, qtbot, "window.scrollY") > 500

    qtbot.waitUntil(scroll_down, timeout=10_000)
    qtbot.waitUntil(lambda: bool(reported))
    qtbot.wait(300)  # the last report, after the scrolling stopped
    line = reported[-1]
    # The reported line lies between the start of the block that begins at or above the top
    # of the view and the start of the next one.
    starts, tops = json.loads(
        js(
            preview,
            qtbot,
            "(() => { const els = [...document.querySelectorAll('#db-content [data-source-line]')];"
            " return JSON.stringify([els.map(e => parseInt(e.dataset.sourceLine)),"
            " els.map(e => e.getBoundingClientRect().top)]); })()",
        )
    )
    k = max(i for i, top in enumerate(tops) if top <= 1)
    assert starts[k] <= line < starts[k + 1], (starts[k], line, starts[k + 1])
    # The editor followed: the line is at its top.
    qtbot.waitUntil(lambda: editor.first_visible_line() == line)
    # Moves the preview makes itself (following the editor, or swapping blocks) are not
    # reported as the user's scrolling.
    preview._user_input_at = 0
    with qtbot.assertNotEmitted(preview.sourceLineVisible, wait=400):
        preview.scroll_to_source_line(1)
        show_text(qtbot, editor, preview, "New first paragraph.\n\n" + text)


def test_clicking_in_the_preview_reports_the_source_line(qtbot, wired):
    editor, preview, _ = wired
    text = long_post(3)
    show_text(qtbot, editor, preview, text)
    lines = text.splitlines()
    target = lines.index("## Section 2") + 1
    rect = js(
        preview,
        qtbot,
        f"(() => {{ const e = document.querySelector('[data-source-line=\"{target}\"]');"
        " e.scrollIntoView(); const r = e.getBoundingClientRect();"
        " return JSON.stringify([r.left + 20, r.top + r.height / 2]); })()",
    )
    rect = json.loads(rect)
    zoom = preview.zoomFactor()
    point = QPoint(round(rect[0] * zoom), round(rect[1] * zoom))
    with qtbot.waitSignal(preview.sourceLineClicked, timeout=5000) as blocker:
        QTest.mouseClick(preview.focusProxy(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [target]
    # The editor's cursor went to that line.
    qtbot.waitUntil(lambda: editor.textCursor().blockNumber() == target - 1)


def test_a_posts_scripts_do_not_run_unless_embeds_are_on(qtbot, wired):
    editor, preview, _ = wired
    title = js(preview, qtbot, "document.title")
    post = (
        "Text before.\n\n"
        '<meta http-equiv="refresh" content="0; url=https://example.com/">\n\n'
        "<script>document.title = 'pwned'</script>\n\n"
        '<img src="x" onerror="document.title = \'pwned by onerror\'">\n\n'
        "Text after.\n"
    )
    url = preview.url()
    show_text(qtbot, editor, preview, post)
    qtbot.wait(300)
    assert js(preview, qtbot, "document.title") == title
    assert preview.url() == url  # the meta refresh did not take the preview away
    assert "Text after." in js(preview, qtbot, "document.body.innerText")
    # The page's world cannot see the preview's code or its channel.
    preview.set_embeds_enabled(True)
    qtbot.waitUntil(lambda: js(preview, qtbot, "document.title") != title, timeout=10_000)
    assert js(preview, qtbot, "document.title").startswith("pwned")
    assert "Text after." in js(preview, qtbot, "document.body.innerText")
    box: list = []
    preview.page().runJavaScript(
        "JSON.stringify([typeof window.__db, typeof qt, typeof QWebChannel])", 0, box.append
    )
    qtbot.waitUntil(lambda: bool(box))
    assert box[0] == '["undefined","undefined","undefined"]'
    # Off again: the page is reloaded without scripts.
    preview.set_embeds_enabled(False)
    qtbot.waitUntil(preview.is_ready)
    qtbot.waitUntil(lambda: "Text after." in js(preview, qtbot, "document.body.innerText"))
    qtbot.wait(300)
    assert js(preview, qtbot, "document.title") == title


def test_links_open_outside_and_the_preview_stays(qtbot, wired):
    editor, preview, _ = wired
    show_text(qtbot, editor, preview, "[a link](https://example.com/page)\n")
    url_before = preview.url()
    rect = js(
        preview,
        qtbot,
        "(() => { const r = document.querySelector('a').getBoundingClientRect();"
        " return JSON.stringify([r.left + 5, r.top + r.height / 2]); })()",
    )
    rect = json.loads(rect)
    with qtbot.waitSignal(preview.linkActivated, timeout=5000) as blocker:
        QTest.mouseClick(
            preview.focusProxy(), Qt.MouseButton.LeftButton, pos=QPoint(*map(round, rect))
        )
    assert blocker.args[0] == QUrl("https://example.com/page")
    qtbot.wait(200)
    assert preview.url() == url_before
    assert "a link" in js(preview, qtbot, "document.body.innerText")
    # A reload after a refused navigation still gets the preview's code (see _on_load_finished).
    preview.set_embeds_enabled(True)
    qtbot.waitUntil(lambda: "a link" in js(preview, qtbot, "document.body.innerText"))
    with qtbot.waitSignal(preview.painted, timeout=10_000):
        show_text(qtbot, editor, preview, "[another link](https://example.com/other)\n")
    assert "another link" in js(preview, qtbot, "document.body.innerText")


def background(preview, qtbot) -> QColor:
    return js(preview, qtbot, "getComputedStyle(document.documentElement).backgroundColor")


def test_themes_and_custom_css_switch_without_reloading(qtbot, preview, tmp_path):
    preview.set_html('<p id="p" data-source-line="1">Some text</p><pre class="codehilite">x</pre>')
    qtbot.waitUntil(lambda: "Some text" in js(preview, qtbot, "document.body.innerText"))
    loads = []
    preview.page().loadFinished.connect(loads.append)
    colours = {}
    for name in ("light", "dark", "sepia"):
        with qtbot.waitSignal(preview.themeChanged):
            preview.set_theme(name)
        colours[name] = background(preview, qtbot)
    assert len(set(colours.values())) == 3, colours
    assert colours["light"] == "rgb(255, 255, 255)"
    # Pygments' colours for code are in the theme.
    assert ".codehilite" in js(preview, qtbot, "document.getElementById('db-code').textContent")
    with pytest.raises(ValueError):
        preview.set_theme("neon")

    css = tmp_path / "blog.css"
    css.write_text("#db-content p { color: rgb(1, 2, 3); }")
    preview.set_custom_css(css)
    colour = "getComputedStyle(document.getElementById('p')).color"
    qtbot.waitUntil(lambda: js(preview, qtbot, colour) == "rgb(1, 2, 3)")
    # Saving the stylesheet updates the preview.
    css.write_text("#db-content p { color: rgb(4, 5, 6); }")
    qtbot.waitUntil(lambda: js(preview, qtbot, colour) == "rgb(4, 5, 6)", timeout=5000)
    preview.set_custom_css(None)
    qtbot.waitUntil(lambda: js(preview, qtbot, colour) != "rgb(4, 5, 6)")
    with pytest.raises(OSError):
        preview.set_custom_css(tmp_path / "missing.css")
    assert loads == []


def png_bytes(width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def test_a_pasted_image_is_stored_and_shown_without_a_file_path(qtbot, wired, lib):
    editor, preview, _ = wired
    inserter = attach_image_handling(editor, lib, show_errors=False)
    show_text(qtbot, editor, preview, "Before the image.\n\n")
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    data = png_bytes(64, 48)
    with qtbot.waitSignal(inserter.inserted) as blocker:
        editor.imageDataPasted.emit(data, "image/png")
    (stored,) = blocker.args[0]
    with lib.session() as s:
        row = s.query(Media).one()
        assert (row.uuid, row.data, row.mime_type, row.width, row.height) == (
            stored.uuid,
            data,
            "image/png",
            64,
            48,
        )
    text = editor.toPlainText()
    assert f"(dbmedia:{stored.uuid})" in text and text.startswith("Before the image.")
    assert "/" not in text.split("dbmedia:")[0]  # no file path anywhere
    natural = f"(document.querySelector('img[src=\"dbmedia:{stored.uuid}\"]') || {{}}).naturalWidth"
    qtbot.waitUntil(lambda: js(preview, qtbot, natural) == 64, timeout=10_000)
    assert preview.media_handler.requests >= 1
    # Pasting the same image again reuses the row.
    with qtbot.waitSignal(inserter.inserted):
        editor.imageDataPasted.emit(data, "image/png")
    with lib.session() as s:
        assert s.query(Media).count() == 1


def test_dropped_files_good_ones_inserted_bad_ones_reported(qtbot, lib, tmp_path):
    editor = Editor()
    qtbot.addWidget(editor)
    editor.setPlainText("My text stays.")
    inserter = attach_image_handling(editor, lib, show_errors=False)
    good = tmp_path / "Big_Photo.png"
    good.write_bytes(png_bytes(1600, 10))
    not_image = tmp_path / "notes.png"
    not_image.write_text("just text")
    missing = tmp_path / "gone.jpg"
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    with qtbot.waitSignal(inserter.failed) as failed:
        editor.imageFilesDropped.emit([str(good), str(not_image), str(missing)])
    message = failed.args[0]
    assert "notes.png" in message and "gone.jpg" in message and "Big_Photo" not in message
    text = editor.toPlainText()
    assert text.startswith("My text stays.")
    with lib.session() as s:
        (row,) = s.query(Media).all()
    assert f'![Big Photo](dbmedia:{row.uuid}){{: width="800" }}' in text
    assert str(tmp_path) not in text


def test_the_scheme_handler_refuses_unknown_media(qtbot, preview):
    served = preview.media_handler.requests
    preview.set_html(
        '<img id="a" src="dbmedia:00000000-0000-0000-0000-000000000000">'
        '<img id="b" src="dbmedia:../../etc/passwd"><p>x</p>'
    )
    qtbot.waitUntil(lambda: js(preview, qtbot, "document.body.innerText").strip() == "x")
    qtbot.wait(200)
    assert js(preview, qtbot, "document.getElementById('a').naturalWidth") == 0
    assert js(preview, qtbot, "document.getElementById('b').naturalWidth") == 0
    assert preview.media_handler.requests == served


def test_register_schemes_is_idempotent():
    schemes.register_schemes()
    schemes.register_schemes()
    assert schemes.QWebEngineUrlScheme.schemeByName(b"dbmedia").name() == b"dbmedia"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_header_sizes_agree_with_qt(fmt):
    image = QImage(321, 123, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, fmt)
    info = media.image_info(bytes(buffer.data().data()))
    assert (info.width, info.height) == (321, 123)


def test_preview_modules_load_no_database_or_markdown_at_start_up():
    # Start-up imports those later, off the GUI thread's critical path.
    assert schemes.SCHEME.decode() == media.MEDIA_SCHEME
    code = (
        "import sys, desktop_blog.ui.schemes, desktop_blog.ui.preview, "
        "desktop_blog.ui.render_worker;"
        "print(sorted(m for m in ('sqlalchemy', 'markdown', 'pygments') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_hidden_preview_renders_nothing_until_shown(qtbot, wired):
    editor, preview, connection = wired
    show_text(qtbot, editor, preview, "First.\n")
    preview.hide()
    generation = connection.worker.generation
    editor.setPlainText("Second.\n")
    qtbot.wait(100)
    assert connection.worker.generation == generation
    with qtbot.waitSignal(preview.painted, timeout=10_000):
        preview.show()
    assert "Second." in js(preview, qtbot, "document.body.innerText")


# The first imports of Pygments and Markdown at start-up: the render worker's warm-up and the
# preview's code CSS (the GUI thread) both need them. Two threads importing them at once could
# fail (an import deadlock error, a half-initialised module), so the first use is serialised by
# render.codestyle.FIRST_USE. The probe records every import of those packages and whether
# another thread was inside one at the same moment.
_IMPORT_PROBE = """
import builtins, sys, threading, time
from PySide6.QtCore import QCoreApplication

app = QCoreApplication([])
from desktop_blog.ui.preview import code_css
from desktop_blog.ui.render_worker import RenderWorker

inside = {}  # thread id -> depth of Pygments / Markdown imports it is in
overlaps = []
original = builtins.__import__

def probe(name, *args, **kwargs):
    watched = name.startswith(("pygments", "markdown"))
    me = threading.get_ident()
    if watched:
        others = [t for t, depth in inside.items() if depth and t != me]
        if others:
            overlaps.append(name)
        inside[me] = inside.get(me, 0) + 1
    try:
        return original(name, *args, **kwargs)
    finally:
        if watched:
            inside[me] -= 1

assert "pygments" not in sys.modules
builtins.__import__ = probe
worker = RenderWorker()
worker.warm_up(also=lambda: code_css("light"))
time.sleep(0.01)
code_css("dark")  # the GUI thread, while the worker warms up
code_css("sepia")
deadline = time.monotonic() + 60
while not (worker._warm and worker.is_idle()) and time.monotonic() < deadline:
    time.sleep(0.01)
builtins.__import__ = original
worker.close()
print("overlaps", len(overlaps), sorted(set(overlaps))[:5])
"""


def test_pygments_is_first_imported_by_one_thread_at_a_time():
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "overlaps 0 " in out.stdout, out.stdout
