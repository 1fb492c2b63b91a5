"""The "Add blog" dialog: site address, user name and (application) password.

"Check" finds the blog's API and verifies the password (`publish.accounts.probe_blog`) on a
network worker, then shows what it found: the API, the blog's name, the user as the blog knows
it, and warnings (plain http:// to another machine, a user who may not publish). "Add" stores the
blog in the library (`core.blogs.add_blog`, on the database worker; checking first when that was
not done for these very fields) and the password in the `SecretStore`, never in SQLite or the
settings. Where there is no keyring the dialog says so before adding: the password is then kept
in memory until the app quits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

KINDS = (
    ("auto", "Find out (WordPress REST, else XML-RPC)"),
    ("rest", "WordPress REST API (application password)"),
    ("xmlrpc", "XML-RPC (password)"),
)


def error_text(exc: BaseException) -> str:
    """A sentence for the user; never the password (publish errors are redacted)."""
    from desktop_blog.core.blogs import BlogError
    from desktop_blog.publish.errors import PublishError

    if isinstance(exc, PublishError):
        return exc.user_message
    if isinstance(exc, BlogError):
        return str(exc)
    if isinstance(exc, ValueError):
        text = str(exc)
        return {
            "no site address": "Enter the blog's address.",
            "no user name": "Enter the user name.",
            "no password": "Enter the password.",
        }.get(text, text[:1].upper() + text[1:])
    return f"Something went wrong: {type(exc).__name__}."


class AddBlogDialog(QDialog):
    """Checks a blog's address and password, then adds it."""

    #: a probe succeeded (`publish.accounts.ProbeResult`)
    checked = Signal(object)
    #: the blog was added: (`core.blogs.BlogRecord`, the password, whether the keyring kept it)
    added = Signal(object, str, bool)

    def __init__(
        self,
        library: Any,
        tasks: Any,
        secrets: Any,
        parent: QWidget | None = None,
        *,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("addBlogDialog")
        self.setWindowTitle("Add a blog")
        self.setMinimumSize(600, 460)
        self.library = library
        self.tasks = tasks
        self.secrets = secrets
        self._client_factory = client_factory
        self.probe: Any | None = None  # the last successful ProbeResult
        self._probe_key: tuple | None = None  # the fields it was made with
        self._busy = False
        self._add_after_check = False

        self.url = QLineEdit()
        self.url.setObjectName("blogUrl")
        self.url.setPlaceholderText("https://example.org")
        self.user = QLineEdit()
        self.user.setObjectName("blogUser")
        self.password = QLineEdit()
        self.password.setObjectName("blogPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("xxxx xxxx xxxx xxxx xxxx xxxx")
        self.kind = QComboBox()
        self.kind.setObjectName("blogKind")
        for value, label in KINDS:
            self.kind.addItem(label, value)
        self.name = QLineEdit()
        self.name.setObjectName("blogName")
        self.name.setPlaceholderText("The blog's own title")

        form = QFormLayout()
        form.addRow("Site &address:", self.url)
        form.addRow("&User name:", self.user)
        form.addRow("&Password:", self.password)
        form.addRow("&API:", self.kind)
        form.addRow("&Name here:", self.name)

        hint = QLabel(
            "For WordPress, create an <b>application password</b> (Users → Profile → "
            "Application Passwords); the password you log in with is refused by its REST API."
        )
        hint.setWordWrap(True)
        self.http_warning = QLabel()
        self.http_warning.setObjectName("blogHttpWarning")
        self.http_warning.setWordWrap(True)
        self.http_warning.setStyleSheet("color: #b35c00;")
        self.http_warning.hide()
        self.result = QLabel("Enter the blog's address and your user name and password.")
        self.result.setObjectName("blogCheckResult")
        self.result.setWordWrap(True)
        self.result.setMinimumHeight(60)
        self.result.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.keyring_note = QLabel()
        self.keyring_note.setObjectName("blogKeyringNote")
        self.keyring_note.setWordWrap(True)
        self._show_keyring_note()

        self.check_button = QPushButton("&Check")
        self.check_button.setObjectName("blogCheck")
        self.add_button = QPushButton("Add &Blog")
        self.add_button.setObjectName("blogAdd")
        self.add_button.setDefault(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.rejected.connect(self.reject)
        # AcceptRole would close the dialog; adding is asynchronous, so it is wired by hand.
        self.add_button.clicked.connect(self.add)
        self.check_button.clicked.connect(self.check)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.http_warning)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        check_row.addWidget(self.result, 1)
        layout.addLayout(check_row)
        layout.addWidget(self.keyring_note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.url.textChanged.connect(self._url_changed)
        for edit in (self.url, self.user, self.password):
            edit.textChanged.connect(self._update_buttons)
        self.kind.currentIndexChanged.connect(self._update_buttons)
        self._update_buttons()

    # --- state --------------------------------------------------------------------------------

    def _key(self) -> tuple:
        return (
            self.url.text().strip(),
            self.user.text().strip(),
            self.password.text(),
            self.kind.currentData(),
        )

    def _filled(self) -> bool:
        url, user, password, _kind = self._key()
        return bool(url and user and password)

    def _update_buttons(self) -> None:
        self.check_button.setEnabled(self._filled() and not self._busy)
        self.add_button.setEnabled(self._filled() and not self._busy)
        for edit in (self.url, self.user, self.password, self.kind, self.name):
            edit.setEnabled(not self._busy)

    def _url_changed(self, text: str) -> None:
        from desktop_blog.publish.discovery import insecure_transport_warning, normalize_site_url

        warning = None
        try:
            if urlsplit(text.strip()).hostname or "://" not in text:
                warning = insecure_transport_warning(normalize_site_url(text))
        except ValueError:
            warning = None
        self.http_warning.setText(f"⚠ {warning}" if warning else "")
        self.http_warning.setVisible(bool(warning))

    def _show_keyring_note(self) -> None:
        if self.secrets is None or getattr(self.secrets, "persistent", False):
            where = getattr(self.secrets, "backend_name", "system")
            self.keyring_note.setText(
                f"The password will be kept in the system keyring ({where}), not in the library."
            )
            self.keyring_note.setStyleSheet("")
        else:
            self.keyring_note.setText(self.secrets.reason)
            self.keyring_note.setStyleSheet("color: #b35c00;")

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self._busy = busy
        if message:
            self.result.setText(message)
        self._update_buttons()

    # --- check --------------------------------------------------------------------------------

    def check(self) -> None:
        """Find the API and verify the password, off the GUI thread."""
        if self._busy or not self._filled():
            return
        url, user, password, kind = self._key()
        self.result.setStyleSheet("")
        self._set_busy(True, f"Checking {url}…")
        library = self.library
        factory = self._client_factory
        wanted_name = self.name.text().strip()

        def refuse_known_account() -> None:
            from desktop_blog.core import blogs
            from desktop_blog.publish.discovery import normalize_site_url

            with library.session() as session:
                blogs.check_new_account(session, normalize_site_url(url), user)
                if wanted_name:
                    blogs.check_name(session, wanted_name)

        def probe() -> Any:
            from desktop_blog.publish.accounts import probe_blog
            from desktop_blog.publish.http import make_client

            client = factory() if factory else make_client()
            try:
                return probe_blog(client, url, user, password, kind=kind)
            finally:
                client.close()

        def known_ok(_none: Any) -> None:
            self.tasks.run_net(probe, lambda found: self._probed(key, found), self._failed)

        key = (url, user, password, kind)
        self.tasks.run_db(refuse_known_account, known_ok, self._failed)

    def _probed(self, key: tuple, found: Any) -> None:
        self.probe = found
        self._probe_key = key
        self._set_busy(False)
        rows = [
            f"<b>Found:</b> {_esc(found.blog_name) or '(no title)'} at {_esc(found.site_url)}",
            f"<b>API:</b> {found.api_label} ({_esc(found.api_url)})",
            f"<b>User:</b> {_esc(found.user_name)}"
            + (f" ({_esc(', '.join(found.roles))})" if found.roles else ""),
        ]
        rows += [f"<span style='color:#b35c00'>⚠ {_esc(w)}</span>" for w in found.warnings]
        self.result.setStyleSheet("")
        self.result.setText("<br>".join(rows))
        if not self.name.text().strip() and found.blog_name:
            self.name.setPlaceholderText(found.blog_name)
        self.checked.emit(found)
        if self._add_after_check:
            self._add_after_check = False
            self._store()

    def _failed(self, exc: BaseException) -> None:
        self._add_after_check = False
        self._set_busy(False)
        log.info("adding a blog: %s", type(exc).__name__)
        self.result.setStyleSheet("color: #c0392b;")
        self.result.setText(error_text(exc))

    # --- add ----------------------------------------------------------------------------------

    def add(self) -> None:
        """Add the checked blog (checking first if these fields were not checked)."""
        if self._busy or not self._filled():
            return
        if self.probe is None or self._probe_key != self._key():
            self._add_after_check = True
            self.check()
            return
        self._store()

    def _store(self) -> None:
        from desktop_blog.core import blogs

        found = self.probe
        assert found is not None
        _url, user, password, _kind = self._probe_key or self._key()
        wanted = self.name.text().strip()
        library = self.library
        secrets = self.secrets
        self._set_busy(True, "Adding the blog…")

        def write() -> Any:
            with library.session() as session:
                name = wanted or blogs.unique_name(session, found.blog_name or _host(found))
                record = blogs.add_blog(
                    session, name, found.kind, found.site_url, found.api_url, user
                )
                session.commit()
                return record

        def keep_secret(record: Any) -> None:
            # The keyring may block on D-Bus: a network worker, not the GUI thread.
            self.tasks.run_net(
                lambda: secrets.set(record, password),
                lambda saved: self._added(record, password, bool(saved)),
                lambda exc: self._added(record, password, False),
            )

        self.tasks.run_db(write, keep_secret, self._failed)

    def _added(self, record: Any, password: str, saved: bool) -> None:
        self._set_busy(False)
        self.added.emit(record, password, saved)
        self.accept()


def _esc(text: str) -> str:
    import html

    return html.escape(text or "")


def _host(found: Any) -> str:
    return urlsplit(found.site_url).hostname or found.site_url


__all__ = ["KINDS", "AddBlogDialog", "error_text"]
