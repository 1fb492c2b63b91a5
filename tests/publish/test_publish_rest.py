"""WordPressRestConnector against recorded WordPress 6.1 answers (httpx.MockTransport)."""

from __future__ import annotations

import base64
import copy
import json
import logging
import ssl
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from desktop_blog.publish.base import PostPayload
from desktop_blog.publish.errors import (
    AuthError,
    BadResponse,
    Conflict,
    NotFound,
    PublishError,
    RateLimited,
    TransportError,
    ValidationError,
)
from desktop_blog.publish.wordpress_rest import WordPressRestConnector, ascii_filename
from tests.publish.helpers import (
    API,
    PASSWORD,
    USER,
    Router,
    json_response,
    raising,
    recorded,
    recorded_json,
)

KEY = "0c6f3b1e-7a52-4a0e-8d3c-5b1f9e2a7d40"
MODIFIED_42 = datetime(2024, 5, 2, 7, 15, 30, tzinfo=UTC)


def connector(router: Router, api: str = API, **kwargs) -> WordPressRestConnector:
    return WordPressRestConnector(router.client(), api, USER, PASSWORD, **kwargs)


def known_terms(router: Router) -> Router:
    """Answers the connector's check of category/tag/media ids with what the blog has."""

    def terms(name: str):
        def answer(request: httpx.Request) -> httpx.Response:
            wanted = {int(i) for i in request.url.params.get("include", "").split(",") if i}
            items = [{"id": t["id"]} for t in recorded_json(name) if t["id"] in wanted]
            return json_response(
                200, items, {"X-WP-Total": str(len(items)), "X-WP-TotalPages": "1"}
            )

        return answer

    router.add("GET", r"/wp-json/wp/v2/categories", terms("rest/categories.json"))
    router.add("GET", r"/wp-json/wp/v2/tags", terms("rest/tags.json"))
    router.add("GET", r"/wp-json/wp/v2/media/88", json_response(200, {"id": 88}))
    router.add(
        "GET",
        r"/wp-json/wp/v2/media/\d+",
        json_response(404, "rest/error_rest_post_invalid_id.json"),
    )
    return router


# --- Account ------------------------------------------------------------------------------------


def test_verify_asks_users_me_with_the_application_password(router):
    router.add("GET", r"/wp-json/wp/v2/users/me", json_response(200, "rest/users_me_edit.json"))
    router.add("GET", r"/wp-json/", json_response(200, "rest/index.json"))
    info = connector(router).verify()
    assert info.name == "Notes from the Desk" and info.url == "https://blog.example.org"
    assert (info.user_name, info.user_id, info.roles) == ("editor", 1, ("editor",))
    assert info.kind == "wordpress-rest" and info.api_url == API
    assert "publish_posts" in info.capabilities and "manage_options" not in info.capabilities
    assert info.can_publish
    me = router.requests[0]
    assert me.url.params["context"] == "edit"
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert me.headers["Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    "answer", ["rest/error_rest_not_logged_in.json", "rest/error_incorrect_password.json"]
)
def test_verify_with_a_wrong_password(router, answer):
    router.add("GET", r"/wp-json/wp/v2/users/me", json_response(401, answer))
    with pytest.raises(AuthError) as info:
        connector(router).verify()
    assert info.value.credentials and info.value.status == 401
    assert "application password" in info.value.user_message
    assert PASSWORD not in str(info.value) + info.value.user_message + repr(info.value)


def test_verify_refuses_an_api_without_wp_v2(router):
    router.add("GET", r"/wp-json/wp/v2/users/me", json_response(200, "rest/users_me_edit.json"))
    router.add("GET", r"/wp-json/", json_response(200, {"name": "x", "namespaces": ["oembed/1.0"]}))
    with pytest.raises(PublishError, match="no wp/v2"):
        connector(router).verify()


# --- Reading posts ------------------------------------------------------------------------------


def test_get_post_reads_raw_fields_and_gmt_dates(router):
    router.add("GET", r"/wp-json/wp/v2/posts/42", json_response(200, "rest/post_42_edit.json"))
    post = connector(router).get_post(42)
    assert router.requests[0].url.params["context"] == "edit"
    assert post.id == 42 and post.kind == "post" and post.status == "publish"
    # date_gmt, not the site-local date (Europe/Berlin, two hours ahead)
    assert post.date_gmt == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert post.modified_gmt == MODIFIED_42
    assert post.title == "Hello from the desktop" and post.excerpt == "A first post."
    # raw content, marker removed; rendered keeps WordPress's wpautop <br />
    assert post.content_html == "<p>line one\nline two</p>\n<pre><code>x = 1\n</code></pre>"
    assert post.marker == "5f0c8a9e-2d4b-4c61-9a7e-0b3d2c1f4e5a"
    assert "<br />" in post.content_rendered and "desktop-blog" not in post.content_rendered
    assert (post.categories, post.tags, post.featured_media) == ([1, 5], [7, 9], 88)
    assert post.slug == "hello-from-the-desktop"


def test_pages_use_the_pages_route(router):
    router.add("GET", r"/wp-json/wp/v2/pages/7", json_response(200, "rest/page_7_edit.json"))
    page = connector(router).get_post(7, kind="page")
    assert page.kind == "page" and page.categories == [] and page.featured_media is None
    assert page.content_html.startswith("<!-- wp:paragraph -->")


def test_rest_route_api_root_builds_query_urls(router):
    router.add("GET", r"/wp/v2/posts/42", json_response(200, "rest/post_42_edit.json"))
    api = "https://blog.example.org/?rest_route=/"
    connector(router, api).get_post(42)
    url = router.requests[0].url
    assert url.path == "/" and url.params["rest_route"] == "/wp/v2/posts/42"
    assert url.params["context"] == "edit"


def test_json_with_a_byte_order_mark_is_read(router):
    body = b"\xef\xbb\xbf" + recorded("rest/post_42_edit.json")
    router.add("GET", r"/wp-json/wp/v2/posts/42", httpx.Response(200, content=body))
    assert connector(router).get_post(42).id == 42


# --- Error mapping ------------------------------------------------------------------------------

HTML = {"Content-Type": "text/html; charset=UTF-8"}


def _err(status: int, name: str, headers: dict | None = None) -> httpx.Response:
    if name.endswith(".json"):
        return json_response(status, name, headers)
    return httpx.Response(status, content=recorded(name), headers={**HTML, **(headers or {})})


ERRORS = [
    # (answer, expected class, retryable, checks)
    (
        _err(404, "rest/error_rest_post_invalid_id.json"),
        NotFound,
        False,
        {"code": "rest_post_invalid_id"},
    ),
    (_err(401, "rest/error_rest_cannot_create.json"), AuthError, False, {"credentials": True}),
    (_err(403, "rest/error_rest_cannot_publish.json"), AuthError, False, {"credentials": False}),
    (
        _err(400, "rest/error_rest_invalid_param.json"),
        ValidationError,
        False,
        {"params": {"status": "status is not one of publish, future, draft, pending, private."}},
    ),
    (
        _err(400, "rest/error_rest_invalid_json.json"),
        ValidationError,
        False,
        {"code": "rest_invalid_json"},
    ),
    (
        _err(409, "rest/error_comment_duplicate.json"),
        Conflict,
        False,
        {"code": "comment_duplicate"},
    ),
    (
        _err(429, "rest/error_rest_not_logged_in.json", {"Retry-After": "30"}),
        RateLimited,
        True,
        {"retry_after": 30.0},
    ),
    (
        _err(
            429,
            "site/nginx_502.html",
            {
                "Retry-After": "Wed, 01 May 2024 10:01:00 GMT",
                "Date": "Wed, 01 May 2024 10:00:00 GMT",
            },
        ),
        RateLimited,
        True,
        {"retry_after": 60.0},
    ),
    (_err(500, "site/wp_critical_error_500.html"), BadResponse, True, {"status": 500}),
    (
        _err(502, "site/nginx_502.html"),
        BadResponse,
        True,
        {"excerpt": "502 Bad Gateway — nginx/1.22.1"},
    ),
    (
        _err(503, "site/nginx_502.html", {"Retry-After": "600"}),
        BadResponse,
        True,
        {"retry_after": 600.0},
    ),
    (
        _err(500, "rest/error_rest_upload_sideload_error.json"),
        PublishError,
        False,
        {"code": "rest_upload_sideload_error"},
    ),
    (_err(403, "site/nginx_502.html"), AuthError, False, {"credentials": False}),
    (_err(200, "site/wp_critical_error_500.html"), BadResponse, False, {"status": 200}),
    (
        httpx.Response(
            200,
            content=recorded("site/php_notice_then_json.txt"),
            headers={"Content-Type": "application/json"},
        ),
        BadResponse,
        False,
        {"status": 200},
    ),
    (json_response(200, [1, 2]), BadResponse, False, {}),
    (json_response(200, {"id": "42"}), BadResponse, False, {}),
]


@pytest.mark.parametrize(("answer", "kind", "retryable", "checks"), ERRORS)
def test_error_mapping(router, answer, kind, retryable, checks):
    router.add("GET", r"/wp-json/wp/v2/posts/42", answer)
    with pytest.raises(PublishError) as info:
        connector(router).get_post(42)
    error = info.value
    assert type(error) is kind, (type(error), error)
    assert error.retryable is retryable
    for name, value in checks.items():
        assert getattr(error, name) == value
    assert error.user_message.endswith(".")
    assert "<" not in error.user_message  # tags stripped from what a person sees


def test_no_route_is_not_mistaken_for_a_deleted_post(router):
    router.add("GET", r"/wp-json/wp/v2/posts/42", _err(404, "rest/error_rest_no_route.json"))
    with pytest.raises(PublishError) as info:
        connector(router).get_post(42)
    assert not isinstance(info.value, NotFound) and "not a WordPress REST API" in str(info.value)


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (lambda r: httpx.ConnectError("[Errno 111] Connection refused", request=r), True),
        (lambda r: httpx.ConnectError("[Errno -2] Name or service not known", request=r), True),
        (lambda r: httpx.ConnectTimeout("timed out", request=r), True),
        (lambda r: httpx.ReadTimeout("timed out", request=r), True),
        (
            lambda r: httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=r
            ),
            True,
        ),
        (lambda r: httpx.ReadError("[Errno 104] Connection reset by peer", request=r), True),
        (lambda r: _certificate_error(r), False),
    ],
)
def test_transport_errors(router, exc, retryable):
    router.add("GET", r"/wp-json/wp/v2/posts/42", raising(exc))
    with pytest.raises(TransportError) as info:
        connector(router).get_post(42)
    assert info.value.retryable is retryable
    assert "https://blog.example.org/wp-json/wp/v2/posts/42" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.HTTPError)


def _certificate_error(request: httpx.Request) -> Exception:
    error = httpx.ConnectError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request
    )
    error.__cause__ = ssl.SSLCertVerificationError(
        1, "certificate verify failed: self-signed certificate"
    )
    return error


def test_a_write_redirected_into_a_get_is_refused(router):
    router.add(
        "POST",
        r"/wp-json/wp/v2/posts",
        httpx.Response(301, headers={"Location": "https://blog.example.org/wp-json/wp/v2/posts/"}),
    )
    router.add("GET", r"/wp-json/wp/v2/posts/", json_response(200, []))
    client = httpx.Client(transport=httpx.MockTransport(router), follow_redirects=True)
    rest = WordPressRestConnector(client, API, USER, PASSWORD, check_references=False)
    with pytest.raises(BadResponse, match="nothing was written") as info:
        rest.create_post(PostPayload("T", "<p>x</p>"), KEY)
    assert info.value.code == "redirected_write" and not info.value.retryable


# --- Listing ------------------------------------------------------------------------------------


def _post_json(post_id: int, modified: datetime) -> dict:
    data = copy.deepcopy(recorded_json("rest/post_42_edit.json"))
    data["id"] = post_id
    data["modified_gmt"] = modified.strftime("%Y-%m-%dT%H:%M:%S")
    return data


class KeysetBlog:
    """A MockTransport answer for GET /posts that filters like WordPress 6.1 does:
    modified_after (exclusive, with an offset), exclude, orderby=modified, per_page, page."""

    def __init__(self, posts: list[dict], honour_modified_after: bool = True) -> None:
        self.posts = posts
        self.honour = honour_modified_after
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.queries.append(params)
        posts = list(self.posts)
        if self.honour and "modified_after" in params:
            bound = datetime.fromisoformat(params["modified_after"])
            posts = [
                p for p in posts if datetime.fromisoformat(p["modified_gmt"] + "+00:00") > bound
            ]
        excluded = {int(i) for i in params.get("exclude", "").split(",") if i}
        posts = [p for p in posts if p["id"] not in excluded]
        posts.sort(key=lambda p: p["modified_gmt"])
        per_page, page = int(params["per_page"]), int(params.get("page", 1))
        pages = -(-len(posts) // per_page)
        chunk = posts[(page - 1) * per_page : page * per_page]
        headers = {"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(pages)}
        return json_response(200, chunk, headers)


def test_list_posts_pages_by_modified_time_without_skipping_ties(router):
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    # seven posts; three share one second across the boundary of the first page of three
    seconds = [0, 1, 2, 2, 2, 5, 9]
    posts = [_post_json(100 + i, start + timedelta(seconds=s)) for i, s in enumerate(seconds)]
    blog = KeysetBlog(posts)
    router.add("GET", r"/wp-json/wp/v2/posts", blog)
    listed = list(connector(router).list_posts(page_size=3))
    assert [p.id for p in listed] == [100, 101, 102, 103, 104, 105, 106]
    first = blog.queries[0]
    assert first["context"] == "edit" and first["status"] == "any"
    assert first["orderby"] == "modified" and first["order"] == "asc" and first["per_page"] == "3"
    assert "modified_after" not in first and "page" not in first
    second = blog.queries[1]
    assert second["modified_after"] == "2024-05-01T08:00:01+00:00"  # at or after 08:00:02
    assert second["exclude"] == "102"


def test_list_posts_since_a_time_includes_that_second(router):
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    blog = KeysetBlog([_post_json(1, start), _post_json(2, start + timedelta(seconds=3))])
    router.add("GET", r"/wp-json/wp/v2/posts", blog)
    listed = list(connector(router).list_posts(modified_after=start + timedelta(seconds=3)))
    assert [p.id for p in listed] == [2]
    assert blog.queries[0]["modified_after"] == "2024-05-01T08:00:02+00:00"


def test_list_posts_falls_back_to_page_numbers_when_modified_after_is_ignored(router):
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    posts = [_post_json(200 + i, start + timedelta(minutes=i)) for i in range(5)]
    blog = KeysetBlog(posts, honour_modified_after=False)  # WordPress before 5.7
    router.add("GET", r"/wp-json/wp/v2/posts", blog)
    since = start + timedelta(minutes=2)
    listed = list(connector(router).list_posts(modified_after=since, page_size=2))
    assert [p.id for p in listed] == [202, 203, 204]
    pages = [q.get("page") for q in blog.queries[1:]]
    assert pages == ["1", "2", "3"]  # up to X-WP-TotalPages


def test_list_posts_of_an_empty_blog(router):
    router.add(
        "GET",
        r"/wp-json/wp/v2/pages",
        json_response(200, [], {"X-WP-Total": "0", "X-WP-TotalPages": "0"}),
    )
    assert list(connector(router).list_posts(kind="page")) == []


def test_list_terms_follows_total_pages(router):
    categories = recorded_json("rest/categories.json")

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        chunk = categories[:2] if page == 1 else categories[2:]
        return json_response(200, chunk, {"X-WP-Total": "3", "X-WP-TotalPages": "2"})

    router.add("GET", r"/wp-json/wp/v2/categories", answer)
    terms = connector(router).list_terms("categories")
    assert [t.name for t in terms] == ["Uncategorized", "Writing", "Tools & Tricks"]
    assert terms[2].parent == 5 and terms[2].taxonomy == "categories"
    assert [r.url.params["page"] for r in router.requests] == ["1", "2"]
    assert router.requests[0].url.params["per_page"] == "100"


# --- Writing ------------------------------------------------------------------------------------


def test_create_post_sends_the_marker_and_checks_ids_first(router):
    known_terms(router)
    router.add(
        "POST", r"/wp-json/wp/v2/posts", json_response(201, "rest/post_51_draft_created.json")
    )
    payload = PostPayload(
        title="Second thoughts",
        content_html="<p>Not yet.</p>",
        status="future",
        date_gmt=datetime(2030, 1, 2, 11, 0, tzinfo=UTC),
        categories=[5],
        tags=[7],
        featured_media=88,
    )
    post = connector(router).create_post(payload, KEY)
    [sent] = router.sent("POST", r"/wp-json/wp/v2/posts")
    body = json.loads(sent.content)
    assert body["content"] == f"<p>Not yet.</p><!-- desktop-blog:{KEY} -->"
    assert body["date_gmt"] == "2030-01-02T11:00:00" and body["status"] == "future"
    assert (body["categories"], body["tags"], body["featured_media"]) == ([5], [7], 88)
    assert "slug" not in body  # left to WordPress
    assert sent.headers["Content-Type"] == "application/json"
    assert post.id == 51 and post.marker == KEY and post.content_html == "<p>Not yet.</p>"
    checks = [r.url.path for r in router.requests[:-1]]
    assert checks == ["/wp-json/wp/v2/categories", "/wp-json/wp/v2/tags", "/wp-json/wp/v2/media/88"]


def test_known_ids_are_checked_once(router):
    known_terms(router)
    router.add(
        "POST", r"/wp-json/wp/v2/posts", json_response(201, "rest/post_51_draft_created.json")
    )
    rest = connector(router)
    for n in range(3):
        rest.create_post(PostPayload("T", "<p>x</p>", categories=[5]), f"{KEY[:-1]}{n}")
    assert len(router.sent("GET", r"/wp-json/wp/v2/categories")) == 1


def test_unknown_category_or_media_ids_are_refused_before_sending(router):
    known_terms(router)
    rest = connector(router)
    with pytest.raises(ValidationError, match="categories with id 99") as info:
        rest.create_post(PostPayload("T", "<p>x</p>", categories=[5, 99]), KEY)
    assert info.value.params == {"categories": "unknown ids 99"}
    with pytest.raises(ValidationError, match="media item 404"):
        rest.create_post(PostPayload("T", "<p>x</p>", featured_media=404), KEY)
    assert router.sent("POST", r".*") == []


def test_a_lost_create_is_found_by_its_marker_and_not_made_twice(router):
    """The server stores the post, the answer never arrives; the retry finds the post."""
    stored: list[dict] = []

    def create(request: httpx.Request) -> httpx.Response:
        data = copy.deepcopy(recorded_json("rest/post_51_draft_created.json"))
        data["content"]["raw"] = json.loads(request.content)["content"]
        stored.append(data)
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )

    def search(request: httpx.Request) -> httpx.Response:
        term = request.url.params["search"]
        hits = [p for p in stored if term.lower() in p["content"]["raw"].lower()]
        return json_response(200, hits, {"X-WP-Total": str(len(hits)), "X-WP-TotalPages": "1"})

    router.add("POST", r"/wp-json/wp/v2/posts", create)
    router.add("GET", r"/wp-json/wp/v2/posts", search)
    rest = connector(router, check_references=False)
    payload = PostPayload("Second thoughts", "<p>Not yet.</p>")
    with pytest.raises(TransportError) as info:
        rest.create_post(payload, KEY)
    assert info.value.retryable
    found = rest.find_post_by_marker(KEY)
    assert found is not None and found.id == 51 and found.marker == KEY
    query = router.sent("GET", r"/wp-json/wp/v2/posts")[0].url.params
    assert query["search"] == f"desktop-blog:{KEY}" and query["context"] == "edit"
    assert set(query["status"].split(",")) == {
        "publish",
        "future",
        "draft",
        "pending",
        "private",
        "trash",
    }
    assert len(stored) == 1  # the caller adopts post 51 instead of creating again
    assert rest.find_post_by_marker("1b2c3d4e-0000-4000-8000-000000000000") is None


def test_find_post_by_marker_ignores_a_mere_mention_of_the_key(router):
    mention = copy.deepcopy(recorded_json("rest/post_51_draft_created.json"))
    mention["content"]["raw"] = f"<p>The key desktop-blog:{KEY}-old was used.</p>"
    router.add(
        "GET", r"/wp-json/wp/v2/posts", json_response(200, [mention], {"X-WP-TotalPages": "1"})
    )
    assert connector(router).find_post_by_marker(KEY) is None


def test_update_refuses_when_the_blog_changed_the_post(router):
    router.add("GET", r"/wp-json/wp/v2/posts/42", json_response(200, "rest/post_42_edit.json"))
    rest = connector(router, check_references=False)
    last_synced = MODIFIED_42 - timedelta(minutes=5)
    with pytest.raises(Conflict) as info:
        rest.update_post(42, PostPayload("Mine", "<p>mine</p>"), expected_modified=last_synced)
    conflict = info.value
    assert conflict.remote_modified == MODIFIED_42 and conflict.expected_modified == last_synced
    assert conflict.remote is not None and conflict.remote.title == "Hello from the desktop"
    assert "Nothing was overwritten" in conflict.user_message
    assert router.sent("POST", r".*") == []


def test_update_writes_when_unchanged_and_drops_the_marker(router):
    router.add("GET", r"/wp-json/wp/v2/posts/42", json_response(200, "rest/post_42_edit.json"))
    router.add("POST", r"/wp-json/wp/v2/posts/42", json_response(200, "rest/post_42_edit.json"))
    rest = connector(router, check_references=False)
    content = f"<p>mine</p><!-- desktop-blog:{KEY} -->"
    # the same second, given in another zone and with microseconds
    expected = (MODIFIED_42 + timedelta(microseconds=400)).astimezone()
    rest.update_post(42, PostPayload("Mine", content, slug="mine"), expected_modified=expected)
    body = json.loads(router.sent("POST", r"/wp-json/wp/v2/posts/42")[0].content)
    assert body["content"] == "<p>mine</p>" and body["slug"] == "mine"
    assert body["featured_media"] == 0  # None: no featured image
    # without expected_modified, no read first ("keep mine")
    router.requests.clear()
    rest.update_post(42, PostPayload("Mine", "<p>mine</p>"), expected_modified=None)
    assert [r.method for r in router.requests] == ["POST"]


def test_delete_trashes_and_treats_already_trashed_as_done(router):
    answers = iter(
        [
            json_response(200, "rest/post_42_trashed.json"),
            json_response(410, "rest/error_rest_already_trashed.json"),
            json_response(200, "rest/post_42_deleted_force.json"),
            json_response(404, "rest/error_rest_post_invalid_id.json"),
            json_response(404, "rest/error_rest_post_invalid_id.json"),
        ]
    )
    router.add("DELETE", r"/wp-json/wp/v2/posts/42", lambda request: next(answers))
    rest = connector(router)
    rest.delete_post(42)
    rest.delete_post(42)  # 410 rest_already_trashed: done
    rest.delete_post(42, force=True)
    rest.delete_post(42, force=True)  # 404 after a force delete: done
    with pytest.raises(NotFound):
        rest.delete_post(42)  # a post that never existed is not "trashed"
    forces = [r.url.params.get("force") for r in router.requests]
    assert forces == [None, None, "true", "true", None]


def test_upload_media_sends_raw_bytes_with_content_disposition(router):
    router.add("POST", r"/wp-json/wp/v2/media", json_response(201, "rest/media_88_created.json"))
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    media = connector(router).upload_media("Schreibtisch (groß).png", data, "image/png")
    [sent] = router.requests
    assert sent.content == data
    assert sent.headers["Content-Type"] == "image/png"
    assert sent.headers["Content-Disposition"] == 'attachment; filename="Schreibtisch-gross.png"'
    assert "expect" not in sent.headers
    assert (media.id, media.mime_type) == (88, "image/png")
    assert media.source_url == "https://blog.example.org/wp-content/uploads/2024/05/desk.png"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('a;b"c.JPG', "a-b-c.jpg"),
        ("../../etc/passwd", "passwd.png"),
        ("Ünïcödé.gif", "Unicode.gif"),
        ("日本.png", "upload.png"),
        (".htaccess", "upload.htaccess"),
    ],
)
def test_ascii_filename(name, expected):
    assert ascii_filename(name, "image/png") == expected
    assert ascii_filename("", "image/jpeg") == "upload.jpg"


def test_create_term_returns_the_existing_term(router):
    router.add(
        "POST", r"/wp-json/wp/v2/categories", json_response(400, "rest/error_term_exists.json")
    )
    router.add("GET", r"/wp-json/wp/v2/categories/5", json_response(200, "rest/category_5.json"))
    term = connector(router).create_term("categories", "writing")
    assert (term.id, term.name) == (5, "Writing")


def test_create_term_with_a_parent(router):
    router.add(
        "POST", r"/wp-json/wp/v2/categories", json_response(201, "rest/category_12_created.json")
    )
    term = connector(router).create_term("categories", "Drafts", parent=5)
    assert json.loads(router.requests[0].content) == {"name": "Drafts", "parent": 5}
    assert (term.id, term.parent) == (12, 5)
    with pytest.raises(ValueError):
        connector(router).create_term("tags", "x", parent=5)


# --- Comments -----------------------------------------------------------------------------------


def test_list_comments_uses_the_filter_values_wordpress_understands(router):
    router.add(
        "GET",
        r"/wp-json/wp/v2/comments",
        lambda request: json_response(
            200,
            "rest/comments_hold_edit.json" if request.url.params["status"] == "hold" else [],
            {"X-WP-Total": "2", "X-WP-TotalPages": "1"},
        ),
    )
    after = datetime(2024, 5, 1, tzinfo=UTC)
    comments = list(connector(router).list_comments(after=after))
    assert [c.id for c in comments] == [301, 302]
    assert comments[1].parent_id == 301 and comments[0].status == "hold"
    assert comments[0].author_ip == "203.0.113.9" and comments[0].content_html.startswith(
        "Nice post!"
    )
    statuses = [r.url.params["status"] for r in router.requests]
    assert statuses == ["hold", "approve"]  # "approve", not "approved" (which returns nothing)
    assert router.requests[0].url.params["after"] == "2024-05-01T00:00:00+00:00"
    with pytest.raises(ValueError):
        connector(router).list_comments(status="approved")


def test_moderate_reply_delete_comment(router):
    router.add(
        "POST", r"/wp-json/wp/v2/comments/301", json_response(200, "rest/comment_301_approved.json")
    )
    router.add(
        "POST",
        r"/wp-json/wp/v2/comments",
        json_response(201, "rest/comment_303_reply_created.json"),
    )
    router.add(
        "DELETE",
        r"/wp-json/wp/v2/comments/302",
        json_response(
            410,
            {
                "code": "rest_already_trashed",
                "message": "The comment has already been trashed.",
                "data": {"status": 410},
            },
        ),
    )
    rest = connector(router)
    approved = rest.moderate_comment(301, "approve")
    assert approved.status == "approve"  # WordPress says "approved"
    assert json.loads(router.requests[0].content) == {"status": "approve"}
    with pytest.raises(BadResponse, match="kept comment"):
        rest.moderate_comment(301, "spam")  # the answer still says approved
    reply = rest.reply_comment(42, 301, "<p>Thank you, Ada.</p>")
    assert (reply.id, reply.parent_id, reply.post_id) == (303, 301, 42)
    assert json.loads(router.sent("POST", r"/wp-json/wp/v2/comments")[0].content) == {
        "post": 42,
        "parent": 301,
        "content": "<p>Thank you, Ada.</p>",
    }
    rest.delete_comment(302)
    with pytest.raises(ValueError):
        rest.moderate_comment(301, "approved")


# --- Secrets ------------------------------------------------------------------------------------


def test_the_password_never_appears_in_errors_or_logs(router, caplog):
    """Even a server that echoes the request's Authorization header and password back."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    echo = (
        f"<html><title>Debug</title><body>Authorization: Basic {token} pw={PASSWORD}</body></html>"
    )
    router.add("GET", r"/wp-json/wp/v2/posts/1", httpx.Response(502, text=echo, headers=HTML))
    router.add(
        "GET",
        r"/wp-json/wp/v2/posts/2",
        json_response(
            400,
            {
                "code": "x",
                "message": f"bad {PASSWORD}",
                "data": {"status": 400, "params": {"p": PASSWORD}},
            },
        ),
    )
    router.add("GET", r"/wp-json/wp/v2/posts/3", json_response(200, {"id": 3, "echo": PASSWORD}))
    router.add(
        "GET",
        r"/wp-json/wp/v2/posts/4",
        raising(lambda r: httpx.ConnectError(f"refused {PASSWORD}", request=r)),
    )
    rest = connector(router)
    caplog.set_level(logging.DEBUG)
    errors = []
    for post_id in (1, 2, 3, 4):
        with pytest.raises(PublishError) as info:
            rest.get_post(post_id)
        errors.append(info.value)
    for error in errors:
        texts = [
            str(error),
            repr(error),
            error.user_message,
            getattr(error, "excerpt", ""),
            str(getattr(error, "params", "")),
        ]
        for text in texts:
            assert (
                PASSWORD not in text and PASSWORD.replace(" ", "") not in text and token not in text
            )
    assert "[hidden]" in errors[0].excerpt
    assert PASSWORD not in caplog.text and token not in caplog.text
    assert "GET https://blog.example.org/wp-json/wp/v2/posts/3 -> 200" in caplog.text
