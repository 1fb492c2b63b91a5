"""The one place that builds the `httpx.Client` connectors get, and HTTP helpers they share.

Connectors take an injected client, so tests hand in `httpx.MockTransport`, a WSGI fake, or a
real server, and the app hands in `make_client()`.
"""

from __future__ import annotations

import email.utils
import logging
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from .. import __version__
from .errors import PublishError, TransportError

log = logging.getLogger(__name__)

USER_AGENT = f"DesktopBlog/{__version__}"
CONNECT_TIMEOUT = 10.0


def make_client(
    timeout: float = 20.0,
    verify: bool | ssl.SSLContext = True,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A client for talking to blogs.

    - `timeout` bounds each read, write and pool wait (not the whole request, so a large upload
      that keeps moving is fine); connecting gets at most 10 s.
    - TLS certificates are verified (pass an `ssl.SSLContext` for a private CA, never False in
      the app).
    - Redirects are followed (http → https, a moved site); connectors refuse a write that a
      redirect turned into a GET.
    - httpx never sends `Expect: 100-continue` (PHP's built-in server does not answer it, and a
      client that waits for it stalls about a second).
    """
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
        verify=verify,
        transport=transport,
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
    )


def parse_retry_after(
    value: str | None, date_header: str | None = None, now: datetime | None = None
) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date.

    An HTTP date is measured against the response's own `Date` header when there is one (the
    server's clock), else against `now`. Never negative; None when absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    reference = now or datetime.now(UTC)
    if date_header:
        try:
            reference = email.utils.parsedate_to_datetime(date_header) or reference
        except (TypeError, ValueError, IndexError):
            pass
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    return max(0.0, (when - reference).total_seconds())


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    auth: httpx.Auth | None = None,
    redact: Callable[[str], str] = str,
) -> httpx.Response:
    """Send and read a request, turning httpx's exceptions into PublishErrors.

    Transport trouble (timeouts, DNS, refused/reset connections, a connection closed before the
    whole answer) becomes a retryable TransportError; a certificate the system does not trust
    becomes a TransportError that is not retryable.
    """
    where = f"{request.method} {_short_url(request.url)}"
    started = time.perf_counter()
    try:
        response = client.send(request, auth=auth) if auth else client.send(request)
    except httpx.TimeoutException as exc:
        raise TransportError(redact(f"no answer in time ({_timeout_kind(exc)}; {where})")) from exc
    except httpx.UnsupportedProtocol as exc:
        raise PublishError(redact(f"unsupported address {request.url!s}: {exc}")) from exc
    except httpx.TooManyRedirects as exc:
        raise TransportError(
            redact(f"too many redirects ({where})"), retryable=False, code="too_many_redirects"
        ) from exc
    except httpx.TransportError as exc:
        certificate = _certificate_problem(exc)
        if certificate:
            raise TransportError(
                redact(f"{certificate} ({where})"), retryable=False, code="certificate"
            ) from exc
        detail = str(exc) or type(exc).__name__
        raise TransportError(redact(f"{_describe(exc)}: {detail} ({where})")) from exc
    except httpx.HTTPError as exc:  # DecodingError and the like: the answer arrived garbled
        raise TransportError(redact(f"{type(exc).__name__}: {exc} ({where})")) from exc
    log.debug(
        "%s -> %s (%.0f ms)", where, response.status_code, (time.perf_counter() - started) * 1000
    )
    return response


def redirected_write(method: str, response: httpx.Response) -> bool:
    """True when a redirect turned a write (POST, PUT, DELETE) into another method: the write
    never reached its target, and the API address is out of date (often http → https)."""
    return bool(response.history) and response.request.method != method.upper()


def _short_url(url: httpx.URL) -> str:
    """Scheme, host and path: no query (it carries nothing secret, but it is long)."""
    return str(url.copy_with(query=None, fragment=None))


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting timed out",
        httpx.ReadTimeout: "reading the answer timed out",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "waiting for a free connection timed out",
    }.get(type(exc), "timed out")


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection broke off"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "the connection failed"
    if isinstance(exc, httpx.ProxyError):
        return "the proxy failed"
    return "network error"


def _certificate_problem(exc: BaseException) -> str | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"the certificate is not trusted: {current.verify_message or current}"
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return "the certificate is not trusted"
        current = current.__cause__ or current.__context__
    return None
