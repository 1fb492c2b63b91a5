"""Finding a blog's APIs: Link header, <link> tags, ?rest_route=/, RSD, pingback, xmlrpc.php."""

from __future__ import annotations

import httpx
import pytest

from desktop_blog.publish.discovery import (
    discover,
    insecure_transport_warning,
    normalize_site_url,
)
from desktop_blog.publish.errors import TransportError
from tests.publish.helpers import Router, json_response, raising, recorded

SITE = "https://blog.example.org/"
HTML = {"Content-Type": "text/html; charset=UTF-8"}
LINKS = (
    '<https://blog.example.org/wp-json/>; rel="https://api.w.org/", '
    '<https://blog.example.org/wp-json/wp/v2/pages/2>; rel="alternate"; type="application/json", '
    "<https://blog.example.org/>; rel=shortlink"
)


def page(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=recorded(name), headers={**HTML, **headers})


def rsd() -> httpx.Response:
    return httpx.Response(
        200, content=recorded("site/rsd.xml"), headers={"Content-Type": "text/xml"}
    )


def home_route(answer):
    """The home page, but not the ?rest_route=/ probe of the same path."""

    def route(request: httpx.Request) -> httpx.Response:
        if "rest_route" in request.url.params:
            return httpx.Response(200, content=recorded("site/home.html"), headers=HTML)
        return answer(request) if callable(answer) else answer

    return route


def test_link_header_and_rsd(router: Router):
    router.add("GET", r"/", home_route(page("site/home.html", Link=LINKS)))
    router.add("GET", r"/xmlrpc.php", rsd())
    result = discover(router.client(), "blog.example.org")
    assert result.rest_api_url == "https://blog.example.org/wp-json/"
    assert result.xmlrpc_url == "https://blog.example.org/xmlrpc.php"
    assert result.xmlrpc_blog_id == 1 and result.found
    assert result.site_url == SITE and result.warnings == ()
    assert [r.url.params.get("rsd") for r in router.requests] == [None, ""]  # no probes needed


def test_link_tag_without_header(router: Router):
    router.add("GET", r"/", home_route(page("site/home.html")))
    router.add("GET", r"/xmlrpc.php", rsd())
    result = discover(router.client(), SITE)
    assert result.rest_api_url == "https://blog.example.org/wp-json/"


def test_rest_route_fallback_and_pingback(router: Router):
    """A theme removed the head links and the server sends no Link header."""

    def home(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("rest_route") == "/":
            return json_response(200, "rest/index.json")
        return page("site/home_plain_permalinks.html")

    router.add("GET", r"/", home)
    result = discover(router.client(), SITE)
    assert result.rest_api_url == "https://blog.example.org/?rest_route=/"
    assert result.xmlrpc_url == "https://blog.example.org/xmlrpc.php"  # from rel="pingback"


def test_xmlrpc_php_probe(router: Router):
    router.add(
        "GET",
        r"/",
        home_route(httpx.Response(200, text="<html><head></head></html>", headers=HTML)),
    )
    router.add(
        "GET",
        r"/xmlrpc.php",
        httpx.Response(
            405,
            text="XML-RPC server accepts POST requests only.",
            headers={"Content-Type": "text/plain"},
        ),
    )
    result = discover(router.client(), SITE)
    assert result.rest_api_url is None
    assert result.xmlrpc_url == "https://blog.example.org/xmlrpc.php"


def test_a_site_without_apis(router: Router):
    router.add(
        "GET",
        r"/",
        home_route(httpx.Response(200, text="<html><body>Hi</body></html>", headers=HTML)),
    )
    result = discover(router.client(), SITE)
    assert not result.found and result.rest_api_url is None and result.xmlrpc_url is None


def test_rsd_listing_only_the_rest_api_is_not_xmlrpc(router: Router):
    only_rest = (
        b'<?xml version="1.0"?><rsd version="1.0" xmlns="http://archipelago.phrasewise.com/rsd">'
        b'<service><apis><api name="WP-API" blogID="1" preferred="false" '
        b'apiLink="https://blog.example.org/wp-json/" /></apis></service></rsd>'
    )

    def xmlrpc(request: httpx.Request) -> httpx.Response:
        if "rsd" in request.url.params:
            return httpx.Response(200, content=only_rest)
        return httpx.Response(404, text="Not Found")

    router.add("GET", r"/", home_route(page("site/home.html", Link=LINKS)))
    router.add("GET", r"/xmlrpc.php", xmlrpc)
    assert discover(router.client(), SITE).xmlrpc_url is None


def test_the_api_root_itself(router: Router):
    router.add("GET", r"/wp-json/", json_response(200, "rest/index.json"))
    router.add("GET", r"/wp-json/xmlrpc.php", httpx.Response(404))
    result = discover(router.client(), "https://blog.example.org/wp-json/")
    assert result.rest_api_url == "https://blog.example.org/wp-json/"


def test_redirect_to_https_is_followed_and_warns_nothing(router: Router):
    router.add("GET", r"/", home_route(lambda request: _http_to_https(request)))
    router.add("GET", r"/xmlrpc.php", rsd())
    client = httpx.Client(transport=httpx.MockTransport(router), follow_redirects=True)
    result = discover(client, "http://blog.example.org")
    assert result.site_url == SITE and result.warnings == ()


def _http_to_https(request: httpx.Request) -> httpx.Response:
    if request.url.scheme == "http":
        return httpx.Response(301, headers={"Location": SITE})
    return page("site/home.html", Link=LINKS)


def test_plain_http_to_another_machine_warns(router: Router):
    router.add("GET", r"/", home_route(page("site/home.html")))
    router.add("GET", r"/xmlrpc.php", rsd())
    result = discover(router.client(), "http://blog.example.org/")
    assert len(result.warnings) == 1 and "unencrypted" in result.warnings[0]


def test_unreachable_site(router: Router):
    router.add(
        "GET",
        r"/",
        raising(lambda r: httpx.ConnectError("[Errno -2] Name or service not known", request=r)),
    )
    with pytest.raises(TransportError):
        discover(router.client(), SITE)


@pytest.mark.parametrize(
    ("url", "warns"),
    [
        ("https://blog.example.org/", False),
        ("http://localhost:8080/", False),
        ("http://127.0.0.5/", False),
        ("http://[::1]:8080/wp-json/", False),
        ("http://wp.localhost/", False),
        ("http://blog.example.org/", True),
        ("http://10.0.0.7/xmlrpc.php", True),
        ("HTTP://Blog.Example.org/", True),
    ],
)
def test_insecure_transport_warning(url, warns):
    warning = insecure_transport_warning(url)
    assert (warning is not None) is warns
    if warning:
        assert "https://" in warning and warning.endswith(".")


def test_normalize_site_url():
    assert normalize_site_url(" example.com/blog ") == "https://example.com/blog"
    assert normalize_site_url("HTTP://example.com#top") == "http://example.com/"
    for bad in ("", "ftp://example.com", "https://"):
        with pytest.raises(ValueError):
            normalize_site_url(bad)
