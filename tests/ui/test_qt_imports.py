"""Qt-touching modules are imported on the GUI thread only.

shiboken creates PySide6's types lazily, and that is not thread-safe: a worker importing
QtAwesome (whose qtpy star-imports QtCore, QtGui and QtWidgets) while the GUI thread makes a
type of its own crashes the process with SIGSEGV. It did, once in CI, in the SIGKILL test's
child. A worker star-importing QtAwesome while the GUI thread walks QtWidgets' names crashed 25
of 30 runs on an idle machine, 3 of 10 on a loaded one: too random to be a test of its own. This
test runs the real app through start-up, icons, preview and typing, watching every import on
every thread, which is deterministic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# Records every import of a Qt-touching module made off the main thread, then runs the app.
WATCHED_APP = textwrap.dedent(
    """
    import json, sys, threading
    from importlib.abc import MetaPathFinder

    WATCHED = ("PySide6", "shiboken6", "qtawesome", "qtpy", "desktop_blog.ui")
    off_thread = []

    class Watch(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.startswith(WATCHED) and threading.current_thread() is not threading.main_thread():
                off_thread.append([threading.current_thread().name, name])
            return None

    sys.meta_path.insert(0, Watch())

    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from desktop_blog import app

    qapp = app.application()
    window = app.launch(sys.argv[1])
    state = {"typed": False}

    def check():
        tree = window.tree
        ready = (
            window.icons_ready
            and tree is not None
            and tree._qta is not None
            and (window._preview_painted or not window.preview_expected())
        )
        if not ready:
            return
        if not state["typed"]:
            state["typed"] = True
            editor = window.editor_panel.editor
            editor.setFocus()
            QTest.keyClicks(editor, "Typing goes on while icons and the preview arrive.")
            QTimer.singleShot(1500, finish)

    def finish():
        print(json.dumps({"off_thread": off_thread, "icons": window.icons_ready}), flush=True)
        window.close()
        qapp.quit()

    timer = QTimer(interval=50)
    timer.timeout.connect(check)
    timer.start()
    QTimer.singleShot(60000, finish)
    qapp.exec()
    """
)


def _run(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_the_app_imports_qt_modules_on_the_gui_thread_only(tmp_path):
    result = _run(WATCHED_APP, str(tmp_path / "home"))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["icons"], "the window's icons never came"
    assert report["off_thread"] == []
