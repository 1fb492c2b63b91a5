"""Blog passwords in the system keyring, or in memory for this session when there is none.

A blog's secret (a WordPress application password, or an XML-RPC password) never goes into the
library's SQLite file, the settings or a log: it lives in the system keyring through Python's
`keyring` (the Secret Service of GNOME/KDE on Linux, the macOS Keychain, Windows' Credential
Locker), under the service name ``desktop-blog`` and the key ``"<blog url>|<user name>"``.

Where no keyring backend is usable (a headless machine, a desktop without a Secret Service, a
locked keyring that refuses to open), `SecretStore` keeps secrets in memory for the rest of the
session instead, sets `persistent` to False and explains why in `reason`, a sentence the window
or the command line shows. The window then asks for the password once per session.

The command line runs one command per process, so there an in-memory secret is gone when the
command ends: commands that talk to a blog take it from the environment variable
``DESKTOP_BLOG_PASSWORD`` (see `password_from_environment`) or from standard input.

No Qt here. Nothing in this module logs or formats a secret: log lines name the key, never the
value, and `repr(SecretStore)` shows neither.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Protocol

import keyring
import keyring.backend
from keyring.errors import PasswordDeleteError

log = logging.getLogger(__name__)

SERVICE = "desktop-blog"
#: Where commands that talk to a blog look for the password when the keyring has none.
PASSWORD_ENV = "DESKTOP_BLOG_PASSWORD"

_IN_MEMORY = (
    "No system keyring is available ({why}), so the password is kept in memory until you quit "
    "and asked for again next time."
)


class BlogIdentity(Protocol):
    """What names a blog's secret: its address and the user name on it (BlogData has both)."""

    @property
    def url(self) -> str: ...

    @property
    def username(self) -> str: ...


def secret_key(blog: BlogIdentity) -> str:
    """The keyring "user name" the secret of `blog` is stored under: ``"<url>|<user name>"``."""
    return f"{blog.url}|{blog.username}"


def backend_name(backend: keyring.backend.KeyringBackend) -> str:
    """`keyring.backends.SecretService.Keyring` → "SecretService"; for messages and logs."""
    module = type(backend).__module__
    if module.startswith("keyring.backends."):
        return module.rsplit(".", 1)[-1]
    return f"{module}.{type(backend).__name__}"


def unusable_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why `backend` cannot keep a secret across sessions, or None when it looks usable.

    Only what can be told without touching the keyring: the fail and null backends, and a
    chainer with nothing to chain. A backend that fails when used is caught by `SecretStore`.
    """
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return "no keyring service such as GNOME Keyring or KWallet was found"
    if isinstance(backend, null.Keyring):
        return "the keyring is turned off"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "no keyring service such as GNOME Keyring or KWallet was found"
    return None


class SecretStore:
    """Get, set and delete blog secrets; thread-safe.

    `persistent` is True while secrets go to the system keyring. It turns False, with `reason`
    (a sentence) and `detail` (a clause) set, when there is no usable backend or the backend
    fails when used; from then on secrets live in memory only, for the life of this object (the
    app makes one per session).
    """

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._lock = threading.Lock()
        self._memory: dict[str, str] = {}
        why = unusable_reason(self._backend)
        self.persistent = why is None
        #: why secrets are in memory only, as a clause ("" while persistent)
        self.detail = why or ""
        #: the same as a sentence for the user ("" while persistent)
        self.reason = _IN_MEMORY.format(why=why) if why else ""
        if why:
            log.info("secrets kept in memory: %s", why)
        else:
            log.debug("secrets kept in the %s keyring", self.backend_name)

    @property
    def backend_name(self) -> str:
        return backend_name(self._backend)

    def __repr__(self) -> str:
        where = self.backend_name if self.persistent else "memory"
        return f"SecretStore({where})"

    def set(self, blog: BlogIdentity, secret: str) -> bool:
        """Keep `secret` for `blog`. Returns True when it went to the system keyring, False when
        it is only in memory (then `reason` says why)."""
        key = secret_key(blog)
        with self._lock:
            self._memory[key] = secret
            if not self.persistent:
                return False
        try:
            self._backend.set_password(SERVICE, key, secret)
        except Exception as exc:  # noqa: BLE001 - any keyring failure: fall back to memory
            self._give_up(exc, "storing", secret)
            return False
        with self._lock:  # the keyring has it now: no second copy in memory
            self._memory.pop(key, None)
        log.info("password for %s stored in the %s keyring", key, self.backend_name)
        return True

    def get(self, blog: BlogIdentity) -> str | None:
        """The secret for `blog`, or None when neither the keyring nor memory has one."""
        key = secret_key(blog)
        with self._lock:
            if key in self._memory or not self.persistent:
                return self._memory.get(key)
        try:
            return self._backend.get_password(SERVICE, key)
        except Exception as exc:  # noqa: BLE001 - any keyring failure: fall back to memory
            self._give_up(exc, "reading")
            return None

    def delete(self, blog: BlogIdentity) -> None:
        """Forget the secret for `blog` (nothing happens when there is none)."""
        key = secret_key(blog)
        with self._lock:
            self._memory.pop(key, None)
            if not self.persistent:
                return
        try:
            self._backend.delete_password(SERVICE, key)
        except PasswordDeleteError:
            pass  # there was none
        except Exception as exc:  # noqa: BLE001 - any keyring failure
            # It may stay in the keyring; say so in the log (the key only, never the value).
            log.warning(
                "could not delete the password for %s from the keyring: %s",
                key,
                type(exc).__name__,
            )
            return
        log.info("password for %s deleted from the %s keyring", key, self.backend_name)

    def _give_up(self, exc: Exception, doing: str, secret: str = "") -> None:
        why = f"the {self.backend_name} keyring failed while {doing} a password: "
        why += _error_text(exc, secret)
        with self._lock:
            if self.persistent:
                self.persistent = False
                self.detail = why
                self.reason = _IN_MEMORY.format(why=why)
        log.warning("secrets kept in memory from now on: %s", why)


def _error_text(exc: BaseException, secret: str = "") -> str:
    """The error's type, and its message when short (a D-Bus message can be long). Keyring
    errors carry no secret; should one ever echo it, it is cut out."""
    text = " ".join(str(exc).split())
    if secret and len(secret) >= 3:
        text = text.replace(secret, "[hidden]")
    name = type(exc).__name__
    if not text or len(text) > 200:
        return name
    return f"{name}: {text}"


def password_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The password in ``$DESKTOP_BLOG_PASSWORD``, or None when it is unset or empty."""
    value = (os.environ if environ is None else environ).get(PASSWORD_ENV)
    return value or None


def resolve_password(
    store: SecretStore, blog: BlogIdentity, environ: Mapping[str, str] | None = None
) -> str | None:
    """For headless commands: the keyring's (or this session's) secret for `blog`, else
    ``$DESKTOP_BLOG_PASSWORD``, else None."""
    return store.get(blog) or password_from_environment(environ)


__all__ = [
    "PASSWORD_ENV",
    "SERVICE",
    "BlogIdentity",
    "SecretStore",
    "backend_name",
    "password_from_environment",
    "resolve_password",
    "secret_key",
    "unusable_reason",
]
