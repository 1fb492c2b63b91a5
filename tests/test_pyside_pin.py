"""PySide6 6.12.0 on Python 3.11 kills the app after a few thousand Qt calls that return nothing.

Each such call decrements the reference count of None once too often; when it reaches zero Python
aborts with "Fatal Python error: none_dealloc". Short tests pass, an app dies after minutes of use,
hence the pin in pyproject.toml (PySide6==6.11.3) and these tests. On Python >= 3.12 None is
immortal and the bug cannot show.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

VOID_CALLS = 50_000

# Several void (None-returning) Qt calls, VOID_CALLS in all, in a fresh interpreter so that an
# abort takes down only the child.
SCRIPT = f"""
from PySide6.QtCore import QObject, QTimer

obj = QObject()
timer = QTimer()
for i in range({VOID_CALLS} // 2):
    obj.setObjectName("x")
    timer.setInterval(i)
print("survived", {VOID_CALLS})
"""


def test_tens_of_thousands_of_void_qt_calls_do_not_abort():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (
        f"exit code {result.returncode} after void Qt calls; stderr:\n{result.stderr[-2000:]}"
    )
    assert result.stdout.split() == ["survived", str(VOID_CALLS)]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_pyside_is_not_the_release_with_the_none_refcount_bug():
    import PySide6
    import shiboken6

    assert PySide6.__version__ != "6.12.0", "PySide6 6.12.0 aborts on Python 3.11: see module doc"
    assert shiboken6.__version__ != "6.12.0", "shiboken6 6.12.0 aborts on Python 3.11"
