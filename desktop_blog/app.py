"""Composition root of the GUI: where the library lives, the window, opening the library.

Start-up is ordered for speed: only Qt is imported before the window is shown (with its saved
geometry). After that first frame, the preview starts (QtWebEngine) with the last open post from
the start-up cache (``ui/startup_cache.py``) already in its page, while the rest of the window is
built and the library (``core``, SQLAlchemy, Alembic when migrating) is opened on the database
worker; the tree and editor are filled when it is ready, and the post read from the database
confirms or replaces the cached one. SQLAlchemy alone costs about 250 ms to import, a bare
PySide6 window about 155 ms to show.

Environment:
    DESKTOP_BLOG_HOME            the library's folder (else the platform's user data folder)
    DESKTOP_BLOG_STARTUP_PROBE   print ``shown <ms>`` once the window is painted, ``ready <ms>``
                                 once the library is open and its post shown, and ``preview <ms>
                                 cached|rendered`` once the preview first painted the post, from
                                 the start-up cache's HTML or rendered (for
                                 benchmarks); the time counts from DESKTOP_BLOG_T0 (a
                                 ``time.time()`` taken before the process was started) or else
                                 from the process start
    DESKTOP_BLOG_EXIT_WHEN_READY with the probe: quit once ready (and, when a post is shown in
                                 the preview, once the preview has been painted)
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from desktop_blog.ui.main_window import MainWindow

log = logging.getLogger(__name__)

# Same as desktop_blog.core.db.APP_NAME / data_dir(); repeated here so that resolving the folder
# does not import SQLAlchemy before the window is up (a test checks they agree).
APP_NAME = "desktop-blog"
LOG_FILENAME = "desktop-blog.log"


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The library's folder: ``home``, ``$DESKTOP_BLOG_HOME`` or the platform's data folder."""
    if home:
        return Path(home).expanduser()
    env = os.environ.get("DESKTOP_BLOG_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def _disable_webengine_sandbox_when_root() -> None:
    # QtWebEngine refuses to start as root with its sandbox on; never turn it off otherwise.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


def _process_start_time() -> float | None:
    """``time.time()`` at which this process started (from /proc, 10 ms resolution)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        started_after_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return time.time() - (uptime - started_after_boot)
    except (OSError, ValueError, IndexError):
        return None


class StartupProbe(QObject):
    """Prints when the window is first painted, when the library is ready and when the preview
    first shows the post."""

    # Quit anyway this long after ready when the preview does not report.
    PREVIEW_TIMEOUT_MS = 20_000

    def __init__(self, t0: float, exit_when_ready: bool) -> None:
        super().__init__()
        self.t0 = t0
        self.exit_when_ready = exit_when_ready
        self.window: MainWindow | None = None
        self.is_ready = False
        self.previewed = False

    def attach(self, window: MainWindow) -> None:
        self.window = window
        self.setParent(window)
        window.libraryReady.connect(lambda: QTimer.singleShot(0, self._ready))
        window.firstPreviewPainted.connect(self._previewed)

    def shown(self) -> None:
        self._print("shown")

    def _print(self, what: str, note: str = "") -> None:
        ms = (time.time() - self.t0) * 1000
        print(f"{what} {ms:.1f} {note}".rstrip(), flush=True)

    def _ready(self) -> None:
        self._print("ready")
        self.is_ready = True
        if self.window is not None and self.window.preview_expected() and not self.previewed:
            QTimer.singleShot(self.PREVIEW_TIMEOUT_MS, self._quit)
            return
        self._quit()

    def _previewed(self) -> None:
        if self.previewed:
            return
        self.previewed = True
        how = "cached" if self.window is not None and self.window.preview_from_cache() else ""
        self._print("preview", how or "rendered")
        if self.is_ready:
            self._quit()

    def _quit(self) -> None:
        if self.exit_when_ready and self.window is not None and not self.window.closed:
            self.window.close()


class Opened(NamedTuple):
    library: Any
    post: Any | None
    set_aside: Path | None = None


def open_library_and_post(home: Path, last_post: int | None, *, set_aside: bool = False) -> Opened:
    """Open the library (and the post to show) — on the database worker."""
    from desktop_blog.core.db import database_path, open_library, set_aside_damaged
    from desktop_blog.core.library import PostNotFound, get_post
    from desktop_blog.core.welcome import add_welcome_post

    kept = set_aside_damaged(database_path(home)) if set_aside else None
    library = open_library(home)
    post = None
    try:
        with library.session() as session:
            if library.created:
                post = add_welcome_post(session)
                session.commit()
            elif last_post is not None:
                try:
                    post = get_post(session, last_post)
                except PostNotFound:
                    post = None
    except BaseException:
        library.close()
        raise
    return Opened(library, post, kept)


def open_library_in_window(window: MainWindow, *, set_aside: bool = False) -> None:
    """Open ``window.home``'s library in the background and fill the window with it."""
    home = window.home
    last = None if set_aside else window.settings.last_post

    def done(opened: Opened) -> None:
        if window.closed:  # closed while the library was opening
            opened.library.close()
            return
        window.set_library(opened.library, opened.post)
        if opened.set_aside is not None:
            window.statusBar().showMessage(
                f"Started a fresh library. The damaged file is kept as {opened.set_aside}", 15000
            )

    window.tasks.run_db(
        lambda: open_library_and_post(home, last, set_aside=set_aside),
        done,
        lambda exc: _open_failed(window, exc),
    )


def _open_failed(window: MainWindow, exc: BaseException) -> None:
    if window.closed:
        return
    window.forget_startup_post()
    from desktop_blog.core.db import CorruptLibraryError
    from desktop_blog.ui.dialogs.questions import ask_fresh_library

    if isinstance(exc, CorruptLibraryError):
        log.error("the library is damaged: %s", exc)
        window.statusBar().showMessage("The library file is damaged.")
        window.editor_panel.show_message("The library file is damaged.")
        if ask_fresh_library(window, str(exc.path), exc.detail):
            window.statusBar().showMessage("Starting a fresh library…")
            open_library_in_window(window, set_aside=True)
        else:
            window.close()
        return
    from PySide6.QtWidgets import QMessageBox

    log.error("the library could not be opened", exc_info=exc)
    window.editor_panel.show_message("The library could not be opened.")
    QMessageBox.critical(window, "The library cannot be opened", str(exc))
    window.close()


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (made once)."""
    _disable_webengine_sandbox_when_root()
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("Desktop Blog")
        app.setApplicationDisplayName("Desktop Blog")
        app.setOrganizationName("desktop-blog")
        app.setDesktopFileName("desktop-blog")
    return app


def launch(
    home: str | os.PathLike[str] | None = None,
    *,
    tasks: Any | None = None,
    probe: StartupProbe | None = None,
) -> MainWindow:
    """Show the main window's frame at once; build the rest and open the library after.

    The library is opened only once the first frame is painted: its imports on the worker
    thread would otherwise hold the GIL while the GUI thread paints.
    """
    application()
    window = MainWindow(resolve_home(home), tasks, deferred=True)
    window.show()
    if probe is not None:
        probe.attach(window)
    started = False

    def build_and_open() -> None:
        nonlocal started
        if started:
            return
        started = True
        if probe is not None:
            probe.shown()
        # The last open post, from the small file beside the library: the preview shows it
        # while the library opens (the database then confirms or replaces it).
        from desktop_blog.ui import startup_cache

        window.startup_post = startup_cache.read(window.home, window.settings.last_post)
        cached = window.startup_post
        if cached is not None and cached.blocks:
            # The preview brings the post from the cache: the library waits for that frame
            # (its imports would take the GIL from the GUI thread that QtWebEngine runs on;
            # measured in `make bench BENCH="startup preview"`: the preview at 1.4-1.7 times
            # the bare QtWebEngine floor instead of 1.6-2.4, the library ~400 ms later).
            window.build()
            window.after_first_preview(lambda: open_library_in_window(window))
            return
        # Nothing to show before the library is open: it starts opening before the window is
        # built, since building makes the preview, whose QtWebEngine profile holds this thread
        # for 150-400 ms (the result comes back through the event loop, after build).
        if window.tasks is None:
            from desktop_blog.ui.tasks import TaskManager

            window.tasks = TaskManager(window)
        open_library_in_window(window)
        window.build()

    window.firstPainted.connect(build_and_open)
    # Should no paint come (a window shown minimised), go on anyway.
    QTimer.singleShot(1000, build_and_open)
    return window


def _log_to_file(home: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(home / LOG_FILENAME, encoding="utf-8")
    except OSError:
        return
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)


def _close_on_signals(window: MainWindow) -> QTimer:
    """SIGINT/SIGTERM close the window (which saves) instead of killing the process."""
    import signal

    def close(_signum: int, _frame: Any) -> None:
        QTimer.singleShot(0, window.close)

    signal.signal(signal.SIGINT, close)
    signal.signal(signal.SIGTERM, close)
    # Python handles signals only when it runs: wake it up now and then.
    timer = QTimer(window, interval=300)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer


def run_gui(home: str | os.PathLike[str] | None = None) -> int:
    """Start the desktop application; returns its exit code."""
    t0_env = os.environ.get("DESKTOP_BLOG_T0")
    t0 = float(t0_env) if t0_env else (_process_start_time() or time.time())
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = application()
    probe = None
    if os.environ.get("DESKTOP_BLOG_STARTUP_PROBE"):
        probe = StartupProbe(t0, os.environ.get("DESKTOP_BLOG_EXIT_WHEN_READY") == "1")
    window = launch(home, probe=probe)
    QTimer.singleShot(0, lambda: _log_to_file(window.home))
    _close_on_signals(window)
    return app.exec()
