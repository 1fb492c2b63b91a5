"""The headless commands, run as a user's script runs them: a real process, no display."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.cli_helpers import run_cli


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_cli(home, *args, stdin=stdin)


def test_new_edit_show_list_round_trip(tmp_path: Path):
    md = tmp_path / "post.md"
    md.write_text("Some *Markdown* body\n\nwith two paragraphs.\n", encoding="utf-8")
    home = tmp_path / "lib"

    made = run(home, "new", "--title", "My first post", "--file", str(md))
    assert made.returncode == 0, made.stderr
    post_id = int(made.stdout.strip())

    shown = json.loads(run(home, "show", str(post_id), "--json").stdout)
    assert shown["title"] == "My first post"
    assert shown["body"] == md.read_text(encoding="utf-8")
    assert shown["status"] == "draft"

    edited = run(home, "edit", str(post_id), "--title", "Renamed", "--file", "-", stdin="new body")
    assert edited.returncode == 0, edited.stderr
    plain = run(home, "show", str(post_id))
    assert plain.stdout.startswith("# Renamed\n")
    assert "new body" in plain.stdout

    listed = json.loads(run(home, "list", "--json").stdout)
    titles = [p["title"] for p in listed]
    # A new library starts with the welcome post, as in the window.
    assert titles == ["Renamed", "Welcome to Desktop Blog"]
    text_list = run(home, "list").stdout.splitlines()
    assert text_list[0].startswith(f"{post_id}\tdraft\t") and text_list[0].endswith("Renamed")


def test_home_from_environment(tmp_path: Path):
    env = dict(os.environ, DESKTOP_BLOG_HOME=str(tmp_path / "envhome"))
    out = subprocess.run(
        [sys.executable, "-m", "desktop_blog", "new", "--title", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "envhome" / "library.sqlite3").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("show", "999"), 1, "no post with id 999"),
        (("edit", "999", "--title", "x"), 1, "no post with id 999"),
        (("edit", "1"), 1, "Nothing to change"),
        (("new", "--title", "x", "--file", "/nonexistent.md"), 1, "No such file"),
        (("show", "abc"), 2, "invalid int value"),
        (("frobnicate",), 2, "invalid choice"),
    ],
)
def test_errors_have_exit_codes_and_messages(tmp_path: Path, args, code, message):
    out = run(tmp_path, *args)
    assert out.returncode == code
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_corrupt_library_is_a_clear_failure(tmp_path: Path):
    (tmp_path / "library.sqlite3").write_bytes(b"garbage" * 1000)
    out = run(tmp_path, "list")
    assert out.returncode == 1
    assert "damaged" in out.stderr and "Traceback" not in out.stderr
    assert (tmp_path / "library.sqlite3").read_bytes() == b"garbage" * 1000


def test_not_utf8_file(tmp_path: Path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe\x00broken")
    out = run(tmp_path / "lib", "new", "--title", "x", "--file", str(bad))
    assert out.returncode == 1 and "not UTF-8" in out.stderr


def test_local_commands_do_not_load_the_network_modules(tmp_path: Path):
    # `list` and `export` run often from scripts: they should not pay for httpx and keyring.
    code = (
        "import sys\n"
        "from desktop_blog import cli\n"
        f"code = cli.main(['--home', {str(tmp_path)!r}, 'list'])\n"
        "print(code, sorted(m for m in ('httpx', 'keyring') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
    # Help still lists every command.
    help_text = subprocess.run(
        [sys.executable, "-m", "desktop_blog", "--help"], capture_output=True, text=True
    ).stdout
    for command in ("list", "blog", "publish", "export", "import", "comments"):
        assert f"    {command} " in help_text
