"""The test WordPress answers as ../shared/WORDPRESS.md says, and nothing of it leaves 127.0.0.1.

Raw httpx on purpose: these tests check the server (and tests/integration/wordpress/), not the
app's connectors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xmlrpc.client
from pathlib import Path

import httpx
import pytest

from tests.images import png
from tests.integration.site_helpers import unique

wpserver = sys.modules["desktop_blog_wpserver"]  # wordpress/wpserver.py, loaded by conftest.py

WPSERVER = Path(__file__).resolve().parent / "wordpress" / "wpserver.py"


@pytest.fixture
def anonymous(wordpress):
    with httpx.Client(base_url=wordpress.url, timeout=30, trust_env=False) as client:
        yield client


def xmlrpc_call(wordpress, method: str, *params):
    """One XML-RPC call over httpx; returns the result or raises xmlrpc.client.Fault."""
    body = xmlrpc.client.dumps(params, method, allow_none=True)
    response = httpx.post(
        wordpress.xmlrpc_url,
        content=body.encode(),
        headers={"Content-Type": "text/xml"},
        timeout=30,
        trust_env=False,
    )
    assert response.status_code == 200, response.text[:500]
    return xmlrpc.client.loads(response.content)[0][0]


def test_discovery_through_the_link_header(wordpress, anonymous):
    home = anonymous.get("/")
    assert home.status_code == 200
    assert f'<{wordpress.rest_url}>; rel="https://api.w.org/"' in home.headers["link"]
    index = anonymous.get(wordpress.rest_url)
    assert index.status_code == 200
    assert "wp/v2" in index.json()["namespaces"]
    plain = anonymous.get("/", params={"rest_route": "/"})  # works without pretty permalinks too
    assert plain.status_code == 200
    assert plain.json()["url"] == wordpress.url


def test_application_password_is_checked_with_users_me(wordpress, api):
    me = api.get("wp/v2/users/me", params={"context": "edit"})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == wordpress.user
    assert "administrator" in me.json()["roles"]

    for wrong in ("not-the-password", wordpress.password):  # the login password is refused too
        response = api.get(
            "wp/v2/users/me", params={"context": "edit"}, auth=(wordpress.user, wrong)
        )
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "rest_not_logged_in"


def test_post_create_publish_update_and_trash(wordpress, api, anonymous):
    title = unique("Smoke post")
    created = api.post("wp/v2/posts", json={"title": title, "content": "<p>Hello.</p>"})
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["status"] == "draft"
    assert created.headers["location"] == f"{wordpress.rest_url}wp/v2/posts/{post['id']}"

    published = api.post(f"wp/v2/posts/{post['id']}", json={"status": "publish"})
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "publish"
    link = published.json()["link"]
    assert link.startswith(wordpress.url + "/") and link.endswith("/")  # pretty: /%postname%/

    updated = api.put(f"wp/v2/posts/{post['id']}", json={"title": title + " (edited)"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["title"]["raw"] == title + " (edited)"
    page = anonymous.get(link)
    assert page.status_code == 200
    assert "(edited)" in page.text

    trashed = api.delete(f"wp/v2/posts/{post['id']}")
    assert trashed.status_code == 200, trashed.text
    assert trashed.json()["status"] == "trash"
    again = api.delete(f"wp/v2/posts/{post['id']}")
    assert again.status_code == 410
    assert again.json()["code"] == "rest_already_trashed"
    gone = api.delete(f"wp/v2/posts/{post['id']}", params={"force": "true"})
    assert gone.status_code == 200 and gone.json()["deleted"] is True


def test_media_upload_returns_a_source_url_that_serves_the_file(wordpress, api, anonymous):
    image = png(3, 2, (255, 128, 0))
    response = api.post(
        "wp/v2/media",
        content=image,
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="smoke.png"',
        },
    )
    assert response.status_code == 201, response.text
    media = response.json()
    assert media["source_url"].startswith(f"{wordpress.url}/wp-content/uploads/")
    served = anonymous.get(media["source_url"])
    assert served.status_code == 200
    assert served.content == image
    # Uploads land in this site's own wp-content, not Debian's shared one.
    relative = media["source_url"].removeprefix(f"{wordpress.url}/")
    assert (wordpress.directory / "wp" / relative).is_file()


def test_xmlrpc_answers_with_either_password(wordpress):
    methods = xmlrpc_call(wordpress, "system.listMethods")
    assert {"wp.getUsersBlogs", "wp.newPost", "metaWeblog.newPost"} <= set(methods)
    for password in (wordpress.password, wordpress.app_password):
        blogs = xmlrpc_call(wordpress, "wp.getUsersBlogs", wordpress.user, password)
        assert blogs[0]["xmlrpc"] == wordpress.xmlrpc_url
        assert blogs[0]["isAdmin"] is True
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc_call(wordpress, "wp.getUsersBlogs", wordpress.user, "wrong")
    assert fault.value.faultCode == 403


def test_a_visitors_comment_is_held_for_moderation(wordpress, api, anonymous):
    post = api.post("wp/v2/posts", json={"title": unique("Commented"), "status": "publish"})
    assert post.status_code == 201, post.text
    text = unique("A visitor says")
    sent = anonymous.post(
        "/wp-comments-post.php",
        data={
            "comment": text,
            "author": "Visitor",
            "email": "visitor@example.invalid",
            "url": "",
            "comment_post_ID": str(post.json()["id"]),
        },
    )
    assert sent.status_code == 302, sent.text[:500]
    held = api.get(
        "wp/v2/comments",
        params={"status": "hold", "context": "edit", "post": post.json()["id"]},
    )
    assert held.status_code == 200, held.text
    assert [c["content"]["raw"] for c in held.json()] == [text]
    assert held.json()[0]["status"] == "hold"
    # The notice to the moderator went nowhere but the site's mail log.
    assert "Please moderate" in (wordpress.directory / "logs" / "mail.log").read_text()


def test_nothing_leaves_loopback(wordpress, anonymous):
    # Every response comes through the must-use plugin...
    assert anonymous.get("/").headers.get("x-desktop-blog-sandbox") == "1"
    assert anonymous.get(wordpress.rest_url).headers.get("x-desktop-blog-sandbox") == "1"
    # ...which refuses a request to any other host, and lets loopback through.
    out = wordpress.php(
        "$r = wp_remote_get('http://example.com/');"
        "echo is_wp_error($r) ? $r->get_error_code() : 'reached';"
    )
    assert out == "desktop_blog_sandbox_blocked"
    assert (
        "GET http://example.com/"
        in (wordpress.directory / "logs" / "blocked-requests.log").read_text()
    )
    status = wordpress.php("echo wp_remote_retrieve_response_code(wp_remote_get(rest_url()));")
    assert status == "200"
    # Mail is replaced, not sent.
    where = wordpress.php("echo (new ReflectionFunction('wp_mail'))->getFileName();")
    assert where.endswith("/wp-content/mu-plugins/desktop-blog-sandbox.php")


def test_the_site_is_this_sessions_own(wordpress):
    config = (wordpress.directory / "wp" / "wp-config.php").read_text()
    assert str(wordpress.directory / "mysql" / "run" / "mysqld.sock") in config
    content_dir = wordpress.php("echo WP_CONTENT_DIR;")
    assert content_dir == str(wordpress.directory / "wp" / "wp-content")
    assert wordpress.php("echo get_option('permalink_structure');") == "/%postname%/"
    assert wordpress.php("echo wp_get_environment_type();") == "local"


def test_command_line_start_and_stop_leave_nothing_running(wordpress):
    """A second site through the CLI: start, stop (twice: idempotent), no process left."""
    # The fixture's prefix: should this session die, the next one stops and removes this too.
    directory = Path(tempfile.mkdtemp(prefix=wpserver.PYTEST_PREFIX + "cli-"))
    run = [sys.executable, str(WPSERVER)]
    try:
        started = subprocess.run(
            [*run, "start", "--dir", str(directory)], capture_output=True, text=True, timeout=120
        )
        assert started.returncode == 0, started.stderr
        site = json.loads(started.stdout)
        assert site["start_seconds"] < 30
        status = httpx.get(site["rest_url"], timeout=10, trust_env=False).status_code
        assert status == 200
        assert json.loads((directory / "site.json").read_text())["status"] == "running"
    finally:
        stopped = subprocess.run(
            [*run, "stop", "--dir", str(directory)], capture_output=True, text=True, timeout=60
        )
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped" in stopped.stderr
    assert _processes_naming(directory) == []
    with pytest.raises(httpx.TransportError):
        httpx.get(site["rest_url"], timeout=5, trust_env=False)
    again = subprocess.run(
        [*run, "stop", "--dir", str(directory), "--remove"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and "nothing was running" in again.stderr
    assert not directory.exists()


def _processes_naming(directory: Path) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(directory) in args and state != "Z":
            found.append(f"{pid}: {args.replace(chr(0), ' ')}")
    return found
