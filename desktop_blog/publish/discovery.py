"""Find a blog's APIs from its address, and warn about addresses that send secrets in the clear.

WordPress announces its REST API on every page: a `Link: <…/wp-json/>; rel="https://api.w.org/"`
header and the same as a `<link>` in the HTML head. `/?rest_route=/` answers the API root even
without pretty permalinks. XML-RPC is announced through RSD: `<link rel="EditURI"
href="…/xmlrpc.php?rsd">`, an XML document whose `<api apiLink=…>` entries name the endpoint.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from .errors import PublishError, TransportError
from .http import send

log = logging.getLogger(__name__)

REST_REL = "https://api.w.org/"
_RSD_PREFERENCE = ("wordpress", "metaweblog", "movabletype", "blogger")


@dataclass(frozen=True)
class DiscoveryResult:
    """What a site offers. `site_url` is the address after redirects; `warnings` are sentences
    for the user (plain http:// to another machine)."""

    rest_api_url: str | None
    xmlrpc_url: str | None
    site_url: str = ""
    xmlrpc_blog_id: int = 1
    warnings: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.rest_api_url is not None or self.xmlrpc_url is not None


def discover(client: httpx.Client, site_url: str) -> DiscoveryResult:
    """Look at the site's home page (then `?rest_route=/`, the RSD document, and `xmlrpc.php`)
    and return the API addresses found. Raises TransportError when the site cannot be reached;
    finding nothing is a result (`found` is False), not an error.
    """
    start = normalize_site_url(site_url)
    home = _get(client, start)
    final = str(home.url)
    base = _without_query(final)

    rest: str | None = None
    xmlrpc: str | None = None
    blog_id = 1

    data = _json_or_none(home)
    if isinstance(data, dict) and isinstance(data.get("namespaces"), list):
        rest = final  # the address given was the API root itself
    if rest is None:
        rest = _rest_from_link_header(home, final)
    page = _LinkTags()
    if "html" in home.headers.get("Content-Type", "").lower() or home.content.lstrip()[:1] == b"<":
        page.feed(home.content[:500_000].decode(home.encoding or "utf-8", "replace"))
    if rest is None and page.rest:
        rest = urljoin(final, page.rest)
    if rest is None:
        probe_url = base + "?rest_route=/"
        probe = _get_quietly(client, probe_url)
        if probe is not None and probe.status_code == 200 and _is_wp_rest_root(probe):
            rest = probe_url

    if urlsplit(final).path.endswith("xmlrpc.php"):
        xmlrpc = _without_query(final)
    if xmlrpc is None and page.edit_uri:
        xmlrpc, blog_id = _from_rsd(client, urljoin(final, page.edit_uri))
    if xmlrpc is None:
        pingback = home.headers.get("X-Pingback") or page.pingback
        if pingback:
            xmlrpc = urljoin(final, pingback)
    if xmlrpc is None:
        candidate = urljoin(base if base.endswith("/") else base + "/", "xmlrpc.php")
        probe = _get_quietly(client, candidate)
        if probe is not None and probe.status_code == 405 and b"XML-RPC" in probe.content:
            xmlrpc = candidate  # WordPress: "XML-RPC server accepts POST requests only."

    warnings = []
    for url in dict.fromkeys(u for u in (final, rest, xmlrpc) if u):
        warning = insecure_transport_warning(url)
        if warning and warning not in warnings:
            warnings.append(warning)
    return DiscoveryResult(
        rest_api_url=rest,
        xmlrpc_url=xmlrpc,
        site_url=final,
        xmlrpc_blog_id=blog_id,
        warnings=tuple(warnings),
    )


def insecure_transport_warning(url: str) -> str | None:
    """A warning when `url` is plain http:// to another machine; None for https:// or loopback."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return None
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"{host or url} is reached over plain http://: the password and everything you publish "
        "travel unencrypted and can be read or changed on the way. Use https:// if the blog "
        "supports it."
    )


def normalize_site_url(site_url: str) -> str:
    """`example.com/blog` → `https://example.com/blog`; strips spaces and the fragment."""
    text = site_url.strip()
    if not text:
        raise ValueError("no site address")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a web address: {site_url!r}")
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


# --- Helpers ------------------------------------------------------------------------------------


def _get(client: httpx.Client, url: str) -> httpx.Response:
    return send(client, client.build_request("GET", url))


def _get_quietly(client: httpx.Client, url: str) -> httpx.Response | None:
    """A probe: None when it fails in a way that only means "not here"."""
    try:
        return _get(client, url)
    except TransportError as exc:
        if exc.retryable:
            raise  # the site is unreachable: that is worth saying
        return None
    except PublishError:
        return None


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def _json_or_none(response: httpx.Response) -> object:
    if "json" not in response.headers.get("Content-Type", "").lower():
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _is_wp_rest_root(response: httpx.Response) -> bool:
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "wp/v2" in (data.get("namespaces") or [])


def _rest_from_link_header(response: httpx.Response, base: str) -> str | None:
    for value in response.headers.get_list("link"):
        for target, rels in _parse_link_header(value):
            if REST_REL in rels:
                return urljoin(base, target)
    return None


def _parse_link_header(value: str) -> list[tuple[str, set[str]]]:
    """`<url>; rel="a b", <url2>; rel=c` → [(url, {a, b}), (url2, {c})]."""
    links = []
    for part in re.split(r",\s*(?=<)", value):
        part = part.strip()
        if not part.startswith("<"):
            continue
        target, _, params = part.partition(">")
        rels: set[str] = set()
        for param in params.split(";"):
            key, _, val = param.strip().partition("=")
            if key.strip().lower() == "rel":
                rels.update(val.strip().strip('"').split())
        links.append((target[1:].strip(), rels))
    return links


class _LinkTags(HTMLParser):
    """The `<link>` elements discovery cares about, from an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rest: str | None = None
        self.edit_uri: str | None = None
        self.pingback: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        rels = set(values.get("rel", "").lower().split())
        href = values.get("href", "").strip()
        if not href:
            return
        if REST_REL in rels and self.rest is None:
            self.rest = href
        if "edituri" in rels and self.edit_uri is None:
            self.edit_uri = href
        if "pingback" in rels and self.pingback is None:
            self.pingback = href


def _from_rsd(client: httpx.Client, rsd_url: str) -> tuple[str | None, int]:
    """The preferred API endpoint and blog id from an RSD document."""
    response = _get_quietly(client, rsd_url)
    if response is None or response.status_code != 200:
        return None, 1
    try:
        root = ET.fromstring(response.content.lstrip())
    except ET.ParseError:
        log.info("RSD at %s is not XML", rsd_url)
        return None, 1
    apis = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1].lower() != "api":
            continue
        link = element.get("apiLink")
        name = (element.get("name") or "").lower().replace(" ", "")
        # RSD also lists "WP-API" (the REST root): only XML-RPC APIs count here
        if link and (name in _RSD_PREFERENCE or "xmlrpc" in link.lower()):
            rank = _RSD_PREFERENCE.index(name) if name in _RSD_PREFERENCE else len(_RSD_PREFERENCE)
            preferred = 0 if (element.get("preferred") or "").lower() == "true" else 1
            apis.append(((rank, preferred), urljoin(rsd_url, link), element.get("blogID") or ""))
    if not apis:
        return None, 1
    _rank, link, blog_id = min(apis, key=lambda api: api[0])
    return link, int(blog_id) if blog_id.isdigit() else 1
