"""XmlRpcConnector against recorded WordPress 6.1 XML-RPC answers (httpx.MockTransport)."""

from __future__ import annotations

import logging
import xmlrpc.client
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

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
    Unsupported,
    ValidationError,
)
from desktop_blog.publish.xmlrpc import XmlRpcConnector
from tests.publish.helpers import PASSWORD, USER, XMLRPC, recorded, xml_response

KEY = "0c6f3b1e-7a52-4a0e-8d3c-5b1f9e2a7d40"
MODIFIED_42 = datetime(2024, 5, 2, 7, 15, 30, tzinfo=UTC)


class XmlRpcBlog:
    """A MockTransport handler that answers by XML-RPC method name.

    An answer is a recorded file name, an httpx.Response, a callable taking the params, or a list
    of those used in turn. Calls are kept as (method, params) in `calls`.
    """

    def __init__(self, methods: str = "xmlrpc/listMethods_wordpress.xml") -> None:
        self.answers: dict[str, Any] = {"system.listMethods": methods}
        self.calls: list[tuple[str, tuple]] = []
        self.requests: list[httpx.Request] = []

    def on(self, method: str, answer: Any) -> XmlRpcBlog:
        self.answers[method] = answer
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        params, method = xmlrpc.client.loads(request.content, use_builtin_types=True)
        self.calls.append((method, params))
        answer = self.answers.get(method, "xmlrpc/fault_32601_no_method.xml")
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, httpx.Response):
            return answer
        if callable(answer):
            answer = answer(params)
            if isinstance(answer, httpx.Response):
                return answer
        return xml_response(answer)

    def connector(self) -> XmlRpcConnector:
        client = httpx.Client(transport=httpx.MockTransport(self))
        return XmlRpcConnector(client, XMLRPC, USER, PASSWORD)

    def methods(self) -> list[str]:
        return [method for method, _params in self.calls]

    def params(self, method: str) -> tuple:
        return next(p for m, p in reversed(self.calls) if m == method)


@pytest.fixture
def blog() -> XmlRpcBlog:
    return XmlRpcBlog()


# --- Account and the wire -----------------------------------------------------------------------


def test_verify(blog):
    blog.on("wp.getUsersBlogs", "xmlrpc/getUsersBlogs.xml").on(
        "wp.getProfile", "xmlrpc/getProfile.xml"
    )
    info = blog.connector().verify()
    assert (info.name, info.url, info.kind) == (
        "Notes from the Desk",
        "https://blog.example.org/",
        "xmlrpc",
    )
    assert (info.user_name, info.user_id, info.roles) == ("editor", 1, ("editor",))
    assert info.can_publish  # from the role: XML-RPC gives no capabilities
    assert blog.params("wp.getUsersBlogs") == (USER, PASSWORD)
    assert blog.params("wp.getProfile") == (1, USER, PASSWORD)
    request = blog.requests[0]
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8" and request.method == "POST"


def test_methods_are_listed_once(blog):
    blog.on("wp.getPost", "xmlrpc/getPost_42.xml")
    connector = blog.connector()
    for _ in range(3):
        connector.get_post(42)
    assert blog.methods() == ["system.listMethods"] + ["wp.getPost"] * 3


def test_wrong_password_is_fault_403(blog, caplog):
    caplog.set_level(logging.DEBUG)
    blog.on("wp.getUsersBlogs", "xmlrpc/fault_403_credentials.xml")
    with pytest.raises(AuthError) as info:
        blog.connector().verify()
    assert info.value.credentials and info.value.status == 403
    for text in (str(info.value), repr(info.value), info.value.user_message, caplog.text):
        assert PASSWORD not in text


def test_answer_with_leading_whitespace_is_read(blog):
    """A theme's stray newline before <?xml: the classic broken WordPress XML-RPC answer."""
    body = b"\n\n  " + recorded("xmlrpc/getPost_42.xml")
    blog.on("wp.getPost", httpx.Response(200, content=body, headers={"Content-Type": "text/xml"}))
    assert blog.connector().get_post(42).id == 42


def test_characters_xml_cannot_carry_are_dropped(blog):
    blog.on("wp.newPost", "xmlrpc/newPost_51.xml").on("wp.getPost", "xmlrpc/getPost_42.xml")
    blog.connector().create_post(PostPayload("Bell\x07", "<p>form\x0cfeed</p>"), KEY)
    struct = blog.params("wp.newPost")[3]
    assert struct["post_title"] == "Bell" and struct["post_content"].startswith("<p>formfeed</p>")


# --- Reading ------------------------------------------------------------------------------------


def test_get_post(blog):
    blog.on("wp.getPost", "xmlrpc/getPost_42.xml")
    post = blog.connector().get_post(42)
    assert blog.params("wp.getPost") == (1, USER, PASSWORD, 42, ["post", "terms"])
    assert (post.id, post.kind, post.status, post.slug) == (
        42,
        "post",
        "publish",
        "hello-from-the-desktop",
    )
    assert post.date_gmt == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert post.modified_gmt == MODIFIED_42
    assert post.content_html == "<p>line one\nline two</p>"
    assert post.marker == "5f0c8a9e-2d4b-4c61-9a7e-0b3d2c1f4e5a"
    assert (post.categories, post.tags, post.featured_media) == ([1, 5], [7], 88)


def test_scheduled_post_reported_as_publish_is_future(blog):
    blog.on("wp.getPost", "xmlrpc/getPost_60_scheduled.xml")
    post = blog.connector().get_post(60)
    assert post.status == "future" and post.featured_media is None and post.categories == []


def test_asking_for_a_page_that_is_a_post(blog):
    blog.on("wp.getPost", "xmlrpc/getPost_42.xml")
    with pytest.raises(NotFound):
        blog.connector().get_post(42, kind="page")


@pytest.mark.parametrize(
    ("fault", "kind", "checks"),
    [
        ("xmlrpc/fault_404_post.xml", NotFound, {"status": 404}),
        ("xmlrpc/fault_403_credentials.xml", AuthError, {"credentials": True}),
        ("xmlrpc/fault_401_permission.xml", AuthError, {"credentials": False}),
        ("xmlrpc/fault_404_attachment.xml", ValidationError, {"status": 404}),
        ("xmlrpc/fault_403_term.xml", ValidationError, {"status": 403}),
        ("xmlrpc/fault_409_conflict.xml", Conflict, {"status": 409}),
        ("xmlrpc/fault_405_disabled.xml", PublishError, {"status": 405}),
        ("xmlrpc/fault_32601_no_method.xml", Unsupported, {"status": -32601}),
    ],
)
def test_fault_mapping(blog, fault, kind, checks):
    blog.on("wp.getPost", fault)
    with pytest.raises(PublishError) as info:
        blog.connector().get_post(42)
    assert type(info.value) is kind
    for name, value in checks.items():
        assert getattr(info.value, name) == value
    assert not info.value.retryable
    assert info.value.user_message.endswith(".")


HTML = {"Content-Type": "text/html"}


@pytest.mark.parametrize(
    ("answer", "kind", "retryable"),
    [
        (
            httpx.Response(502, content=recorded("site/nginx_502.html"), headers=HTML),
            BadResponse,
            True,
        ),
        (
            httpx.Response(500, content=recorded("site/wp_critical_error_500.html"), headers=HTML),
            BadResponse,
            True,
        ),
        (httpx.Response(403, content=b"<h1>Forbidden</h1>", headers=HTML), AuthError, False),
        (
            httpx.Response(429, content=b"slow down", headers={"Retry-After": "12"}),
            RateLimited,
            True,
        ),
        (httpx.Response(404, content=b"<h1>Not Found</h1>", headers=HTML), BadResponse, False),
        (httpx.Response(200, content=recorded("site/home.html"), headers=HTML), BadResponse, False),
        (httpx.Response(200, content=recorded("xmlrpc/getPost_42.xml")[:300]), BadResponse, False),
    ],
)
def test_http_answers_that_are_not_xml_rpc(blog, answer, kind, retryable):
    blog.on("wp.getPost", answer)
    with pytest.raises(PublishError) as info:
        blog.connector().get_post(42)
    assert type(info.value) is kind and info.value.retryable is retryable
    if kind is RateLimited:
        assert info.value.retry_after == 12.0


def test_transport_failure(blog):
    def refuse(params):
        raise httpx.ConnectError("[Errno 111] Connection refused")

    blog.on("wp.getPost", refuse)
    with pytest.raises(TransportError) as info:
        blog.connector().get_post(42)
    assert info.value.retryable


def test_list_posts_newest_change_first_until_modified_after(blog):
    pages = ["xmlrpc/getPosts_modified_desc.xml"]
    blog.on("wp.getPosts", pages)
    since = datetime(2024, 5, 2, tzinfo=UTC)
    posts = list(blog.connector().list_posts(modified_after=since, page_size=3))
    assert [p.id for p in posts] == [51, 42]  # post 17 is older: the listing stops there
    query = blog.params("wp.getPosts")[3]
    assert query == {
        "post_type": "post",
        "orderby": "modified",
        "order": "DESC",
        "number": 3,
        "offset": 0,
    }
    assert blog.methods().count("wp.getPosts") == 1


def test_list_posts_pages_by_offset(blog):
    blog.on("wp.getPosts", ["xmlrpc/getPosts_modified_desc.xml", "xmlrpc/getPosts_empty.xml"])
    posts = list(blog.connector().list_posts(page_size=3, status="publish"))
    assert [p.id for p in posts] == [51, 42, 17]
    offsets = [p[3]["offset"] for m, p in blog.calls if m == "wp.getPosts"]
    assert offsets == [0, 3]
    assert blog.params("wp.getPosts")[3]["post_status"] == "publish"


# --- Writing ------------------------------------------------------------------------------------


def test_create_post_sends_the_marker_and_reads_the_post_back(blog):
    blog.on("wp.newPost", "xmlrpc/newPost_51.xml").on("wp.getPost", "xmlrpc/getPost_42.xml")
    payload = PostPayload(
        "Second thoughts",
        "<p>Not yet.</p>",
        status="future",
        date_gmt=datetime(2030, 1, 2, 12, tzinfo=UTC),
        categories=[5],
        tags=[7],
        featured_media=88,
    )
    blog.connector().create_post(payload, KEY)
    blog_id, user, password, struct = blog.params("wp.newPost")
    assert (blog_id, user, password) == (1, USER, PASSWORD)
    assert struct["post_content"] == f"<p>Not yet.</p><!-- desktop-blog:{KEY} -->"
    assert struct["post_type"] == "post" and struct["post_status"] == "future"
    assert struct["post_date_gmt"] == datetime(2030, 1, 2, 12)  # dateTime.iso8601, UTC
    assert struct["terms"] == {"category": [5], "post_tag": [7]}
    assert struct["post_thumbnail"] == 88
    assert blog.params("wp.getPost")[3] == 51  # the id came back as the string "51"


def test_update_conflict_found_before_writing(blog):
    blog.on("wp.getPost", "xmlrpc/getPost_42.xml")
    with pytest.raises(Conflict) as info:
        blog.connector().update_post(
            42, PostPayload("T", "<p>x</p>"), MODIFIED_42 - timedelta(hours=1)
        )
    assert info.value.remote is not None and info.value.remote_modified == MODIFIED_42
    assert "wp.editPost" not in blog.methods()


def test_update_passes_if_not_modified_since_and_maps_fault_409(blog):
    blog.on("wp.getPost", "xmlrpc/getPost_42.xml").on(
        "wp.editPost", "xmlrpc/fault_409_conflict.xml"
    )
    connector = blog.connector()
    with pytest.raises(Conflict) as info:  # changed between our read and our write
        connector.update_post(42, PostPayload("T", "<p>x</p>"), MODIFIED_42)
    assert info.value.status == 409 and info.value.remote is not None
    struct = blog.params("wp.editPost")[4]
    assert struct["if_not_modified_since"] == datetime(2024, 5, 2, 7, 15, 30)
    assert "post_type" not in struct  # WordPress refuses to change it
    assert struct["post_thumbnail"] == 0  # None: remove any featured image

    blog.on("wp.editPost", "xmlrpc/true.xml")
    post = connector.update_post(42, PostPayload("T", f"<p>x</p><!-- desktop-blog:{KEY} -->"), None)
    struct = blog.params("wp.editPost")[4]
    assert "if_not_modified_since" not in struct and struct["post_content"] == "<p>x</p>"
    assert post.id == 42


def _post_with_status(status: str) -> Callable:
    def answer(params):
        data = recorded("xmlrpc/getPost_42.xml").replace(
            b"<string>publish</string>", f"<string>{status}</string>".encode()
        )
        return httpx.Response(200, content=data)

    return answer


def test_delete_never_turns_a_repeated_trash_into_a_permanent_delete(blog):
    blog.on("wp.deletePost", "xmlrpc/true.xml")
    blog.on("wp.getPost", _post_with_status("trash"))
    connector = blog.connector()
    connector.delete_post(42)  # already in the trash
    assert "wp.deletePost" not in blog.methods()
    blog.on("wp.getPost", _post_with_status("publish"))
    connector.delete_post(42)
    assert blog.methods().count("wp.deletePost") == 1
    connector.delete_post(42, force=True)  # trash, then delete from the trash
    assert blog.methods().count("wp.deletePost") == 3
    blog.on("wp.getPost", "xmlrpc/fault_404_post.xml")
    connector.delete_post(42, force=True)  # gone already: done
    with pytest.raises(NotFound):
        connector.delete_post(42)


def test_find_post_by_marker_searches_every_status(blog):
    blog.on("wp.getPosts", "xmlrpc/getPosts_modified_desc.xml")
    connector = blog.connector()
    found = connector.find_post_by_marker("5f0c8a9e-2d4b-4c61-9a7e-0b3d2c1f4e5a")
    assert found is not None and found.id == 42
    query = blog.params("wp.getPosts")[3]
    assert query["s"] == "desktop-blog:5f0c8a9e-2d4b-4c61-9a7e-0b3d2c1f4e5a"
    assert set(query["post_status"].split(",")) == {
        "publish",
        "future",
        "draft",
        "pending",
        "private",
        "trash",
    }
    assert connector.find_post_by_marker(KEY) is None


# --- Terms, media, comments ---------------------------------------------------------------------


def test_list_and_create_terms(blog):
    blog.on("wp.getTerms", "xmlrpc/getTerms_category.xml")
    connector = blog.connector()
    terms = connector.list_terms("categories")
    assert [t.name for t in terms] == ["Uncategorized", "Tools & Tricks", "Writing"]
    assert blog.params("wp.getTerms")[3:] == (
        "category",
        {"hide_empty": False, "number": 500, "offset": 0},
    )
    blog.on("wp.newTerm", "xmlrpc/newTerm_12.xml").on("wp.getTerm", "xmlrpc/getTerm_12.xml")
    term = connector.create_term("categories", "Drafts", parent=5)
    assert (term.id, term.parent) == (12, 5)
    assert blog.params("wp.newTerm")[3] == {"name": "Drafts", "taxonomy": "category", "parent": 5}
    blog.on("wp.newTerm", "xmlrpc/fault_500_term_exists.xml")
    assert connector.create_term("categories", "writing").id == 5


def test_upload_sends_base64_bits(blog):
    blog.on("wp.uploadFile", "xmlrpc/uploadFile_88.xml")
    data = bytes(range(256)) * 8
    media = blog.connector().upload_media("desk.png", data, "image/png")
    struct = blog.params("wp.uploadFile")[3]
    assert struct == {"name": "desk.png", "type": "image/png", "bits": data, "overwrite": False}
    assert b"<base64>" in blog.requests[-1].content
    assert (media.id, media.mime_type) == (88, "image/png")
    assert media.source_url.endswith("/2024/05/desk.png")


def test_comments(blog):
    blog.on("wp.getComments", ["xmlrpc/getComments_hold.xml", "xmlrpc/getPosts_empty.xml"])
    connector = blog.connector()
    comments = list(connector.list_comments(status="hold", page_size=2))
    assert [(c.id, c.parent_id, c.status) for c in comments] == [
        (302, 301, "hold"),
        (301, 0, "hold"),
    ]
    assert comments[1].author_email == "ada@example.net"
    after = datetime(2024, 5, 2, 18, 30, tzinfo=UTC)
    blog.on("wp.getComments", "xmlrpc/getComments_hold.xml")
    assert [c.id for c in connector.list_comments(status="hold", after=after, page_size=2)] == [302]

    blog.on("wp.editComment", "xmlrpc/true.xml").on(
        "wp.getComment", "xmlrpc/getComment_301_approve.xml"
    )
    assert connector.moderate_comment(301, "approve").status == "approve"
    assert blog.params("wp.editComment")[3:] == (301, {"status": "approve"})
    blog.on(
        "wp.newComment",
        httpx.Response(200, content=xmlrpc.client.dumps((301,), methodresponse=True).encode()),
    )
    connector.reply_comment(42, 301, "<p>Thanks</p>")
    assert blog.params("wp.newComment")[3:] == (
        42,
        {"comment_parent": 301, "content": "<p>Thanks</p>"},
    )


# --- metaWeblog-only servers --------------------------------------------------------------------


def test_metaweblog_fallback():
    blog = XmlRpcBlog("xmlrpc/listMethods_metaweblog.xml")
    blog.on("metaWeblog.getPost", "xmlrpc/mw_getPost_42.xml")
    blog.on("metaWeblog.getCategories", "xmlrpc/mw_getCategories.xml")
    blog.on("metaWeblog.newPost", "xmlrpc/newPost_51.xml")
    connector = blog.connector()
    assert not connector.has_wp_methods
    post = connector.get_post(42)
    assert post.content_html == "<p>line one\nline two</p><!--more--><p>The rest.</p>"
    assert post.categories == [1, 5] and post.modified_gmt == MODIFIED_42
    connector.create_post(PostPayload("T", "<p>x</p>", status="publish", categories=[5]), KEY)
    blog_id, user, password, struct, publish = blog.params("metaWeblog.newPost")
    assert (blog_id, user, password, publish) == ("1", USER, PASSWORD, True)
    assert struct["categories"] == ["Writing"] and struct["description"].endswith(f"{KEY} -->")
    with pytest.raises(ValidationError, match="tags"):
        connector.create_post(PostPayload("T", "<p>x</p>", tags=[7]), KEY)
    with pytest.raises(Unsupported):
        connector.list_terms("tags")
    with pytest.raises(Unsupported):
        list(connector.list_comments())


def test_metaweblog_conflict_is_checked_by_reading_first():
    blog = XmlRpcBlog("xmlrpc/listMethods_metaweblog.xml")
    blog.on("metaWeblog.getPost", "xmlrpc/mw_getPost_42.xml")
    blog.on("metaWeblog.getCategories", "xmlrpc/mw_getCategories.xml")
    with pytest.raises(Conflict):
        blog.connector().update_post(
            42, PostPayload("T", "<p>x</p>"), MODIFIED_42 - timedelta(seconds=1)
        )
    assert "metaWeblog.editPost" not in blog.methods()


def test_without_introspection_wordpress_is_assumed(blog):
    blog.on("system.listMethods", "xmlrpc/fault_405_disabled.xml").on(
        "wp.getPost", "xmlrpc/getPost_42.xml"
    )
    assert blog.connector().get_post(42).id == 42
