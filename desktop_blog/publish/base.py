"""What connectors exchange with the rest of the app: plain dataclasses and one `Connector` protocol.

Nothing here knows Qt, SQLAlchemy or HTTP. Datetimes are always timezone-aware UTC, to the second
(WordPress stores seconds). A connector never sends a naive datetime: `PostPayload.validate()`
refuses one rather than guess its zone.

Idempotent creates
------------------
A create whose answer was lost (the blog made the post, the response never arrived) must not make
a second post when retried. Stock WordPress 6.1 offers no idempotency key, and post meta is not
writable over REST unless a plugin registers it, so `create_post` writes the key into the content as
an HTML comment at its very end:

    ...</p><!-- desktop-blog:0f9c2d5e-... -->

- WordPress keeps HTML comments through its content filters (kses keeps them too, for users
  without `unfiltered_html`, as long as the comment holds no `--`: `check_idempotency_key` refuses
  keys with one). It does not make the content "block content": only `<!-- wp:` does, so
  `wpautop` runs exactly as it would without the marker. On display it may wrap the comment in a
  `<p>` of its own that shows nothing.
- WordPress searches `post_content` (`search=` over REST, `s` in `wp.getPosts`), so
  `find_post_by_marker(key)` finds the post in any status, drafts and trash included. A unique
  slug would have been findable too, but it would show in the post's public URL.
- Connectors strip the marker when they read a post (`RemotePost.content_html` never shows it;
  `RemotePost.marker` holds the key) and never send it with an update, so the first update of the
  post removes it from the blog.

The retry rule for a sync worker:

1. A create failed with a retryable error: wait (backoff), call `find_post_by_marker(key)`, adopt
   the post it returns, else create again with the same key.
2. A timed-out request may still be running on the server after the client gave up (PHP carries
   on until it tries to write the answer), and so may create its post after step 1 looked and
   found nothing: the fake server's timeout test makes exactly that second post. No search can
   rule it out, so after a retried create succeeds, call `resolve_duplicates(connector, key)` once
   more after a delay longer than the server's own limit (PHP's max_execution_time, 30 s by
   default): it keeps the oldest post with the key and moves the others to the trash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from .errors import ValidationError

POST_STATUSES = frozenset({"publish", "draft", "future", "pending", "private", "trash"})
#: Statuses a payload may ask for: trash is reached with `delete_post`, not by an update.
PAYLOAD_STATUSES = POST_STATUSES - {"trash"}
POST_KINDS = frozenset({"post", "page"})
TAXONOMIES = ("categories", "tags")
COMMENT_STATUSES = ("hold", "approve", "spam", "trash")

# --- Datetimes ----------------------------------------------------------------------------------

_ZERO_DATES = {"", "0000-00-00 00:00:00", "0000-00-00T00:00:00", "00000000T00:00:00"}
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(.*)$")


def parse_wp_datetime(value: object) -> datetime | None:
    """A WordPress date as an aware UTC datetime, or None for "no date".

    Accepts REST's `2024-05-01T10:00:00` (UTC without a zone), the same with `Z` or an offset,
    XML-RPC's `20240501T10:00:00` and datetime objects (naive ones are taken as UTC, which is what
    WordPress's `*_gmt` fields are). Raises ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(getattr(value, "value", value)).strip()
        if text in _ZERO_DATES or text.startswith("0000-00-00"):
            return None
        compact = _COMPACT.match(text)
        if compact:
            y, mo, d, h, mi, s, rest = compact.groups()
            text = f"{y}-{mo}-{d}T{h}:{mi}:{s}{rest}"
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def to_utc_second(moment: datetime) -> datetime:
    """An aware datetime in UTC, to the second. Raises ValueError for a naive one."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give it a timezone (UTC)")
    return moment.astimezone(UTC).replace(microsecond=0)


def format_wp_datetime(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` in UTC, no zone: what WordPress REST takes as `date_gmt`."""
    return to_utc_second(moment).strftime("%Y-%m-%dT%H:%M:%S")


def format_rfc3339(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS+00:00`: for query filters (`modified_after`, `after`).

    WordPress compares these filters with the site-local column (`post_modified`); with an explicit
    offset it converts the value to the site's zone first. Without one it would take a UTC time
    as local time, which is wrong on every site not set to UTC.
    """
    return to_utc_second(moment).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def same_second(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return to_utc_second(a) == to_utc_second(b)


ONE_SECOND = timedelta(seconds=1)

# --- The idempotency marker ---------------------------------------------------------------------

#: Every status a post can have, trash included: for finding a lost create wherever it went.
ALL_POST_STATUSES = "publish,future,draft,pending,private,trash"

MARKER_PREFIX = "desktop-blog:"
_KEY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._]|-(?!-))*[A-Za-z0-9]$")
_MARKER = re.compile(r"<!--\s*desktop-blog:([A-Za-z0-9._-]+)\s*-->")
_MARKER_PARAGRAPH = re.compile(r"<p>\s*<!--\s*desktop-blog:[A-Za-z0-9._-]+\s*-->\s*</p>\s*")


def check_idempotency_key(key: str) -> str:
    """The key if it is 8 to 100 letters, digits, `.`, `_` or single `-` (a UUID is fine)."""
    if not isinstance(key, str) or not (8 <= len(key) <= 100) or not _KEY.match(key):
        raise ValueError(
            "idempotency key must be 8-100 characters of letters, digits, '.', '_' and single "
            f"'-', starting and ending with a letter or digit: {key!r}"
        )
    return key


def marker_comment(key: str) -> str:
    return f"<!-- {MARKER_PREFIX}{check_idempotency_key(key)} -->"


def marker_search_term(key: str) -> str:
    """What to search the blog for: one word to WordPress's search parser (no spaces, no quotes)."""
    return MARKER_PREFIX + check_idempotency_key(key)


def add_marker(content_html: str, key: str) -> str:
    """The content with its old markers removed and `key`'s marker appended, without a newline
    (a newline before it could become a `<br />` under wpautop)."""
    body, _old = split_marker(content_html)
    return body + marker_comment(key)


def split_marker(content_html: str) -> tuple[str, str | None]:
    """(content without markers, the last marker's key or None)."""
    keys = _MARKER.findall(content_html)
    if not keys:
        return content_html, None
    return _MARKER.sub("", content_html), keys[-1]


def strip_rendered_marker(rendered_html: str) -> str:
    """The displayed HTML without the marker (and the empty paragraph wpautop may put it in)."""
    return _MARKER.sub("", _MARKER_PARAGRAPH.sub("", rendered_html))


# --- Dataclasses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """A user name and secret. The secret never shows in a repr (and so in no log of one)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class RemotePost:
    """A post or page as the blog has it. `content_html` is the raw content (what was sent, not
    the displayed rendering), without the idempotency marker; `content_rendered` is what readers
    see, when the API gave it (WordPress REST's `content.rendered`), else ""."""

    id: int
    title: str
    content_html: str
    excerpt: str
    slug: str
    status: str
    kind: str
    date_gmt: datetime | None
    modified_gmt: datetime
    link: str
    categories: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    featured_media: int | None = None
    content_rendered: str = ""
    marker: str | None = None


@dataclass(frozen=True)
class RemoteTerm:
    """A category or tag. `parent` is 0 for a top-level term (and always for tags)."""

    id: int
    name: str
    slug: str
    parent: int = 0
    taxonomy: str = "categories"


@dataclass(frozen=True)
class RemoteMedia:
    id: int
    source_url: str
    mime_type: str


@dataclass(frozen=True)
class RemoteComment:
    """A comment; `status` normalized to "hold", "approve", "spam" or "trash" (WordPress REST
    says "approved" but filters with `approve`; XML-RPC says "approve")."""

    id: int
    post_id: int
    parent_id: int
    author_name: str
    author_email: str
    author_url: str
    author_ip: str
    content_html: str
    status: str
    date_gmt: datetime | None


@dataclass(frozen=True)
class BlogInfo:
    """What `verify()` learned: the blog, the API, and who the credentials belong to."""

    name: str
    url: str
    api_url: str
    kind: str  # "wordpress-rest" or "xmlrpc"
    user_name: str
    user_id: int
    capabilities: frozenset[str] = frozenset()
    roles: tuple[str, ...] = ()
    description: str = ""

    @property
    def can_publish(self) -> bool | None:
        """Whether the user may publish posts; None when the API does not say (XML-RPC)."""
        if self.capabilities:
            return "publish_posts" in self.capabilities
        if self.roles:
            return bool({"administrator", "editor", "author"} & set(self.roles))
        return None


@dataclass(frozen=True)
class PostPayload:
    """What we send for a post or page: its full desired state.

    - `slug` "" leaves the slug to WordPress (made from the title when published).
    - `date_gmt` None leaves the date to WordPress (now, or unchanged); required for "future".
    - `categories` and `tags` are ids the blog gave us (`list_terms`, `create_term`, or a pulled
      post). WordPress silently accepts an unknown category id and then clears the post's
      categories: the REST connector checks unknown ids with the blog before sending.
      Pages have neither; they are ignored for `kind="page"`.
    - `featured_media` None means no featured image (an update removes one); else a media id
      from `upload_media` (checked with the blog too: WordPress ignores an unknown one).
    """

    title: str
    content_html: str
    excerpt: str = ""
    slug: str = ""
    status: str = "draft"
    date_gmt: datetime | None = None
    categories: Sequence[int] = ()
    tags: Sequence[int] = ()
    featured_media: int | None = None
    kind: str = "post"

    def validate(self) -> None:
        """Raise ValidationError (with `params`, `status` None) for what WordPress would
        refuse or, worse, silently misread."""
        problems: dict[str, str] = {}
        if self.kind not in POST_KINDS:
            problems["kind"] = f"must be one of {sorted(POST_KINDS)}, not {self.kind!r}"
        if self.status not in PAYLOAD_STATUSES:
            problems["status"] = f"must be one of {sorted(PAYLOAD_STATUSES)}, not {self.status!r}"
        for name in ("title", "content_html", "excerpt", "slug"):
            if not isinstance(getattr(self, name), str):
                problems[name] = "must be text"
        if self.date_gmt is not None:
            if not isinstance(self.date_gmt, datetime):
                problems["date_gmt"] = "must be a datetime"
            elif self.date_gmt.tzinfo is None or self.date_gmt.utcoffset() is None:
                problems["date_gmt"] = "must be timezone-aware (UTC)"
        if self.status == "future" and self.date_gmt is None:
            problems["date_gmt"] = "a scheduled post needs a date"
        for name in ("categories", "tags"):
            ids = getattr(self, name)
            if isinstance(ids, str | bytes) or not all(_is_id(i) for i in ids):
                problems[name] = "must be a list of positive integer ids"
        if self.featured_media is not None and not (
            _is_id(self.featured_media) or self.featured_media == 0
        ):
            problems["featured_media"] = "must be an integer media id or None"
        if problems:
            detail = "; ".join(f"{k} {v}" for k, v in problems.items())
            raise ValidationError(f"invalid post data: {detail}", params=problems)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_kind(kind: str) -> str:
    if kind not in POST_KINDS:
        raise ValueError(f"kind must be 'post' or 'page', not {kind!r}")
    return kind


def check_taxonomy(taxonomy: str) -> str:
    if taxonomy not in TAXONOMIES:
        raise ValueError(f"taxonomy must be 'categories' or 'tags', not {taxonomy!r}")
    return taxonomy


def check_comment_status(status: str) -> str:
    if status not in COMMENT_STATUSES:
        raise ValueError(f"comment status must be one of {COMMENT_STATUSES}, not {status!r}")
    return status


def normalize_comment_status(value: object) -> str:
    """WordPress's many spellings of a comment status as one of COMMENT_STATUSES."""
    text = str(value).strip().lower()
    if text in {"approve", "approved", "1"}:
        return "approve"
    if text in {"hold", "unapproved", "0", "pending"}:
        return "hold"
    if text == "spam":
        return "spam"
    if text in {"trash", "post-trashed"}:
        return "trash"
    raise ValueError(f"unknown comment status {value!r}")


# --- The protocol -------------------------------------------------------------------------------


@runtime_checkable
class Connector(Protocol):
    """One blog API. Every method raises a `PublishError` subclass on failure, never anything
    from httpx. Methods do network I/O; call them off the GUI thread. Instances may be shared by
    threads (httpx.Client is thread-safe; connector caches are guarded).

    Iterators fetch page by page as they are consumed; the order of what they yield is not part
    of the contract (REST yields oldest change first, XML-RPC newest first). A post changed
    while a listing runs may be yielded twice (once per version); dedupe by id.
    """

    kind: str

    def verify(self) -> BlogInfo:
        """Check the credentials and describe the blog (AuthError when they are wrong)."""
        ...

    def get_post(self, post_id: int, kind: str = "post") -> RemotePost: ...

    def list_posts(
        self,
        kind: str = "post",
        modified_after: datetime | None = None,
        page_size: int = 100,
        *,
        status: str = "any",
    ) -> Iterator[RemotePost]:
        """Posts (or pages) modified at or after `modified_after` (to the second; None: all),
        in any status but trash. Pass the newest `modified_gmt` of the last run."""
        ...

    def create_post(self, payload: PostPayload, idempotency_key: str) -> RemotePost: ...

    def update_post(
        self,
        post_id: int,
        payload: PostPayload,
        expected_modified: datetime | None,
        *,
        expected_text: tuple[str, str | None] | None = None,
    ) -> RemotePost:
        """Write the payload. With `expected_modified`, raise Conflict (writing nothing) when
        the remote post's `modified_gmt` differs; None overwrites whatever is there.

        `modified_gmt` has whole seconds, so an edit made on the blog in the second of our last
        write leaves it as it was: with `expected_text` (the last sync's title and raw HTML,
        None for the HTML when not known), a post whose title or content differ from it is a
        Conflict as well."""
        ...

    def delete_post(self, post_id: int, force: bool = False, kind: str = "post") -> None:
        """Move to the trash (done if already there), or delete for good with `force`
        (done if already gone)."""
        ...

    def find_post_by_marker(self, idempotency_key: str, kind: str = "post") -> RemotePost | None:
        """The post a `create_post` with this key made, if it exists (any status, trash too);
        the oldest (lowest id) if there are several."""
        ...

    def find_posts_by_marker(self, idempotency_key: str, kind: str = "post") -> list[RemotePost]:
        """Every post carrying this key's marker, oldest (lowest id) first."""
        ...

    def list_terms(self, taxonomy: str) -> list[RemoteTerm]: ...

    def create_term(self, taxonomy: str, name: str, parent: int | None = None) -> RemoteTerm:
        """Create a category or tag; an existing one of that name is returned instead."""
        ...

    def upload_media(self, filename: str, data: bytes, mime_type: str) -> RemoteMedia: ...

    def list_comments(
        self,
        status: str | Sequence[str] = ("hold", "approve"),
        after: datetime | None = None,
        post_id: int | None = None,
        page_size: int = 100,
    ) -> Iterator[RemoteComment]:
        """Comments with the given status(es), posted after `after` (comments have no modified
        time: a status changed elsewhere shows only in a full listing)."""
        ...

    def moderate_comment(self, comment_id: int, status: str) -> RemoteComment: ...

    def reply_comment(self, post_id: int, parent_id: int, content_html: str) -> RemoteComment: ...

    def delete_comment(self, comment_id: int, force: bool = False) -> None:
        """Trash a comment, or delete it for good with `force` (done if already gone)."""
        ...

    def edit_comment(self, comment_id: int, content_html: str) -> RemoteComment:
        """Replace a comment's text (NotFound when the blog no longer has it)."""
        ...

    def list_comment_states(self, page_size: int = 100) -> dict[int, str]:
        """Every comment the blog has, in every status: id -> status. Lighter than
        `list_comments` where the API allows (REST asks only for `id` and `status`); a sync
        compares it with the library to see comments deleted or moderated elsewhere."""
        ...


def payload_from_post(post: RemotePost, **changes: object) -> PostPayload:
    """A payload that would write `post` back as it is, with `changes` applied."""
    values: dict[str, object] = {
        "title": post.title,
        "content_html": post.content_html,
        "excerpt": post.excerpt,
        "slug": post.slug,
        "status": post.status if post.status in PAYLOAD_STATUSES else "draft",
        "date_gmt": post.date_gmt,
        "categories": tuple(post.categories),
        "tags": tuple(post.tags),
        "featured_media": post.featured_media,
        "kind": post.kind,
    }
    values.update(changes)
    return PostPayload(**values)  # type: ignore[arg-type]


def resolve_duplicates(
    connector: Connector, idempotency_key: str, kind: str = "post"
) -> RemotePost | None:
    """Keep the oldest post that carries this key's marker and move the others to the trash.

    Returns the post kept (None when there is none). Posts already in the trash are left there;
    if only trashed posts carry the key, the oldest is returned as it is (the user trashed it).
    See the module docstring for when a sync worker calls this.
    """
    posts = connector.find_posts_by_marker(idempotency_key, kind)
    if not posts:
        return None
    alive = [p for p in posts if p.status != "trash"]
    keep = alive[0] if alive else posts[0]
    for post in alive:
        if post.id != keep.id:
            connector.delete_post(post.id, force=False, kind=kind)
    return keep
