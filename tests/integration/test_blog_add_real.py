"""`blog add` and `blog list` against a real WordPress on 127.0.0.1 (the `wordpress` fixture).

The application password goes through REST; the login password is refused there (401) with a
message saying so, while XML-RPC takes it (WORDPRESS.md). With DEBUG logging to a file, neither
password ends up in the library, the log, settings or the output.

The keyring is forced to the fail backend here (the password stays in memory and the command
warns); the real Secret Service is tested in test_keyring_secret_service.py.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_blog.publish.accounts import CredentialsRefused, probe_blog
from desktop_blog.publish.http import make_client

RUNNER = (
    "import logging, sys\n"
    "logging.basicConfig(filename=sys.argv.pop(1), level=logging.DEBUG,\n"
    "                    format='%(asctime)s %(levelname)s %(name)s: %(message)s')\n"
    "from desktop_blog.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.fixture
def cli(tmp_path: Path):
    user_home = tmp_path / "user"
    user_home.mkdir()
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "DESKTOP_BLOG_HOME", "DESKTOP_BLOG_PASSWORD")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("DBUS_")}
    env = {k: v for k, v in env.items() if "PROXY" not in k.upper()}
    env.update(
        HOME=str(user_home),
        XDG_CONFIG_HOME=str(user_home / ".config"),
        XDG_DATA_HOME=str(user_home / ".local/share"),
        QT_QPA_PLATFORM="none-such",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    log = tmp_path / "debug.log"

    def run(home: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", RUNNER, str(log), "--home", str(tmp_path / home), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    run.log = log
    run.root = tmp_path
    return run


def forms(user: str, password: str) -> list[str]:
    plain = {password, password.replace(" ", "")}
    return sorted(plain | {base64.b64encode(f"{user}:{p}".encode()).decode() for p in plain})


def test_blog_add_and_list_with_the_application_password(wordpress, cli):
    added = cli(
        "lib", "blog", "add", wordpress.url, "--user", wordpress.user, "--password-stdin",
        stdin=wordpress.app_password + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr + wordpress.log_tail()
    lines = added.stdout.splitlines()
    assert lines[0].startswith('Added the blog "') and lines[0].endswith('".')
    assert f"  site:  {wordpress.url}" in added.stdout
    assert f"  API:   WordPress REST API at {wordpress.rest_url}" in lines
    assert f"  user:  {wordpress.user} (administrator)" in lines
    assert "the password was not saved" in added.stderr  # fail backend: no keyring
    assert "plain http://" not in added.stderr  # 127.0.0.1 is this machine

    listed = json.loads(cli("lib", "blog", "list", "--json").stdout)
    assert len(listed) == 1
    blog = listed[0]
    assert (blog["kind"], blog["url"], blog["username"], blog["api_url"]) == (
        "wordpress-rest",
        wordpress.url,
        wordpress.user,
        wordpress.rest_url,
    )
    plain = cli("lib", "blog", "list").stdout
    assert plain.startswith(f"{blog['name']}\twordpress-rest\t{wordpress.url}\t")

    # the login password over REST: refused with the clear message, nothing added
    refused = cli(
        "other", "blog", "add", wordpress.url, "--user", wordpress.user, "--password-stdin",
        stdin=wordpress.password,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "desktop-blog: The user name or application password was refused by "
        f"{wordpress.url}. Use an application password"
    )
    assert json.loads(cli("other", "blog", "list", "--json").stdout) == []

    # XML-RPC takes the login password (chosen by the user)
    over_xmlrpc = cli(
        "xmlrpc", "blog", "add", wordpress.url, "--user", wordpress.user, "--password-stdin",
        "--kind", "xmlrpc", stdin=wordpress.password,
    )  # fmt: skip
    assert over_xmlrpc.returncode == 0, over_xmlrpc.stderr
    assert f"  API:   XML-RPC at {wordpress.xmlrpc_url}" in over_xmlrpc.stdout

    # neither password anywhere: library files (and -wal), the DEBUG log, settings, output
    secrets = forms(wordpress.user, wordpress.app_password) + forms(
        wordpress.user, wordpress.password
    )
    assert "users/me" in cli.log.read_text()
    assert (cli.root / "lib" / "library.sqlite3").exists()
    for path in (p for p in cli.root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        leaked = [s for s in secrets if s.encode() in data]
        assert not leaked, f"{path} contains a password"
    for out in (added, refused, over_xmlrpc):
        assert not any(s in out.stdout or s in out.stderr for s in secrets)


def test_the_login_password_over_rest_is_a_401(wordpress):
    with make_client() as client, pytest.raises(CredentialsRefused) as err:
        probe_blog(client, wordpress.url, wordpress.user, wordpress.password, kind="rest")
    assert err.value.status == 401
    assert err.value.user_message.startswith(
        f"The user name or application password was refused by {wordpress.url}."
    )
    assert wordpress.password not in err.value.user_message + str(err.value)
