"""Blogs (accounts) in the library: add, find, list and remove. No Qt, no network.

Each operation takes a Session and returns plain dataclasses; the caller commits. The blog's
secret is not handled here at all: it lives in the system keyring (`core.secrets`), never in
SQLite. Finding the API and checking the password is `publish.accounts.probe_blog`.

Names are unique, ignoring case ("My Blog" and "my blog" would be confusing on a command line),
and so is the pair (site address, user name): the same account twice would make every post and
comment appear twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .library import BlogData
from .models import Blog, Post

REST = "wordpress-rest"
XMLRPC = "xmlrpc"
KINDS = (REST, XMLRPC)
NAME_MAX = 200


class BlogError(ValueError):
    """A blog operation that cannot be done; the message is a sentence for the user."""


class BlogNotFound(BlogError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f'There is no blog named "{name}".')
        self.name = name


class DuplicateBlog(BlogError):
    """The name is taken, or the same site and user are already in the library."""

    def __init__(self, message: str, existing: BlogRecord) -> None:
        super().__init__(message)
        self.existing = existing


@dataclass(frozen=True)
class BlogRecord(BlogData):
    """A blog as `BlogData`, plus the API address connectors need. (`core.publishing.BlogAccount`
    is the connector side's view of the same row.)"""

    api_url: str | None = None


@dataclass(frozen=True)
class RemovedBlog:
    blog: BlogRecord
    posts_kept: int  # posts that stay in the library as local posts
    posts_deleted: int


def canonical_url(url: str) -> str:
    """A site address in the one form the library keeps: scheme and host in lower case, no
    default port, no query or fragment, no trailing slash (`https://Example.org:443/blog/` →
    `https://example.org/blog`). Addresses equal in this form are the same site."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BlogError(f"{url!r} is not a web address (http:// or https://).")
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise BlogError(f"{url!r} has an invalid port.") from exc
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, "", ""))


def _account(blog: Blog) -> BlogRecord:
    return BlogRecord(
        id=blog.id,
        name=blog.name,
        kind=blog.kind,
        url=blog.url,
        username=blog.username,
        api_url=blog.api_url,
    )


def _by_name(session: Session, name: str) -> Blog | None:
    exact = session.scalars(select(Blog).where(Blog.name == name).limit(1)).first()
    if exact is not None:
        return exact
    folded = [b for b in session.scalars(select(Blog)) if b.name.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _same_account(session: Session, url: str, username: str) -> Blog | None:
    for blog in session.scalars(select(Blog).where(Blog.username == username)):
        try:
            if canonical_url(blog.url) == url:
                return blog
        except BlogError:
            continue
    return None


def check_name(session: Session, name: str) -> str:
    """`name` stripped, if a new blog may have it; raises BlogError or DuplicateBlog."""
    name = " ".join(name.split())
    if not name:
        raise BlogError("A blog needs a name.")
    if len(name) > NAME_MAX:
        raise BlogError(f"A blog's name can have at most {NAME_MAX} characters.")
    existing = _by_name(session, name)
    if existing is not None and existing.name.casefold() == name.casefold():
        raise DuplicateBlog(
            f'There is already a blog named "{existing.name}"; choose another name.',
            _account(existing),
        )
    return name


def check_new_account(session: Session, url: str, username: str) -> str:
    """The canonical form of `url`, if (url, username) is not in the library yet; raises
    DuplicateBlog naming the blog that has them."""
    site = canonical_url(url)
    existing = _same_account(session, site, username)
    if existing is not None:
        raise DuplicateBlog(
            f'{site} with the user "{username}" is already in the library as the blog '
            f'"{existing.name}".',
            _account(existing),
        )
    return site


def unique_name(session: Session, wanted: str) -> str:
    """`wanted`, or `wanted (2)`, `wanted (3)`… whichever is free (for names the blog suggests)."""
    base = " ".join(wanted.split())[: NAME_MAX - 6] or "Blog"
    taken = {n.casefold() for n in session.scalars(select(Blog.name))}
    candidate, number = base, 2
    while candidate.casefold() in taken:
        candidate = f"{base} ({number})"
        number += 1
    return candidate


def add_blog(
    session: Session,
    name: str,
    kind: str,
    url: str,
    api_url: str | None,
    username: str,
) -> BlogRecord:
    """Add a blog (the caller commits). `url` is stored in its canonical form.

    Raises BlogError for an empty name, an unknown kind or a URL that is not http(s), and
    DuplicateBlog when the name is taken or the site and user are already in the library.
    """
    if kind not in KINDS:
        raise BlogError(f"Unknown blog kind {kind!r}; one of {', '.join(KINDS)}.")
    username = username.strip()
    if not username:
        raise BlogError("A blog needs a user name.")
    name = check_name(session, name)
    site = check_new_account(session, url, username)
    if api_url is not None and not api_url.startswith(("http://", "https://")):
        raise BlogError(f"{api_url!r} is not a web address (http:// or https://).")
    blog = Blog(name=name, kind=kind, url=site, api_url=api_url, username=username)
    session.add(blog)
    session.flush()
    return _account(blog)


def get_blog_by_name(session: Session, name: str) -> BlogRecord:
    """The blog called `name` (exactly, or ignoring case when that is unambiguous)."""
    blog = _by_name(session, name)
    if blog is None:
        raise BlogNotFound(name)
    return _account(blog)


def get_blog(session: Session, blog_id: int) -> BlogRecord:
    blog = session.get(Blog, blog_id)
    if blog is None:
        raise BlogNotFound(f"#{blog_id}")
    return _account(blog)


def list_blogs(session: Session) -> list[BlogRecord]:
    """Every blog, by name: `library.list_blogs` with the API address."""
    return [_account(b) for b in session.scalars(select(Blog).order_by(Blog.name, Blog.id))]


def remove_blog(session: Session, name: str, *, delete_posts: bool = False) -> RemovedBlog:
    """Remove a blog from the library (the caller commits, and deletes its secret).

    Its comments, categories, tags and waiting outbox jobs go with it. Its posts are kept as
    local posts (no blog, no remote id), so no writing is lost, unless `delete_posts`.
    Nothing on the blog itself changes.
    """
    blog = _by_name(session, name)
    if blog is None:
        raise BlogNotFound(name)
    account = _account(blog)
    count = session.scalar(select(func.count()).select_from(Post).where(Post.blog_id == blog.id))
    count = int(count or 0)
    if not delete_posts and count:
        session.execute(
            update(Post)
            .where(Post.blog_id == blog.id)
            .values(blog_id=None, remote_id=None, remote_modified=None)
            .execution_options(synchronize_session=False)
        )
    session.delete(blog)
    session.flush()
    session.expire_all()  # posts still loaded in this session saw the old blog_id
    if delete_posts:
        return RemovedBlog(account, posts_kept=0, posts_deleted=count)
    return RemovedBlog(account, posts_kept=count, posts_deleted=0)


__all__ = [
    "KINDS",
    "REST",
    "XMLRPC",
    "BlogRecord",
    "BlogError",
    "BlogNotFound",
    "DuplicateBlog",
    "RemovedBlog",
    "add_blog",
    "canonical_url",
    "check_name",
    "check_new_account",
    "get_blog",
    "get_blog_by_name",
    "list_blogs",
    "remove_blog",
    "unique_name",
]
