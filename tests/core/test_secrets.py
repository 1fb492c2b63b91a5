"""SecretStore: the system keyring when there is one, memory for the session when there is not.

These tests never touch the keyring of the machine running them: each hands SecretStore a
backend of its own (the real Secret Service is tested in
tests/integration/test_keyring_secret_service.py).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass

import keyring.backend
import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked, PasswordDeleteError

from desktop_blog.core.library import BlogData
from desktop_blog.core.secrets import (
    PASSWORD_ENV,
    SERVICE,
    SecretStore,
    password_from_environment,
    resolve_password,
    secret_key,
    unusable_reason,
)

SECRET = "Tq4w Zs8P mX2r Lk7N Yv3e Bh6D"
IN_MEMORY = "so the password is kept in memory until you quit and asked for again next time."


@dataclass(frozen=True)
class Site:
    url: str
    username: str


BLOG = Site("https://blog.example.org", "editor")


class DictKeyring(keyring.backend.KeyringBackend):
    """A working keyring that keeps its secrets in a dict (a stand-in for a real one)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        try:
            del self.items[(service, username)]
        except KeyError:
            raise PasswordDeleteError("not found") from None


class LockedKeyring(DictKeyring):
    """A keyring whose collection stays locked (the user dismissed the unlock prompt)."""

    def set_password(self, service, username, password):
        raise KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service, username):
        raise KeyringLocked("Failed to unlock the collection!")


def test_key_is_url_and_user():
    assert secret_key(BLOG) == "https://blog.example.org|editor"
    data = BlogData(id=1, name="x", kind="wordpress-rest", url="https://a.example", username="u")
    assert secret_key(data) == "https://a.example|u"


def test_a_working_keyring_keeps_the_secret_not_memory():
    backend = DictKeyring()
    store = SecretStore(backend)
    assert store.persistent and store.reason == "" and store.detail == ""
    assert store.set(BLOG, SECRET) is True
    assert backend.items == {(SERVICE, "https://blog.example.org|editor"): SECRET}
    assert store._memory == {}  # no second copy
    assert store.get(BLOG) == SECRET
    assert SecretStore(backend).get(BLOG) == SECRET  # "next session"
    store.delete(BLOG)
    assert backend.items == {} and store.get(BLOG) is None
    store.delete(BLOG)  # nothing there: no error


@pytest.mark.parametrize(
    "make_backend",
    [fail.Keyring, null.Keyring],
    ids=["fail", "null"],
)
def test_no_usable_backend_falls_back_to_memory(make_backend):
    store = SecretStore(make_backend())
    assert store.persistent is False
    assert store.reason.startswith("No system keyring is available (")
    assert store.reason.endswith(IN_MEMORY)
    assert store.set(BLOG, SECRET) is False
    assert store.get(BLOG) == SECRET
    assert store.get(Site(BLOG.url, "someone else")) is None
    store.delete(BLOG)
    assert store.get(BLOG) is None
    assert SecretStore(make_backend()).get(BLOG) is None  # gone with the session


def test_a_chainer_with_nothing_to_chain_is_no_keyring(monkeypatch):
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [])
    backend = chainer.ChainerBackend()
    assert backend.backends == []
    assert unusable_reason(backend)
    assert SecretStore(backend).persistent is False


def test_a_keyring_failing_in_use_falls_back_and_says_why(caplog):
    caplog.set_level(logging.DEBUG)
    store = SecretStore(LockedKeyring())
    assert store.persistent  # it looked usable
    assert store.set(BLOG, SECRET) is False
    assert store.persistent is False
    assert "KeyringLocked: Failed to unlock the collection!" in store.reason
    assert store.reason.startswith("No system keyring is available (") and IN_MEMORY in store.reason
    assert store.get(BLOG) == SECRET  # from memory, for this session
    assert SECRET not in caplog.text and SECRET not in store.reason and SECRET not in repr(store)


def test_a_keyring_failing_on_read_falls_back():
    store = SecretStore(LockedKeyring())
    assert store.get(BLOG) is None
    assert store.persistent is False and "KeyringLocked" in store.detail
    store.set(BLOG, SECRET)
    assert store.get(BLOG) == SECRET


def test_a_failing_keyring_that_echoes_the_secret_is_redacted():
    class Echo(DictKeyring):
        def set_password(self, service, username, password):
            raise RuntimeError(f"could not store {password!r}")

    store = SecretStore(Echo())
    store.set(BLOG, SECRET)
    assert SECRET not in store.reason and "[hidden]" in store.reason


def test_nothing_logs_the_secret(caplog):
    caplog.set_level(logging.DEBUG)
    for backend in (DictKeyring(), fail.Keyring()):
        store = SecretStore(backend)
        store.set(BLOG, SECRET)
        store.get(BLOG)
        store.delete(BLOG)
    assert "https://blog.example.org|editor" in caplog.text  # the key is logged...
    assert SECRET not in caplog.text  # ...the secret never


def test_forced_fail_backend_in_a_fresh_process():
    """keyring's own backend choice, forced to the fail backend: in memory, with the reason."""
    code = (
        "from desktop_blog.core.secrets import SecretStore\n"
        "s = SecretStore()\n"
        "print(s.persistent, s.backend_name)\n"
        "print(s.reason)\n"
    )
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    first, reason = out.stdout.splitlines()[:2]
    assert first == "False fail"
    assert reason == (
        "No system keyring is available (no keyring service such as GNOME Keyring or KWallet "
        "was found), so the password is kept in memory until you quit and asked for again next "
        "time."
    )


def test_password_from_the_environment():
    assert password_from_environment({PASSWORD_ENV: "pw"}) == "pw"
    assert password_from_environment({PASSWORD_ENV: ""}) is None
    assert password_from_environment({}) is None
    store = SecretStore(DictKeyring())
    assert resolve_password(store, BLOG, {PASSWORD_ENV: "from-env"}) == "from-env"
    store.set(BLOG, SECRET)
    assert resolve_password(store, BLOG, {PASSWORD_ENV: "from-env"}) == SECRET
