"""A fake WordPress 6.1 — REST API and XML-RPC — as one WSGI app, with faults on demand.

It answers the way ../shared/WORDPRESS.md says a real one does, for what the connectors use:
application-password Basic auth (a wrong password is an anonymous visitor; the login password gets
401 over REST), `date_gmt`/`modified_gmt` without a zone, `context=edit` raw fields, error JSON
`{"code", "message", "data": {"status"}}`, `X-WP-Total`/`X-WP-TotalPages`, `modified_after`,
`exclude`, `search`, trash then 410 `rest_already_trashed`, unknown category ids silently clearing
the categories, `Link: <…/wp-json/>; rel="https://api.w.org/"`, `?rest_route=`, RSD, and the
XML-RPC `wp.*`/`metaWeblog.*` methods with WordPress's fault codes (and its habit of reporting a
scheduled post as "publish").

Two ways to use it:

    fake = WordPressFake()
    client = httpx.Client(transport=fake.transport())       # in process, no sockets
    with fake.serve() as base_url:                           # on 127.0.0.1, real sockets
        client = httpx.Client(timeout=0.5)

Faults (`fake.inject(kind, route=..., method=..., count=1)`), each used up by the next matching
request: "timeout" (the server stalls `delay` seconds, then handles the request), "500" (a PHP
critical-error page), "502" (nginx's HTML page), "malformed_json" (the request is handled, then
a PHP warning and half the JSON come back), "drop_after_store" (handled and stored, then the
connection is closed without an answer), "401" (rest_not_logged_in; over XML-RPC fault 403),
"429" (with `Retry-After: retry_after`). In process, "timeout" and "drop_after_store" raise
httpx.ReadTimeout / httpx.RemoteProtocolError from the transport instead of using a socket.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import socket
import socketserver
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server
from xmlrpc.server import SimpleXMLRPCDispatcher

import httpx

JSON_TYPE = "application/json; charset=UTF-8"
STATUSES = ("publish", "future", "draft", "pending", "private")
HTML_500 = (
    b"<!DOCTYPE html><html lang='en-US'><head><meta charset='utf-8'><title>WordPress &rsaquo; "
    b"Error</title></head><body id='error-page'><div class='wp-die-message'><p>There has been a "
    b"critical error on this website.</p></div></body></html>"
)
HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
    b"Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
)
HTML_429 = (
    b"<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 "
    b"Too Many Requests</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>"
)
PHP_WARNING = (
    b"<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent by "
    b"(output started at /var/www/wp-content/plugins/chatty/chatty.php:12) in "
    b"<b>/usr/share/wordpress/wp-includes/rest-api/class-wp-rest-server.php</b> on line "
    b"<b>1712</b><br />\n"
)
FAULT_KINDS = ("timeout", "500", "502", "malformed_json", "drop_after_store", "401", "429")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def wp_date(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if moment else None


def xml_date(moment: datetime | None) -> xmlrpc.client.DateTime:
    moment = moment or datetime(1970, 1, 1, tzinfo=UTC)
    return xmlrpc.client.DateTime(moment.astimezone(UTC).strftime("%Y%m%dT%H:%M:%S"))


def _parse_date(text: str) -> datetime:
    value = text.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the fake site's zone is UTC
    return moment.astimezone(UTC)


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class WpError(Exception):
    """A WordPress REST error: turned into {"code", "message", "data": {"status", ...}}."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data


@dataclass
class Fault:
    kind: str
    route: str | None = None  # REST route prefix ("/wp/v2/posts"), "xmlrpc" or "xmlrpc:METHOD"
    method: str | None = None  # HTTP method (REST)
    count: int = 1
    delay: float = 2.0  # "timeout": seconds to stall
    retry_after: str = "7"  # "429": the Retry-After header

    def matches(self, target: str, method: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.route is None:
            return True
        if self.route == "xmlrpc":
            return target.startswith("xmlrpc:")
        return target == self.route or target.startswith(self.route.rstrip("/") + "/")


@dataclass
class Logged:
    method: str
    target: str  # REST route, "xmlrpc:METHOD", or the path for anything else
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = field(repr=False, default=b"")


class WordPressFake:
    """State and behaviour of one fake blog. Thread-safe; every public attribute may be read by a
    test (`posts`, `terms`, `media`, `comments`, `log`)."""

    def __init__(
        self,
        *,
        username: str = "admin",
        app_password: str = "abcd EFGH 1234 ijkl MNOP 5678",
        login_password: str = "correct horse battery staple",
        site_name: str = "Fake Blog",
        wp_xmlrpc_methods: bool = True,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.username = username
        self.app_password = app_password
        self.login_password = login_password
        self.site_name = site_name
        self.wp_xmlrpc_methods = wp_xmlrpc_methods
        self.clock = clock
        self.lock = threading.RLock()
        self.posts: dict[int, dict[str, Any]] = {}
        self.terms: dict[str, dict[int, dict[str, Any]]] = {
            "categories": {
                1: {"id": 1, "name": "Uncategorized", "slug": "uncategorized", "parent": 0}
            },
            "tags": {},
        }
        self.media: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self._next_id = 100
        self._dispatcher = self._make_dispatcher()

    # --- Test helpers --------------------------------------------------------------------------

    def inject(self, kind: str, route: str | None = None, method: str | None = None, **kw) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        fault = Fault(kind, route, method, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def add_post(self, **fields: Any) -> dict[str, Any]:
        """Store a post as if written on the server (defaults fill the rest)."""
        with self.lock:
            now = self.clock()
            post = {
                "id": self._new_id(),
                "type": "post",
                "title": "",
                "content": "",
                "excerpt": "",
                "slug": "",
                "status": "publish",
                "date_gmt": now,
                "modified_gmt": now,
                "categories": [1],
                "tags": [],
                "featured_media": 0,
                "floating": False,
            }
            post.update(fields)
            if not post["slug"] and post["status"] in ("publish", "future", "private"):
                post["slug"] = self._unique_slug(post["title"] or str(post["id"]), post)
            self.posts[post["id"]] = post
            return post

    def touch(self, post_id: int, **changes: Any) -> dict[str, Any]:
        """Edit a post "behind the app's back": applies `changes`; modified moves on >= 1 s."""
        with self.lock:
            post = self.posts[post_id]
            post.update(changes)
            post["modified_gmt"] = max(self.clock(), post["modified_gmt"] + _SECOND)
            return post

    def add_term(self, taxonomy: str, name: str, parent: int = 0) -> dict[str, Any]:
        with self.lock:
            term = {"id": self._new_id(), "name": name, "slug": _slugify(name), "parent": parent}
            self.terms[taxonomy][term["id"]] = term
            return term

    def add_comment(self, post_id: int, content: str, status: str = "hold", **f: Any) -> dict:
        with self.lock:
            comment = {
                "id": self._new_id(),
                "post": post_id,
                "parent": 0,
                "author_name": "Visitor",
                "author_email": "visitor@example.org",
                "author_url": "",
                "author_ip": "192.0.2.7",
                "content": content,
                "status": status,  # "0"/"1" in WordPress; stored here as hold/approve/spam/trash
                "date_gmt": self.clock(),
            }
            comment.update(f)
            self.comments[comment["id"]] = comment
            return comment

    def requests_to(self, target: str, method: str | None = None) -> list[Logged]:
        with self.lock:
            return [
                entry
                for entry in self.log
                if entry.target == target and (method is None or entry.method == method)
            ]

    def transport(self) -> httpx.BaseTransport:
        """An in-process transport (httpx.WSGITransport) that also plays the socket faults."""
        return _InProcessTransport(self)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on a loopback port in a thread; yields the base URL."""
        server = make_server(host, port, self, server_class=_Server, handler_class=_Handler)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield f"http://{host}:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    # --- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO") or "/"
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), True).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', 'localhost')}"
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        in_process = "x-wp-fake-in-process" in headers

        route = self._rest_route(path, query)
        if route is not None:
            target = route
        elif path.endswith("/xmlrpc.php") and method == "POST":
            target = "xmlrpc:" + _xmlrpc_method_name(body)
        else:
            target = path
        with self.lock:
            self.log.append(Logged(method, target, query, headers, body))
            fault = next((f for f in self.faults if f.matches(target, method)), None)
            api = route is not None or target.startswith("xmlrpc:")
            if fault is not None and api:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
            else:
                fault = None

        if fault and fault.kind == "timeout" and not in_process:
            time.sleep(fault.delay)
        if fault and fault.kind in ("500", "502", "401", "429"):
            status, out_headers, payload = self._fault_answer(fault, target)
        elif route is not None:
            status, out_headers, payload = self._rest(method, route, query, headers, body, base)
        elif target.startswith("xmlrpc:"):
            status, out_headers, payload = self._xmlrpc(body, base)
        elif path.endswith("/xmlrpc.php"):
            status, out_headers, payload = self._xmlrpc_get(query, base)
        elif path in ("/", "/index.php"):
            status, out_headers, payload = self._home(base)
        else:
            status, out_headers, payload = (
                404,
                [("Content-Type", "text/html")],
                b"<h1>Not Found</h1>",
            )

        if fault and fault.kind == "malformed_json":
            payload = PHP_WARNING + payload[: max(1, len(payload) // 2)]
        if fault and fault.kind in ("drop_after_store", "timeout"):
            if fault.kind == "drop_after_store":
                environ["wp_fake.drop"] = True
            if in_process:
                out_headers = [*out_headers, ("X-Wp-Fake-Action", fault.kind)]
        start_response(f"{status} {_REASONS.get(status, 'Status')}", out_headers)
        return [payload]

    def _fault_answer(self, fault: Fault, target: str) -> tuple[int, list, bytes]:
        if target.startswith("xmlrpc:"):
            if fault.kind == "401":
                body = xmlrpc.client.dumps(
                    xmlrpc.client.Fault(403, "Incorrect username or password."), methodresponse=True
                )
                return 200, [("Content-Type", "text/xml; charset=UTF-8")], body.encode()
        if fault.kind == "500":
            return 500, [("Content-Type", "text/html; charset=UTF-8")], HTML_500
        if fault.kind == "502":
            return 502, [("Content-Type", "text/html")], HTML_502
        if fault.kind == "429":
            headers = [("Content-Type", "text/html"), ("Retry-After", fault.retry_after)]
            return 429, headers, HTML_429
        error = {
            "code": "rest_not_logged_in",
            "message": "You are not currently logged in.",
            "data": {"status": 401},
        }
        return 401, [("Content-Type", JSON_TYPE)], json.dumps(error).encode()

    # --- Site pages ----------------------------------------------------------------------------

    def _home(self, base: str) -> tuple[int, list, bytes]:
        page = (
            '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8" />\n'
            f"<title>{self.site_name}</title>\n"
            f'<link rel="https://api.w.org/" href="{base}/wp-json/" />\n'
            f'<link rel="EditURI" type="application/rsd+xml" title="RSD" '
            f'href="{base}/xmlrpc.php?rsd" />\n'
            f"</head>\n<body><h1>{self.site_name}</h1></body>\n</html>\n"
        )
        headers = [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Link", f'<{base}/wp-json/>; rel="https://api.w.org/"'),
        ]
        return 200, headers, page.encode()

    def _xmlrpc_get(self, query: dict[str, str], base: str) -> tuple[int, list, bytes]:
        if "rsd" in query:
            rsd = (
                '<?xml version="1.0" encoding="UTF-8"?><rsd version="1.0" '
                'xmlns="http://archipelago.phrasewise.com/rsd">\n  <service>\n'
                "    <engineName>WordPress</engineName>\n"
                "    <engineLink>https://wordpress.org/</engineLink>\n"
                f"    <homePageLink>{base}</homePageLink>\n    <apis>\n"
                f'      <api name="WordPress" blogID="1" preferred="true" apiLink="{base}/xmlrpc.php" />\n'
                f'      <api name="Movable Type" blogID="1" preferred="false" apiLink="{base}/xmlrpc.php" />\n'
                f'      <api name="MetaWeblog" blogID="1" preferred="false" apiLink="{base}/xmlrpc.php" />\n'
                f'      <api name="Blogger" blogID="1" preferred="false" apiLink="{base}/xmlrpc.php" />\n'
                f'      <api name="WP-API" blogID="1" preferred="false" apiLink="{base}/wp-json/" />\n'
                "    </apis>\n  </service>\n</rsd>\n"
            )
            return 200, [("Content-Type", "text/xml; charset=UTF-8")], rsd.encode()
        return 405, [("Content-Type", "text/plain")], b"XML-RPC server accepts POST requests only."

    # --- REST ----------------------------------------------------------------------------------

    @staticmethod
    def _rest_route(path: str, query: dict[str, str]) -> str | None:
        if path.startswith("/wp-json"):
            return "/" + path[len("/wp-json") :].strip("/")
        if path in ("/", "/index.php") and "rest_route" in query:
            return "/" + query["rest_route"].strip("/")
        return None

    def _rest(
        self,
        method: str,
        route: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        base: str,
    ) -> tuple[int, list, bytes]:
        extra: list[tuple[str, str]] = []
        try:
            user = self._rest_user(headers)
            data: Any = {}
            if body and "json" in headers.get("content-type", ""):
                try:
                    data = json.loads(body)
                except ValueError:
                    raise WpError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
            status, result, extra = self._route(
                method, route, query, data, body, headers, user, base
            )
        except WpError as error:
            status = error.status
            result = {
                "code": error.code,
                "message": error.message,
                "data": {"status": status, **error.data},
            }
        out = [("Content-Type", JSON_TYPE), *extra]
        return status, out, json.dumps(result).encode()

    def _rest_user(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if user != self.username:
            return None
        if _alnum(password) == _alnum(self.app_password):
            return user
        if password == self.login_password:
            raise WpError(
                401,
                "incorrect_password",
                "The provided password is an invalid application password.",
            )
        return None  # WordPress: a wrong password makes an anonymous request

    def _route(self, method, route, query, data, body, headers, user, base):
        with self.lock:
            if route == "/":
                return 200, self._index(base, query), []
            if route == "/wp/v2/users/me":
                if user is None:
                    raise WpError(401, "rest_not_logged_in", "You are not currently logged in.")
                return 200, self._me(), []
            match = re.fullmatch(r"/wp/v2/(posts|pages)(?:/(\d+))?", route)
            if match:
                kind = "post" if match.group(1) == "posts" else "page"
                post_id = int(match.group(2)) if match.group(2) else None
                return self._posts_route(method, kind, post_id, query, data, user, base)
            match = re.fullmatch(r"/wp/v2/(categories|tags)(?:/(\d+))?", route)
            if match:
                return self._terms_route(
                    method, match.group(1), match.group(2), query, data, user, base
                )
            match = re.fullmatch(r"/wp/v2/media(?:/(\d+))?", route)
            if match:
                return self._media_route(method, match.group(1), query, body, headers, user, base)
            match = re.fullmatch(r"/wp/v2/comments(?:/(\d+))?", route)
            if match:
                return self._comments_route(method, match.group(1), query, data, user, base)
        raise WpError(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _index(self, base: str, query: dict[str, str]) -> dict[str, Any]:
        index = {
            "name": self.site_name,
            "description": "Just another WordPress site",
            "url": base,
            "home": base,
            "gmt_offset": "0",
            "timezone_string": "",
            "namespaces": ["oembed/1.0", "wp/v2", "wp-site-health/v1", "wp-block-editor/v1"],
            "authentication": {
                "application-passwords": {
                    "endpoints": {"authorization": f"{base}/wp-admin/authorize-application.php"}
                }
            },
            "routes": {"/": {}, "/wp/v2/posts": {}, "/wp/v2/pages": {}},
        }
        return _only_fields(index, query)

    def _me(self) -> dict[str, Any]:
        caps = ["switch_themes", "edit_posts", "publish_posts", "upload_files", "manage_categories"]
        caps += ["moderate_comments", "edit_others_posts", "delete_posts", "unfiltered_html"]
        return {
            "id": 1,
            "username": self.username,
            "name": self.username,
            "first_name": "",
            "last_name": "",
            "email": "admin@example.org",
            "url": "",
            "description": "",
            "link": "",
            "locale": "en_US",
            "nickname": self.username,
            "slug": self.username,
            "roles": ["administrator"],
            "registered_date": "2024-01-01T00:00:00+00:00",
            "capabilities": dict.fromkeys(caps, True) | {"administrator": True},
            "extra_capabilities": {"administrator": True},
            "avatar_urls": {},
            "meta": [],
        }

    # Posts and pages

    def _posts_route(self, method, kind, post_id, query, data, user, base):
        edit = query.get("context") == "edit"
        if post_id is None:
            if method == "GET":
                if edit and user is None:
                    raise WpError(
                        401,
                        "rest_forbidden_context",
                        "Sorry, you are not allowed to edit posts in this post type.",
                    )
                return self._list_posts(kind, query, user, base)
            if method == "POST":
                if user is None:
                    raise WpError(
                        401,
                        "rest_cannot_create",
                        "Sorry, you are not allowed to create posts as this user.",
                    )
                post = self._save_post(kind, None, data)
                location = [("Location", f"{base}/wp-json/wp/v2/{kind}s/{post['id']}")]
                return 201, self._post_json(post, base, edit=True), location
            raise WpError(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        post = self.posts.get(post_id)
        if post is None or post["type"] != kind:
            raise WpError(404, "rest_post_invalid_id", "Invalid post ID.")
        if method == "GET":
            if user is None and (edit or post["status"] != "publish"):
                raise WpError(401, "rest_forbidden", "Sorry, you are not allowed to do that.")
            return 200, self._post_json(post, base, edit=edit), []
        if user is None:
            raise WpError(401, "rest_cannot_edit", "Sorry, you are not allowed to edit this post.")
        if method in ("POST", "PUT", "PATCH"):
            post = self._save_post(kind, post, data)
            return 200, self._post_json(post, base, edit=True), []
        if method == "DELETE":
            if query.get("force") in ("true", "1"):
                previous = self._post_json(post, base, edit=True)
                del self.posts[post_id]
                return 200, {"deleted": True, "previous": previous}, []
            if post["status"] == "trash":
                raise WpError(410, "rest_already_trashed", "The post has already been deleted.")
            post["status"] = "trash"
            post["modified_gmt"] = self.clock()
            return 200, self._post_json(post, base, edit=True), []
        raise WpError(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _save_post(self, kind: str, post: dict | None, data: dict) -> dict:
        if not isinstance(data, dict):
            raise WpError(400, "rest_invalid_json", "Invalid JSON body passed.")
        status = data.get("status", post["status"] if post else "draft")
        if status not in STATUSES:
            raise WpError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): status",
                params={"status": "status is not one of publish, future, draft, pending, private."},
                details={},
            )
        now = self.clock()
        if post is None:
            post = {
                "id": self._new_id(),
                "type": kind,
                "title": "",
                "content": "",
                "excerpt": "",
                "slug": "",
                "status": "draft",
                "date_gmt": now,
                "floating": True,
                "categories": [1] if kind == "post" else [],
                "tags": [],
                "featured_media": 0,
            }
            self.posts[post["id"]] = post
        for key in ("title", "content", "excerpt"):
            if key in data:
                post[key] = _text(data[key])
        if "date_gmt" in data and data["date_gmt"]:
            try:
                post["date_gmt"] = _parse_date(data["date_gmt"])
            except ValueError:
                raise WpError(
                    400,
                    "rest_invalid_param",
                    "Invalid parameter(s): date_gmt",
                    params={"date_gmt": "Invalid date."},
                ) from None
            post["floating"] = False
        if status == "future" and post["date_gmt"] <= now:
            status = "publish"  # WordPress publishes a "scheduled" post dated in the past
        if status == "publish" and post["date_gmt"] > now:
            status = "future"
        post["status"] = status
        if post.get("floating") and status in ("draft", "pending"):
            post["date_gmt"] = now  # a draft's date moves with every save until it is published
        elif status in ("publish", "future", "private"):
            post["floating"] = False
        if kind == "post":
            if "categories" in data:
                ids = [i for i in data["categories"] if isinstance(i, int)]
                # WordPress: an unknown id is accepted with 200, and the categories are cleared
                known = all(i in self.terms["categories"] for i in ids)
                post["categories"] = (ids or [1]) if known else [1]
            if "tags" in data:
                post["tags"] = [i for i in data["tags"] if i in self.terms["tags"]]
        if "featured_media" in data:
            media_id = data["featured_media"]
            if not media_id:
                post["featured_media"] = 0
            elif media_id in self.media:
                post["featured_media"] = media_id
            # else: ignored, as WordPress does
        if "slug" in data and data["slug"]:
            post["slug"] = _slugify(str(data["slug"]))
        if not post["slug"] and status in ("publish", "future", "private"):
            post["slug"] = self._unique_slug(post["title"] or str(post["id"]), post)
        post["modified_gmt"] = now
        return post

    def _unique_slug(self, title: str, post: dict) -> str:
        slug = _slugify(title) or str(post["id"])
        taken = {
            p["slug"] for p in self.posts.values() if p is not post and p["type"] == post["type"]
        }
        candidate, n = slug, 2
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        return candidate

    def _list_posts(self, kind, query, user, base):
        per_page = _int_param(query, "per_page", 10, 1, 100)
        page = _int_param(query, "page", 1, 1, None)
        statuses = query.get("status", "publish")
        if user is None:
            wanted = {"publish"}
        elif statuses == "any":
            wanted = set(STATUSES)
        else:
            wanted = set(statuses.split(","))
        posts = [p for p in self.posts.values() if p["type"] == kind and p["status"] in wanted]
        for name, op in (
            ("modified_after", ">"),
            ("modified_before", "<"),
            ("after", ">"),
            ("before", "<"),
        ):
            if name in query:
                try:
                    bound = _parse_date(query[name])
                except ValueError:
                    raise WpError(
                        400,
                        "rest_invalid_param",
                        f"Invalid parameter(s): {name}",
                        params={name: "Invalid date."},
                    ) from None
                column = "modified_gmt" if name.startswith("modified") else "date_gmt"
                posts = [
                    p for p in posts if (p[column] > bound if op == ">" else p[column] < bound)
                ]
        if query.get("exclude"):
            excluded = {int(i) for i in query["exclude"].split(",") if i.strip().isdigit()}
            posts = [p for p in posts if p["id"] not in excluded]
        if query.get("include"):
            included = {int(i) for i in query["include"].split(",") if i.strip().isdigit()}
            posts = [p for p in posts if p["id"] in included]
        if query.get("search"):
            needle = query["search"].lower()
            posts = [
                p
                for p in posts
                if any(needle in p[k].lower() for k in ("title", "excerpt", "content"))
            ]
        if query.get("slug"):
            posts = [p for p in posts if p["slug"] == query["slug"]]
        column = {"date": "date_gmt", "modified": "modified_gmt", "id": "id", "title": "title"}[
            query.get("orderby", "date")
        ]
        posts.sort(key=lambda p: p["id"])
        posts.sort(key=lambda p: p[column], reverse=query.get("order", "desc") == "desc")
        chunk, headers = _paginate(posts, page, per_page, "rest_post_invalid_page_number")
        edit = query.get("context") == "edit"
        return 200, [self._post_json(p, base, edit=edit) for p in chunk], headers

    def _post_json(self, post: dict, base: str, *, edit: bool) -> dict[str, Any]:
        def field(raw: str) -> dict[str, Any]:
            return {"raw": raw, "rendered": raw} if edit else {"rendered": raw}

        published = post["status"] == "publish"
        date = post["date_gmt"]
        link = (
            f"{base}/{date:%Y/%m/%d}/{post['slug']}/"
            if published and post["type"] == "post"
            else f"{base}/?{'p' if post['type'] == 'post' else 'page_id'}={post['id']}"
        )
        data = {
            "id": post["id"],
            "date": wp_date(date),
            "date_gmt": wp_date(date),
            "guid": field(f"{base}/?p={post['id']}"),
            "modified": wp_date(post["modified_gmt"]),
            "modified_gmt": wp_date(post["modified_gmt"]),
            "password": "",
            "slug": post["slug"],
            "status": post["status"],
            "type": post["type"],
            "link": link,
            "title": field(post["title"]),
            "content": {**field(post["content"]), "protected": False, "block_version": 0},
            "excerpt": {**field(post["excerpt"]), "protected": False},
            "author": 1,
            "featured_media": post["featured_media"],
            "comment_status": "open",
            "ping_status": "open",
            "template": "",
            "meta": [],
        }
        if post["type"] == "post":
            data.update(
                sticky=False, format="standard", categories=post["categories"], tags=post["tags"]
            )
        else:
            data.update(parent=0, menu_order=0)
        if edit:
            data["permalink_template"] = f"{base}/{date:%Y/%m/%d}/%postname%/"
            data["generated_slug"] = _slugify(post["title"])
        data["_links"] = {"self": [{"href": f"{base}/wp-json/wp/v2/{post['type']}s/{post['id']}"}]}
        return data

    # Terms

    def _terms_route(self, method, taxonomy, term_id, query, data, user, base):
        store = self.terms[taxonomy]
        if term_id is not None:
            term = store.get(int(term_id))
            if term is None or method != "GET":
                raise WpError(404, "rest_term_invalid", "Term does not exist.")
            return 200, self._term_json(term, taxonomy, base), []
        if method == "GET":
            terms = sorted(
                store.values(), key=lambda t: t["id"] if query.get("orderby") == "id" else t["name"]
            )
            if query.get("order") == "desc":
                terms.reverse()
            if query.get("include"):
                wanted = {int(i) for i in query["include"].split(",") if i.strip().isdigit()}
                terms = [t for t in terms if t["id"] in wanted]
            chunk, headers = _paginate(
                terms,
                _int_param(query, "page", 1, 1, None),
                _int_param(query, "per_page", 10, 1, 100),
                "rest_term_invalid_page_number",
            )
            return (
                200,
                [_only_fields(self._term_json(t, taxonomy, base), query) for t in chunk],
                headers,
            )
        if method == "POST":
            if user is None:
                raise WpError(
                    401,
                    "rest_cannot_create",
                    "Sorry, you are not allowed to create terms in this taxonomy.",
                )
            name = str(data.get("name", "")).strip()
            if not name:
                raise WpError(
                    400,
                    "rest_missing_callback_param",
                    "Missing parameter(s): name",
                    params=["name"],
                )
            parent = int(data.get("parent") or 0)
            for term in store.values():
                if term["name"].lower() == name.lower() and term["parent"] == parent:
                    raise WpError(
                        400,
                        "term_exists",
                        "A term with the name provided already exists in this taxonomy.",
                        term_id=term["id"],
                    )
            term = self.add_term(taxonomy, name, parent)
            return 201, self._term_json(term, taxonomy, base), []
        raise WpError(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _term_json(self, term: dict, taxonomy: str, base: str) -> dict[str, Any]:
        data = {
            "id": term["id"],
            "count": sum(term["id"] in p.get(taxonomy, []) for p in self.posts.values()),
            "description": "",
            "link": f"{base}/{'category' if taxonomy == 'categories' else 'tag'}/{term['slug']}/",
            "name": term["name"],
            "slug": term["slug"],
            "taxonomy": "category" if taxonomy == "categories" else "post_tag",
            "meta": [],
        }
        if taxonomy == "categories":
            data["parent"] = term["parent"]
        return data

    # Media

    def _media_route(self, method, media_id, query, body, headers, user, base):
        if media_id is not None:
            item = self.media.get(int(media_id))
            if item is None or method != "GET":
                raise WpError(404, "rest_post_invalid_id", "Invalid post ID.")
            return 200, _only_fields(self._media_json(item), query), []
        if method != "POST":
            raise WpError(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        if user is None:
            raise WpError(
                401,
                "rest_cannot_create",
                "Sorry, you are not allowed to upload media on this site.",
            )
        if not body:
            raise WpError(400, "rest_upload_no_data", "No data supplied.")
        disposition = headers.get("content-disposition", "")
        match = re.search(r'filename="?([^";]+)"?', disposition)
        if not match:
            raise WpError(
                400, "rest_upload_no_content_disposition", "No Content-Disposition supplied."
            )
        name = match.group(1).strip()
        item = {
            "id": self._new_id(),
            "file": name,
            "mime_type": headers.get("content-type", "application/octet-stream"),
            "data": body,
            "source_url": f"{base}/wp-content/uploads/2024/05/{name}",
            "date_gmt": self.clock(),
        }
        self.media[item["id"]] = item
        return (
            201,
            self._media_json(item),
            [("Location", f"{base}/wp-json/wp/v2/media/{item['id']}")],
        )

    def _media_json(self, item: dict) -> dict[str, Any]:
        stem = item["file"].rsplit(".", 1)[0]
        return {
            "id": item["id"],
            "date_gmt": wp_date(item["date_gmt"]),
            "slug": _slugify(stem),
            "status": "inherit",
            "type": "attachment",
            "title": {"raw": stem, "rendered": stem},
            "author": 1,
            "media_type": "image" if item["mime_type"].startswith("image/") else "file",
            "mime_type": item["mime_type"],
            "media_details": {"filesize": len(item["data"]), "sizes": {}},
            "source_url": item["source_url"],
        }

    # Comments

    def _comments_route(self, method, comment_id, query, data, user, base):
        if comment_id is None:
            if method == "GET":
                status = query.get("status", "approve")
                if status != "approve" and user is None:
                    raise WpError(
                        401, "rest_forbidden_param", "Query parameter not permitted: status"
                    )
                comments = [c for c in self.comments.values() if c["status"] == status]
                if query.get("post"):
                    comments = [c for c in comments if c["post"] == int(query["post"])]
                if query.get("after"):
                    bound = _parse_date(query["after"])
                    comments = [c for c in comments if c["date_gmt"] > bound]
                comments.sort(
                    key=lambda c: (c["date_gmt"], c["id"]),
                    reverse=query.get("order", "desc") == "desc",
                )
                chunk, headers = _paginate(
                    comments,
                    _int_param(query, "page", 1, 1, None),
                    _int_param(query, "per_page", 10, 1, 100),
                    "rest_comment_invalid_page_number",
                )
                return 200, [self._comment_json(c, base) for c in chunk], headers
            if method == "POST":
                if user is None:
                    raise WpError(
                        401,
                        "rest_comment_login_required",
                        "Sorry, you must be logged in to comment.",
                    )
                post_id = int(data.get("post") or 0)
                if post_id not in self.posts:
                    raise WpError(
                        403,
                        "rest_comment_invalid_post_id",
                        "Sorry, you are not allowed to create this comment without a post.",
                    )
                content = _text(data.get("content", ""))
                if any(
                    c["post"] == post_id and c["content"] == content for c in self.comments.values()
                ):
                    raise WpError(
                        409,
                        "comment_duplicate",
                        "Duplicate comment detected; it looks as though you&#8217;ve already said that!",
                    )
                comment = self.add_comment(
                    post_id,
                    content,
                    status=_comment_status(data.get("status", "approve")) or "approve",
                    parent=int(data.get("parent") or 0),
                    author_name=self.username,
                    author_email="admin@example.org",
                    author_ip="127.0.0.1",
                )
                return 201, self._comment_json(comment, base), []
            raise WpError(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        comment = self.comments.get(int(comment_id))
        if comment is None:
            raise WpError(404, "rest_comment_invalid_id", "Invalid comment ID.")
        if user is None:
            raise WpError(
                401, "rest_forbidden_context", "Sorry, you are not allowed to edit comments."
            )
        if method == "GET":
            return 200, self._comment_json(comment, base), []
        if method in ("POST", "PUT", "PATCH"):
            status = _comment_status(data.get("status", ""))
            if status:  # an unknown status is ignored with 200, as WordPress does
                comment["status"] = status
            if "content" in data:
                comment["content"] = _text(data["content"])
            return 200, self._comment_json(comment, base), []
        if method == "DELETE":
            if query.get("force") in ("true", "1"):
                previous = self._comment_json(comment, base)
                del self.comments[comment["id"]]
                return 200, {"deleted": True, "previous": previous}, []
            if comment["status"] == "trash":
                raise WpError(410, "rest_already_trashed", "The comment has already been trashed.")
            comment["status"] = "trash"
            return 200, self._comment_json(comment, base), []
        raise WpError(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _comment_json(self, comment: dict, base: str) -> dict[str, Any]:
        status = {"approve": "approved"}.get(comment["status"], comment["status"])
        return {
            "id": comment["id"],
            "post": comment["post"],
            "parent": comment["parent"],
            "author": 0,
            "author_name": comment["author_name"],
            "author_email": comment["author_email"],
            "author_url": comment["author_url"],
            "author_ip": comment["author_ip"],
            "author_user_agent": "Mozilla/5.0",
            "date": wp_date(comment["date_gmt"]),
            "date_gmt": wp_date(comment["date_gmt"]),
            "content": {"raw": comment["content"], "rendered": f"<p>{comment['content']}</p>\n"},
            "link": f"{base}/?p={comment['post']}#comment-{comment['id']}",
            "status": status,
            "type": "comment",
            "meta": [],
        }

    # --- XML-RPC -------------------------------------------------------------------------------

    def _xmlrpc(self, body: bytes, base: str) -> tuple[int, list, bytes]:
        with self.lock:
            self._base = base
            answer = self._dispatcher._marshaled_dispatch(body)
        return 200, [("Content-Type", "text/xml; charset=UTF-8")], answer

    def _make_dispatcher(self) -> SimpleXMLRPCDispatcher:
        dispatcher = _Dispatcher(allow_none=False, encoding="UTF-8", use_builtin_types=True)
        dispatcher.register_introspection_functions()
        methods: dict[str, Callable] = {
            "metaWeblog.newPost": self._mw_new_post,
            "metaWeblog.editPost": self._mw_edit_post,
            "metaWeblog.getPost": self._mw_get_post,
            "metaWeblog.getRecentPosts": self._mw_recent,
            "metaWeblog.getCategories": self._mw_categories,
            "metaWeblog.newMediaObject": self._upload,
            "blogger.getUsersBlogs": lambda _appkey, u, p: self._users_blogs(u, p),
            "blogger.deletePost": self._blogger_delete,
        }
        if self.wp_xmlrpc_methods:
            methods.update(
                {
                    "wp.getUsersBlogs": self._users_blogs,
                    "wp.getProfile": self._profile,
                    "wp.getPost": self._wp_get_post,
                    "wp.getPosts": self._wp_get_posts,
                    "wp.newPost": self._wp_new_post,
                    "wp.editPost": self._wp_edit_post,
                    "wp.deletePost": self._wp_delete_post,
                    "wp.getTerms": self._wp_get_terms,
                    "wp.getTerm": self._wp_get_term,
                    "wp.newTerm": self._wp_new_term,
                    "wp.uploadFile": self._upload,
                    "wp.getComments": self._wp_get_comments,
                    "wp.getComment": self._wp_get_comment,
                    "wp.editComment": self._wp_edit_comment,
                    "wp.newComment": self._wp_new_comment,
                    "wp.deleteComment": self._wp_delete_comment,
                }
            )
        for name, function in methods.items():
            dispatcher.register_function(function, name)
        return dispatcher

    def _login(self, username: str, password: str) -> None:
        if username != self.username or (
            password != self.login_password and _alnum(password) != _alnum(self.app_password)
        ):
            raise xmlrpc.client.Fault(403, "Incorrect username or password.")

    def _users_blogs(self, username, password):
        self._login(username, password)
        return [
            {
                "isAdmin": True,
                "url": self._base + "/",
                "blogid": "1",
                "blogName": self.site_name,
                "xmlrpc": self._base + "/xmlrpc.php",
            }
        ]

    def _profile(self, _blog, username, password, _fields=None):
        self._login(username, password)
        return {
            "user_id": "1",
            "username": self.username,
            "first_name": "",
            "last_name": "",
            "bio": "",
            "email": "admin@example.org",
            "nickname": self.username,
            "nicename": self.username,
            "url": "",
            "display_name": self.username,
            "registered": xml_date(datetime(2024, 1, 1, tzinfo=UTC)),
            "roles": ["administrator"],
        }

    def _xml_post(self, post_id) -> dict:
        post = self.posts.get(int(post_id))
        if post is None:
            raise xmlrpc.client.Fault(404, "Invalid post ID.")
        return post

    def _wp_post_struct(self, post: dict) -> dict:
        terms = []
        for taxonomy, name in (("categories", "category"), ("tags", "post_tag")):
            for term_id in post.get(taxonomy, []):
                term = self.terms[taxonomy].get(term_id)
                if term:
                    terms.append(self._xml_term(term, name))
        thumbnail: Any = []
        if post["featured_media"] in self.media:
            item = self.media[post["featured_media"]]
            thumbnail = {
                "attachment_id": str(item["id"]),
                "link": item["source_url"],
                "type": item["mime_type"],
                "title": item["file"],
            }
        return {
            "post_id": str(post["id"]),
            "post_title": post["title"],
            "post_date": xml_date(post["date_gmt"]),
            "post_date_gmt": xml_date(post["date_gmt"]),
            "post_modified": xml_date(post["modified_gmt"]),
            "post_modified_gmt": xml_date(post["modified_gmt"]),
            # WordPress: "Consider future posts as published"
            "post_status": "publish" if post["status"] == "future" else post["status"],
            "post_type": post["type"],
            "post_name": post["slug"],
            "post_author": "1",
            "post_password": "",
            "post_excerpt": post["excerpt"],
            "post_content": post["content"],
            "post_parent": "0",
            "post_mime_type": "",
            "link": f"{self._base}/?p={post['id']}",
            "guid": f"{self._base}/?p={post['id']}",
            "menu_order": 0,
            "comment_status": "open",
            "ping_status": "open",
            "sticky": False,
            "post_thumbnail": thumbnail,
            "post_format": "standard",
            "terms": terms,
        }

    def _xml_term(self, term: dict, taxonomy: str) -> dict:
        return {
            "term_id": str(term["id"]),
            "name": term["name"],
            "slug": term["slug"],
            "term_group": "0",
            "term_taxonomy_id": str(term["id"]),
            "taxonomy": taxonomy,
            "description": "",
            "parent": str(term.get("parent", 0)),
            "count": 0,
            "filter": "raw",
        }

    def _wp_get_post(self, _blog, username, password, post_id, _fields=None):
        self._login(username, password)
        return self._wp_post_struct(self._xml_post(post_id))

    def _wp_get_posts(self, _blog, username, password, filters=None, _fields=None):
        self._login(username, password)
        filters = filters or {}
        statuses = set(
            str(filters.get("post_status", "draft,publish,future,pending,private")).split(",")
        )
        kind = filters.get("post_type", "post")
        posts = [p for p in self.posts.values() if p["type"] == kind and p["status"] in statuses]
        if filters.get("s"):
            needle = str(filters["s"]).lower()
            posts = [
                p
                for p in posts
                if any(needle in p[k].lower() for k in ("title", "excerpt", "content"))
            ]
        orderby = str(filters.get("orderby", "date")).replace("post_", "")
        column = {"date": "date_gmt", "modified": "modified_gmt", "id": "id", "ID": "id"}.get(
            orderby, "date_gmt"
        )
        posts.sort(
            key=lambda p: (p[column], p["id"]),
            reverse=str(filters.get("order", "DESC")).upper() == "DESC",
        )
        offset = int(filters.get("offset", 0))
        number = int(filters.get("number", 10))
        return [self._wp_post_struct(p) for p in posts[offset : offset + number]]

    def _apply_wp_struct(self, post: dict, struct: dict) -> None:
        mapping = {"post_title": "title", "post_content": "content", "post_excerpt": "excerpt"}
        for key, name in mapping.items():
            if key in struct:
                post[name] = str(struct[key])
        if struct.get("post_name"):
            post["slug"] = _slugify(struct["post_name"])
        if "terms" in struct:
            for name, taxonomy in (("category", "categories"), ("post_tag", "tags")):
                if name in struct["terms"]:
                    ids = [int(i) for i in struct["terms"][name]]
                    if any(i not in self.terms[taxonomy] for i in ids):
                        raise xmlrpc.client.Fault(403, "Invalid term ID.")
                    post[taxonomy] = ids or ([1] if taxonomy == "categories" else [])
        if "post_thumbnail" in struct:
            media_id = int(struct["post_thumbnail"] or 0)
            if media_id and media_id not in self.media:
                raise xmlrpc.client.Fault(404, "Invalid attachment ID.")
            post["featured_media"] = media_id
        now = self.clock()
        if struct.get("post_date_gmt"):
            post["date_gmt"] = struct["post_date_gmt"].replace(tzinfo=UTC)
            post["floating"] = False
        status = struct.get("post_status", post["status"])
        if status not in (*STATUSES, "trash"):
            status = "draft"
        if status == "publish" and post["date_gmt"] > now:
            status = "future"
        if post.get("floating") and status in ("draft", "pending"):
            post["date_gmt"] = now
        post["status"] = status
        if not post["slug"] and status in ("publish", "future", "private"):
            post["slug"] = self._unique_slug(post["title"] or str(post["id"]), post)
        post["modified_gmt"] = now

    def _wp_new_post(self, _blog, username, password, struct):
        self._login(username, password)
        kind = struct.get("post_type", "post")
        if kind not in ("post", "page"):
            raise xmlrpc.client.Fault(403, "Invalid post type.")
        now = self.clock()
        post = {
            "id": self._new_id(),
            "type": kind,
            "title": "",
            "content": "",
            "excerpt": "",
            "slug": "",
            "status": "draft",
            "date_gmt": now,
            "floating": True,
            "categories": [1] if kind == "post" else [],
            "tags": [],
            "featured_media": 0,
        }
        self._apply_wp_struct(post, struct)
        self.posts[post["id"]] = post
        return str(post["id"])

    def _wp_edit_post(self, _blog, username, password, post_id, struct):
        self._login(username, password)
        post = self._xml_post(post_id)
        since = struct.get("if_not_modified_since")
        if since is not None and post["modified_gmt"] > since.replace(tzinfo=UTC):
            raise xmlrpc.client.Fault(409, "There is a revision of this post that is more recent.")
        changed = dict(post)
        self._apply_wp_struct(changed, struct)
        post.update(changed)
        return True

    def _wp_delete_post(self, _blog, username, password, post_id):
        self._login(username, password)
        post = self._xml_post(post_id)
        if post["status"] == "trash":
            del self.posts[post["id"]]
        else:
            post["status"] = "trash"
            post["modified_gmt"] = self.clock()
        return True

    def _wp_get_terms(self, _blog, username, password, taxonomy, filters=None):
        self._login(username, password)
        name = {"category": "categories", "post_tag": "tags"}.get(taxonomy)
        if name is None:
            raise xmlrpc.client.Fault(403, "Invalid taxonomy.")
        filters = filters or {}
        terms = sorted(self.terms[name].values(), key=lambda t: t["name"])
        offset = int(filters.get("offset", 0))
        number = int(filters.get("number", 0)) or len(terms)
        return [self._xml_term(t, taxonomy) for t in terms[offset : offset + number]]

    def _wp_get_term(self, _blog, username, password, taxonomy, term_id):
        self._login(username, password)
        name = {"category": "categories", "post_tag": "tags"}.get(taxonomy)
        if name is None:
            raise xmlrpc.client.Fault(403, "Invalid taxonomy.")
        term = self.terms[name].get(int(term_id))
        if term is None:
            raise xmlrpc.client.Fault(404, "Invalid term ID.")
        return self._xml_term(term, taxonomy)

    def _wp_new_term(self, _blog, username, password, struct):
        self._login(username, password)
        name = {"category": "categories", "post_tag": "tags"}.get(struct.get("taxonomy"))
        if name is None:
            raise xmlrpc.client.Fault(403, "Invalid taxonomy.")
        parent = int(struct.get("parent") or 0)
        if parent and name == "tags":
            raise xmlrpc.client.Fault(403, "This taxonomy is not hierarchical.")
        for term in self.terms[name].values():
            if term["name"].lower() == str(struct["name"]).lower() and term["parent"] == parent:
                raise xmlrpc.client.Fault(
                    500, "A term with the name provided already exists in this taxonomy."
                )
        return str(self.add_term(name, str(struct["name"]), parent)["id"])

    def _upload(self, _blog, username, password, struct):
        self._login(username, password)
        item = {
            "id": self._new_id(),
            "file": struct["name"],
            "mime_type": struct["type"],
            "data": bytes(struct["bits"]),
            "date_gmt": self.clock(),
        }
        item["source_url"] = f"{self._base}/wp-content/uploads/2024/05/{item['file']}"
        self.media[item["id"]] = item
        return {
            "attachment_id": str(item["id"]),
            "date_created_gmt": xml_date(item["date_gmt"]),
            "parent": 0,
            "link": item["source_url"],
            "title": item["file"],
            "caption": "",
            "description": "",
            "metadata": "",
            "type": item["mime_type"],
            "thumbnail": item["source_url"],
            "id": str(item["id"]),
            "file": item["file"],
            "url": item["source_url"],
        }

    def _xml_comment(self, comment: dict) -> dict:
        return {
            "date_created_gmt": xml_date(comment["date_gmt"]),
            "user_id": "0",
            "comment_id": str(comment["id"]),
            "parent": str(comment["parent"]),
            "status": comment["status"],
            "content": comment["content"],
            "link": f"{self._base}/?p={comment['post']}#comment-{comment['id']}",
            "post_id": str(comment["post"]),
            "post_title": "",
            "author": comment["author_name"],
            "author_url": comment["author_url"],
            "author_email": comment["author_email"],
            "author_ip": comment["author_ip"],
            "type": "",
        }

    def _wp_get_comments(self, _blog, username, password, struct=None):
        self._login(username, password)
        struct = struct or {}
        status = struct.get("status") or None
        comments = [
            c
            for c in self.comments.values()
            if (c["status"] == status if status else c["status"] in ("hold", "approve"))
        ]
        if struct.get("post_id"):
            comments = [c for c in comments if c["post"] == int(struct["post_id"])]
        comments.sort(key=lambda c: (c["date_gmt"], c["id"]), reverse=True)
        offset, number = int(struct.get("offset", 0)), int(struct.get("number", 10))
        return [self._xml_comment(c) for c in comments[offset : offset + number]]

    def _xml_comment_record(self, comment_id) -> dict:
        comment = self.comments.get(int(comment_id))
        if comment is None:
            raise xmlrpc.client.Fault(404, "Invalid comment ID.")
        return comment

    def _wp_get_comment(self, _blog, username, password, comment_id):
        self._login(username, password)
        return self._xml_comment(self._xml_comment_record(comment_id))

    def _wp_edit_comment(self, _blog, username, password, comment_id, struct):
        self._login(username, password)
        comment = self._xml_comment_record(comment_id)
        if "status" in struct:
            if struct["status"] not in ("hold", "approve", "spam", "trash"):
                raise xmlrpc.client.Fault(401, "Invalid comment status.")
            comment["status"] = struct["status"]
        if "content" in struct:
            comment["content"] = struct["content"]
        return True

    def _wp_new_comment(self, _blog, username, password, post_id, struct):
        self._login(username, password)
        self._xml_post(post_id)
        comment = self.add_comment(
            int(post_id),
            str(struct.get("content", "")),
            status="approve",
            parent=int(struct.get("comment_parent") or 0),
            author_name=self.username,
            author_ip="127.0.0.1",
        )
        return comment["id"]

    def _wp_delete_comment(self, _blog, username, password, comment_id):
        self._login(username, password)
        comment = self._xml_comment_record(comment_id)
        if comment["status"] in ("trash", "spam"):
            del self.comments[comment["id"]]
        else:
            comment["status"] = "trash"
        return True

    def _mw_category_names(self, ids: list[int]) -> list[str]:
        return [self.terms["categories"][i]["name"] for i in ids if i in self.terms["categories"]]

    def _apply_mw_struct(self, post: dict, struct: dict, publish: bool) -> None:
        wp = {
            "post_title": struct.get("title", post["title"]),
            "post_content": struct.get("description", post["content"]),
            "post_excerpt": struct.get("mt_excerpt", post["excerpt"]),
            "post_status": struct.get("post_status") or ("publish" if publish else "draft"),
        }
        if struct.get("wp_slug"):
            wp["post_name"] = struct["wp_slug"]
        if struct.get("date_created_gmt"):
            wp["post_date_gmt"] = struct["date_created_gmt"]
        if "wp_post_thumbnail" in struct:
            wp["post_thumbnail"] = struct["wp_post_thumbnail"]
        if "categories" in struct:
            by_name = {t["name"]: t["id"] for t in self.terms["categories"].values()}
            wp["terms"] = {"category": [by_name[n] for n in struct["categories"] if n in by_name]}
        self._apply_wp_struct(post, wp)

    def _mw_new_post(self, _blog, username, password, struct, publish):
        self._login(username, password)
        now = self.clock()
        kind = struct.get("post_type", "post")
        post = {
            "id": self._new_id(),
            "type": kind,
            "title": "",
            "content": "",
            "excerpt": "",
            "slug": "",
            "status": "draft",
            "date_gmt": now,
            "floating": True,
            "categories": [1] if kind == "post" else [],
            "tags": [],
            "featured_media": 0,
        }
        self._apply_mw_struct(post, struct, publish)
        self.posts[post["id"]] = post
        return str(post["id"])

    def _mw_edit_post(self, post_id, username, password, struct, publish):
        self._login(username, password)
        self._apply_mw_struct(self._xml_post(post_id), struct, publish)
        return True

    def _mw_struct(self, post: dict) -> dict:
        return {
            "dateCreated": xml_date(post["date_gmt"]),
            "userid": "1",
            "postid": str(post["id"]),
            "description": post["content"],
            "title": post["title"],
            "link": f"{self._base}/?p={post['id']}",
            "permaLink": f"{self._base}/?p={post['id']}",
            "categories": self._mw_category_names(post.get("categories", [])),
            "mt_excerpt": post["excerpt"],
            "mt_text_more": "",
            "wp_more_text": "",
            "mt_allow_comments": 1,
            "mt_allow_pings": 1,
            "mt_keywords": "",
            "wp_slug": post["slug"],
            "wp_password": "",
            "wp_author_id": "1",
            "wp_author_display_name": self.username,
            "date_created_gmt": xml_date(post["date_gmt"]),
            "post_status": post["status"],
            "custom_fields": [],
            "wp_post_format": "standard",
            "date_modified": xml_date(post["modified_gmt"]),
            "date_modified_gmt": xml_date(post["modified_gmt"]),
            "sticky": False,
            "wp_post_thumbnail": str(post["featured_media"] or ""),
        }

    def _mw_get_post(self, post_id, username, password):
        self._login(username, password)
        return self._mw_struct(self._xml_post(post_id))

    def _mw_recent(self, _blog, username, password, number=10):
        self._login(username, password)
        posts = sorted(
            (p for p in self.posts.values() if p["type"] == "post" and p["status"] != "trash"),
            key=lambda p: (p["date_gmt"], p["id"]),
            reverse=True,
        )
        return [self._mw_struct(p) for p in posts[: int(number)]]

    def _mw_categories(self, _blog, username, password):
        self._login(username, password)
        return [
            {
                "categoryId": str(t["id"]),
                "parentId": str(t["parent"]),
                "description": t["name"],
                "categoryDescription": "",
                "categoryName": t["name"],
                "htmlUrl": f"{self._base}/category/{t['slug']}/",
                "rssUrl": "",
            }
            for t in self.terms["categories"].values()
        ]

    def _blogger_delete(self, _appkey, post_id, username, password, _publish=True):
        self._login(username, password)
        post = self._xml_post(post_id)
        if post["status"] == "trash":
            del self.posts[post["id"]]
        else:
            post["status"] = "trash"
        return True

    # --- Internals -----------------------------------------------------------------------------

    _base = "http://localhost"

    def _new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id


# --- Module internals ---------------------------------------------------------------------------

_SECOND = datetime(2000, 1, 1, 0, 0, 1) - datetime(2000, 1, 1)
_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def _alnum(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("raw", ""))
    return str(value)


def _comment_status(value: Any) -> str | None:
    return {
        "approve": "approve",
        "approved": "approve",
        "1": "approve",
        "hold": "hold",
        "0": "hold",
        "spam": "spam",
        "trash": "trash",
    }.get(str(value))


def _only_fields(data: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    if not query.get("_fields"):
        return data
    wanted = {f.strip() for f in query["_fields"].split(",")}
    return {k: v for k, v in data.items() if k in wanted}


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    if name not in query:
        return default
    try:
        value = int(query[name])
    except ValueError:
        raise WpError(
            400,
            "rest_invalid_param",
            f"Invalid parameter(s): {name}",
            params={name: f"{name} is not of type integer."},
        ) from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} ({'inclusive'}) and {high} (inclusive)" if high else f">= {low}"
        raise WpError(
            400,
            "rest_invalid_param",
            f"Invalid parameter(s): {name}",
            params={name: f"{name} must be {limit}"},
        )
    return value


def _paginate(items: list, page: int, per_page: int, code: str) -> tuple[list, list]:
    total = len(items)
    pages = math.ceil(total / per_page)
    if page > max(pages, 1):
        raise WpError(
            400, code, "The page number requested is larger than the number of pages available."
        )
    chunk = items[(page - 1) * per_page : page * per_page]
    return chunk, [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]


def _xmlrpc_method_name(body: bytes) -> str:
    try:
        _params, name = xmlrpc.client.loads(body)
    except Exception:  # noqa: BLE001 - any garbage: the dispatcher answers it
        return "?"
    return name or "?"


class _Dispatcher(SimpleXMLRPCDispatcher):
    def _dispatch(self, method: str, params: Any) -> Any:
        if method not in self.funcs:
            raise xmlrpc.client.Fault(
                -32601, f"server error. requested method {method} does not exist."
            )
        return super()._dispatch(method, params)


class _InProcessTransport(httpx.BaseTransport):
    """httpx.WSGITransport plus the socket faults, raised as httpx would raise them."""

    def __init__(self, fake: WordPressFake) -> None:
        self._inner = httpx.WSGITransport(app=fake)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["X-Wp-Fake-In-Process"] = "1"
        response = self._inner.handle_request(request)
        response.read()
        action = response.headers.get("X-Wp-Fake-Action")
        if action == "drop_after_store":
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if action == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        return response


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class _QuietServerHandler(ServerHandler):
    def finish_response(self) -> None:
        if self.environ.get("wp_fake.drop"):
            # Stored, but the answer never leaves: close the connection without a byte.
            connection = self.request_handler.connection
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            self.close()
            return
        try:
            super().finish_response()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            self.close()

    def log_exception(self, exc_info: Any) -> None:
        if not issubclass(exc_info[0], ConnectionError | OSError):
            super().log_exception(exc_info)


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class name
        pass

    def handle(self) -> None:
        """WSGIRequestHandler.handle with our ServerHandler (it hard-codes its own)."""
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:
            return
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _QuietServerHandler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True
        )
        handler.request_handler = self
        handler.run(self.server.get_app())
