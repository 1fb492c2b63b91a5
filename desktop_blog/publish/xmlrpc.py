"""Blogs over XML-RPC: WordPress's `wp.*` methods, and `metaWeblog.*` for servers without them.

Requests are built with `xmlrpc.client.dumps` and answers read with `xmlrpc.client.loads`, over
the injected `httpx.Client` (not `ServerProxy`: that would bypass our timeouts, TLS settings and
test transports). Which family to use is decided once, from `system.listMethods`, on first use.

WordPress facts this follows (6.1; ../shared/WORDPRESS.md):

- Both the login password and application passwords work. A wrong one is fault 403.
- Faults: 403 credentials (and some invalid data), 404 missing post, 409 on `wp.editPost` with
  `if_not_modified_since` when the post changed since, 401 for permissions. Fault strings that
  name invalid data ("Invalid term ID", "Invalid attachment ID.") become ValidationError, so that
  a bad featured image is not mistaken for a deleted post.
- `wp.getPost` reports a scheduled post as "publish"; a "publish" post dated more than five minutes
  ahead is reported here as "future" (the margin allows for clock skew).
- `wp.deletePost` trashes, and deletes for good a post already in the trash: `delete_post` reads
  the post first so that a repeated trash never becomes a permanent delete.
- `wp.getTerms` without `hide_empty` returns all terms; `wp.newTerm` of an existing name is fault
  500 "... already exists ...": `create_term` returns the existing term then.
- metaWeblog knows categories by name and tags not at all (`mt_keywords` takes names): over it,
  `list_terms("tags")` and comments are Unsupported, and a payload with tag ids is refused.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import xmlrpc.client
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.parsers.expat import ExpatError

import httpx

from .base import (
    ALL_POST_STATUSES,
    COMMENT_STATUSES,
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
    marker_search_term,
    normalize_comment_status,
    parse_wp_datetime,
    same_second,
    split_marker,
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
from .http import parse_retry_after, send
from .wordpress_rest import text_changed

log = logging.getLogger(__name__)

_TAXONOMY = {"categories": "category", "tags": "post_tag"}
_POST_FIELDS = ["post", "terms"]
_FUTURE_MARGIN = timedelta(minutes=5)
#: Characters XML 1.0 cannot carry at all; a server would answer "parse error. not well formed".
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Fault strings (WordPress 6.1) that mean "the data is wrong", whatever their fault code.
_INVALID_DATA = (
    "invalid term id",
    "invalid taxonomy",
    "invalid post type",
    "invalid attachment id",
    "term name cannot be empty",
    "taxonomy is not hierarchical",
    "parent term does not exist",
    "invalid comment status",
    "one of the given taxonomies is not supported",
)
_MW_RECENT = 1000


class XmlRpcConnector:
    """The `Connector` for XML-RPC blogs (WordPress's `xmlrpc.php`, or any metaWeblog server)."""

    kind = "xmlrpc"

    def __init__(
        self,
        client: httpx.Client,
        endpoint: str,
        username: str,
        password: str,
        blog_id: int = 1,
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"endpoint must be an http(s) URL, not {endpoint!r}")
        self._client = client
        self.endpoint = endpoint
        self.blog_id = blog_id
        self._credentials = Credentials(username, password)
        self._redact = Redactor.for_basic_auth(username, password)
        self._lock = threading.Lock()
        self._methods: frozenset[str] | None = None
        self._mw_categories: dict[int, str] | None = None

    @property
    def username(self) -> str:
        return self._credentials.username

    def __repr__(self) -> str:
        return (
            f"XmlRpcConnector(endpoint={self.endpoint!r}, username={self.username!r}, "
            f"blog_id={self.blog_id})"
        )

    # --- Which API ----------------------------------------------------------------------------

    @property
    def has_wp_methods(self) -> bool:
        """Whether the server offers WordPress's `wp.*` methods (asked once, then cached)."""
        with self._lock:
            methods = self._methods
        if methods is None:
            try:
                listed = self._call("system.listMethods")
                methods = frozenset(str(m) for m in listed) if isinstance(listed, list) else None
            except (AuthError, NotFound, Unsupported, ValidationError, Conflict):
                methods = None
            except PublishError as exc:
                if exc.retryable:
                    raise
                methods = None
            if methods is None:  # no introspection: assume WordPress, which has both
                methods = frozenset({"wp.newPost", "wp.getPost"})
            with self._lock:
                self._methods = methods
        return "wp.newPost" in methods and "wp.getPost" in methods

    # --- Account ------------------------------------------------------------------------------

    def verify(self) -> BlogInfo:
        user, password = self._credentials.username, self._credentials.password
        if self.has_wp_methods:
            blogs = self._call("wp.getUsersBlogs", user, password)
            profile = self._call("wp.getProfile", self.blog_id, user, password)
            if not isinstance(profile, dict):
                raise self._bad_shape("wp.getProfile", profile)
            user_name = str(profile.get("username") or user)
            user_id = _int(profile.get("user_id"))
            roles = profile.get("roles") if isinstance(profile.get("roles"), list) else []
        else:
            blogs = self._call("blogger.getUsersBlogs", "", user, password)
            user_name, user_id, roles = user, 0, []
        if not isinstance(blogs, list) or not blogs or not isinstance(blogs[0], dict):
            raise self._bad_shape("getUsersBlogs", blogs)
        blog = next((b for b in blogs if str(b.get("blogid")) == str(self.blog_id)), blogs[0])
        return BlogInfo(
            name=clean_text(blog.get("blogName")),
            url=str(blog.get("url") or ""),
            api_url=self.endpoint,
            kind=self.kind,
            user_name=user_name,
            user_id=user_id,
            roles=tuple(str(r) for r in roles),
        )

    # --- Posts and pages ----------------------------------------------------------------------

    def get_post(self, post_id: int, kind: str = "post") -> RemotePost:
        check_kind(kind)
        _check_id(post_id)
        if self.has_wp_methods:
            post = self._wp_post(self._wp("wp.getPost", post_id, _POST_FIELDS))
        else:
            post = self._mw_post(self._mw("metaWeblog.getPost", post_id), kind)
        if post.kind != kind:
            raise NotFound(f"{post_id} is a {post.kind}, not a {kind}", status=404)
        return post

    def list_posts(
        self,
        kind: str = "post",
        modified_after: datetime | None = None,
        page_size: int = 100,
        *,
        status: str = "any",
    ) -> Iterator[RemotePost]:
        check_kind(kind)
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be 1 to 1000")
        since = to_utc_second(modified_after) if modified_after is not None else None
        if self.has_wp_methods:
            return self._wp_list_posts(kind, since, page_size, status)
        return self._mw_list_posts(kind, since, status)

    def create_post(self, payload: PostPayload, idempotency_key: str) -> RemotePost:
        payload.validate()
        check_idempotency_key(idempotency_key)
        content = add_marker(payload.content_html, idempotency_key)
        if self.has_wp_methods:
            struct = _wp_struct(payload, content, create=True)
            new_id = _int(self._wp("wp.newPost", struct))
        else:
            struct = self._mw_struct(payload, content)
            new_id = _int(self._mw_blog("metaWeblog.newPost", struct, _mw_publish(payload)))
        if new_id <= 0:
            raise BadResponse("the blog did not say which id the new post got", status=200)
        return self.get_post(new_id, payload.kind)

    def update_post(
        self,
        post_id: int,
        payload: PostPayload,
        expected_modified: datetime | None,
        *,
        expected_text: tuple[str, str | None] | None = None,
    ) -> RemotePost:
        """As `WordPressRestConnector.update_post`: a post changed since `expected_modified`,
        or changed in that very second (its title or text differ from `expected_text`, the last
        sync's), is a Conflict and nothing is written."""
        payload.validate()
        _check_id(post_id)
        content = split_marker(payload.content_html)[0]
        expected = to_utc_second(expected_modified) if expected_modified is not None else None
        if expected is not None:
            current = self.get_post(post_id, payload.kind)
            if not same_second(current.modified_gmt, expected):
                raise _conflict(post_id, expected, current)
            if expected_text is not None and text_changed(current, *expected_text):
                raise Conflict(
                    f"{current.kind} {post_id} was changed on the blog in the second of the last "
                    f"sync ({expected.isoformat()}): its title or text differ from that sync's",
                    expected_modified=expected,
                    remote_modified=current.modified_gmt,
                    remote=current,
                )
        if self.has_wp_methods:
            struct = _wp_struct(payload, content, create=False)
            if expected is not None:  # the server checks again, closing most of the race
                struct["if_not_modified_since"] = _xml_date(expected)
            try:
                self._wp("wp.editPost", post_id, struct)
            except Conflict as exc:
                try:
                    remote = self.get_post(post_id, payload.kind)
                except PublishError:
                    remote = None
                raise Conflict(
                    exc.message,
                    expected_modified=expected,
                    remote_modified=remote.modified_gmt if remote else None,
                    remote=remote,
                    status=exc.status,
                    code=exc.code,
                ) from None
        else:
            struct = self._mw_struct(payload, content)
            self._mw("metaWeblog.editPost", post_id, struct, _mw_publish(payload))
        return self.get_post(post_id, payload.kind)

    def delete_post(self, post_id: int, force: bool = False, kind: str = "post") -> None:
        _check_id(post_id)
        try:
            post = self.get_post(post_id, kind)
        except NotFound:
            if force:
                return
            raise
        if not self.has_wp_methods:
            self._call(
                "blogger.deletePost",
                "",
                post_id,
                self._credentials.username,
                self._credentials.password,
                True,
            )
            return
        if post.status != "trash":
            self._wp("wp.deletePost", post_id)  # moves it to the trash
        if force:
            try:
                self._wp("wp.deletePost", post_id)  # from the trash: for good
            except NotFound:
                return

    def find_post_by_marker(self, idempotency_key: str, kind: str = "post") -> RemotePost | None:
        found = self.find_posts_by_marker(idempotency_key, kind)
        return found[0] if found else None

    def find_posts_by_marker(self, idempotency_key: str, kind: str = "post") -> list[RemotePost]:
        check_kind(kind)
        term = marker_search_term(idempotency_key)
        if self.has_wp_methods:
            found = self._wp(
                "wp.getPosts",
                {"post_type": kind, "post_status": ALL_POST_STATUSES, "s": term, "number": 20},
                _POST_FIELDS,
            )
            posts = [self._wp_post(s) for s in _list(found, "wp.getPosts")]
        else:
            recent = self._mw_blog("metaWeblog.getRecentPosts", 50)
            posts = [self._mw_post(s, kind) for s in _list(recent, "metaWeblog.getRecentPosts")]
        return sorted(
            (p for p in posts if p.marker == idempotency_key and p.kind == kind),
            key=lambda p: p.id,
        )

    # --- Terms and media ----------------------------------------------------------------------

    def list_terms(self, taxonomy: str) -> list[RemoteTerm]:
        check_taxonomy(taxonomy)
        if not self.has_wp_methods:
            if taxonomy == "tags":
                raise Unsupported("this blog's XML-RPC API (metaWeblog) has no tag list")
            return self._mw_list_categories()
        terms: list[RemoteTerm] = []
        offset, number = 0, 500
        while True:
            batch = _list(
                self._wp(
                    "wp.getTerms",
                    _TAXONOMY[taxonomy],
                    {"hide_empty": False, "number": number, "offset": offset},
                ),
                "wp.getTerms",
            )
            terms.extend(self._term(item, taxonomy) for item in batch)
            if len(batch) < number:
                return terms
            offset += len(batch)

    def create_term(self, taxonomy: str, name: str, parent: int | None = None) -> RemoteTerm:
        check_taxonomy(taxonomy)
        name = name.strip()
        if not name:
            raise ValidationError("a category or tag needs a name", params={"name": "empty"})
        if parent and taxonomy != "categories":
            raise ValueError("only categories have parents")
        if not self.has_wp_methods:
            raise Unsupported("this blog's XML-RPC API (metaWeblog) cannot create categories")
        struct: dict[str, Any] = {"name": name, "taxonomy": _TAXONOMY[taxonomy]}
        if parent:
            struct["parent"] = parent
        try:
            term_id = _int(self._wp("wp.newTerm", struct))
        except PublishError as exc:
            if "already exists" not in exc.message.lower():
                raise
            for term in self.list_terms(taxonomy):
                if term.name.casefold() == name.casefold() and term.parent == (parent or 0):
                    return term
            raise
        return self._term(self._wp("wp.getTerm", _TAXONOMY[taxonomy], term_id), taxonomy)

    def upload_media(self, filename: str, data: bytes, mime_type: str) -> RemoteMedia:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError("media data must be bytes")
        struct = {
            "name": filename,
            "type": mime_type,
            "bits": xmlrpc.client.Binary(bytes(data)),
            "overwrite": False,
        }
        if self.has_wp_methods:
            result = self._wp("wp.uploadFile", struct)
        else:
            result = self._mw_blog("metaWeblog.newMediaObject", struct)
        if not isinstance(result, dict) or not isinstance(result.get("url"), str):
            raise self._bad_shape("an upload", result)
        return RemoteMedia(
            id=_int(result.get("id", result.get("attachment_id"))),
            source_url=result["url"],
            mime_type=str(result.get("type") or mime_type),
        )

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
        self._need_comments()
        since = to_utc_second(after) if after is not None else None
        return self._iter_comments(statuses, since, post_id, page_size)

    def moderate_comment(self, comment_id: int, status: str) -> RemoteComment:
        check_comment_status(status)
        self._need_comments()
        if status == "trash":
            self.delete_comment(comment_id)
        else:
            self._wp("wp.editComment", _check_id(comment_id), {"status": status})
        return self._comment(self._wp("wp.getComment", comment_id))

    def reply_comment(self, post_id: int, parent_id: int, content_html: str) -> RemoteComment:
        self._need_comments()
        struct = {"comment_parent": parent_id or 0, "content": content_html}
        new_id = _int(self._wp("wp.newComment", _check_id(post_id), struct))
        return self._comment(self._wp("wp.getComment", new_id))

    def delete_comment(self, comment_id: int, force: bool = False) -> None:
        self._need_comments()
        try:
            comment = self._comment(self._wp("wp.getComment", _check_id(comment_id)))
        except NotFound:
            if force:
                return
            raise
        # wp.deleteComment trashes, and deletes a comment already in the trash (or spam)
        if comment.status not in ("trash", "spam"):
            self._wp("wp.deleteComment", comment_id)
        if force:
            try:
                self._wp("wp.deleteComment", comment_id)
            except NotFound:
                return

    def edit_comment(self, comment_id: int, content_html: str) -> RemoteComment:
        self._need_comments()
        self._wp("wp.editComment", _check_id(comment_id), {"content": content_html})
        return self._comment(self._wp("wp.getComment", comment_id))

    def list_comment_states(self, page_size: int = 100) -> dict[int, str]:
        # wp.getComments has no field selection: whole comments, every status.
        self._need_comments()
        return {
            c.id: c.status
            for c in self._iter_comments(list(COMMENT_STATUSES), None, None, page_size)
        }

    # --- Listing helpers ----------------------------------------------------------------------

    def _wp_list_posts(
        self, kind: str, since: datetime | None, page_size: int, status: str
    ) -> Iterator[RemotePost]:
        """Newest change first, by offset; stops at the first post older than `since`.
        A post changed while this runs moves to the front and is seen by the next run."""
        query: dict[str, Any] = {"post_type": kind, "orderby": "modified", "order": "DESC"}
        if status != "any":
            query["post_status"] = status
        seen: set[int] = set()
        offset = 0
        while True:
            batch = _list(
                self._wp("wp.getPosts", dict(query, number=page_size, offset=offset), _POST_FIELDS),
                "wp.getPosts",
            )
            for item in batch:
                post = self._wp_post(item)
                if since is not None and post.modified_gmt < since:
                    return
                if post.id not in seen:
                    seen.add(post.id)
                    yield post
            if len(batch) < page_size:
                return
            offset += len(batch)

    def _mw_list_posts(
        self, kind: str, since: datetime | None, status: str
    ) -> Iterator[RemotePost]:
        """metaWeblog has no paging: the newest posts, at most 1,000."""
        recent = self._mw_blog("metaWeblog.getRecentPosts", _MW_RECENT)
        for item in _list(recent, "metaWeblog.getRecentPosts"):
            post = self._mw_post(item, kind)
            if post.kind != kind or (status != "any" and post.status != status):
                continue
            if since is None or post.modified_gmt >= since:
                yield post

    def _iter_comments(
        self, statuses: list[str], since: datetime | None, post_id: int | None, page_size: int
    ) -> Iterator[RemoteComment]:
        seen: set[int] = set()
        for status in statuses:
            offset = 0
            while True:
                query: dict[str, Any] = {"status": status, "number": page_size, "offset": offset}
                if post_id is not None:
                    query["post_id"] = post_id
                batch = _list(self._wp("wp.getComments", query), "wp.getComments")
                older = False
                for item in batch:
                    comment = self._comment(item)
                    if since is not None and comment.date_gmt is not None:
                        if comment.date_gmt <= since:  # newest first
                            older = True
                            break
                    if comment.id not in seen:
                        seen.add(comment.id)
                        yield comment
                if older or len(batch) < page_size:
                    break
                offset += len(batch)

    def _mw_list_categories(self) -> list[RemoteTerm]:
        found = _list(self._mw_blog("metaWeblog.getCategories"), "metaWeblog.getCategories")
        terms = []
        for item in found:
            if not isinstance(item, dict):
                raise self._bad_shape("metaWeblog.getCategories", item)
            terms.append(
                RemoteTerm(
                    id=_int(item.get("categoryId")),
                    name=html.unescape(
                        str(item.get("categoryName") or item.get("description") or "")
                    ),
                    slug="",
                    parent=_int(item.get("parentId")),
                    taxonomy="categories",
                )
            )
        with self._lock:
            self._mw_categories = {t.id: t.name for t in terms}
        return terms

    def _need_comments(self) -> None:
        if not self.has_wp_methods:
            raise Unsupported("this blog's XML-RPC API (metaWeblog) has no comment methods")

    # --- metaWeblog structs -------------------------------------------------------------------

    def _mw_struct(self, payload: PostPayload, content: str) -> dict[str, Any]:
        if payload.tags:
            raise ValidationError(
                "this blog's XML-RPC API (metaWeblog) cannot set tags by id",
                params={"tags": "unsupported"},
            )
        struct: dict[str, Any] = {
            "title": payload.title,
            "description": content,
            "mt_excerpt": payload.excerpt,
            "post_status": payload.status,
        }
        if payload.kind == "page":
            struct["post_type"] = "page"
        if payload.slug:
            struct["wp_slug"] = payload.slug
        if payload.date_gmt is not None:
            struct["date_created_gmt"] = _xml_date(payload.date_gmt)
            struct["dateCreated"] = _xml_date(payload.date_gmt)
        if payload.featured_media is not None:
            struct["wp_post_thumbnail"] = payload.featured_media
        if payload.kind == "post":
            with self._lock:
                names = self._mw_categories
            if names is None or not set(payload.categories) <= set(names):
                self._mw_list_categories()
                with self._lock:
                    names = self._mw_categories or {}
            unknown = [i for i in payload.categories if i not in names]
            if unknown:
                raise ValidationError(
                    f"the blog has no categories with id {unknown}",
                    params={"categories": f"unknown ids {unknown}"},
                )
            struct["categories"] = [names[i] for i in payload.categories]
        return struct

    # --- Parsing ------------------------------------------------------------------------------

    def _wp_post(self, data: Any) -> RemotePost:
        if not isinstance(data, dict) or _int(data.get("post_id")) <= 0:
            raise self._bad_shape("a post", data)
        try:
            modified = parse_wp_datetime(data.get("post_modified_gmt"))
            date = parse_wp_datetime(data.get("post_date_gmt"))
        except (TypeError, ValueError):
            raise self._bad_shape("a post's dates", data) from None
        if modified is None:
            raise self._bad_shape("a post without post_modified_gmt", data)
        status = str(data.get("post_status") or "")
        if status == "publish" and date is not None and date > datetime.now(UTC) + _FUTURE_MARGIN:
            status = "future"
        categories: list[int] = []
        tags: list[int] = []
        for term in data.get("terms") or []:
            if isinstance(term, dict):
                if term.get("taxonomy") == "category":
                    categories.append(_int(term.get("term_id")))
                elif term.get("taxonomy") == "post_tag":
                    tags.append(_int(term.get("term_id")))
        thumbnail = data.get("post_thumbnail")
        featured = None
        if isinstance(thumbnail, dict):
            featured = _int(thumbnail.get("attachment_id", thumbnail.get("id"))) or None
        content, marker = split_marker(str(data.get("post_content") or ""))
        return RemotePost(
            id=_int(data["post_id"]),
            title=str(data.get("post_title") or ""),
            content_html=content,
            excerpt=str(data.get("post_excerpt") or ""),
            slug=str(data.get("post_name") or ""),
            status=status,
            kind=str(data.get("post_type") or "post"),
            date_gmt=date,
            modified_gmt=modified,
            link=str(data.get("link") or ""),
            categories=categories,
            tags=tags,
            featured_media=featured,
            marker=marker,
        )

    def _mw_post(self, data: Any, kind_hint: str = "post") -> RemotePost:
        """A metaWeblog post struct; WordPress's has no post type, so `kind_hint` stands in."""
        if not isinstance(data, dict) or _int(data.get("postid")) <= 0:
            raise self._bad_shape("a metaWeblog post", data)
        try:
            date = parse_wp_datetime(data.get("date_created_gmt") or data.get("dateCreated"))
            modified = parse_wp_datetime(data.get("date_modified_gmt")) or date
        except (TypeError, ValueError):
            raise self._bad_shape("a post's dates", data) from None
        if modified is None:
            raise self._bad_shape("a post without dates", data)
        body = str(data.get("description") or "")
        more = str(data.get("mt_text_more") or "")
        content, marker = split_marker(body + ("<!--more-->" + more if more else ""))
        status = str(data.get("post_status") or "publish")
        if status == "publish" and date is not None and date > datetime.now(UTC) + _FUTURE_MARGIN:
            status = "future"
        listed = data.get("categories") if isinstance(data.get("categories"), list) else []
        names = [html.unescape(str(n)) for n in listed]
        with self._lock:
            loaded = self._mw_categories
        if names and (loaded is None or not set(names) <= set(loaded.values())):
            self._mw_list_categories()  # metaWeblog names categories; ids come from this list
        with self._lock:
            by_name = {n: i for i, n in (self._mw_categories or {}).items()}
        return RemotePost(
            id=_int(data["postid"]),
            title=str(data.get("title") or ""),
            content_html=content,
            excerpt=str(data.get("mt_excerpt") or ""),
            slug=str(data.get("wp_slug") or ""),
            status=status,
            kind=str(data.get("post_type") or kind_hint),
            date_gmt=date,
            modified_gmt=modified,
            link=str(data.get("permaLink") or data.get("link") or ""),
            categories=[by_name[n] for n in names if n in by_name],
            tags=[],
            featured_media=_int(data.get("wp_post_thumbnail")) or None,
            marker=marker,
        )

    def _term(self, data: Any, taxonomy: str) -> RemoteTerm:
        if not isinstance(data, dict) or _int(data.get("term_id")) <= 0:
            raise self._bad_shape("a term", data)
        return RemoteTerm(
            id=_int(data["term_id"]),
            name=html.unescape(str(data.get("name") or "")),  # WordPress stores "&amp;"
            slug=str(data.get("slug") or ""),
            parent=_int(data.get("parent")),
            taxonomy=taxonomy,
        )

    def _comment(self, data: Any) -> RemoteComment:
        if not isinstance(data, dict) or _int(data.get("comment_id")) <= 0:
            raise self._bad_shape("a comment", data)
        try:
            status = normalize_comment_status(data.get("status"))
            date = parse_wp_datetime(data.get("date_created_gmt"))
        except (TypeError, ValueError):
            raise self._bad_shape("a comment's status or date", data) from None
        return RemoteComment(
            id=_int(data["comment_id"]),
            post_id=_int(data.get("post_id")),
            parent_id=_int(data.get("parent")),
            author_name=str(data.get("author") or ""),
            author_email=str(data.get("author_email") or ""),
            author_url=str(data.get("author_url") or ""),
            author_ip=str(data.get("author_ip") or ""),
            content_html=str(data.get("content") or ""),
            status=status,
            date_gmt=date,
        )

    def _bad_shape(self, what: str, data: Any) -> BadResponse:
        excerpt = self._redact(clean_text(repr(data)[:400], 160))
        return BadResponse(f"unexpected answer for {what}: {excerpt}", status=200, excerpt=excerpt)

    # --- The wire -----------------------------------------------------------------------------

    def _wp(self, method: str, *args: Any) -> Any:
        """A `wp.*` call: (blog_id, username, password, *args)."""
        creds = self._credentials
        return self._call(method, self.blog_id, creds.username, creds.password, *args)

    def _mw(self, method: str, post_id: int, *args: Any) -> Any:
        """A metaWeblog call on a post: (post_id, username, password, *args)."""
        creds = self._credentials
        return self._call(method, str(post_id), creds.username, creds.password, *args)

    def _mw_blog(self, method: str, *args: Any) -> Any:
        """A metaWeblog call on the blog: (blog_id, username, password, *args)."""
        creds = self._credentials
        return self._call(method, str(self.blog_id), creds.username, creds.password, *args)

    def _call(self, method: str, *params: Any) -> Any:
        body = xmlrpc.client.dumps(
            tuple(_for_xml(p) for p in params), method, encoding="utf-8", allow_none=False
        ).encode("utf-8")
        request = self._client.build_request(
            "POST",
            self.endpoint,
            content=body,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        response = send(self._client, request, redact=self._redact)
        if response.history and response.request.method != "POST":
            raise BadResponse(
                f"the blog redirected the XML-RPC call to {response.url}, so it never ran; the "
                "endpoint address is out of date (http:// instead of https://?)",
                status=response.history[0].status_code,
                code="redirected_write",
            )
        if response.status_code != 200:
            raise self._http_error(response, method)
        # Leading whitespace (a theme's stray newline) breaks "<?xml" at the start: a classic
        # WordPress XML-RPC failure that every client works around.
        text = response.content.lstrip(b"\xef\xbb\xbf \t\r\n")
        try:
            result, _name = xmlrpc.client.loads(text, use_datetime=False, use_builtin_types=False)
        except xmlrpc.client.Fault as fault:
            raise self._fault(fault, method) from None
        except (ExpatError, ValueError, TypeError, IndexError, AttributeError) as exc:
            excerpt = self._redact(body_excerpt(response.content))
            raise BadResponse(
                f"{method}: the answer is not XML-RPC ({type(exc).__name__}): "
                f"{excerpt or 'empty body'}",
                status=response.status_code,
                excerpt=excerpt,
            ) from None
        if len(result) != 1:
            raise self._bad_shape(method, result)
        return result[0]

    def _http_error(self, response: httpx.Response, method: str) -> PublishError:
        status = response.status_code
        excerpt = self._redact(body_excerpt(response.content))
        text = f"{method}: HTTP {status}: {excerpt or 'empty body'}"
        if status == 429:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), response.headers.get("Date")
            )
            return RateLimited(text, retry_after=retry_after, status=status)
        if status in (401, 403):
            return AuthError(text, credentials=status == 401, status=status)
        return BadResponse(text, status=status, excerpt=excerpt)

    def _fault(self, fault: xmlrpc.client.Fault, method: str) -> PublishError:
        try:
            code = int(fault.faultCode)
        except (TypeError, ValueError):
            code = None
        message = self._redact(clean_text(fault.faultString))
        text = f"{message} ({method}, fault {fault.faultCode})"
        common: dict[str, Any] = {"status": code, "code": f"fault {fault.faultCode}"}
        lowered = message.lower()
        if any(marker in lowered for marker in _INVALID_DATA):
            return ValidationError(text, **common)
        if "invalid post id" in lowered or "invalid comment id" in lowered:
            return NotFound(text, **common)
        if code == 403:
            credentials = "username or password" in lowered or "incorrect" in lowered
            return AuthError(text, credentials=credentials, **common)
        if code == 401:
            return AuthError(text, credentials=False, **common)
        if code == 404:
            return NotFound(text, **common)
        if code == 409:
            return Conflict(text, **common)
        if code == 429:
            return RateLimited(text, **common)
        if code == -32601:
            return Unsupported(text, **common)
        return PublishError(text, **common)


# --- Module helpers -----------------------------------------------------------------------------


def _wp_struct(payload: PostPayload, content: str, *, create: bool) -> dict[str, Any]:
    struct: dict[str, Any] = {
        "post_status": payload.status,
        "post_title": payload.title,
        "post_content": content,
        "post_excerpt": payload.excerpt,
    }
    if create:
        struct["post_type"] = payload.kind
    if payload.slug:
        struct["post_name"] = payload.slug
    if payload.date_gmt is not None:
        struct["post_date_gmt"] = _xml_date(payload.date_gmt)
    if payload.kind == "post":
        struct["terms"] = {"category": list(payload.categories), "post_tag": list(payload.tags)}
    if payload.featured_media is not None or not create:
        struct["post_thumbnail"] = payload.featured_media or 0  # 0 removes it
    return struct


def _mw_publish(payload: PostPayload) -> bool:
    return payload.status in ("publish", "future", "private")


def _conflict(post_id: int, expected: datetime, current: RemotePost) -> Conflict:
    return Conflict(
        f"{current.kind} {post_id} was modified on the blog at "
        f"{current.modified_gmt.isoformat()}, last synced at {expected.isoformat()}",
        expected_modified=expected,
        remote_modified=current.modified_gmt,
        remote=current,
    )


def _xml_date(moment: datetime) -> xmlrpc.client.DateTime:
    return xmlrpc.client.DateTime(to_utc_second(moment).strftime("%Y%m%dT%H:%M:%S"))


def _for_xml(value: Any) -> Any:
    """Values as XML-RPC can carry them: no characters XML forbids, no naive datetimes."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, datetime):
        return _xml_date(value)
    if isinstance(value, dict):
        return {str(k): _for_xml(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_for_xml(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return xmlrpc.client.Binary(bytes(value))
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def _list(value: Any, method: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadResponse(f"unexpected answer for {method}: not a list", status=200)
    return value


def _check_id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"not an id: {value!r}")
    return value
