"""The live preview: a QWebEngineView that swaps only the changed blocks of a post.

How it works
------------
- A shell page (``resources/preview/shell.html``: base, theme, code and custom CSS, and an empty
  ``#db-content``) is loaded once. Each rendered version is applied by
  ``runJavaScript(..., ApplicationWorld)``: blocks that are new or changed are parsed and put in
  place, removed ones go, unchanged ones are not touched. The page never reloads, so it does not
  flash and its scroll position holds (CSS scroll anchoring keeps the visible text still when
  blocks above it change).
- The page's JavaScript is off by default, so a post's ``<script>`` and inline handlers such as
  ``<img onerror=...>`` never run. The preview's own code (``resources/preview/preview.js``) is
  injected into the ApplicationWorld, an isolated world that runs even with page JavaScript off
  and whose globals the page cannot see. It reports back through a ``QWebChannel`` set on the
  ApplicationWorld only; nothing is exposed to the page's world.
- ``set_embeds_enabled(True)`` turns page JavaScript on for embeds (a tweet, a video player):
  the shell is reloaded (the setting applies to documents loaded after it changes) with the
  whole post, and from then on the scripts of every swapped block are re-created so that they
  run, as they would on the blog. Inline handlers run too. Off again reloads without scripts.
- Navigation never leaves the shell: a clicked http(s)/mailto link emits ``linkActivated`` and
  opens in the system browser (``open_links_externally``); everything else is refused, and the
  page cannot open windows.
- Images ``dbmedia:<uuid>`` come from the library through ``schemes.MediaSchemeHandler``.
- At start-up the shell can come with a post in it (``initial_blocks``: the last open post from
  ``ui/startup_cache.py``), its first screens only; preview.js adopts those blocks as if an
  update had put them there and reports their frame as generation 0, and the rest of the post
  is swapped in after that frame. No render and no Pygments import stand before it.
- A theme or stylesheet set while the shell is loading is put in place when it has loaded: a
  second load would abort the first (and ``PreviewPage`` counts the loads it lets through).

Signals
-------
``update_done(generation)``: the blocks of that render are in the DOM (runJavaScript returned).
``painted(generation)``: the frame showing them has been produced: after the swap, the
ApplicationWorld waits for two ``requestAnimationFrame`` callbacks (the first runs before the
frame with the change is painted, the second once it has been) and reports through the channel.
It needs a visible view: a hidden view paints nothing and emits nothing.
``sourceLineVisible(line)``: the user scrolled the preview; ``line`` (1-based) is at the top.
``sourceLineClicked(line)``: the user clicked (not selected) text from that source line.
``linkActivated(QUrl)``: an outside link was clicked.

Wiring (main window)
--------------------
``connect_preview(editor, worker, preview)`` below does it: text changes go to
``RenderWorker.submit``, ``RenderWorker.rendered`` to ``apply_render``, and the scroll and click
signals to the editor, with the guard that keeps the two scroll syncs from chasing each other.
"""

from __future__ import annotations

import json
import logging
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from PySide6.QtCore import (
    QEvent,
    QFile,
    QFileSystemWatcher,
    QIODevice,
    QObject,
    QPointF,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QMenu, QWidget

from .schemes import install_media_handler

if TYPE_CHECKING:
    from desktop_blog.core.db import Library

log = logging.getLogger(__name__)

APP_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld
# The shell's URL: relative links in a post resolve to dbmedia: URLs the handler refuses, and
# navigation away is refused anyway.
SHELL_URL = QUrl("dbmedia:/preview/")
THEMES = ("light", "dark", "sepia")
# Pygments style for code blocks in each theme.
# Pygment styles for code blocks in each theme (None: the renderer's light or dark style).
CODE_STYLES: dict[str, str | None] = {"light": None, "dark": None, "sepia": "solarized-light"}
COLOR_SCHEMES = {"light": "light", "dark": "dark", "sepia": "light"}
EXTERNAL_SCHEMES = {"http", "https", "mailto"}
# Scrolls within this many seconds of the user's own input on the view count as the user's.
USER_INPUT_WINDOW = 0.6
SCROLL_REPORT_MS = 30
Blocks = list[tuple[str, str, int | None]]


# --- resources --------------------------------------------------------------------------------


@cache
def _resource(name: str) -> str:
    return (resources.files("desktop_blog.resources") / "preview" / name).read_text("utf-8")


@cache
def _qwebchannel_js() -> str:
    f = QFile(":/qtwebchannel/qwebchannel.js")
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("qwebchannel.js is missing from the Qt resources")
    try:
        return bytes(f.readAll().data()).decode("utf-8")
    finally:
        f.close()


_CODE_CSS: dict[str, str] = {}


def code_css(theme: str) -> str:
    """Pygments CSS for code blocks in ``theme`` (the renderer's class names).

    The first call imports Pygments (and waits for a warm-up importing it on another thread:
    ``render.codestyle.FIRST_USE``), so the window asks the render worker to make it during its
    warm-up, and start-up takes it from the start-up cache (``remember_code_css``).
    """
    css = _CODE_CSS.get(theme)
    if css is None:
        from desktop_blog.render.codestyle import DARK_STYLE, LIGHT_STYLE, pygments_css

        style = CODE_STYLES.get(theme) or (DARK_STYLE if theme == "dark" else LIGHT_STYLE)
        css = _CODE_CSS[theme] = pygments_css(style)
    return css


def remember_code_css(theme: str, css: str) -> None:
    """Use ``css`` as ``theme``'s code CSS until it is made (it came from the start-up cache)."""
    if theme in THEMES and css:
        _CODE_CSS.setdefault(theme, css)


def _style_text(css: str) -> str:
    # Inside <style>, only "</style" ends the element; "<\/" is the same text to CSS.
    return css.replace("</", "<\\/")


def shell_html(
    theme: str = "light",
    custom_css: str = "",
    *,
    with_code_css: bool = True,
    blocks: Blocks | None = None,
    generation: int = 0,
) -> str:
    """The shell page with ``theme`` and ``custom_css`` in place, and ``blocks`` (a post shown
    at start-up from its cache) already in the content: each block's nodes come after a
    ``<!--db-block:ID-->`` comment, which preview.js takes away, keeping the block's nodes."""
    content = ""
    if blocks:
        content = "".join(f"<!--db-block:{quote(i, safe='')}-->{html}" for i, html, _ in blocks)
    return string.Template(_resource("shell.html")).substitute(
        theme=theme,
        color_scheme=COLOR_SCHEMES.get(theme, "light"),
        base_css=_style_text(_resource("base.css")),
        theme_css=_style_text(_resource(f"{theme}.css")),
        code_css=_style_text(code_css(theme)) if with_code_css else "",
        custom_css=_style_text(custom_css),
        generation=int(generation),
        content=content,
    )


# --- render results ---------------------------------------------------------------------------

# What the shell brings of a post at start-up: blocks up to this much HTML (a tall screen of
# text twice over), the rest comes after the first frame.
FIRST_SCREENS_HTML = 12_000


def _first_screens(blocks: Blocks) -> Blocks:
    size = 0
    for n, (_id, html, _line) in enumerate(blocks):
        size += len(html)
        if size > FIRST_SCREENS_HTML:
            return list(blocks[: max(1, n)])
    return list(blocks)


def blocks_of(result: Any) -> Blocks:
    """``[(block id, html, first source line or None)]`` of a render result (``.blocks`` of
    ``render.incremental.Block``), or of a whole HTML string (``str`` or ``.html``), which is
    then one block."""
    if isinstance(result, str):
        return [("all", result, None)]
    blocks = getattr(result, "blocks", None)
    if blocks is None:
        return [("all", str(getattr(result, "html", "")), None)]
    out = [(str(b.id), b.html, getattr(b, "line", None)) for b in blocks]
    if len({b[0] for b in out}) != len(out):  # ids must be unique in the page; make them so
        seen: dict[str, int] = {}
        unique = []
        for block_id, html, line in out:
            n = seen.get(block_id, 0)
            seen[block_id] = n + 1
            unique.append((f"{block_id}~{n}" if n else block_id, html, line))
        out = unique
    return out


def content_changes(result: Any) -> set[str] | None:
    """Ids of the blocks whose content (not only line numbers) changed since the renderer's
    previous result, or None when the result does not say."""
    changed = getattr(result, "changed", None)
    inserted = getattr(result, "inserted", None)
    if changed is None or inserted is None or getattr(result, "full", False):
        return None
    return {str(i) for i in changed} | {str(i) for i, *_ in inserted}


# --- page ------------------------------------------------------------------------------------


class _Bridge(QObject):
    """What the ApplicationWorld may call. Only ints come in."""

    ready_ = Signal()
    painted_ = Signal(int)
    clicked_ = Signal(int)

    @Slot(int)
    def ready(self, _value: int) -> None:
        self.ready_.emit()

    @Slot(int)
    def painted(self, generation: int) -> None:
        self.painted_.emit(int(generation))

    @Slot(int)
    def clicked(self, line: int) -> None:
        self.clicked_.emit(int(line))


class PreviewPage(QWebEnginePage):
    """Keeps the preview on its shell: links are handed out, other navigation refused."""

    linkActivated = Signal(QUrl)

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        # Main-frame loads of our own still to come: each load_shell allows one. (A flag was not
        # enough: a second load_shell before the first navigation was seen got refused, and the
        # preview then never loaded.)
        self._allowed_loads = 0

    def load_shell(self, html: str) -> None:
        self._allowed_loads += 1
        self.setHtml(html, SHELL_URL)

    def acceptNavigationRequest(  # noqa: N802 - Qt's name
        self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url)
        if not is_main_frame:
            # Frames of embeds (a video player) load; a link clicked inside one opens outside.
            if nav_type == QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
                self._hand_out(url)
                return False
            return True
        link = QWebEnginePage.NavigationType.NavigationTypeLinkClicked
        if self._allowed_loads > 0 and nav_type != link:
            self._allowed_loads -= 1
            return True
        if nav_type == QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            here = QUrl(self.url())
            if url.hasFragment() and url.adjusted(QUrl.UrlFormattingOption.RemoveFragment) == (
                here.adjusted(QUrl.UrlFormattingOption.RemoveFragment)
            ):
                return True  # a link to a heading of the post (table of contents, footnotes)
            self._hand_out(url)
        return False

    def _hand_out(self, url: QUrl) -> None:
        if url.scheme().lower() in EXTERNAL_SCHEMES:
            self.linkActivated.emit(url)

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> None:  # noqa: N802
        return None

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802
        log.debug("preview js %s:%s: %s", source, line, message)


@dataclass
class _Pending:
    blocks: Blocks
    generation: int


class PreviewView(QWebEngineView):
    """The post as readers will see it, updated block by block."""

    update_done = Signal(int)
    painted = Signal(int)
    sourceLineVisible = Signal(int)  # noqa: N815 - Qt naming
    sourceLineClicked = Signal(int)  # noqa: N815
    linkActivated = Signal(QUrl)  # noqa: N815
    ready = Signal()
    themeChanged = Signal(str)  # noqa: N815

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        library: Library | None = None,
        profile: QWebEngineProfile | None = None,
        theme: str = "light",
        open_links_externally: bool = True,
        initial_blocks: Blocks | None = None,
    ) -> None:
        """``initial_blocks``: a post to show at once, loaded with the shell (start-up shows the
        last open post from its cache this way); it counts as generation 0, and ``painted(0)``
        says it is on screen."""
        super().__init__(parent)
        profile = profile or QWebEngineProfile.defaultProfile()
        self._media = install_media_handler(profile, library)
        self.open_links_externally = open_links_externally
        self._theme = theme if theme in THEMES else "light"
        self._custom_css_path: Path | None = None
        self._custom_css = ""
        self._embeds = False
        self._loaded = False
        # What the page shows: block id -> (html, first line), ids in order.
        self._shown: dict[str, tuple[str, int | None]] = {}
        self._order: list[str] = []
        self._pending: _Pending | None = None
        # Ids whose content changed in the renders received since the page was last updated;
        # any other block whose HTML differs only had its line numbers moved, and the page
        # shifts those in place instead of parsing the block again. None: not known.
        self._dirty: set[str] | None = None
        self._generation = -1  # newest applied
        self._min_generation = 0
        self._restore_scroll_y: float | None = None
        self._user_input_at = 0.0
        self._last_visible_line = 0
        self._filtered: set[int] = set()
        self.line_count = 0  # lines of the source, for scroll interpolation past the last block

        page = PreviewPage(profile, self)
        self.setPage(page)
        page.linkActivated.connect(self._on_link)
        settings = page.settings()
        for attr, on in (
            (QWebEngineSettings.WebAttribute.JavascriptEnabled, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard, False),
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False),
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False),
            (QWebEngineSettings.WebAttribute.LocalStorageEnabled, False),
            (QWebEngineSettings.WebAttribute.PluginsEnabled, False),
            (QWebEngineSettings.WebAttribute.PdfViewerEnabled, False),
            (QWebEngineSettings.WebAttribute.ErrorPageEnabled, False),
            (QWebEngineSettings.WebAttribute.FocusOnNavigationEnabled, False),
            (QWebEngineSettings.WebAttribute.ScrollAnimatorEnabled, False),
            (QWebEngineSettings.WebAttribute.AutoLoadImages, True),
        ):
            settings.setAttribute(attr, on)

        self._bridge = _Bridge(self)
        self._bridge.painted_.connect(self._on_painted)
        self._bridge.clicked_.connect(self._on_clicked)
        self._channel = QWebChannel(self)
        self._channel.registerObject("previewBridge", self._bridge)
        page.setWebChannel(self._channel, APP_WORLD)
        self._app_script = _qwebchannel_js() + "\n" + _resource("preview.js")
        script = QWebEngineScript()
        script.setName("desktop-blog-preview")
        script.setWorldId(APP_WORLD)
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentReady)
        script.setRunsOnSubFrames(False)
        script.setSourceCode(self._app_script)
        page.scripts().insert(script)

        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._custom_css_changed)
        self._scroll_timer = QTimer(self, singleShot=True, interval=SCROLL_REPORT_MS)
        self._scroll_timer.timeout.connect(self._report_scroll)
        page.scrollPositionChanged.connect(self._on_scroll)
        page.loadFinished.connect(self._on_load_finished)
        page.renderProcessTerminated.connect(self._on_render_process_terminated)
        self.setAcceptDrops(False)  # a dropped file would otherwise be opened as a page
        # Loading starts now, so QtWebEngine's processes start while the window is still built.
        # The code blocks' CSS comes with the first content (see _flush), unless it is known
        # already (from the start-up cache): making it imports Pygments.
        with_code_css = self._theme in _CODE_CSS
        self._code_css_in_page: str | None = self._theme if with_code_css else None
        # The shell brings the first screens of ``initial_blocks``; the rest follow once they
        # are painted (parsing and laying out the whole post first would only delay the frame).
        self._rest: _Pending | None = None
        if initial_blocks:
            head = _first_screens(initial_blocks)
            if len(head) < len(initial_blocks):
                self._rest = _Pending(list(initial_blocks), 0)
            initial_blocks = head
            self._shown = {i: (html, line) for i, html, line in head}
            self._order = [b[0] for b in head]
            self._generation = 0
        self._load_shell(
            shell_html(
                self._theme,
                self._custom_css,
                with_code_css=with_code_css,
                blocks=initial_blocks,
                generation=0,
            )
        )

    def _load_shell(self, html: str) -> None:
        self._shell_theme = self._theme
        self._shell_custom_css = self._custom_css
        self.page().load_shell(html)

    # --- state ------------------------------------------------------------------------------

    def is_ready(self) -> bool:
        """The shell is loaded and updates are applied as they come."""
        return self._loaded

    @property
    def generation(self) -> int:
        """The generation of the newest applied render (-1 before the first)."""
        return self._generation

    def shown_blocks(self) -> Blocks:
        """``[(block id, html, first line)]`` of what the page shows (or is about to)."""
        if self._rest is not None:
            return list(self._rest.blocks)
        return [(i, *self._shown[i]) for i in self._order]

    @Slot(int)
    def _on_painted(self, generation: int) -> None:
        rest = self._rest
        if rest is not None and generation == 0:
            # The first screens from the shell are on screen: now the rest of the post, unless
            # a newer rendering came meanwhile.
            self._rest = None
            if self._generation == 0 and self._pending is None:
                self._pending = rest
                if self._loaded:
                    self._flush()
        self.painted.emit(generation)

    @property
    def media_handler(self):
        return self._media

    def set_library(self, library: Library | None) -> None:
        self._media.set_library(library)

    def run_app_js(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        """Run ``script`` in the ApplicationWorld (works with page JavaScript off).

        Measured (PySide6 6.11.3): the callback gets numbers (as float), strings and booleans;
        arrays, objects and null arrive as ``''``, so return ``JSON.stringify(...)`` for those.
        """
        if callback is None:
            self.page().runJavaScript(script, APP_WORLD)
        else:
            self.page().runJavaScript(script, APP_WORLD, callback)

    # --- content ----------------------------------------------------------------------------

    @Slot(object, int)
    def apply_render(self, result: Any, generation: int = 0) -> None:
        """Show a render result (``RenderWorker.rendered``). Older generations are ignored."""
        if generation < self._min_generation or generation < self._generation:
            self._dirty = None  # a result of the chain is skipped: compare everything next
            return
        blocks = blocks_of(result)
        last = (getattr(result, "blocks", None) or [None])[-1]
        if isinstance(getattr(last, "end_line", None), int):
            self.line_count = last.end_line
        changes = content_changes(result)
        if changes is None:
            self._dirty = None
        elif self._dirty is not None:
            self._dirty |= changes
        self._pending = _Pending(blocks, generation)
        if self._loaded:
            self._flush()

    def set_html(self, html: str, generation: int | None = None) -> None:
        """Show a whole HTML fragment (one block)."""
        gen = self._generation + 1 if generation is None else generation
        self.apply_render(html, gen)

    def clear(self, min_generation: int = 0) -> None:
        """Empty the preview and scroll to the top (another post is opened). Renders older than
        ``min_generation`` that are still on their way are then ignored."""
        self._min_generation = min_generation
        self._generation = min(self._generation, min_generation - 1)
        self._pending = None
        self._rest = None
        self._shown = {}
        self._order = []
        self._dirty = None
        self._last_visible_line = 0
        if self._loaded:
            self.run_app_js("__db.clear()")

    def expect_newer(self, min_generation: int) -> None:
        """Like ``clear`` but the page keeps showing what it shows until a render of
        ``min_generation`` or later replaces it (compared block by block)."""
        self._rest = None
        self._min_generation = min_generation
        self._pending = None
        self._dirty = None

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        shown, dirty = self._shown, self._dirty
        changed: dict[str, str] = {}
        shifts: dict[str, int] = {}
        for block_id, html, line in pending.blocks:
            old = shown.get(block_id)
            if old is None:
                changed[block_id] = html
            elif old[0] is html or old[0] == html:
                continue
            elif (
                dirty is not None
                and block_id not in dirty
                and line is not None
                and old[1] is not None
                and line != old[1]
            ):
                shifts[block_id] = line - old[1]
            else:
                changed[block_id] = html
        ids = [b[0] for b in pending.blocks]
        order = ids if ids != self._order else None
        self._shown = {block_id: (html, line) for block_id, html, line in pending.blocks}
        self._order = ids
        self._dirty = set()
        self._generation = generation = pending.generation
        script = (
            f"__db.update({generation}, {json.dumps(order)}, {json.dumps(changed)}, "
            f"{json.dumps(shifts)}, {'true' if self._embeds else 'false'})"
        )
        if self._code_css_in_page != self._theme:
            self._code_css_in_page = self._theme
            script = f"__db.setStyle('db-code', {json.dumps(code_css(self._theme))}); {script}"
        self.run_app_js(script, lambda _swapped: self._after_update(generation))

    def _after_update(self, generation: int) -> None:
        if self._restore_scroll_y is not None:
            y, self._restore_scroll_y = self._restore_scroll_y, None
            self.run_app_js(f"window.scrollTo(0, {y:.0f})")
        self.update_done.emit(generation)

    # --- shell ------------------------------------------------------------------------------

    def _reload_shell(self) -> None:
        """Load the shell again (embeds switched) and put the whole post back into it."""
        self._restore_scroll_y = self.page().scrollPosition().y()
        self._loaded = False
        if self._pending is None and self._order:
            self._pending = _Pending(
                [(i, *self._shown[i]) for i in self._order], max(self._generation, 0)
            )
        self._shown = {}
        self._order = []
        self._dirty = None
        self._code_css_in_page = self._theme
        self._load_shell(shell_html(self._theme, self._custom_css))

    @Slot(bool)
    def _on_load_finished(self, ok: bool) -> None:
        if not ok:
            # Also reported for a navigation acceptNavigationRequest refused (a link, a
            # <meta> refresh): the shell is still there then.
            if not self._loaded:
                log.warning("the preview shell did not load")
            return
        self._loaded = True
        # Measured (PySide6 6.11.3): after a refused navigation, the next document does not get
        # the injected script. Running it again is a no-op when it is there.
        self.run_app_js(self._app_script)
        # A theme or stylesheet chosen while the shell was loading is put in place now (a
        # second load would abort the first).
        if self._shell_theme != self._theme:
            self.set_theme(self._theme)
        if self._shell_custom_css != self._custom_css:
            self._apply_custom_css(self._custom_css)
        self._watch_input()
        self.ready.emit()
        self._flush()

    def _on_render_process_terminated(self, status, code: int) -> None:
        if status == QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            return  # the application is quitting
        log.warning("the preview's render process ended (%s, %s); reloading", status, code)
        self._reload_shell()

    # --- themes -----------------------------------------------------------------------------

    def theme(self) -> str:
        return self._theme

    def set_theme(self, name: str) -> None:
        """``light``, ``dark`` or ``sepia``; swapped in place, no reload."""
        if name not in THEMES:
            raise ValueError(f"unknown preview theme {name!r}; have {', '.join(THEMES)}")
        self._theme = name
        if self._loaded:
            self._shell_theme = name
            args = ", ".join(
                json.dumps(v)
                for v in (name, COLOR_SCHEMES[name], _resource(f"{name}.css"), code_css(name))
            )
            self._code_css_in_page = name
            self.run_app_js(f"__db.setTheme({args})", lambda _bg: self.themeChanged.emit(name))
        # else: _on_load_finished puts it in place

    def custom_css_path(self) -> Path | None:
        return self._custom_css_path

    def set_custom_css(self, path: str | Path | None) -> None:
        """Lay the user's stylesheet (their blog's, say) over the theme; None removes it.

        The file is watched, so saving it updates the preview. Raises OSError when it cannot be
        read (the previous stylesheet then stays).
        """
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        if path is None:
            self._custom_css_path = None
            css = ""
        else:
            path = Path(path)
            css = path.read_text("utf-8", errors="replace")
            self._custom_css_path = path
            self._watcher.addPath(str(path))
        self._apply_custom_css(css)

    def _apply_custom_css(self, css: str) -> None:
        self._custom_css = css
        if self._loaded:
            self._shell_custom_css = css
            self.run_app_js(f"__db.setStyle('db-custom', {json.dumps(css)})")
        # else: _on_load_finished puts it in place

    @Slot(str)
    def _custom_css_changed(self, path: str) -> None:
        try:
            css = Path(path).read_text("utf-8", errors="replace")
        except OSError:
            return  # an editor replacing the file: keep the last good stylesheet
        if path not in self._watcher.files() and Path(path).exists():
            self._watcher.addPath(path)
        self._apply_custom_css(css)

    # --- embeds -----------------------------------------------------------------------------

    def embeds_enabled(self) -> bool:
        return self._embeds

    def set_embeds_enabled(self, enabled: bool) -> None:
        """Let a post's scripts run (embeds). Reloads the shell with the post: the JavaScript
        setting applies to documents loaded after it changes."""
        if enabled == self._embeds:
            return
        self._embeds = enabled
        self.page().settings().setAttribute(
            QWebEngineSettings.WebAttribute.JavascriptEnabled, enabled
        )
        self._reload_shell()

    # --- links and clicks -------------------------------------------------------------------

    @Slot(QUrl)
    def _on_link(self, url: QUrl) -> None:
        self.linkActivated.emit(url)
        if self.open_links_externally:
            QDesktopServices.openUrl(url)

    @Slot(int)
    def _on_clicked(self, line: int) -> None:
        if line > 0:
            self.sourceLineClicked.emit(line)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # Not the default menu: Back, Reload or View Source would leave the shell.
        menu = QMenu(self)
        for action in (QWebEnginePage.WebAction.Copy, QWebEnginePage.WebAction.SelectAll):
            menu.addAction(self.pageAction(action))
        menu.popup(event.globalPos())

    # --- scroll sync ------------------------------------------------------------------------

    def scroll_to_source_line(self, line: int, line_count: int | None = None) -> None:
        """Scroll instantly so that source ``line`` (1-based) is at the top, interpolating
        between the blocks around it. Ignored while the user is scrolling the preview itself,
        so the two views do not chase each other."""
        if self._user_is_scrolling() or not self._loaded:
            return
        if line_count is not None:
            self.line_count = line_count
        self.run_app_js(f"__db.scrollToLine({int(line)}, {int(self.line_count)})")

    def _user_is_scrolling(self) -> bool:
        return time.monotonic() - self._user_input_at < USER_INPUT_WINDOW

    def _watch_input(self) -> None:
        proxy = self.focusProxy()
        if proxy is not None and id(proxy) not in self._filtered:
            self._filtered.add(id(proxy))
            proxy.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in (
            QEvent.Type.Wheel,
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.TouchUpdate,
        ) or (
            kind == QEvent.Type.MouseMove
            and event.buttons() != Qt.MouseButton.NoButton  # dragging the scroll bar
        ):
            self._user_input_at = time.monotonic()
        return False

    @Slot(QPointF)
    def _on_scroll(self, _pos: QPointF) -> None:
        # Only the user's scrolling is reported: not scroll_to_source_line, nor the small
        # adjustments scroll anchoring makes when blocks above change.
        if self._user_is_scrolling() and not self._scroll_timer.isActive():
            self._scroll_timer.start()

    def _report_scroll(self) -> None:
        self.run_app_js(f"__db.lineAtTop({int(self.line_count)})", self._emit_visible)

    def _emit_visible(self, line: Any) -> None:
        if isinstance(line, int | float) and int(line) != self._last_visible_line:
            self._last_visible_line = int(line)
            self.sourceLineVisible.emit(int(line))


# --- wiring -----------------------------------------------------------------------------------


class PreviewConnection(QObject):
    """Editor ↔ render worker ↔ preview, made by ``connect_preview``.

    While the preview is hidden (``preview.hide()``: the user closed it, or writes without
    it) nothing is rendered; showing it renders the current text.
    """

    def __init__(
        self, editor, worker, preview: PreviewView, *, focus_editor_on_click: bool = True
    ) -> None:
        super().__init__(preview)
        self.editor = editor
        self.worker = worker
        self.preview = preview
        self.focus_editor_on_click = focus_editor_on_click
        self._last_text: str | None = None
        self._last_generation = 0
        # The texts of the last few generations sent (0: what the shell was loaded with).
        self._texts: dict[int, str] = {}
        # While held, the editor's text is not sent (the preview shows the start-up cache's
        # post and the editor has none yet); ``reset`` releases it.
        self.held = False
        self._following_preview_until = 0.0
        editor.textChanged.connect(self.submit)
        worker.rendered.connect(preview.apply_render)
        if hasattr(editor, "visibleLineChanged"):
            editor.visibleLineChanged.connect(self._editor_scrolled)
        preview.sourceLineVisible.connect(self._preview_scrolled)
        preview.sourceLineClicked.connect(self._preview_clicked)
        preview.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.preview and event.type() == QEvent.Type.Show:
            self.submit()
        return False

    @Slot()
    def submit(self) -> int | None:
        """Send the editor's text to the worker (skipped when it did not change, or while the
        preview is hidden). Returns the generation, or None when nothing was sent."""
        if self.preview.isHidden() or self.held:
            return None
        text = self.editor.toPlainText()
        if text == self._last_text:
            return None
        self._last_text = text
        self.preview.line_count = self.editor.blockCount()
        self._last_generation = self.worker.submit(text)
        self.remember_text(self._last_generation, text)
        return self._last_generation

    def remember_text(self, generation: int, text: str) -> None:
        """Note that ``generation`` is a rendering of ``text`` (``text_of``)."""
        self._texts[generation] = text
        for old in [g for g in self._texts if g < generation - 4]:
            del self._texts[old]

    def text_of(self, generation: int) -> str | None:
        """The text ``generation`` was rendered from, if it is one of the last few."""
        return self._texts.get(generation)

    @property
    def last_text(self) -> str | None:
        """The text last sent to the worker."""
        return self._last_text

    @property
    def last_generation(self) -> int:
        """The generation of ``last_text`` (0: none sent)."""
        return self._last_generation

    def reset(self, *, keep_content: bool = False) -> None:
        """Another post is in the editor: clear the preview and render it from scratch.

        ``keep_content``: the preview already shows this post (from the start-up cache); it
        stays until the new rendering replaces it, so the page does not flash empty."""
        self._last_text = None
        self.held = False
        generation = self.worker.generation + 1
        if keep_content:
            self.preview.expect_newer(generation)
        else:
            self.preview.clear(min_generation=generation)
        self.submit()

    @Slot(int)
    def _editor_scrolled(self, line: int) -> None:
        if time.monotonic() < self._following_preview_until:
            return  # the editor moved because the preview told it to
        self.preview.scroll_to_source_line(line, self.editor.blockCount())

    @Slot(int)
    def _preview_scrolled(self, line: int) -> None:
        self._following_preview_until = time.monotonic() + USER_INPUT_WINDOW
        self.editor.scroll_to_line(line)

    @Slot(int)
    def _preview_clicked(self, line: int) -> None:
        self.editor.goto_line(line)
        if self.focus_editor_on_click:
            self.editor.setFocus()


def connect_preview(editor, worker, preview: PreviewView) -> PreviewConnection:
    """Wire the Markdown editor, a RenderWorker and a PreviewView the way the window uses them.

    ``editor`` is a QPlainTextEdit with ``visibleLineChanged(int)``, ``scroll_to_line(n)`` and
    ``goto_line(n)`` (``ui.markdown_editor.MarkdownEditor``). Call ``reset()`` on the returned
    object when another post is loaded into the editor.
    """
    return PreviewConnection(editor, worker, preview)
