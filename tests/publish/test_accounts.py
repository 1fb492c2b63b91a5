"""probe_blog: discovery plus verification, against the fake WordPress (in process and on loopback).

Sites that announce less than the fake does (no Link header, no REST at all, REST turned off by a
plugin) are the fake behind a small WSGI filter.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable

import httpx
import pytest

from desktop_blog.publish import accounts
from desktop_blog.publish.accounts import (
    CredentialsRefused,
    NoBlogApi,
    SiteUnreachable,
    UnexpectedAnswer,
    probe_blog,
)
from desktop_blog.publish.errors import AuthError, BadResponse, TransportError
from desktop_blog.publish.http import make_client
from tests.fakes.wp_fake import WordPressFake

SITE = "https://blog.example.org"
APP_PASSWORD = "Vb5n Qw8e Rt2y Ui4o Pa6s Df9g"
LOGIN_PASSWORD = "a login password, not for REST"


@pytest.fixture
def fake() -> WordPressFake:
    return WordPressFake(app_password=APP_PASSWORD, login_password=LOGIN_PASSWORD)


def client_for(app: Callable) -> httpx.Client:
    return make_client(transport=httpx.WSGITransport(app=app))


# --- WSGI filters: sites that announce less ------------------------------------------------------


def filtered(
    fake: WordPressFake,
    *,
    link_header: bool = True,
    link_tag: bool = True,
    wp_json: bool = True,
    rest_route: bool = True,
    users_me: bool = True,
) -> Callable:
    """The fake, minus what is turned off."""

    def app(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        query = environ.get("QUERY_STRING", "")
        if not wp_json and path.startswith("/wp-json"):
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<h1>Not Found</h1>"]
        if not rest_route and "rest_route" in query:
            environ = {**environ, "QUERY_STRING": ""}  # WordPress without REST: the home page
        if not users_me and ("users/me" in path or "users%2Fme" in query or "users/me" in query):
            body = (
                b'{"code":"rest_no_route","message":"No route was found matching the URL and '
                b'request method.","data":{"status":404}}'
            )
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [body]
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        body = b"".join(fake(environ, capture))
        headers = captured["headers"]
        if not link_header:
            headers = [(k, v) for k, v in headers if k.lower() != "link"]
        if not link_tag and b"api.w.org" in body:
            body = re.sub(rb'<link rel="https://api\.w\.org/"[^>]*>\n?', b"", body)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(captured["status"], headers)
        return [body]

    return app


# --- REST -----------------------------------------------------------------------------------------


def test_rest_found_through_the_link_header(fake: WordPressFake):
    with client_for(fake) as client:
        found = probe_blog(client, "blog.example.org", "admin", APP_PASSWORD)
    assert found.kind == "wordpress-rest" == accounts.KIND_REST
    assert found.api_url == f"{SITE}/wp-json/"
    assert found.blog_name == "Fake Blog"
    assert found.user_name == "admin" and found.roles == ("administrator",)
    assert found.can_publish is True
    assert found.site_url == SITE
    assert found.warnings == ()
    assert found.api_label == "WordPress REST API"
    # verified where a wrong password shows: users/me in the edit context
    me = fake.requests_to("/wp/v2/users/me")
    assert [r.query.get("context") for r in me] == ["edit"]
    assert not any("rest_route" in r.query for r in fake.log)  # the header was enough


def test_rest_found_through_rest_route_when_nothing_announces_it(fake: WordPressFake):
    app = filtered(fake, link_header=False, link_tag=False, wp_json=False)
    with client_for(app) as client:
        found = probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert found.kind == "wordpress-rest"
    assert found.api_url == f"{SITE}/?rest_route=/"
    me = fake.requests_to("/wp/v2/users/me")
    assert me and me[-1].query["rest_route"] == "/wp/v2/users/me"


def test_xmlrpc_found_through_rsd_when_there_is_no_rest(fake: WordPressFake):
    app = filtered(fake, link_header=False, link_tag=False, wp_json=False, rest_route=False)
    with client_for(app) as client:
        found = probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert found.kind == "xmlrpc" == accounts.KIND_XMLRPC
    assert found.api_url == f"{SITE}/xmlrpc.php"
    assert found.xmlrpc_blog_id == 1
    assert found.blog_name == "Fake Blog" and found.user_name == "admin"
    assert found.api_label == "XML-RPC"
    assert [r.target for r in fake.log if "rsd" in r.query] == ["/xmlrpc.php"]
    assert fake.requests_to("xmlrpc:wp.getUsersBlogs")


def test_xmlrpc_when_the_user_chooses_it(fake: WordPressFake):
    with client_for(fake) as client:
        found = probe_blog(client, SITE, "admin", LOGIN_PASSWORD, kind="xmlrpc")
    assert found.kind == "xmlrpc"  # XML-RPC takes the login password too
    assert not fake.requests_to("/wp/v2/users/me")


def test_rest_turned_off_by_a_plugin_falls_back_to_xmlrpc(fake: WordPressFake):
    with client_for(filtered(fake, users_me=False)) as client:
        found = probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert found.kind == "xmlrpc"
    assert any("XML-RPC is used instead" in w for w in found.warnings)
    with client_for(filtered(fake, users_me=False)) as client, pytest.raises(NoBlogApi):
        probe_blog(client, SITE, "admin", APP_PASSWORD, kind="rest")


def test_asking_for_an_api_the_site_lacks(fake: WordPressFake):
    app = filtered(fake, link_header=False, link_tag=False, wp_json=False, rest_route=False)
    with client_for(app) as client, pytest.raises(NoBlogApi) as err:
        probe_blog(client, SITE, "admin", APP_PASSWORD, kind="rest")
    assert err.value.user_message.startswith(f"No WordPress REST API was found at {SITE}")
    assert "XML-RPC" in err.value.user_message


# --- Refused credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["wrong-Password-42", LOGIN_PASSWORD])
def test_a_refused_password_over_rest(fake: WordPressFake, password: str, caplog):
    caplog.set_level(logging.DEBUG)
    with client_for(fake) as client, pytest.raises(AuthError) as err:
        probe_blog(client, SITE, "admin", password)
    error = err.value
    assert isinstance(error, CredentialsRefused) and error.credentials
    assert error.status == 401
    assert error.user_message.startswith(
        f"The user name or application password was refused by {SITE}. Use an application password"
    )
    # not retried over XML-RPC, which would take the login password
    assert not fake.requests_to("xmlrpc:wp.getUsersBlogs")
    token = base64.b64encode(f"admin:{password}".encode()).decode()
    for text in (error.user_message, str(error), repr(error), caplog.text):
        assert password not in text and token not in text


def test_a_wrong_password_over_xmlrpc(fake: WordPressFake):
    with client_for(fake) as client, pytest.raises(CredentialsRefused) as err:
        probe_blog(client, SITE, "admin", "nope-nope", kind="xmlrpc")
    assert err.value.user_message == f"The user name or password was refused by {SITE}."


def test_a_wrong_user_name(fake: WordPressFake):
    with client_for(fake) as client, pytest.raises(CredentialsRefused):
        probe_blog(client, SITE, "nobody", APP_PASSWORD)


# --- Sites that answer badly or not at all --------------------------------------------------------


@pytest.mark.parametrize(("fault", "status", "shown"), [("502", 502, "502 Bad Gateway")])
def test_html_instead_of_the_api(fake: WordPressFake, fault, status, shown):
    fake.inject(fault, route="/wp/v2/users/me")
    with client_for(fake) as client, pytest.raises(BadResponse) as err:
        probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert isinstance(err.value, UnexpectedAnswer) and err.value.status == status
    message = err.value.user_message
    assert message.startswith(f"{SITE} answered with something that is not a valid blog API")
    assert shown in message and "tried again" not in message


def test_garbage_where_json_should_be(fake: WordPressFake):
    fake.inject("malformed_json", route="/wp/v2/users/me")
    with client_for(fake) as client, pytest.raises(UnexpectedAnswer) as err:
        probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert "not a valid blog API response (HTTP 200: “Warning : Cannot modify header" in (
        err.value.user_message
    )


def test_a_site_that_is_not_a_blog():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<html><head><title>Hello</title></head><body>A shop</body></html>"]

    with client_for(app) as client, pytest.raises(NoBlogApi) as err:
        probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert err.value.user_message.startswith(f"No blog API was found at {SITE}")


def test_an_unreachable_site():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with make_client(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(TransportError) as err:
            probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert isinstance(err.value, SiteUnreachable)
    assert err.value.user_message == (
        f"{SITE} could not be reached (could not connect: [Errno 111] Connection refused "
        f"(GET {SITE}/)). Check the address and the network connection."
    )


def test_not_a_web_address():
    with make_client() as client, pytest.raises(ValueError):
        probe_blog(client, "ftp://blog.example.org", "admin", APP_PASSWORD)


# --- Warnings -----------------------------------------------------------------------------------


def test_plain_http_to_another_machine_is_warned_about(fake: WordPressFake):
    with client_for(fake) as client:
        found = probe_blog(client, "http://blog.example.org", "admin", APP_PASSWORD)
    assert found.kind == "wordpress-rest"
    assert len(found.warnings) == 1
    assert found.warnings[0].startswith("blog.example.org is reached over plain http://")


def test_a_user_who_may_not_publish_is_warned_about(fake: WordPressFake, monkeypatch):
    subscriber = {**fake._me(), "roles": ["subscriber"], "capabilities": {"read": True}}
    monkeypatch.setattr(fake, "_me", lambda: subscriber)
    with client_for(fake) as client:
        found = probe_blog(client, SITE, "admin", APP_PASSWORD)
    assert found.can_publish is False
    assert found.warnings == (
        'The user "admin" (role: subscriber) may not publish posts on this blog: publishing will '
        "be refused until the blog's administrator gives the user a role such as Author.",
    )


# --- Over real sockets ----------------------------------------------------------------------------


def test_on_loopback_with_the_apps_own_client(fake: WordPressFake):
    with fake.serve() as base, make_client(timeout=5) as client:
        found = probe_blog(client, base + "/", "admin", APP_PASSWORD)
        assert found.api_url == f"{base}/wp-json/"
        assert found.warnings == ()  # plain http, but to this machine
        with pytest.raises(CredentialsRefused) as err:
            probe_blog(client, base, "admin", "definitely wrong")
        assert f"refused by {base}." in err.value.user_message
    with make_client(timeout=2) as client, pytest.raises(SiteUnreachable) as gone:
        probe_blog(client, base, "admin", APP_PASSWORD)  # the server has stopped
    assert gone.value.user_message.startswith(f"{base} could not be reached (could not connect")
