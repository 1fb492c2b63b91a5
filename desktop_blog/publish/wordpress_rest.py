"""WordPress over its REST API (`/wp-json/wp/v2/...`), with an application password.

Facts this follows (../shared/WORDPRESS.md, measured on WordPress 6.1):

- HTTP Basic with the application password. A wrong password is not an error by itself: the
  request runs as an anonymous visitor. `verify()` therefore asks `users/me?context=edit`, which
  answers 401 `rest_not_logged_in` then.
- Dates: `date_gmt` / `modified_gmt` are UTC without a zone, to the second.
- Errors are JSON `{"code", "message", "data": {"status", ...}}`.
- No conditional writes (no ETag, `If-Unmodified-Since` ignored): `update_post` reads the post
  first and compares `modified_gmt`. A write by someone else between that read and our write is
  not detected; the window is one round trip.
- An unknown category id is accepted with 200 and clears the post's categories; an unknown
  `featured_media` is ignored. Both are checked with the blog before sending (cached).
- DELETE trashes; a second DELETE answers 410 `rest_already_trashed`, which counts as done.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from .base import (
    ALL_POST_STATUSES,
    COMMENT_STATUSES,
    ONE_SECOND,
    BlogInfo,
    Credentials,
    PostPayload,
    RemoteComment,
    RemoteMedia,
    RemotePost,
    RemoteTerm,
    add_marker,
    check_comment_status,
    check_idempotency_key,
    check_kind,
    check_taxonomy,
    format_rfc3339,
    format_wp_datetime,
    marker_search_term,
    normalize_comment_status,
    parse_wp_datetime,
    same_second,
    split_marker,
    strip_rendered_marker,
    to_utc_second,
)
from .errors import (
    AuthError,
    BadResponse,
    Conflict,
    NotFound,
    PublishError,
    RateLimited,
    Redactor,
    Unsupported,
    ValidationError,
    body_excerpt,
    clean_text,
)
from .http import parse_retry_after, redirected_write, send

log = logging.getLogger(__name__)

_COLLECTION = {"post": "wp/v2/posts", "page": "wp/v2/pages"}
#: More ids than this in one `exclude=` would make a long URL; page numbers take over then.
_MAX_EXCLUDE = 300
#: What a listing of posts asks for (`_fields`): the raw fields only. WordPress then skips
#: rendering each post's content and excerpt through its display filters and building its links
#: (*measured*, 100 posts: 0.4-0.5 s of the server's time and 400 KB -> 0.15-0.2 s and 95 KB),
#: which also leaves more CPU to the app on a machine the server shares.
_LIST_FIELDS = ",".join(
    (
        "id",
        "type",
        "status",
        "slug",
        "link",
        "date_gmt",
        "modified_gmt",
        "title.raw",
        "content.raw",
        "excerpt.raw",
        "categories",
        "tags",
        "featured_media",
    )
)
#: The answer to a create or update is the post in the same raw fields (its `content_rendered`
#: is then "": `get_post` gives it).
_WRITE_PARAMS = {"_fields": _LIST_FIELDS}
#: 5xx answers with these WordPress codes will not get better by retrying.
_PERMANENT_5XX = {
    "rest_trash_not_supported",
    "rest_upload_sideload_error",
    "rest_upload_unknown_error",
    "rest_upload_file_too_big",
    "rest_upload_limited_space",
    "rest_upload_user_quota_exceeded",
}
_MIME = re.compile(r"^[\w.+-]+/[\w.+-]+$")


class WordPressRestConnector:
    """The `Connector` for WordPress's REST API.

    `api_url` is the API root as discovered: `https://example.com/wp-json/` or, without pretty
    permalinks, `https://example.com/?rest_route=/`. With `check_references` (the default),
    category, tag and featured-media ids in a payload are checked with the blog before a post is
    written (one small request per id not seen before).
    """

    kind = "wordpress-rest"

    def __init__(
        self,
        client: httpx.Client,
        api_url: str,
        username: str,
        password: str,
        *,
        check_references: bool = True,
    ) -> None:
        if not api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must be an http(s) URL, not {api_url!r}")
        self._client = client
        self.api_url = api_url
        self._credentials = Credentials(username, password)
        self._auth = httpx.BasicAuth(username, password)
        self._redact = Redactor.for_basic_auth(username, password)
        self._check_references = check_references
        self._lock = threading.Lock()
        self._known_terms: dict[str, set[int]] = {"categories": set(), "tags": set()}
        self._known_media: set[int] = set()

    @property
    def username(self) -> str:
        return self._credentials.username

    def __repr__(self) -> str:
        return f"WordPressRestConnector(api_url={self.api_url!r}, username={self.username!r})"

    # --- Account ------------------------------------------------------------------------------

    def verify(self) -> BlogInfo:
        me = self._object(self._call("GET", "wp/v2/users/me", params={"context": "edit"}))
        if not _is_int(me.get("id")):
            raise self._bad_shape("users/me", me)
        index = self._object(
            self._call("GET", "", params={"_fields": "name,description,url,home,namespaces"})
        )
        namespaces = index.get("namespaces")
        if not isinstance(namespaces, list) or "wp/v2" not in namespaces:
            raise Unsupported(f"the REST API at {self.api_url} offers no wp/v2 routes")
        caps = me.get("capabilities")
        capabilities = frozenset(k for k, v in caps.items() if v) if isinstance(caps, dict) else ()
        roles = me.get("roles") if isinstance(me.get("roles"), list) else []
        return BlogInfo(
            name=clean_text(index.get("name")),
            url=str(index.get("home") or index.get("url") or ""),
            api_url=self.api_url,
            kind=self.kind,
            user_name=str(me.get("username") or me.get("slug") or self.username),
            user_id=me["id"],
            capabilities=frozenset(capabilities),
            roles=tuple(str(r) for r in roles),
            description=clean_text(index.get("description")),
        )

    # --- Posts and pages ----------------------------------------------------------------------

    def get_post(self, post_id: int, kind: str = "post") -> RemotePost:
        route = _item(kind, post_id)
        return self._post(self._object(self._call("GET", route, params={"context": "edit"})))

    def list_posts(
        self,
        kind: str = "post",
        modified_after: datetime | None = None,
        page_size: int = 100,
        *,
        status: str = "any",
    ) -> Iterator[RemotePost]:
        check_kind(kind)
        _check_page_size(page_size)
        since = to_utc_second(modified_after) if modified_after is not None else None
        return self._iter_posts(_COLLECTION[kind], since, page_size, status)

    def create_post(self, payload: PostPayload, idempotency_key: str) -> RemotePost:
        payload.validate()
        check_idempotency_key(idempotency_key)
        self._check_payload_references(payload)
        body = _post_body(payload, add_marker(payload.content_html, idempotency_key))
        response = self._call("POST", _COLLECTION[payload.kind], params=_WRITE_PARAMS, json=body)
        return self._post(self._object(response))

    def update_post(
        self,
        post_id: int,
        payload: PostPayload,
        expected_modified: datetime | None,
        *,
        expected_text: tuple[str, str | None] | None = None,
    ) -> RemotePost:
        """Write the payload. With `expected_modified`, raise Conflict (writing nothing) when the
        post's `modified_gmt` differs, or, `modified_gmt` having whole seconds, when it is the
        same but the post's raw title or content differ from `expected_text` (the title and raw
        HTML of the last sync; None for the HTML when it is not known): an edit made on the blog
        in the second of our last write."""
        payload.validate()
        route = _item(payload.kind, post_id)
        if expected_modified is not None:
            expected = to_utc_second(expected_modified)
            current = self.get_post(post_id, payload.kind)
            if not same_second(current.modified_gmt, expected):
                raise Conflict(
                    f"{payload.kind} {post_id} was modified on the blog at "
                    f"{current.modified_gmt.isoformat()}, last synced at {expected.isoformat()}",
                    expected_modified=expected,
                    remote_modified=current.modified_gmt,
                    remote=current,
                )
            if expected_text is not None and text_changed(current, *expected_text):
                raise Conflict(
                    f"{payload.kind} {post_id} was changed on the blog in the second of the last "
                    f"sync ({expected.isoformat()}): its title or text differ from that sync's",
                    expected_modified=expected,
                    remote_modified=current.modified_gmt,
                    remote=current,
                )
        self._check_payload_references(payload)
        body = _post_body(payload, split_marker(payload.content_html)[0])
        return self._post(self._object(self._call("POST", route, params=_WRITE_PARAMS, json=body)))

    def delete_post(self, post_id: int, force: bool = False, kind: str = "post") -> None:
        params = {"force": "true"} if force else {}
        try:
            self._call("DELETE", _item(kind, post_id), params=params)
        except NotFound as exc:
            if exc.code == "rest_already_trashed" and not force:
                return  # trashed before: what we wanted
            if force and exc.status == 404:
                return  # gone for good already (a retried force delete)
            raise

    def find_post_by_marker(self, idempotency_key: str, kind: str = "post") -> RemotePost | None:
        found = self.find_posts_by_marker(idempotency_key, kind)
        return found[0] if found else None

    def find_posts_by_marker(self, idempotency_key: str, kind: str = "post") -> list[RemotePost]:
        check_kind(kind)
        params = {
            "context": "edit",
            "status": ALL_POST_STATUSES,
            "search": marker_search_term(idempotency_key),
            "orderby": "id",
            "order": "asc",
            "per_page": 20,
        }
        items, _pages = self._get_list(_COLLECTION[kind], params)
        posts = (self._post(item) for item in items)
        # the search is a substring match: keep only real markers
        return sorted((p for p in posts if p.marker == idempotency_key), key=lambda p: p.id)

    # --- Terms and media ----------------------------------------------------------------------

    def list_terms(self, taxonomy: str) -> list[RemoteTerm]:
        check_taxonomy(taxonomy)
        params = {"per_page": 100, "orderby": "id", "order": "asc", "context": "view"}
        terms = [
            self._term(item, taxonomy) for item in self._iter_pages(f"wp/v2/{taxonomy}", params)
        ]
        with self._lock:
            self._known_terms[taxonomy].update(t.id for t in terms)
        return terms

    def create_term(self, taxonomy: str, name: str, parent: int | None = None) -> RemoteTerm:
        check_taxonomy(taxonomy)
        name = name.strip()
        if not name:
            raise ValidationError("a category or tag needs a name", params={"name": "empty"})
        body: dict[str, Any] = {"name": name}
        if parent:
            if taxonomy != "categories":
                raise ValueError("only categories have parents")
            body["parent"] = parent
        try:
            term = self._term(
                self._object(self._call("POST", f"wp/v2/{taxonomy}", json=body)), taxonomy
            )
        except ValidationError as exc:
            existing = exc.details.get("term_id")
            if exc.code != "term_exists" or not _is_int(existing):
                raise
            route = f"wp/v2/{taxonomy}/{existing}"
            term = self._term(self._object(self._call("GET", route)), taxonomy)
        with self._lock:
            self._known_terms[taxonomy].add(term.id)
        return term

    def upload_media(self, filename: str, data: bytes, mime_type: str) -> RemoteMedia:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError("media data must be bytes")
        if not _MIME.match(mime_type):
            raise ValueError(f"not a MIME type: {mime_type!r}")
        headers = {
            "Content-Type": mime_type,
            "Content-Disposition": f'attachment; filename="{ascii_filename(filename, mime_type)}"',
        }
        response = self._call(
            "POST",
            "wp/v2/media",
            params={"_fields": "id,source_url,mime_type"},  # not every size's details
            content=bytes(data),
            headers=headers,
        )
        media = self._media(self._object(response))
        with self._lock:
            self._known_media.add(media.id)
        return media

    # --- Comments -----------------------------------------------------------------------------

    def list_comments(
        self,
        status: str | Sequence[str] = ("hold", "approve"),
        after: datetime | None = None,
        post_id: int | None = None,
        page_size: int = 100,
    ) -> Iterator[RemoteComment]:
        statuses = [status] if isinstance(status, str) else list(status)
        for one in statuses:
            check_comment_status(one)
        _check_page_size(page_size)
        params: dict[str, Any] = {
            "context": "edit",
            "orderby": "date_gmt",
            "order": "asc",
            "per_page": page_size,
        }
        if after is not None:
            params["after"] = format_rfc3339(after)
        if post_id is not None:
            params["post"] = post_id
        return self._iter_comments(statuses, params)

    def moderate_comment(self, comment_id: int, status: str) -> RemoteComment:
        check_comment_status(status)  # WordPress ignores an unknown status with 200
        route = f"wp/v2/comments/{_check_id(comment_id)}"
        comment = self._comment(self._object(self._call("POST", route, json={"status": status})))
        if comment.status != status:
            raise BadResponse(
                f"the blog kept comment {comment_id} as {comment.status!r}, not {status!r}",
                status=200,
            )
        return comment

    def reply_comment(self, post_id: int, parent_id: int, content_html: str) -> RemoteComment:
        body = {"post": _check_id(post_id), "parent": parent_id or 0, "content": content_html}
        return self._comment(self._object(self._call("POST", "wp/v2/comments", json=body)))

    def delete_comment(self, comment_id: int, force: bool = False) -> None:
        params = {"force": "true"} if force else {}
        try:
            self._call("DELETE", f"wp/v2/comments/{_check_id(comment_id)}", params=params)
        except NotFound as exc:
            if exc.code == "rest_already_trashed" and not force:
                return
            if force and exc.status == 404:
                return
            raise

    def edit_comment(self, comment_id: int, content_html: str) -> RemoteComment:
        route = f"wp/v2/comments/{_check_id(comment_id)}"
        return self._comment(
            self._object(self._call("POST", route, json={"content": content_html}))
        )

    def list_comment_states(self, page_size: int = 100) -> dict[int, str]:
        _check_page_size(page_size)
        states: dict[int, str] = {}
        for status in COMMENT_STATUSES:
            params = {
                "context": "edit",
                "status": status,
                "orderby": "id",
                "order": "asc",
                "per_page": page_size,
                "_fields": "id,status",
            }
            for item in self._iter_pages("wp/v2/comments", params):
                if not isinstance(item, dict) or not _is_int(item.get("id")):
                    raise self._bad_shape("a comment", item)
                try:
                    states[item["id"]] = normalize_comment_status(item.get("status", status))
                except ValueError:
                    raise self._bad_shape("a comment's status", item) from None
        return states

    # --- Listing helpers ----------------------------------------------------------------------

    def _iter_posts(
        self, route: str, since: datetime | None, page_size: int, status: str
    ) -> Iterator[RemotePost]:
        """Keyset pagination on `modified_gmt`: each request asks for posts modified at or after
        the newest one seen, excluding the ids already seen at exactly that second.

        Page numbers would skip a post whenever one on an earlier page is modified or deleted
        during the listing (the rest shift by one); this does not. It falls back to page numbers
        when the server ignores `modified_after` (WordPress before 5.7) or when more than a few
        hundred posts share one second (a bulk import).
        """
        base = {
            "context": "edit",
            "status": status,
            "orderby": "modified",
            "order": "asc",
            "per_page": page_size,
            "_fields": _LIST_FIELDS,
        }
        yielded: dict[int, datetime] = {}
        cursor = since
        exclude: set[int] = set()
        while True:
            params: dict[str, Any] = dict(base)
            if cursor is not None:
                params["modified_after"] = format_rfc3339(cursor - ONE_SECOND)
            if exclude:
                params["exclude"] = ",".join(str(i) for i in sorted(exclude))
            items, total_pages = self._get_list(route, params)
            posts = [self._post(item) for item in items]
            if cursor is not None and any(p.modified_gmt < cursor for p in posts):
                log.info("%s ignores modified_after; listing by page number", self.api_url)
                yield from self._iter_posts_by_page(route, base, since, page_size, yielded)
                return
            fresh = [p for p in posts if yielded.get(p.id) != p.modified_gmt]
            for post in fresh:
                yielded[post.id] = post.modified_gmt
                yield post
            if len(posts) < page_size or (total_pages is not None and total_pages <= 1):
                return
            if not fresh:
                log.info("%s repeats posts; listing by page number", self.api_url)
                yield from self._iter_posts_by_page(route, base, since, page_size, yielded)
                return
            newest = max(p.modified_gmt for p in posts)
            if newest != cursor:
                cursor, exclude = newest, set()
            exclude.update(p.id for p in posts if p.modified_gmt == newest)
            if len(exclude) > _MAX_EXCLUDE:
                yield from self._iter_posts_by_page(route, base, cursor, page_size, yielded)
                return

    def _iter_posts_by_page(
        self,
        route: str,
        base: Mapping[str, Any],
        since: datetime | None,
        page_size: int,
        yielded: dict[int, datetime],
    ) -> Iterator[RemotePost]:
        page = 1
        while True:
            params: dict[str, Any] = dict(base, page=page)
            if since is not None:
                params["modified_after"] = format_rfc3339(since - ONE_SECOND)
            items, total_pages = self._get_list(route, params)
            fresh = 0
            for item in items:
                post = self._post(item)
                if since is not None and post.modified_gmt < since:
                    continue  # filtered here when the server did not
                if yielded.get(post.id) == post.modified_gmt:
                    continue
                yielded[post.id] = post.modified_gmt
                fresh += 1
                yield post
            if total_pages is None:
                if len(items) < page_size or not fresh:
                    return
            elif page >= total_pages:
                return
            page += 1

    def _iter_pages(self, route: str, params: Mapping[str, Any]) -> Iterator[Any]:
        """Page numbers up to X-WP-TotalPages (or a short page, when the header is missing)."""
        page = 1
        per_page = int(params.get("per_page", 10))
        while True:
            items, total_pages = self._get_list(route, dict(params, page=page))
            yield from items
            if total_pages is None:
                if len(items) < per_page:
                    return
            elif page >= total_pages:
                return
            page += 1

    def _iter_comments(
        self, statuses: Iterable[str], params: Mapping[str, Any]
    ) -> Iterator[RemoteComment]:
        seen: set[int] = set()
        for status in statuses:
            for item in self._iter_pages("wp/v2/comments", dict(params, status=status)):
                comment = self._comment(item)
                if comment.id not in seen:
                    seen.add(comment.id)
                    yield comment

    # --- Validation against the blog ----------------------------------------------------------

    def _check_payload_references(self, payload: PostPayload) -> None:
        if not self._check_references:
            return
        if payload.kind == "post":
            for taxonomy, ids in (("categories", payload.categories), ("tags", payload.tags)):
                missing = self._unknown_terms(taxonomy, ids)
                if missing:
                    listed = ", ".join(str(i) for i in missing)
                    raise ValidationError(
                        f"the blog has no {taxonomy} with id {listed} (WordPress would drop "
                        f"the post's {taxonomy} without saying so)",
                        params={taxonomy: f"unknown ids {listed}"},
                    )
        media = payload.featured_media
        if media:
            with self._lock:
                known = media in self._known_media
            if not known:
                try:
                    found = self._object(
                        self._call("GET", f"wp/v2/media/{media}", params={"_fields": "id"})
                    )
                except NotFound:
                    found = {}
                if found.get("id") != media:
                    raise ValidationError(
                        f"the blog has no media item {media} for the featured image",
                        params={"featured_media": f"unknown id {media}"},
                    )
                with self._lock:
                    self._known_media.add(media)

    def _unknown_terms(self, taxonomy: str, ids: Sequence[int]) -> list[int]:
        with self._lock:
            unknown = sorted(set(ids) - self._known_terms[taxonomy])
        if not unknown:
            return []
        found: set[int] = set()
        for start in range(0, len(unknown), 100):  # per_page's limit
            chunk = unknown[start : start + 100]
            params = {"include": ",".join(str(i) for i in chunk), "per_page": 100, "_fields": "id"}
            items, _pages = self._get_list(f"wp/v2/{taxonomy}", params)
            found.update(i["id"] for i in items if isinstance(i, dict) and _is_int(i.get("id")))
        with self._lock:
            self._known_terms[taxonomy].update(found)
        return [i for i in unknown if i not in found]

    # --- HTTP ---------------------------------------------------------------------------------

    def _endpoint(self, route: str) -> tuple[str, dict[str, str]]:
        """The URL and query for a route, for both `/wp-json/` and `?rest_route=/` API roots."""
        route = route.strip("/")
        parts = urlsplit(self.api_url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        rest_route = next((v for k, v in query if k == "rest_route"), None)
        others = {k: v for k, v in query if k != "rest_route"}
        if rest_route is not None:
            base = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
            prefix = rest_route.rstrip("/")
            return base, {"rest_route": f"{prefix}/{route}", **others}
        path = parts.path.rstrip("/") + "/" + route
        return urlunsplit((parts.scheme, parts.netloc, path, "", "")), others

    def _call(
        self,
        method: str,
        route: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        url, base_params = self._endpoint(route)
        request = self._client.build_request(
            method,
            url,
            params={**base_params, **(params or {})},
            json=json,
            content=content,
            headers=headers,
        )
        response = send(self._client, request, auth=self._auth, redact=self._redact)
        if redirected_write(method, response):
            raise BadResponse(
                self._redact(
                    f"the blog redirected {method} {url} to {response.url}, so nothing was "
                    "written; the API address is out of date (http:// instead of https://?)"
                ),
                status=response.history[0].status_code,
                code="redirected_write",
            )
        if response.status_code >= 400:
            raise self._error(response)
        return response

    def _error(self, response: httpx.Response) -> PublishError:
        status = response.status_code
        retry_after = parse_retry_after(
            response.headers.get("Retry-After"), response.headers.get("Date")
        )
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            data = None
        if not (isinstance(data, dict) and isinstance(data.get("code"), str)):
            excerpt = self._redact(body_excerpt(response.content))
            if status == 429:
                return RateLimited(f"HTTP 429: {excerpt}", retry_after=retry_after, status=429)
            if status in (401, 403):
                return AuthError(
                    f"the server refused the request (HTTP {status}): {excerpt}",
                    credentials=status == 401,
                    status=status,
                )
            return BadResponse(
                f"HTTP {status} without a WordPress error: {excerpt or 'empty body'}",
                status=status,
                excerpt=excerpt,
                retry_after=retry_after,
            )
        code = data["code"]
        message = self._redact(clean_text(data.get("message")) or code)
        extra = data.get("data") if isinstance(data.get("data"), dict) else {}
        details = {k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)}
        text = f"{message} ({code}, HTTP {status})"
        common: dict[str, Any] = {"status": status, "code": code, "details": details}
        if status == 401:
            return AuthError(text, credentials=True, **common)
        if status == 403:
            return AuthError(text, credentials=False, **common)
        if status == 429:
            return RateLimited(text, retry_after=retry_after, **common)
        if status == 404 and code == "rest_no_route":
            return PublishError(
                f"{text}: the address is not a WordPress REST API, or a plugin turned it off",
                **common,
            )
        if status in (404, 410):
            return NotFound(text, **common)
        if status == 409:
            return Conflict(text, **common)
        if status == 400:
            params = extra.get("params") if isinstance(extra.get("params"), dict) else {}
            clean_params = {str(k): self._redact(clean_text(v)) for k, v in params.items()}
            return ValidationError(text, params=clean_params, **common)
        if status >= 500:
            if status == 501 or code in _PERMANENT_5XX:
                return PublishError(text, **common)
            return BadResponse(text, excerpt=message, retry_after=retry_after, **common)
        return PublishError(text, **common)

    def _get_list(self, route: str, params: Mapping[str, Any]) -> tuple[list[Any], int | None]:
        response = self._call("GET", route, params=params)
        data = self._json(response)
        if not isinstance(data, list):
            raise self._bad_shape(route, data, status=response.status_code)
        return data, _int_header(response, "X-WP-TotalPages")

    def _json(self, response: httpx.Response) -> Any:
        try:
            # bytes, not .text: json detects UTF-8 with a BOM, which some WordPress sites emit
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            excerpt = self._redact(body_excerpt(response.content))
            kind = response.headers.get("Content-Type", "no content type")
            raise BadResponse(
                f"the answer is not JSON (HTTP {response.status_code}, {kind}): "
                f"{excerpt or 'empty body'}",
                status=response.status_code,
                excerpt=excerpt,
            ) from None

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise self._bad_shape(str(response.url.path), data, status=response.status_code)
        return data

    def _bad_shape(self, what: str, data: Any, status: int | None = 200) -> BadResponse:
        excerpt = self._redact(clean_text(json.dumps(data)[:400], 160))
        return BadResponse(
            f"unexpected answer for {what}: {excerpt}", status=status, excerpt=excerpt
        )

    # --- Parsing ------------------------------------------------------------------------------

    def _post(self, data: Any) -> RemotePost:
        if not isinstance(data, dict) or not _is_int(data.get("id")):
            raise self._bad_shape("a post", data)
        try:
            modified = parse_wp_datetime(data.get("modified_gmt"))
            date = parse_wp_datetime(data.get("date_gmt"))
        except (TypeError, ValueError):
            raise self._bad_shape("a post's dates", data) from None
        if modified is None:
            raise self._bad_shape("a post without modified_gmt", data)
        content, marker = split_marker(_raw(data.get("content")))
        featured = data.get("featured_media")
        return RemotePost(
            id=data["id"],
            title=_raw(data.get("title")),
            content_html=content,
            excerpt=_raw(data.get("excerpt")),
            slug=str(data.get("slug") or ""),
            status=str(data.get("status") or ""),
            kind=str(data.get("type") or ""),
            date_gmt=date,
            modified_gmt=modified,
            link=str(data.get("link") or ""),
            categories=_ids(data.get("categories")),
            tags=_ids(data.get("tags")),
            featured_media=featured if _is_int(featured) and featured > 0 else None,
            content_rendered=strip_rendered_marker(_rendered(data.get("content"))),
            marker=marker,
        )

    def _term(self, data: Any, taxonomy: str) -> RemoteTerm:
        if not isinstance(data, dict) or not _is_int(data.get("id")):
            raise self._bad_shape("a term", data)
        parent = data.get("parent")
        return RemoteTerm(
            id=data["id"],
            name=html.unescape(str(data.get("name") or "")),  # WordPress stores "&amp;"
            slug=str(data.get("slug") or ""),
            parent=parent if _is_int(parent) else 0,
            taxonomy=taxonomy,
        )

    def _media(self, data: dict[str, Any]) -> RemoteMedia:
        if not _is_int(data.get("id")) or not isinstance(data.get("source_url"), str):
            raise self._bad_shape("a media item", data, status=201)
        return RemoteMedia(
            id=data["id"], source_url=data["source_url"], mime_type=str(data.get("mime_type", ""))
        )

    def _comment(self, data: Any) -> RemoteComment:
        if not isinstance(data, dict) or not _is_int(data.get("id")):
            raise self._bad_shape("a comment", data)
        try:
            status = normalize_comment_status(data.get("status"))
            date = parse_wp_datetime(data.get("date_gmt"))
        except (TypeError, ValueError):
            raise self._bad_shape("a comment's status or date", data) from None
        return RemoteComment(
            id=data["id"],
            post_id=_int(data.get("post")),
            parent_id=_int(data.get("parent")),
            author_name=str(data.get("author_name") or ""),
            author_email=str(data.get("author_email") or ""),
            author_url=str(data.get("author_url") or ""),
            author_ip=str(data.get("author_ip") or ""),
            content_html=_raw(data.get("content")),
            status=status,
            date_gmt=date,
        )


# --- Module helpers -----------------------------------------------------------------------------


def _post_body(payload: PostPayload, content: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": payload.title,
        "content": content,
        "excerpt": payload.excerpt,
        "status": payload.status,
        # 0 removes a featured image; WordPress ignores an unknown id, so it was checked first
        "featured_media": payload.featured_media or 0,
    }
    if payload.slug:
        body["slug"] = payload.slug
    if payload.date_gmt is not None:
        body["date_gmt"] = format_wp_datetime(payload.date_gmt)
    if payload.kind == "post":
        body["categories"] = list(payload.categories)
        body["tags"] = list(payload.tags)
    return body


_TRANSLITERATE = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "đ": "d", "ł": "l"}
)


def ascii_filename(filename: str, mime_type: str = "") -> str:
    """A file name WordPress's Content-Disposition parser reads right: it splits on `;`, knows
    no `filename*=`, and strips only plain double quotes. Accents become plain letters; a name
    with nothing left becomes `upload.<ext>`."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].translate(_TRANSLITERATE)
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")
    extension = re.sub(r"[^A-Za-z0-9]+", "", extension).lower()
    if not extension:
        subtype = mime_type.partition("/")[2].split("+")[0].lower()
        extension = {"jpeg": "jpg", "svg": "svg"}.get(subtype, subtype) or "bin"
    return f"{(stem or 'upload')[:150]}.{extension[:10]}"


_TAG = re.compile(r"<[^>]*>")


def _title_key(title: str) -> str:
    """A title as compared with the last sync's: WordPress may trim it, and for a user without
    `unfiltered_html` it filters it (tags dropped, `&` stored as `&amp;`)."""
    return " ".join(html.unescape(_TAG.sub("", title)).split())


def text_changed(current: RemotePost, title: str, content_html: str | None) -> bool:
    """Whether the post on the blog differs from the last-synced title and raw HTML (spacing
    aside; `content_html` None: the HTML of the last sync is not known, only the title counts)."""
    if _title_key(current.title) != _title_key(title):
        return True
    if content_html is None:
        return False
    return current.content_html.split() != content_html.split()


def _raw(field: Any) -> str:
    if isinstance(field, dict):
        value = field.get("raw", field.get("rendered", ""))
        return value if isinstance(value, str) else ""
    return field if isinstance(field, str) else ""


def _rendered(field: Any) -> str:
    if isinstance(field, dict) and isinstance(field.get("rendered"), str):
        return field["rendered"]
    return ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any) -> int:
    return value if _is_int(value) else 0


def _ids(value: Any) -> list[int]:
    return [i for i in value if _is_int(i)] if isinstance(value, list) else []


def _item(kind: str, post_id: int) -> str:
    return f"{_COLLECTION[check_kind(kind)]}/{_check_id(post_id)}"


def _check_id(value: int) -> int:
    if not _is_int(value) or value <= 0:
        raise ValueError(f"not an id: {value!r}")
    return value


def _check_page_size(page_size: int) -> None:
    if not _is_int(page_size) or not 1 <= page_size <= 100:
        raise ValueError("page_size must be 1 to 100 (WordPress's per_page limit)")


def _int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None
