"""Blog passwords through a real Secret Service: gnome-keyring on a private D-Bus session bus.

The recipe (ARCHITECTURE.md, "A real Secret Service headless"): a session bus of our own
(`dbus-daemon --session --nofork --address unix:path=…`), then
`printf PASSWORD | gnome-keyring-daemon --foreground --unlock --components=secrets`, and wait until
`org.freedesktop.secrets` has an owner on that bus. Python's `keyring` then picks its
SecretService backend, and `secret-tool lookup` reads back what it stored. Both daemons and the
keyring files (HOME, XDG_* folders) belong to the test and go when it ends; the machine's own
keyring and session bus are never touched.

Packages: dbus, gnome-keyring, libsecret-tools (scripts/ensure-system-deps.sh --test). With
CI=true a missing tool fails the test; elsewhere it is skipped, saying what to install.
"""

from __future__ import annotations

import base64
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.wp_fake import WordPressFake  # noqa: E402 - needs the path above

TOOLS = {
    "dbus-daemon": "dbus",
    "gnome-keyring-daemon": "gnome-keyring",
    "secret-tool": "libsecret-tools",
}
KEYRING_UNLOCK_PASSWORD = "test-keyring-unlock"
APP_PASSWORD = "Gx4k Secret7Service Lp2m Rt8v Qz5n"
USER = "admin"


@dataclass
class SecretService:
    """A running private Secret Service: the environment a process needs to use it."""

    env: dict[str, str]
    root: Path

    def lookup(self, key: str) -> str | None:
        """What `secret-tool` finds for our service and `key`, or None."""
        out = subprocess.run(
            ["secret-tool", "lookup", "service", "desktop-blog", "username", key],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
        )
        return out.stdout if out.returncode == 0 and out.stdout else None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _has_owner(address: str, name: str) -> bool:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=address) as connection:
        reply = connection.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5)
    return bool(reply.body[0])


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    missing = [f"{tool} (package {pkg})" for tool, pkg in TOOLS.items() if not shutil.which(tool)]
    if missing:
        message = "a real Secret Service needs " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; scripts/ensure-system-deps.sh --test installs them")
        pytest.skip(message + "; install them with scripts/ensure-system-deps.sh --test")

    root = tmp_path / "secret-service"
    runtime = root / "run"
    runtime.mkdir(parents=True)
    runtime.chmod(0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_", "KEYRING"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(
        HOME=str(root / "home"),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(root / "home/.local/share"),
        XDG_CONFIG_HOME=str(root / "home/.config"),
        XDG_CACHE_HOME=str(root / "home/.cache"),
    )
    (root / "home").mkdir()

    bus = subprocess.Popen(
        [
            "dbus-daemon",
            "--session",
            "--nofork",
            "--nopidfile",
            f"--address=unix:path={runtime}/bus",
            "--print-address=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    keyring_daemon = None
    try:
        ready, _, _ = select.select([bus.stdout], [], [], 10)
        address = bus.stdout.readline().decode().strip() if ready else ""
        if not address:
            _stop(bus)
            pytest.fail(f"dbus-daemon did not start: {bus.stderr.read().decode()[-2000:]}")
        env["DBUS_SESSION_BUS_ADDRESS"] = address

        keyring_daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        keyring_daemon.stdin.write(KEYRING_UNLOCK_PASSWORD.encode())
        keyring_daemon.stdin.close()
        deadline = time.monotonic() + 15
        while not _has_owner(address, "org.freedesktop.secrets"):
            if keyring_daemon.poll() is not None or time.monotonic() > deadline:
                _stop(keyring_daemon)
                pytest.fail(
                    "gnome-keyring-daemon did not take org.freedesktop.secrets: "
                    + keyring_daemon.stderr.read().decode()[-2000:]
                )
            time.sleep(0.05)
        yield SecretService(env=env, root=root)
    finally:
        if keyring_daemon is not None:
            _stop(keyring_daemon)
        _stop(bus)


def test_secret_store_round_trip_through_gnome_keyring(secret_service, monkeypatch):
    from keyring.backends import SecretService as backend_module

    from desktop_blog.core.library import BlogData
    from desktop_blog.core.secrets import SecretStore, secret_key

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.env["DBUS_SESSION_BUS_ADDRESS"])
    backend = backend_module.Keyring()
    assert backend.priority > 0  # keyring finds the service viable
    blog = BlogData(1, "B", "wordpress-rest", "https://blog.example.org", "editor")

    store = SecretStore(backend)
    assert store.persistent and store.backend_name == "SecretService"
    assert store.set(blog, APP_PASSWORD) is True
    # stored in gnome-keyring itself: libsecret's own tool reads it back
    assert secret_service.lookup(secret_key(blog)) == APP_PASSWORD
    # a new store (the next session) finds it
    assert SecretStore(backend_module.Keyring()).get(blog) == APP_PASSWORD
    store.delete(blog)
    assert secret_service.lookup(secret_key(blog)) is None
    assert store.get(blog) is None


def test_keyring_chooses_the_secret_service_by_itself(secret_service):
    code = (
        "from desktop_blog.core.secrets import SecretStore\n"
        "s = SecretStore()\n"
        "print(s.persistent, s.backend_name)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=secret_service.env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True SecretService"


def test_blog_add_keeps_the_password_in_the_keyring_only(secret_service, tmp_path):
    """`blog add` stores the password in gnome-keyring (secret-tool reads it back), in no file
    in plain text (the library, the DEBUG log, the keyring's own encrypted files), and
    `blog remove` deletes it from the keyring."""
    fake = WordPressFake(app_password=APP_PASSWORD)
    home = tmp_path / "lib"
    log = tmp_path / "debug.log"
    runner = (
        "import logging, sys\n"
        "logging.basicConfig(filename=sys.argv.pop(1), level=logging.DEBUG)\n"
        "from desktop_blog.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", runner, str(log), "--home", str(home), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**secret_service.env, "QT_QPA_PLATFORM": "none-such"},
            timeout=60,
        )

    with fake.serve() as base:
        added = cli("blog", "add", base, "--user", USER, "--password-stdin", stdin=APP_PASSWORD)
    assert added.returncode == 0, added.stderr
    assert "  password: saved in the system keyring (SecretService)" in added.stdout
    assert added.stderr == ""
    key = f"{base}|{USER}"
    assert secret_service.lookup(key) == APP_PASSWORD

    token = base64.b64encode(f"{USER}:{APP_PASSWORD}".encode()).decode()
    forms = [APP_PASSWORD, APP_PASSWORD.replace(" ", ""), token]
    assert "DEBUG" in log.read_text()
    keyrings = Path(secret_service.env["XDG_DATA_HOME"]) / "keyrings"
    assert any(p.suffix == ".keyring" for p in keyrings.iterdir())  # searched below too
    for path in (p for p in tmp_path.rglob("*") if p.is_file() and not p.is_socket()):
        data = path.read_bytes()
        assert not any(form.encode() in data for form in forms), path
    assert not any(form in added.stdout + added.stderr for form in forms)

    removed = cli("blog", "remove", "Fake Blog")
    assert removed.returncode == 0, removed.stderr
    assert secret_service.lookup(key) is None
