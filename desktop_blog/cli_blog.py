"""`desktop-blog blog add|list|remove`: the blogs (accounts) of the library, from a terminal.

    printf '%s' "$APP_PASSWORD" | desktop-blog blog add https://example.org --user me --password-stdin
    desktop-blog blog list [--json]
    desktop-blog blog remove NAME [--delete-posts]

The password is never taken from the command line (other users can read it in the process
list): `--password-stdin` reads it from standard input (one trailing newline is dropped), else it
comes from ``$DESKTOP_BLOG_PASSWORD``, else it is asked for when standard input is a terminal.
It goes to the system keyring. Without a usable keyring, the blog is still added but the
password is not saved: later commands that talk to the blog (publish, sync) then need it again,
from ``$DESKTOP_BLOG_PASSWORD`` or their own ``--password-stdin``.

Exit codes: 0 success, 1 failure (the message on stderr says why: a refused password, an
unreachable site, a name already taken), 2 bad usage. Warnings (plain http:// to another machine,
a password kept only in memory) go to stderr and do not change the exit code.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from dataclasses import asdict

from .cli import EXIT_OK, EXIT_USAGE, CommandError
from .core import blogs
from .core.db import Library
from .core.secrets import PASSWORD_ENV, SecretStore, password_from_environment
from .publish import accounts
from .publish.discovery import normalize_site_url
from .publish.errors import PublishError

log = logging.getLogger(__name__)

PROG = "desktop-blog"

_KIND_LABEL = {blogs.REST: "WordPress REST API", blogs.XMLRPC: "XML-RPC"}

ADD_EPILOG = f"""\
The password is read from standard input with --password-stdin (one trailing newline is
dropped), else from ${PASSWORD_ENV}, else asked for on a terminal; never from the command
line. For WordPress, use an application password (Users > Profile > Application Passwords).
It is saved in the system keyring. Where there is none, the blog is still added, but later
commands that talk to the blog (publish, sync) need the password again: set
${PASSWORD_ENV} or pass it on their standard input with --password-stdin.
"""


def make_secret_store() -> SecretStore:
    """The store the commands use (a function, so tests can hand in another)."""
    return SecretStore()


def _warn(text: str) -> None:
    print(f"{PROG}: warning: {text}", file=sys.stderr)


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        text = sys.stdin.read()
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):
            text = text[:-1]
        return text or None
    from_env = password_from_environment()
    if from_env:
        return from_env
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Password for {args.user} at {args.url}: ") or None
    return None


def cmd_blog_add(lib: Library, args: argparse.Namespace) -> int:
    password = _read_password(args)
    if password is None:
        print(
            f"{PROG} blog add: error: no password: pass it on standard input with "
            f"--password-stdin, or set {PASSWORD_ENV}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    user = args.user.strip()
    if not user:
        print(f"{PROG} blog add: error: --user is empty", file=sys.stderr)
        return EXIT_USAGE

    try:
        start = normalize_site_url(args.url)
    except ValueError as exc:
        print(f"{PROG} blog add: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    # What can be refused without the network is refused first.
    with lib.session() as session:
        try:
            if args.name is not None:
                blogs.check_name(session, args.name)
            blogs.check_new_account(session, start, user)
        except blogs.BlogError as exc:
            raise CommandError(str(exc)) from exc

    from .publish.http import make_client

    try:
        with make_client() as client:
            found = accounts.probe_blog(client, start, user, password, kind=args.kind)
    except ValueError as exc:
        print(f"{PROG} blog add: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PublishError as exc:
        log.info("adding %s failed: %s", args.url, exc)
        raise CommandError(exc.user_message) from exc
    for warning in found.warnings:
        _warn(warning)

    with lib.session() as session:
        try:
            name = args.name if args.name is not None else None
            if name is None:
                name = blogs.unique_name(session, found.blog_name or _host(found.site_url))
            blog = blogs.add_blog(session, name, found.kind, found.site_url, found.api_url, user)
        except blogs.BlogError as exc:
            raise CommandError(str(exc)) from exc
        session.commit()

    store = make_secret_store()
    saved = store.set(blog, password)
    print(f'Added the blog "{blog.name}".')
    print(f"  site:  {blog.url}" + (f" ({found.blog_name})" if found.blog_name else ""))
    print(f"  API:   {_KIND_LABEL.get(found.kind, found.kind)} at {found.api_url}")
    roles = f" ({', '.join(found.roles)})" if found.roles else ""
    print(f"  user:  {found.user_name}{roles}")
    if saved:
        print(f"  password: saved in the system keyring ({store.backend_name})")
    else:
        print("  password: not saved")
        _warn(
            f"the password was not saved (no system keyring: {store.detail}). Commands that "
            f"talk to this blog (publish, sync) need it again, from ${PASSWORD_ENV} or on "
            "standard input with --password-stdin."
        )
    return EXIT_OK


def cmd_blog_list(lib: Library, args: argparse.Namespace) -> int:
    with lib.session() as session:
        found = blogs.list_blogs(session)
    if args.json:
        json.dump([asdict(b) for b in found], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for b in found:
        print(f"{b.name}\t{b.kind}\t{b.url}\t{b.username}\t{b.api_url or ''}")
    return EXIT_OK


def cmd_blog_remove(lib: Library, args: argparse.Namespace) -> int:
    with lib.session() as session:
        try:
            removed = blogs.remove_blog(session, args.name, delete_posts=args.delete_posts)
        except blogs.BlogError as exc:
            raise CommandError(str(exc)) from exc
        session.commit()
    make_secret_store().delete(removed.blog)
    text = f'Removed the blog "{removed.blog.name}"'
    if removed.posts_kept:
        text += f"; its {_posts(removed.posts_kept)} stay in the library as local posts"
    elif removed.posts_deleted:
        text += f" and its {_posts(removed.posts_deleted)} from the library"
    print(text + ". Nothing was changed on the blog itself.")
    return EXIT_OK


def _posts(count: int) -> str:
    return "1 post" if count == 1 else f"{count} posts"


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add `blog add|list|remove` to the CLI's subcommands."""
    blog = subparsers.add_parser("blog", help="add, list and remove blogs")
    actions = blog.add_subparsers(dest="blog_command", metavar="ACTION", required=True)

    p = actions.add_parser(
        "add",
        help="find a blog's API, check the password, and add the blog",
        description="Find the blog's API (WordPress REST, else XML-RPC), check the user name "
        "and password on it, and add the blog to the library.",
        epilog=ADD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("url", metavar="URL", help="the blog's address, e.g. https://example.org")
    p.add_argument("--user", required=True, metavar="U", help="the user name on the blog")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input",
    )
    p.add_argument("--name", metavar="N", help="the name in the library (default: the blog's)")
    p.add_argument(
        "--kind",
        choices=accounts.CHOICES,
        default=accounts.AUTO,
        help="which API to use (default auto: REST when the site offers it, else XML-RPC)",
    )
    p.set_defaults(func=cmd_blog_add)

    p = actions.add_parser("list", help="list the blogs in the library")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_blog_list)

    p = actions.add_parser(
        "remove",
        help="remove a blog from the library (its posts stay as local posts)",
        description="Remove a blog and its saved password from the library. Its posts stay as "
        "local posts unless --delete-posts; nothing changes on the blog itself.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--delete-posts", action="store_true", help="also delete the blog's posts from the library"
    )
    p.set_defaults(func=cmd_blog_remove)


__all__ = ["add_parsers", "cmd_blog_add", "cmd_blog_list", "cmd_blog_remove"]
