"""Adding a blog: find its API from the site's address and check the credentials on it.

`probe_blog(client, url, username, password)` does what the "Add blog" dialog and
`desktop-blog blog add` need, with no Qt and no database:

1. Discovery (`discovery.discover`): the home page's `Link: <…>; rel="https://api.w.org/"` header
   or `<link>` tag, else `/?rest_route=/`, for the WordPress REST API; RSD (`EditURI`), the
   pingback address or `xmlrpc.php` for XML-RPC.
2. Verification. WordPress answers a wrong password on public routes as if the request were
   anonymous (200 with public data), so only `GET wp/v2/users/me?context=edit` tells
   (`WordPressRestConnector.verify`); over XML-RPC, `wp.getUsersBlogs`/`wp.getProfile`
   (`XmlRpcConnector.verify`).

With `kind="auto"`, REST is used when the site offers it and XML-RPC otherwise. A password the
REST API refuses is reported as refused, not retried over XML-RPC: WordPress's XML-RPC takes the
login password that REST refuses, and quietly switching protocols would hide why. When the site
announces REST but its `wp/v2` routes are gone (a plugin turned them off), XML-RPC is used, with a
warning. `kind="rest"` or `"xmlrpc"` uses only that API.

Errors are `PublishError`s whose `user_message` fits this moment (no "will be tried again"): a
refused password is a `CredentialsRefused` (an `AuthError`) naming the site; an unreachable site a
`SiteUnreachable` (a `TransportError`); an answer that is not an API's an `UnexpectedAnswer` (a
`BadResponse`); a site without either API `NoBlogApi`. None of them contains the password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from .base import BlogInfo
from .discovery import (
    DiscoveryResult,
    discover,
    insecure_transport_warning,
    normalize_site_url,
)
from .errors import AuthError, BadResponse, PublishError, TransportError, Unsupported
from .wordpress_rest import WordPressRestConnector
from .xmlrpc import XmlRpcConnector

log = logging.getLogger(__name__)

AUTO, REST, XMLRPC = "auto", "rest", "xmlrpc"
CHOICES = (AUTO, REST, XMLRPC)
#: Blog.kind values, as the connectors name themselves.
KIND_REST = WordPressRestConnector.kind
KIND_XMLRPC = XmlRpcConnector.kind


@dataclass(frozen=True)
class ProbeResult:
    """What was found at a site, with verified credentials.

    - `site_url`: the blog's address as reached (after redirects), without a trailing "/".
    - `kind`: "wordpress-rest" or "xmlrpc"; `api_url`: the REST root or the XML-RPC endpoint.
    - `user_name`: the user as the blog knows it; `roles` when the API says.
    - `warnings`: sentences to show (plain http:// to another machine, a user who may not
      publish, REST unusable so XML-RPC is used).
    """

    site_url: str
    blog_name: str
    kind: str
    api_url: str
    user_name: str
    roles: tuple[str, ...]
    can_publish: bool | None
    warnings: tuple[str, ...]
    xmlrpc_blog_id: int
    discovery: DiscoveryResult
    info: BlogInfo

    @property
    def api_label(self) -> str:
        return "WordPress REST API" if self.kind == KIND_REST else "XML-RPC"


# --- Errors with messages for this moment -------------------------------------------------------


class CredentialsRefused(AuthError):
    """The blog refused the user name and password."""

    def __init__(self, message: str, *, site: str, kind: str, **kwargs: Any) -> None:
        super().__init__(message, credentials=True, **kwargs)
        self.site = site
        self.kind = kind

    @property
    def user_message(self) -> str:
        if self.kind == KIND_REST:
            return (
                f"The user name or application password was refused by {self.site}. Use an "
                "application password (in WordPress: Users → Profile → Application Passwords), "
                "not the password you log in with."
            )
        return f"The user name or password was refused by {self.site}."


class SiteUnreachable(TransportError):
    """The site could not be reached (or its certificate is not trusted)."""

    def __init__(self, message: str, *, site: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.site = site

    @property
    def user_message(self) -> str:
        if not self.retryable:
            return (
                f"{self.site} could not be reached securely ({self.message}). Check the address "
                "and the site's certificate."
            )
        return (
            f"{self.site} could not be reached ({self.message}). Check the address and the "
            "network connection."
        )


class UnexpectedAnswer(BadResponse):
    """The site answered, but not as a blog API answers."""

    def __init__(self, message: str, *, site: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.site = site

    @property
    def user_message(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no status"
        shown = f": “{self.excerpt}”" if self.excerpt else ""
        return (
            f"{self.site} answered with something that is not a valid blog API response "
            f"({where}{shown}). The site may be down or behind a login page; try again later or "
            "check the address."
        )


class NoBlogApi(PublishError):
    """Neither the WordPress REST API nor XML-RPC was found (or not the one asked for)."""

    def __init__(self, message: str, *, site: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.site = site

    @property
    def user_message(self) -> str:
        return self.message


# --- The probe ----------------------------------------------------------------------------------


def probe_blog(
    client: httpx.Client,
    url: str,
    username: str,
    password: str,
    *,
    kind: str = AUTO,
) -> ProbeResult:
    """Discover the blog API at `url` and verify `username`/`password` on it.

    `kind` is "auto" (REST when offered, else XML-RPC), "rest" or "xmlrpc". Raises ValueError
    for an address that is not a web address, and the errors in the module docstring.
    """
    if kind not in CHOICES:
        raise ValueError(f"kind must be one of {CHOICES}, not {kind!r}")
    if not username.strip():
        raise ValueError("no user name")
    if not password:
        raise ValueError("no password")
    start = normalize_site_url(url)  # ValueError for what is not a web address
    try:
        found = discover(client, start)
    except TransportError as exc:
        raise _unreachable(exc, shown_url(start)) from exc
    except BadResponse as exc:
        raise _unexpected(exc, shown_url(start)) from exc
    site = shown_url(found.site_url or start)
    log.info(
        "discovered %s: REST %s, XML-RPC %s", site, found.rest_api_url or "-", found.xmlrpc_url
    )

    warnings = list(found.warnings)
    if kind == REST and found.rest_api_url is None:
        raise NoBlogApi(
            f"No WordPress REST API was found at {site}"
            + (" (it offers XML-RPC: add it with that instead)." if found.xmlrpc_url else "."),
            site=site,
        )
    if kind == XMLRPC and found.xmlrpc_url is None:
        raise NoBlogApi(
            f"No XML-RPC endpoint was found at {site} (no RSD document, pingback address or "
            "xmlrpc.php)"
            + (
                " (it offers the WordPress REST API: add it with that)."
                if found.rest_api_url
                else "."
            ),
            site=site,
        )
    if not found.found:
        raise NoBlogApi(
            f"No blog API was found at {site}: neither the WordPress REST API (a Link header or "
            "/?rest_route=/) nor XML-RPC (RSD or xmlrpc.php). Check the address: it should be "
            "the blog's home page.",
            site=site,
        )

    info: BlogInfo | None = None
    if kind in (AUTO, REST) and found.rest_api_url:
        rest = WordPressRestConnector(client, found.rest_api_url, username, password)
        try:
            info = _verify(rest, site)
        except NoBlogApi as exc:
            if kind == REST or found.xmlrpc_url is None:
                raise
            warnings.append(f"{exc.message} XML-RPC is used instead.")
            log.info("REST unusable at %s, trying XML-RPC: %s", site, exc.message)
    if info is None:
        assert found.xmlrpc_url is not None
        xmlrpc = XmlRpcConnector(
            client, found.xmlrpc_url, username, password, blog_id=found.xmlrpc_blog_id
        )
        info = _verify(xmlrpc, site)

    # the address that was reached (after redirects), not the one the blog reports about itself:
    # a WordPress behind a proxy often reports http:// while it is served over https://
    site_url = shown_url(found.site_url or start)
    for address in (site_url, info.api_url):
        warning = insecure_transport_warning(address)
        if warning and warning not in warnings:
            warnings.append(warning)
    if info.can_publish is False:
        roles = f" (role: {', '.join(info.roles)})" if info.roles else ""
        warnings.append(
            f'The user "{info.user_name}"{roles} may not publish posts on this blog: publishing '
            "will be refused until the blog's administrator gives the user a role such as Author."
        )
    return ProbeResult(
        site_url=site_url,
        blog_name=info.name,
        kind=info.kind,
        api_url=info.api_url,
        user_name=info.user_name,
        roles=info.roles,
        can_publish=info.can_publish,
        warnings=tuple(warnings),
        xmlrpc_blog_id=found.xmlrpc_blog_id,
        discovery=found,
        info=info,
    )


def shown_url(url: str) -> str:
    """An address as messages show it: `https://example.org/` → `https://example.org`."""
    parts = urlsplit(url)
    if parts.path in ("", "/") and not parts.query:
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return url


def _verify(connector: WordPressRestConnector | XmlRpcConnector, site: str) -> BlogInfo:
    try:
        return connector.verify()
    except AuthError as exc:
        if exc.credentials:
            raise CredentialsRefused(
                exc.message, site=site, kind=connector.kind, status=exc.status, code=exc.code
            ) from exc
        raise
    except TransportError as exc:
        raise _unreachable(exc, site) from exc
    except BadResponse as exc:
        raise _unexpected(exc, site) from exc
    except Unsupported as exc:
        raise NoBlogApi(
            f"The REST API at {site} offers no WordPress routes ({exc.message}).", site=site
        ) from exc
    except PublishError as exc:
        if exc.code == "rest_no_route" or (exc.status == 404 and connector.kind == KIND_REST):
            raise NoBlogApi(
                f"The WordPress REST API at {site} does not answer as expected; a plugin may "
                f"have turned it off ({exc.message}).",
                site=site,
                status=exc.status,
                code=exc.code,
            ) from exc
        raise


def _unreachable(exc: TransportError, site: str) -> SiteUnreachable:
    return SiteUnreachable(
        exc.message, site=site, retryable=exc.retryable, status=exc.status, code=exc.code
    )


def _unexpected(exc: BadResponse, site: str) -> UnexpectedAnswer:
    return UnexpectedAnswer(
        exc.message, site=site, status=exc.status, excerpt=exc.excerpt, code=exc.code
    )


__all__ = [
    "AUTO",
    "CHOICES",
    "KIND_REST",
    "KIND_XMLRPC",
    "REST",
    "XMLRPC",
    "CredentialsRefused",
    "NoBlogApi",
    "ProbeResult",
    "SiteUnreachable",
    "UnexpectedAnswer",
    "probe_blog",
]
