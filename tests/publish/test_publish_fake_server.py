"""The connectors against tests/fakes/wp_fake.py served on 127.0.0.1: real sockets, real faults.

Each fault the issue names goes through the real connector: a timeout, 500, a 502 with an HTML
body, malformed JSON, the connection dropped after the server stored the post, 401, 429 with
Retry-After. Through each, a create retried the way the sync worker will retry it (on a retryable
error: look for the marker, then create again) makes exactly one post.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from desktop_blog.publish.base import Connector, PostPayload, RemotePost, resolve_duplicates
from desktop_blog.publish.discovery import discover
from desktop_blog.publish.errors import (
    AuthError,
    BadResponse,
    PublishError,
    RateLimited,
    TransportError,
)
from desktop_blog.publish.http import make_client
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from desktop_blog.publish.xmlrpc import XmlRpcConnector
from tests.fakes.wp_fake import WordPressFake

CLIENT_TIMEOUT = 0.5


@pytest.fixture
def fake() -> WordPressFake:
    return WordPressFake()


@pytest.fixture
def base_url(fake: WordPressFake) -> Iterator[str]:
    with fake.serve() as url:
        yield url


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One client for the module: it holds no state between requests (the fake closes every
    connection), and building one loads the CA bundle."""
    with make_client(timeout=CLIENT_TIMEOUT) as client:
        yield client


def rest(fake: WordPressFake, client: httpx.Client, base_url: str) -> WordPressRestConnector:
    return WordPressRestConnector(client, f"{base_url}/wp-json/", fake.username, fake.app_password)


def xml(fake: WordPressFake, client: httpx.Client, base_url: str) -> XmlRpcConnector:
    return XmlRpcConnector(client, f"{base_url}/xmlrpc.php", fake.username, fake.app_password)


def posts_titled(fake: WordPressFake, title: str) -> list[dict]:
    with fake.lock:
        return [p for p in fake.posts.values() if p["title"] == title]


def create_like_the_sync_worker(
    connector: Connector, payload: PostPayload, key: str, attempts: int = 8, settle: float = 0.0
) -> tuple[RemotePost, list[PublishError]]:
    """Create once, following the retry rule in desktop_blog/publish/base.py: on a retryable
    error, look for the marker before trying again; after a retried create, wait `settle`
    (longer than the server's own time limit) and resolve duplicates."""
    errors: list[PublishError] = []
    for _attempt in range(attempts):
        if errors:
            found = connector.find_post_by_marker(key, payload.kind)
            if found is not None:
                return found, errors
        try:
            post = connector.create_post(payload, key)
        except PublishError as error:
            errors.append(error)
            if not error.retryable and not isinstance(error, BadResponse):
                raise
            time.sleep(min(error.retry_after or 0.05, 0.05))
            continue
        if errors:
            time.sleep(settle)
            kept = resolve_duplicates(connector, key, payload.kind)
            assert kept is not None
            post = kept
        return post, errors
    raise AssertionError(f"no success after {attempts} attempts: {errors}")


def live_posts_titled(fake: WordPressFake, title: str) -> list[int]:
    return [p["id"] for p in posts_titled(fake, title) if p["status"] != "trash"]


# --- Each fault, one by one ---------------------------------------------------------------------


def test_discovery_and_verify_over_loopback(fake, base_url, client):
    found = discover(client, base_url)
    assert found.rest_api_url == f"{base_url}/wp-json/"
    assert found.xmlrpc_url == f"{base_url}/xmlrpc.php"
    assert found.warnings == ()  # plain http, but to 127.0.0.1
    assert rest(fake, client, base_url).verify().user_name == "admin"
    assert xml(fake, client, base_url).verify().name == "Fake Blog"


def test_timeout_is_a_transport_error_and_the_next_call_works(fake, base_url, client):
    connector = rest(fake, client, base_url)
    fake.inject("timeout", route="/wp/v2/users/me", delay=CLIENT_TIMEOUT * 3)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        connector.verify()
    assert info.value.retryable and "in time" in str(info.value)
    assert time.monotonic() - started < CLIENT_TIMEOUT * 2.5
    assert connector.verify().user_id == 1


def test_500_and_502_html_are_retryable_bad_responses(fake, base_url, client):
    connector = rest(fake, client, base_url)
    fake.inject("500", route="/wp/v2/posts")
    with pytest.raises(BadResponse) as info:
        connector.get_post(1)
    assert info.value.status == 500 and info.value.retryable
    assert "critical error" in info.value.excerpt
    fake.inject("502")
    with pytest.raises(BadResponse) as info:
        list(connector.list_posts())
    assert info.value.status == 502 and info.value.excerpt == "502 Bad Gateway — nginx/1.22.1"
    assert "502" in info.value.user_message


def test_malformed_json_is_a_bad_response_and_the_stored_post_is_found(fake, base_url, client):
    connector = rest(fake, client, base_url)
    fake.inject("malformed_json", route="/wp/v2/posts", method="POST")
    key = str(uuid.uuid4())
    with pytest.raises(BadResponse) as info:
        connector.create_post(PostPayload("Garbled", "<p>x</p>"), key)
    assert info.value.status == 201 and "not JSON" in str(info.value)
    found = connector.find_post_by_marker(key)
    assert found is not None and found.title == "Garbled"


def test_401_is_an_auth_error(fake, base_url, client):
    fake.inject("401")
    with pytest.raises(AuthError) as info:
        rest(fake, client, base_url).get_post(1)
    assert info.value.credentials and info.value.code == "rest_not_logged_in"


def test_a_wrong_application_password(fake, base_url, client):
    wrong = WordPressRestConnector(client, f"{base_url}/wp-json/", "admin", "wrong pass word")
    with pytest.raises(AuthError) as info:
        wrong.verify()
    assert "wrong pass word" not in str(info.value) + info.value.user_message
    login = WordPressRestConnector(client, f"{base_url}/wp-json/", "admin", fake.login_password)
    with pytest.raises(AuthError, match="incorrect_password"):
        login.verify()


def test_429_is_rate_limited_with_retry_after(fake, base_url, client):
    fake.inject("429", retry_after="7")
    with pytest.raises(RateLimited) as info:
        rest(fake, client, base_url).verify()
    assert info.value.retry_after == 7.0 and info.value.retryable
    assert "7 seconds" in info.value.user_message


def test_dropped_connection_after_storing(fake, base_url, client):
    connector = rest(fake, client, base_url)
    fake.inject("drop_after_store", route="/wp/v2/posts", method="POST")
    key = str(uuid.uuid4())
    with pytest.raises(TransportError) as info:
        connector.create_post(PostPayload("Dropped", "<p>stored</p>", status="publish"), key)
    assert info.value.retryable
    assert len(posts_titled(fake, "Dropped")) == 1  # the server did store it
    found = connector.find_post_by_marker(key)
    assert found is not None and found.status == "publish" and found.content_html == "<p>stored</p>"


def test_connection_refused(fake, client):
    with fake.serve() as url:
        pass  # stopped: nothing listens on that port any more
    with pytest.raises(TransportError) as info:
        rest(fake, client, url).verify()
    assert info.value.retryable and "could not connect" in str(info.value)


# --- No duplicates, whatever happens ------------------------------------------------------------

EVERY_FAULT = [
    ("drop_after_store", {}),
    ("timeout", {"delay": CLIENT_TIMEOUT * 2}),
    ("502", {}),
    ("500", {}),
    ("429", {"retry_after": "0"}),
    ("malformed_json", {}),
]


@pytest.mark.parametrize(("kind", "options"), EVERY_FAULT, ids=[k for k, _ in EVERY_FAULT])
@pytest.mark.parametrize("api", ["rest", "xmlrpc"])
def test_one_post_whatever_the_fault(fake, base_url, client, api, kind, options):
    connector = rest(fake, client, base_url) if api == "rest" else xml(fake, client, base_url)
    route = "/wp/v2/posts" if api == "rest" else "xmlrpc:wp.newPost"
    fake.inject(kind, route=route, method="POST", **options)
    title = f"Once {api} {kind}"
    key = str(uuid.uuid4())
    settle = options.get("delay", 0) + 0.3  # longer than the server goes on working
    payload = PostPayload(title, "<p>x</p>")
    post, errors = create_like_the_sync_worker(connector, payload, key, settle=settle)
    assert errors, "the fault never happened"
    assert live_posts_titled(fake, title) == [post.id]
    assert post.marker == key
    if kind == "timeout":
        # The stalled create finished on the server after the retry had looked and created:
        # two posts were made, and resolve_duplicates moved the later one to the trash.
        assert len(posts_titled(fake, title)) == 2


def test_a_run_of_faults_still_makes_one_post(fake, base_url, client):
    connector = rest(fake, client, base_url)
    for kind in ("502", "429", "500"):
        fake.inject(kind, route="/wp/v2/posts", method="POST", retry_after="0")
    fake.inject("drop_after_store", route="/wp/v2/posts", method="POST")
    post, errors = create_like_the_sync_worker(
        connector, PostPayload("Persistent", "<p>x</p>"), str(uuid.uuid4())
    )
    assert [type(e).__name__ for e in errors] == [
        "BadResponse",
        "RateLimited",
        "BadResponse",
        "TransportError",
    ]
    assert [p["id"] for p in posts_titled(fake, "Persistent")] == [post.id]  # none in the trash


# --- XML-RPC faults over sockets ----------------------------------------------------------------


def test_xmlrpc_faults(fake, base_url, client):
    connector = xml(fake, client, base_url)
    fake.inject("401", route="xmlrpc:wp.getUsersBlogs")
    with pytest.raises(AuthError) as info:
        connector.verify()
    assert info.value.status == 403
    fake.inject("429", route="xmlrpc:wp.getUsersBlogs", retry_after="3")
    with pytest.raises(RateLimited) as info:
        connector.verify()
    assert info.value.retry_after == 3.0
    fake.inject("malformed_json", route="xmlrpc:wp.getUsersBlogs")  # a PHP warning, half the XML
    with pytest.raises(BadResponse):
        connector.verify()
    fake.inject("timeout", route="xmlrpc:wp.getProfile", delay=CLIENT_TIMEOUT * 3)
    with pytest.raises(TransportError):
        connector.verify()
    assert connector.verify().user_name == "admin"


def test_in_process_transport_plays_the_socket_faults(fake):
    client = httpx.Client(transport=fake.transport())
    connector = WordPressRestConnector(
        client, "http://blog.test/wp-json/", "admin", fake.app_password
    )
    fake.inject("drop_after_store", route="/wp/v2/posts", method="POST")
    with pytest.raises(TransportError, match="broke off"):
        connector.create_post(PostPayload("In process", "<p>x</p>"), "in-process-key-1")
    assert connector.find_post_by_marker("in-process-key-1") is not None
    fake.inject("timeout", route="/wp/v2/users/me")
    with pytest.raises(TransportError, match="in time"):
        connector.verify()
