"""`desktop-blog blog add|list|remove`, run as a script runs them, against the fake WordPress on
loopback; and the proof that the password ends up in no file, log or message.

Every process here gets a home of its own (HOME, XDG folders) and the keyring's fail backend, so
no test writes to the keyring of the machine running it. The real Secret Service is in
tests/integration/test_keyring_secret_service.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.wp_fake import WordPressFake  # noqa: E402 - needs the path above

APP_PASSWORD = "Kc7u Mz2q Distinct9 Wr4t Hy6j Np3x"
LOGIN_PASSWORD = "Login-Only-Pa55word-xyzzy"
USER = "admin"

# Runs the CLI with every logger at DEBUG into a file (argv[1]), as a user hunting a bug would.
RUNNER = (
    "import logging, sys\n"
    "logging.basicConfig(filename=sys.argv.pop(1), level=logging.DEBUG,\n"
    "                    format='%(asctime)s %(levelname)s %(name)s: %(message)s')\n"
    "from desktop_blog.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.fixture(scope="module")
def fake():
    fake = WordPressFake(app_password=APP_PASSWORD, login_password=LOGIN_PASSWORD)
    with fake.serve() as base:
        fake.base = base
        yield fake


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    path = tmp_path / "user"
    path.mkdir()
    return path


def cli_env(user_home: Path, **extra: str) -> dict[str, str]:
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "DESKTOP_BLOG_HOME", "DBUS_SESSION_BUS_ADDRESS")
    env = {k: v for k, v in os.environ.items() if k not in drop and "PROXY" not in k.upper()}
    env.update(
        HOME=str(user_home),
        XDG_CONFIG_HOME=str(user_home / ".config"),
        XDG_DATA_HOME=str(user_home / ".local/share"),
        XDG_CACHE_HOME=str(user_home / ".cache"),
        QT_QPA_PLATFORM="none-such",  # any Qt use would fail loudly
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    env.pop("DESKTOP_BLOG_PASSWORD", None)
    env.update(extra)
    return env


def run(
    home: Path,
    user_home: Path,
    *args: str,
    stdin: str | None = None,
    log: Path | None = None,
    **env,
) -> subprocess.CompletedProcess:
    if log is None:
        command = [sys.executable, "-m", "desktop_blog"]
    else:
        command = [sys.executable, "-c", RUNNER, str(log)]
    return subprocess.run(
        [*command, "--home", str(home), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(user_home, **env),
        timeout=60,
    )


def add(home, user_home, url, password=APP_PASSWORD, *extra, **kw):
    return run(
        home, user_home, "blog", "add", url, "--user", USER, "--password-stdin", *extra,
        stdin=password + "\n", **kw,
    )  # fmt: skip


def test_add_list_remove(fake, tmp_path, user_home):
    home = tmp_path / "lib"
    out = add(home, user_home, fake.base)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        'Added the blog "Fake Blog".',
        f"  site:  {fake.base} (Fake Blog)",
        f"  API:   WordPress REST API at {fake.base}/wp-json/",
        "  user:  admin (administrator)",
        "  password: not saved",
    ]
    # no keyring here (fail backend): the blog is added, and the user is told what that means
    assert out.stderr == (
        "desktop-blog: warning: the password was not saved (no system keyring: no keyring service "
        "such as GNOME Keyring or KWallet was found). Commands that talk to this blog (publish, "
        "sync) need it again, from $DESKTOP_BLOG_PASSWORD or on standard input with "
        "--password-stdin.\n"
    )

    listed = run(home, user_home, "blog", "list")
    assert listed.returncode == 0
    assert listed.stdout == (
        f"Fake Blog\twordpress-rest\t{fake.base}\tadmin\t{fake.base}/wp-json/\n"
    )
    data = json.loads(run(home, user_home, "blog", "list", "--json").stdout)
    assert data == [
        {
            "id": data[0]["id"],
            "name": "Fake Blog",
            "kind": "wordpress-rest",
            "url": fake.base,
            "username": "admin",
            "api_url": f"{fake.base}/wp-json/",
        }
    ]

    removed = run(home, user_home, "blog", "remove", "fake blog")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout == (
        'Removed the blog "Fake Blog". Nothing was changed on the blog itself.\n'
    )
    assert json.loads(run(home, user_home, "blog", "list", "--json").stdout) == []


def test_add_over_xmlrpc_with_a_name(fake, tmp_path, user_home):
    home = tmp_path / "lib"
    out = add(home, user_home, fake.base, LOGIN_PASSWORD, "--kind", "xmlrpc", "--name", "Mine")
    assert out.returncode == 0, out.stderr
    assert 'Added the blog "Mine".' in out.stdout
    assert f"  API:   XML-RPC at {fake.base}/xmlrpc.php" in out.stdout
    listed = run(home, user_home, "blog", "list").stdout
    assert listed.startswith(f"Mine\txmlrpc\t{fake.base}\tadmin\t")


def test_the_password_can_come_from_the_environment(fake, tmp_path, user_home):
    home = tmp_path / "lib"
    out = run(
        home, user_home, "blog", "add", fake.base, "--user", USER,
        DESKTOP_BLOG_PASSWORD=APP_PASSWORD,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr


def test_a_refused_password(fake, tmp_path, user_home):
    home = tmp_path / "lib"
    for password in ("Wrong-Pa55word-qqq", LOGIN_PASSWORD):
        out = add(home, user_home, fake.base, password)
        assert out.returncode == 1
        assert out.stdout == ""
        assert out.stderr.startswith(
            f"desktop-blog: The user name or application password was refused by {fake.base}. "
        )
        assert password not in out.stderr
    assert run(home, user_home, "blog", "list").stdout == ""  # nothing was added


def test_an_unreachable_site(tmp_path, user_home):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = add(tmp_path / "lib", user_home, f"http://127.0.0.1:{port}")
    assert out.returncode == 1
    assert out.stderr.startswith(
        f"desktop-blog: http://127.0.0.1:{port} could not be reached (could not connect"
    )
    assert out.stderr.rstrip().endswith("Check the address and the network connection.")


def test_duplicates_are_refused_before_the_network(fake, tmp_path, user_home):
    home = tmp_path / "lib"
    assert add(home, user_home, fake.base, APP_PASSWORD, "--name", "A").returncode == 0
    before = len(fake.log)
    again = add(home, user_home, fake.base + "/", APP_PASSWORD, "--name", "B")
    assert again.returncode == 1
    assert again.stderr == (
        f'desktop-blog: {fake.base} with the user "admin" is already in the library as the blog '
        '"A".\n'
    )
    taken = add(home, user_home, "http://127.0.0.1:9/", APP_PASSWORD, "--name", "a")
    assert taken.returncode == 1
    assert taken.stderr == 'desktop-blog: There is already a blog named "A"; choose another name.\n'
    assert len(fake.log) == before  # neither asked the blog anything


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("blog", "add", "https://x.example", "--user", "u", "--password-stdin"), "", "no password"),
        (("blog", "add", "https://x.example", "--user", "u", "--password-stdin"), "\n", "no password"),
        (("blog", "add", "https://x.example", "--user", "u"), "", "no password"),
        (("blog", "add", "https://x.example", "--password-stdin"), "pw", "--user"),
        (("blog", "add", "https://x.example", "--user", "u", "--password", "pw"), "", "unrecognized"),
        (("blog", "add", "https://x.example", "--user", "u", "--kind", "atom"), "", "invalid choice"),
        (("blog", "add", "ftp://x.example", "--user", "u", "--password-stdin"), "pw", "not a web"),
        (("blog",), "", "required: ACTION"),
        (("blog", "remove"), "", "NAME"),
    ],
)  # fmt: skip
def test_usage_errors(tmp_path, monkeypatch, capsys, args, stdin, message):
    from desktop_blog import cli

    monkeypatch.delenv("DESKTOP_BLOG_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(["--home", str(tmp_path / "lib"), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err


def test_removing_a_blog_that_is_not_there(tmp_path, user_home):
    out = run(tmp_path / "lib", user_home, "blog", "remove", "Nope")
    assert out.returncode == 1
    assert out.stderr == 'desktop-blog: There is no blog named "Nope".\n'


def test_plain_http_to_another_machine_warns(fake, tmp_path, monkeypatch, capsys):
    """In process: the fake answers for http://blog.example.org through a WSGI transport."""
    from keyring.backends import fail

    from desktop_blog import cli, cli_blog
    from desktop_blog.core.secrets import SecretStore
    from desktop_blog.publish import http

    real_make_client = http.make_client
    transport = httpx.WSGITransport(app=fake)
    monkeypatch.setattr(http, "make_client", lambda: real_make_client(transport=transport))
    monkeypatch.setattr(cli_blog, "make_secret_store", lambda: SecretStore(fail.Keyring()))
    monkeypatch.setattr(sys, "stdin", io.StringIO(APP_PASSWORD + "\n"))
    args = ["--home", str(tmp_path / "lib"), "blog", "add", "http://blog.example.org"]
    code = cli.main([*args, "--user", USER, "--password-stdin", "--name", "Far"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert 'Added the blog "Far".' in captured.out
    assert captured.err.startswith(
        "desktop-blog: warning: blog.example.org is reached over plain http://: the password and "
        "everything you publish travel unencrypted"
    )


# --- No secret anywhere -----------------------------------------------------------------------


def secret_forms(user: str, password: str) -> list[str]:
    """The password as typed, without its spaces, and inside an Authorization header."""
    forms = {password, password.replace(" ", "")}
    for form in list(forms):
        forms.add(base64.b64encode(f"{user}:{form}".encode()).decode())
    return sorted(forms)


def files_containing(root: Path, secrets: list[str]) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for secret in secrets:
            for encoded in {secret.encode("utf-8"), secret.encode("utf-16-le")}:
                if encoded in data:
                    found.append(f"{path}: {secret!r}")
    return found


def test_no_secret_in_the_library_logs_or_output(fake, tmp_path, user_home):
    """blog add (right and wrong password), list and remove with DEBUG logging to a file: the
    passwords are in no file of the library's folder or the user's home (SQLite file, its -wal,
    the log, settings), and in no output."""
    home = tmp_path / "lib"
    log = tmp_path / "debug.log"
    wrong = "Wrong Distinct 8Pw7 Zz"
    outputs = [
        add(home, user_home, fake.base, APP_PASSWORD, log=log),
        add(home, user_home, fake.base, wrong, "--name", "Other", log=log),
        run(home, user_home, "blog", "list", "--json", log=log),
    ]
    assert outputs[0].returncode == 0 and outputs[1].returncode == 1
    # with the library still holding the blog, so its -wal may still have the rows
    assert (home / "library.sqlite3").exists()
    text = log.read_text()
    assert "users/me" in text and "DEBUG" in text  # the log did record the requests
    secrets = secret_forms(USER, APP_PASSWORD) + secret_forms(USER, wrong)
    assert files_containing(home, secrets) == []
    assert files_containing(user_home, secrets) == []
    assert files_containing(tmp_path, secrets) == []  # the log too
    for out in outputs:
        for secret in secrets:
            assert secret not in out.stdout and secret not in out.stderr
    # the requests did carry it: the search would have found it had it been written
    sent = [r.headers.get("authorization", "") for r in fake.requests_to("/wp/v2/users/me")]
    assert "Basic " + base64.b64encode(f"{USER}:{APP_PASSWORD}".encode()).decode() in sent
