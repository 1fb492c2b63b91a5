"""Typed errors of the publish layer, each with a sentence the UI can show as it is.

Every connector call raises a `PublishError` subclass or returns; it never lets an `httpx`,
`xmlrpc.client` or `json` exception through. Two properties matter to callers:

- `retryable`: True when the same call may succeed later unchanged (network trouble, rate limits,
  a server error). The sync worker retries those with backoff and gives up on the others.
- `user_message`: a whole sentence for a person. `str(error)` is the technical message for logs.

Neither ever contains the password: connectors build messages from server text passed through a
`Redactor` that knows the secret, and nothing here formats a request's headers or body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import RemotePost

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PublishError(Exception):
    """Something went wrong talking to a blog.

    `status` is the HTTP status (or XML-RPC fault code) when the server answered, `code` the
    server's own error code (WordPress's `rest_post_invalid_id`, ...), `details` a few scalar
    values from the error's `data` (WordPress's `term_id` of an existing term, for example).
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message

    @property
    def user_message(self) -> str:
        return _sentence(f"The blog reported an error: {self.message}")


class AuthError(PublishError):
    """The blog refused the credentials (`credentials=True`) or this user may not do this."""

    def __init__(self, message: str, *, credentials: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.credentials = credentials

    @property
    def user_message(self) -> str:
        if self.credentials:
            return (
                "The blog did not accept the user name and password. For WordPress, use an "
                "application password (Users → Profile → Application Passwords), not the "
                "password you log in with."
            )
        return _sentence(f"The blog does not allow this user to do that: {self.message}")


class NotFound(PublishError):
    """The post, page, term, media item or comment does not exist (any more) on the blog."""

    @property
    def user_message(self) -> str:
        return _sentence(f"The item no longer exists on the blog: {self.message}")


class Conflict(PublishError):
    """The remote post changed since it was last synced: nothing was written.

    `remote` is the post as the blog has it now, when the connector could read it.
    """

    def __init__(
        self,
        message: str,
        *,
        expected_modified: datetime | None = None,
        remote_modified: datetime | None = None,
        remote: RemotePost | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.expected_modified = expected_modified
        self.remote_modified = remote_modified
        self.remote = remote

    @property
    def user_message(self) -> str:
        if self.expected_modified is not None and self.remote_modified is not None:
            return (
                "The post was changed on the blog after it was last synced (on the blog: "
                f"{_when(self.remote_modified)}; last synced: {_when(self.expected_modified)}). "
                "Nothing was overwritten."
            )
        return _sentence(f"The blog reported a conflict, so nothing was changed: {self.message}")


class RateLimited(PublishError):
    """The blog asks to slow down (HTTP 429); `retry_after` in seconds when it said so."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kwargs)

    @property
    def user_message(self) -> str:
        if self.retry_after is None:
            return "The blog asks to slow down; the action will be tried again later."
        seconds = max(1, round(self.retry_after))
        unit = "second" if seconds == 1 else "seconds"
        return f"The blog asks to slow down; the action will be tried again in {seconds} {unit}."


class TransportError(PublishError):
    """The blog could not be reached: DNS, refused or reset connection, timeout, TLS.

    Retryable, except for a certificate the system does not trust (`retryable=False`): that
    needs a person, not another attempt.
    """

    retryable = True

    def __init__(self, message: str, *, retryable: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retryable = retryable

    @property
    def user_message(self) -> str:
        if not self.retryable:
            return _sentence(
                f"The blog's secure connection could not be trusted ({self.message}); "
                "check the address and the site's certificate"
            )
        return _sentence(
            f"Could not reach the blog ({self.message}); check the network connection. "
            "The action will be tried again"
        )


class BadResponse(PublishError):
    """The server answered, but not with what the API answers: an HTML error page instead of
    JSON, malformed JSON or XML, or an unexpected shape. Retryable for 5xx statuses.

    `excerpt` is a short, tag-stripped, secret-free excerpt of what came back.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        excerpt: str = "",
        retryable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, status=status, **kwargs)
        self.excerpt = excerpt
        self.retryable = (status is not None and status >= 500) if retryable is None else retryable

    @property
    def user_message(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no status"
        shown = f": “{self.excerpt}”" if self.excerpt else ""
        text = f"The blog answered with something that is not a valid API response ({where}{shown})"
        if self.retryable:
            text += ". The action will be tried again"
        return _sentence(text)


class ValidationError(PublishError):
    """The data was refused, by the blog (HTTP 400 `rest_invalid_param`, with `params`: the
    parameter names and why) or before sending (then `status` is None)."""

    def __init__(self, message: str, *, params: Mapping[str, str] | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.params: dict[str, str] = dict(params or {})

    @property
    def user_message(self) -> str:
        detail = "; ".join(f"{name}: {why}" for name, why in self.params.items())
        text = f"The blog cannot accept this: {self.message}"
        if detail and detail not in self.message:
            text += f" ({detail})"
        return _sentence(text)


class Unsupported(PublishError):
    """The blog's API lacks this feature (for example comments over plain metaWeblog)."""

    @property
    def user_message(self) -> str:
        return _sentence(f"This blog's API does not support that: {self.message}")


# --- Text helpers shared by the connectors ------------------------------------------------------


class Redactor:
    """Replaces secrets (and the forms they travel in) with a placeholder in any text.

    `Redactor.for_basic_auth(user, password)` knows the password as typed, without its spaces
    (WordPress application passwords are shown in groups), and the Base64 `user:password` of an
    Authorization header, in case a server or proxy echoes a request back.
    """

    PLACEHOLDER = "[hidden]"

    def __init__(self, secrets: Iterable[str]) -> None:
        unique = {s for s in secrets if s and len(s) >= 3}
        self._secrets = sorted(unique, key=len, reverse=True)

    @classmethod
    def for_basic_auth(cls, username: str, password: str) -> Redactor:
        import base64
        from urllib.parse import quote, quote_plus

        variants = {password, password.replace(" ", ""), quote(password), quote_plus(password)}
        for secret in list(variants):
            token = base64.b64encode(f"{username}:{secret}".encode()).decode("ascii")
            variants.add(token)
        return cls(variants)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, self.PLACEHOLDER)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


def clean_text(text: object, limit: int = 300) -> str:
    """Server-provided text as one plain line: tags stripped, entities decoded, at most `limit`."""
    if text is None:
        return ""
    value = _TAG.sub(" ", str(text))
    value = html.unescape(value)
    value = _CONTROL.sub("", value)
    value = _SPACE.sub(" ", value).strip()
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


def body_excerpt(body: bytes | str, limit: int = 160) -> str:
    """A short, readable excerpt of a response body for an error message.

    For an HTML page, its title comes first, then its text; scripts and styles are dropped.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text[:20000]
    title_match = _TITLE.search(text)
    title = clean_text(title_match.group(1), limit) if title_match else ""
    rest = clean_text(_SCRIPT_OR_STYLE.sub(" ", _TITLE.sub(" ", text)), 4 * limit)
    if title and rest.startswith(title):
        rest = rest[len(title) :].lstrip(" -–:")
    combined = f"{title} — {rest}" if title and rest else (title or rest)
    return clean_text(combined, limit)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
