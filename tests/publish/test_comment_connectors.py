"""Comment methods the sync needs, against recorded WordPress answers (httpx.MockTransport):
editing a comment's text, the light list of every comment's state, and refusals."""

from __future__ import annotations

import json
import xmlrpc.client

import httpx
import pytest

from desktop_blog.publish.errors import AuthError, NotFound
from desktop_blog.publish.wordpress_rest import WordPressRestConnector
from tests.publish.helpers import API, PASSWORD, USER, Router, json_response
from tests.publish.test_publish_xmlrpc import XmlRpcBlog


def rest(router: Router) -> WordPressRestConnector:
    return WordPressRestConnector(router.client(), API, USER, PASSWORD)


def test_rest_edit_comment_sends_the_new_text(router):
    router.add(
        "POST", r"/wp-json/wp/v2/comments/301", json_response(200, "rest/comment_301_edited.json")
    )
    edited = rest(router).edit_comment(301, "<p>Nice post, really!</p>")
    assert edited.content_html == "Nice post, really!" and edited.status == "approve"
    [sent] = router.sent("POST", r"/wp-json/wp/v2/comments/301")
    assert json.loads(sent.content) == {"content": "<p>Nice post, really!</p>"}


def test_rest_refusals_are_typed(router):
    router.add(
        "POST",
        r"/wp-json/wp/v2/comments/404",
        json_response(404, "rest/error_comment_invalid_id.json"),
    )
    router.add(
        "POST",
        r"/wp-json/wp/v2/comments/403",
        json_response(403, "rest/error_cannot_edit_comment.json"),
    )
    with pytest.raises(NotFound):
        rest(router).moderate_comment(404, "approve")
    with pytest.raises(AuthError):
        rest(router).edit_comment(403, "x")


def test_rest_delete_for_good_of_a_comment_already_gone_is_done(router):
    router.add(
        "DELETE",
        r"/wp-json/wp/v2/comments/301",
        json_response(404, "rest/error_comment_invalid_id.json"),
    )
    rest(router).delete_comment(301, force=True)
    [sent] = router.sent("DELETE", r"/wp-json/wp/v2/comments/301")
    assert sent.url.params["force"] == "true"


def test_rest_states_of_every_comment_ask_only_for_ids_and_statuses(router):
    def answer(request: httpx.Request) -> httpx.Response:
        status = request.url.params["status"]
        page = int(request.url.params.get("page", "1"))
        items = {
            ("hold", 1): [{"id": 1, "status": "hold"}, {"id": 2, "status": "hold"}],
            ("hold", 2): [{"id": 3, "status": "hold"}],
            ("approve", 1): [{"id": 4, "status": "approved"}],
            ("spam", 1): [{"id": 5, "status": "spam"}],
        }.get((status, page), [])
        pages = 2 if status == "hold" else 1
        return json_response(200, items, {"X-WP-Total": "3", "X-WP-TotalPages": str(pages)})

    router.add("GET", r"/wp-json/wp/v2/comments", answer)
    states = rest(router).list_comment_states(page_size=2)
    assert states == {1: "hold", 2: "hold", 3: "hold", 4: "approve", 5: "spam"}
    listed = router.sent("GET", r"/wp-json/wp/v2/comments")
    assert {r.url.params["status"] for r in listed} == {"hold", "approve", "spam", "trash"}
    assert all(r.url.params["_fields"] == "id,status" for r in listed)
    assert all(r.url.params["context"] == "edit" for r in listed)


def test_xmlrpc_edit_and_states():
    blog = XmlRpcBlog()
    blog.on("wp.editComment", "xmlrpc/true.xml").on(
        "wp.getComment", "xmlrpc/getComment_301_approve.xml"
    )
    connector = blog.connector()
    connector.edit_comment(301, "<p>New text</p>")
    assert blog.params("wp.editComment")[3:] == (301, {"content": "<p>New text</p>"})

    def comments(params: tuple) -> httpx.Response:
        query = params[3]
        found = {"hold": [7], "approve": [8, 9], "spam": [], "trash": [10]}[query["status"]]
        structs = [
            {
                "comment_id": str(i),
                "post_id": "42",
                "parent": "0",
                "status": query["status"],
                "date_created_gmt": xmlrpc.client.DateTime("20240502T18:01:44"),
                "content": "x",
                "author": "A",
                "author_email": "",
                "author_url": "",
                "author_ip": "",
            }
            for i in found
        ]
        body = xmlrpc.client.dumps((structs,), methodresponse=True)
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/xml"})

    blog.on("wp.getComments", comments)
    assert connector.list_comment_states() == {7: "hold", 8: "approve", 9: "approve", 10: "trash"}


def test_xmlrpc_missing_comment_is_not_found():
    blog = XmlRpcBlog()
    blog.on("wp.editComment", "xmlrpc/fault_404_post.xml")
    with pytest.raises(NotFound):
        blog.connector().moderate_comment(301, "spam")
