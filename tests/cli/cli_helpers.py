"""Running the command line as a script does: a new process, no display, no keyring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop_blog.core import db
from desktop_blog.core.models import Blog
from tests.fakes.wp_fake import WordPressFake

#: The fake WordPress's application password (the same for every WordPressFake()).
FAKE_PASSWORD = WordPressFake().app_password


def run_cli(
    home: Path, *args: str, password: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """``desktop-blog --home HOME ARGS…``; ``password`` (when given) in DESKTOP_BLOG_PASSWORD,
    the keyring a failing one. Any use of Qt would fail loudly (no such platform)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("DESKTOP_BLOG_HOME", None)
    env.pop("DESKTOP_BLOG_PASSWORD", None)
    env["QT_QPA_PLATFORM"] = "none-such"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if password is not None:
        env["DESKTOP_BLOG_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "desktop_blog", "--home", str(home), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def library_with_fake_blog(home: Path, url: str) -> int:
    """Make a library at ``home`` with the blog "Fake" at ``url`` (through the ORM); its id."""
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            blog = Blog(
                name="Fake",
                kind="wordpress-rest",
                url=url,
                api_url=f"{url}/wp-json/",
                username="admin",
            )
            s.add(blog)
            s.commit()
            return blog.id
    finally:
        lib.close()
