"""Headless commands: the same core operations as the window, for scripts and terminals.

Exit codes: 0 success, 1 the command failed (a message on stderr says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from .core import db, library
from .core.welcome import add_welcome_post

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

COMMANDS = (
    "new",
    "edit",
    "list",
    "show",
    "blog",
    "publish",
    "sync",
    "export",
    "import",
    "comments",
)


# The module that adds each group of commands; only the one a command needs is imported, so
# that `list` or `export` does not pay for httpx and keyring (`blog`'s) at every run.
COMMAND_MODULES = {
    "blog": "cli_blog",
    "publish": "cli_publish",
    "sync": "cli_publish",
    "export": "cli_export",
    "import": "cli_export",
    "comments": "cli_comments",
}


def command_word(argv: Sequence[str]) -> str | None:
    """The subcommand in ``argv`` (skipping ``--home DIR``), or None."""
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--home":
            if args:
                args.pop(0)
        elif not arg.startswith("-"):
            return arg
    return None


class CommandError(Exception):
    """A failure to report to the user as one line, with exit code 1."""


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CommandError(f"No such file: {path}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text") from exc
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _dump(data: object) -> None:
    json.dump(data, sys.stdout, default=_json_default, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def open_library(home: str | None) -> db.Library:
    """Open the library as the app would, adding the welcome post to a new one."""
    lib = db.open_library(db.data_dir(home))
    if lib.created:
        with lib.session() as session:
            add_welcome_post(session)
            session.commit()
    return lib


def cmd_new(lib: db.Library, args: argparse.Namespace) -> int:
    body = _read_text(args.file) if args.file else ""
    with lib.session() as session:
        post = library.create_post(session, title=args.title, body=body)
        session.commit()
    print(post.id)
    return EXIT_OK


def cmd_edit(lib: db.Library, args: argparse.Namespace) -> int:
    if args.title is None and args.file is None:
        raise CommandError("Nothing to change: give --title and/or --file.")
    changes: dict[str, str] = {}
    if args.title is not None:
        changes["title"] = args.title
    if args.file is not None:
        changes["body"] = _read_text(args.file)
    with lib.session() as session:
        library.snapshot(session, args.id, "cli-edit")
        library.update_post(session, args.id, **changes)
        session.commit()
    return EXIT_OK


def cmd_list(lib: db.Library, args: argparse.Namespace) -> int:
    with lib.session() as session:
        posts = library.list_posts(session)
    if args.json:
        _dump([asdict(p) for p in posts])
        return EXIT_OK
    for p in posts:
        stamp = p.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f"{p.id}\t{p.status}\t{stamp}\t{p.title or '(untitled)'}")
    return EXIT_OK


def cmd_show(lib: db.Library, args: argparse.Namespace) -> int:
    with lib.session() as session:
        post = library.get_post(session, args.id)
    if args.json:
        _dump(asdict(post))
        return EXIT_OK
    print(f"# {post.title}" if post.title else "# (untitled)")
    meta = [f"id: {post.id}", f"status: {post.status}"]
    if post.tags:
        meta.append("tags: " + ", ".join(post.tags))
    if post.categories:
        meta.append("categories: " + ", ".join(post.categories))
    print("  ".join(meta))
    print()
    print(post.body)
    return EXIT_OK


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; with ``command``, only that command's group of subcommands is added."""
    parser = argparse.ArgumentParser(
        prog="desktop-blog", description="Write, keep and publish your blog posts."
    )
    parser.add_argument("--home", metavar="DIR", help="the folder of the library to use")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("new", help="create a post and print its id")
    p.add_argument("--title", required=True)
    p.add_argument("--file", metavar="F.md", help="Markdown body ('-' reads standard input)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("edit", help="change a post's title or body")
    p.add_argument("id", type=int)
    p.add_argument("--title")
    p.add_argument("--file", metavar="F.md", help="new Markdown body ('-' reads standard input)")
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser("list", help="list the posts of the local library")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print a post")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_show)
    # Each group of commands lives in its own module and adds its own parsers: none for the
    # commands above, only the group of ``command`` when it is known, else all of them (for
    # help and usage errors).
    if command in ("new", "edit", "list", "show"):
        return parser
    wanted = COMMAND_MODULES.get(command or "")
    for name in dict.fromkeys(COMMAND_MODULES.values()):
        if wanted is None or name == wanted:
            importlib.import_module(f"{__package__}.{name}").add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_word(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        lib = open_library(args.home)
    except db.LibraryError as exc:
        print(f"desktop-blog: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        return args.func(lib, args)
    except (CommandError, library.PostNotFound, db.LibraryError) as exc:
        print(f"desktop-blog: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a database error while writing, for instance
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            print(f"desktop-blog: {db.storage_message(exc)}", file=sys.stderr)
            return EXIT_FAILED
        raise
    finally:
        lib.close()
