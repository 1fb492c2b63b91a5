"""Errors, dataclasses, dates, the idempotency marker and the HTTP helpers: no network."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from desktop_blog import __version__
from desktop_blog.publish.base import (
    Connector,
    Credentials,
    PostPayload,
    RemotePost,
    add_marker,
    check_idempotency_key,
    format_rfc3339,
    format_wp_datetime,
    normalize_comment_status,
    parse_wp_datetime,
    payload_from_post,
    split_marker,
    strip_rendered_marker,
)
from desktop_blog.publish.errors import (
    AuthError,
    BadResponse,
    Conflict,
    NotFound,
    PublishError,
    RateLimited,
    Redactor,
    TransportError,
    ValidationError,
    body_excerpt,
)
from desktop_blog.publish.http import USER_AGENT, make_client, parse_retry_after
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from desktop_blog.publish.xmlrpc import XmlRpcConnector
from tests.publish.helpers import PASSWORD, recorded

# --- Dates --------------------------------------------------------------------------------------


def test_wordpress_dates_without_zone_are_utc():
    assert parse_wp_datetime("2024-05-01T10:00:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T12:00:00+02:00",
        "2024-05-01T10:00:00Z",
        "20240501T10:00:00",
        "2024-05-01 10:00:00",
    ],
)
def test_other_date_spellings(text):
    assert parse_wp_datetime(text) == datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("empty", [None, "", "0000-00-00 00:00:00", "0000-00-00T00:00:00"])
def test_no_date(empty):
    assert parse_wp_datetime(empty) is None


def test_dates_sent_are_utc_without_zone_and_to_the_second():
    berlin = timezone(timedelta(hours=2))
    moment = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=berlin)
    assert format_wp_datetime(moment) == "2024-05-01T10:00:00"
    assert format_rfc3339(moment) == "2024-05-01T10:00:00+00:00"
    with pytest.raises(ValueError, match="naive"):
        format_wp_datetime(datetime(2024, 5, 1, 10))


# --- Marker -------------------------------------------------------------------------------------

KEY = "5f0c8a9e-2d4b-4c61-9a7e-0b3d2c1f4e5a"


def test_marker_is_appended_without_newline_and_split_back():
    html = "<p>line one\nline two</p>"
    marked = add_marker(html, KEY)
    assert marked == html + f"<!-- desktop-blog:{KEY} -->"
    assert "<!-- wp:" not in marked  # would switch WordPress to block rendering (no wpautop)
    assert split_marker(marked) == (html, KEY)
    assert split_marker(html) == (html, None)
    # re-marking replaces, never stacks
    assert add_marker(marked, "a" * 8 + "-key2") == html + "<!-- desktop-blog:aaaaaaaa-key2 -->"


def test_rendered_marker_and_its_empty_paragraph_are_removed():
    rendered = f"<p>Not yet.</p>\n<p><!-- desktop-blog:{KEY} --></p>\n"
    assert strip_rendered_marker(rendered) == "<p>Not yet.</p>\n"


@pytest.mark.parametrize(
    "bad", ["short", "has space in it", "double--dash-key", "-leading-dash", "x" * 101, "<script>x"]
)
def test_idempotency_keys_that_kses_or_search_would_mangle_are_refused(bad):
    with pytest.raises(ValueError):
        check_idempotency_key(bad)


# --- Payload ------------------------------------------------------------------------------------


def test_payload_validation_collects_every_problem():
    payload = PostPayload(
        title="T",
        content_html="<p>x</p>",
        status="published",
        kind="article",
        categories=[1, "2"],  # type: ignore[list-item]
        featured_media="7",  # type: ignore[arg-type]
        date_gmt=datetime(2024, 5, 1),
    )
    with pytest.raises(ValidationError) as info:
        payload.validate()
    assert set(info.value.params) == {"status", "kind", "categories", "featured_media", "date_gmt"}
    assert info.value.status is None


def test_future_needs_a_date_and_trash_is_not_a_payload_status():
    with pytest.raises(ValidationError, match="scheduled"):
        PostPayload("T", "", status="future").validate()
    with pytest.raises(ValidationError, match="status"):
        PostPayload("T", "", status="trash").validate()
    PostPayload("T", "", status="future", date_gmt=datetime(2030, 1, 1, tzinfo=UTC)).validate()
    with pytest.raises(ValidationError):
        PostPayload("T", "", tags=[True]).validate()  # a bool is not an id


def test_payload_from_post_round_trips():
    post = RemotePost(
        id=3,
        title="T",
        content_html="<p>x</p>",
        excerpt="e",
        slug="t",
        status="trash",
        kind="post",
        date_gmt=None,
        modified_gmt=datetime(2024, 1, 1, tzinfo=UTC),
        link="",
        categories=[5],
        tags=[7],
        featured_media=88,
    )
    payload = payload_from_post(post, title="New")
    assert payload.title == "New" and payload.status == "draft" and payload.categories == (5,)
    payload.validate()


def test_comment_statuses_are_normalized():
    assert normalize_comment_status("approved") == "approve"
    assert normalize_comment_status("1") == "approve"
    assert normalize_comment_status("unapproved") == "hold"
    assert normalize_comment_status("post-trashed") == "trash"
    with pytest.raises(ValueError):
        normalize_comment_status("approvedd")


# --- Errors -------------------------------------------------------------------------------------


def test_retryable_flags():
    assert TransportError("x").retryable
    assert not TransportError("x", retryable=False).retryable
    assert RateLimited("x").retryable
    assert BadResponse("x", status=502).retryable
    assert not BadResponse("x", status=200).retryable
    for error in (AuthError("x"), NotFound("x"), Conflict("x"), ValidationError("x")):
        assert not error.retryable
    assert all(issubclass(c, PublishError) for c in (AuthError, RateLimited, TransportError))


def test_user_messages_are_sentences():
    moment = datetime(2024, 5, 2, 7, 15, 30, tzinfo=UTC)
    messages = [
        AuthError("rest_not_logged_in").user_message,
        AuthError("Sorry, you are not allowed", credentials=False).user_message,
        NotFound("Invalid post ID.").user_message,
        Conflict("x", expected_modified=moment, remote_modified=moment).user_message,
        RateLimited("x", retry_after=1.2).user_message,
        RateLimited("x").user_message,
        TransportError("timed out").user_message,
        BadResponse("x", status=502, excerpt="502 Bad Gateway").user_message,
        ValidationError("bad status", params={"status": "not one of"}).user_message,
    ]
    for message in messages:
        assert message[0].isupper() and message.endswith("."), message
    assert "application password" in messages[0]
    assert "2024-05-02 07:15:30 UTC" in messages[3] and "Nothing was overwritten" in messages[3]
    assert "1 second." in messages[4]


def test_redactor_hides_every_form_of_the_secret():
    import base64

    redact = Redactor.for_basic_auth(USER := "editor", PASSWORD)
    header = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    text = f"echo {PASSWORD} / {PASSWORD.replace(' ', '')} / Basic {header}"
    cleaned = redact(text)
    assert PASSWORD not in cleaned and PASSWORD.replace(" ", "") not in cleaned
    assert header not in cleaned and cleaned.count("[hidden]") == 3
    assert PASSWORD not in repr(redact)


def test_body_excerpt_of_an_html_error_page():
    assert (
        body_excerpt(recorded("site/nginx_502.html"))
        == "502 Bad Gateway — nginx/1.22.1"  # the title is not repeated
    )
    excerpt = body_excerpt(recorded("site/wp_critical_error_500.html"))
    assert excerpt.startswith("WordPress › Error — There has been a critical error")
    assert "background" not in excerpt  # styles dropped
    assert len(body_excerpt("x" * 5000)) <= 160


# --- Secrets in reprs ---------------------------------------------------------------------------


def test_password_never_in_a_repr():
    credentials = Credentials("editor", PASSWORD)
    assert PASSWORD not in repr(credentials) and "editor" in repr(credentials)
    with httpx.Client() as client:
        rest = WordPressRestConnector(client, "https://b.example/wp-json/", "editor", PASSWORD)
        xml = XmlRpcConnector(client, "https://b.example/xmlrpc.php", "editor", PASSWORD)
        for connector in (rest, xml):
            assert PASSWORD not in repr(connector)
            assert PASSWORD not in str(vars(connector).get("_credentials"))
            assert isinstance(connector, Connector)


def test_connectors_take_what_the_protocol_declares():
    """The engine calls connectors through the protocol only: every method's parameters (names,
    kinds, defaults) are the protocol's, so a keyword one connector takes is declared for all."""
    import inspect

    methods = [
        name
        for name, member in vars(Connector).items()
        if callable(member) and not name.startswith("_")
    ]
    assert "update_post" in methods and len(methods) > 10
    for cls in (WordPressRestConnector, XmlRpcConnector):
        for name in methods:
            declared = inspect.signature(getattr(Connector, name)).parameters
            actual = inspect.signature(getattr(cls, name)).parameters
            assert [(p.name, p.kind, p.default) for p in actual.values()] == [
                (p.name, p.kind, p.default) for p in declared.values()
            ], f"{cls.__name__}.{name}"


# --- HTTP ---------------------------------------------------------------------------------------


def test_make_client_settings():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = make_client(transport=httpx.MockTransport(handler))
    assert client.timeout.connect == 10.0 and client.timeout.read == 20.0
    assert client.follow_redirects
    assert client.headers["User-Agent"] == USER_AGENT == f"DesktopBlog/{__version__}"
    client.post("https://b.example/wp-json/wp/v2/media", content=b"x" * 100_000)
    assert "expect" not in seen[0].headers
    assert make_client(timeout=3).timeout.connect == 3


def test_make_client_verifies_tls_by_default():
    client = make_client()
    pool = client._transport._pool  # httpx keeps the SSL context on the connection pool
    assert pool._ssl_context.verify_mode.name == "CERT_REQUIRED"


def test_retry_after_seconds_and_dates():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    server_now = "Wed, 01 May 2024 10:00:00 GMT"
    assert parse_retry_after("Wed, 01 May 2024 10:01:30 GMT", server_now) == 90.0
    fixed = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 May 2024 10:00:10 GMT", now=fixed) == 10.0


def test_publish_imports_without_qt():
    code = (
        "import sys, desktop_blog.publish.wordpress_rest, desktop_blog.publish.xmlrpc, "
        "desktop_blog.publish.discovery, desktop_blog.publish.http; "
        "print(any(m.startswith(('PySide6', 'sqlalchemy')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
