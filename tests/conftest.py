"""Set-up shared by every test folder: headless Qt, and a library folder of the test's own.

Kept small on purpose; fixtures for one layer live in that layer's own conftest.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

# Blog fixtures (fake WordPress on loopback, no keyring) for the folders that add blogs.
pytest_plugins = ["tests.blog_fixtures"]

# Headless by default; `QT_QPA_PLATFORM=xcb xvfb-run -a pytest ...` still chooses a real X server.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As root, QtWebEngine (Chromium) refuses to start with its sandbox on, and pytest then dies with
# exit code 1 and no output. Turn the sandbox off only for root, never for a normal user.
if os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


def pytest_configure(config: pytest.Config) -> None:
    # Both must happen before the QApplication exists (pytest-qt creates it on first use):
    # QtWebEngine has to be imported, and custom URL schemes registered.
    try:
        import PySide6.QtWebEngineWidgets  # noqa: F401
    except ImportError:
        pass
    # find_spec, not try/except ImportError: a broken schemes module must fail loudly.
    if importlib.util.find_spec("desktop_blog.ui.schemes") is not None:
        from desktop_blog.ui.schemes import register_schemes

        register_schemes()


@pytest.fixture(autouse=True, scope="session")
def _never_the_real_library(tmp_path_factory: pytest.TempPathFactory):
    """A test that forgets the `home` fixture still never touches the user's real library."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_BLOG_HOME", str(tmp_path_factory.mktemp("default-home")))
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty library folder for this test, set as DESKTOP_BLOG_HOME."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("DESKTOP_BLOG_HOME", str(path))
    return path


# QtWebEngine's objects can outlive the QApplication in the interpreter's final garbage
# collection, and Chromium then crashes in its own teardown (exit code 139) after every test has
# passed and pytest has printed its summary. Nothing is left to check by then, so leave at once
# with pytest's real exit status instead of running that teardown.
_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _exit_status and "PySide6.QtWebEngineCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
