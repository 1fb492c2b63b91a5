"""The `comments` commands: the comment inbox from a terminal.

    desktop-blog comments list [--status pending|approved|spam|trash|all] [--blog NAME] [--json]
    desktop-blog comments approve|unapprove|spam|trash ID...
    desktop-blog comments reply ID --text T
    desktop-blog comments sync [--blog NAME] [--full]

IDs are the library's comment ids (the first column of `comments list`). `list` reads the
library only (run `comments sync` first for what is new on the blogs). The actions change the
library at once and write their outbox jobs, as the window does, then run the blog's outbox: the
blog's password comes from the system keyring, else from DESKTOP_BLOG_PASSWORD.

Exit codes, as `publish` and `sync` (`cli_publish`):

- 0: done (the blog has the change; `reply` prints the new comment's id on the blog).
- 1: failed: a comment id does not exist, no password, or the blog refused (the comment was
  deleted there, the user may not...): the change was undone in the library and the message says
  why.
- 2: bad usage.
- 3: queued: the blog could not be reached (offline, timeout, 5xx, 429); the change is kept in
  the library and its job waits in the outbox for the next sync (or the app).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from .core import comments, db, outbox, publishing

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_WAITING = 3

#: What `--status` takes, and the status the library stores for it.
LIST_STATUSES = {
    "pending": comments.HOLD,
    "approved": comments.APPROVE,
    "spam": comments.SPAM,
    "trash": comments.TRASH,
    "all": None,
}
STATUS_WORDS = {v: k for k, v in LIST_STATUSES.items() if v is not None}
ACTIONS = ("approve", "unapprove", "spam", "trash")


def _err(message: str) -> None:
    print(f"desktop-blog: {message}", file=sys.stderr)


def _blog_id(session, name: str | None) -> int | None:
    if name is None:
        return None
    from .core.blogs import get_blog_by_name

    return get_blog_by_name(session, name).id


def cmd_list(lib: db.Library, args: argparse.Namespace) -> int:
    with lib.session() as session:
        try:
            blog_id = _blog_id(session, args.blog)
        except LookupError as exc:
            _err(str(exc))
            return EXIT_FAILED
        flt = comments.CommentFilter(status=LIST_STATUSES[args.status], blog_id=blog_id)
        ids = comments.comment_ids(session, flt, 0, args.limit)
        details = [comments.comment_detail(session, i) for i in ids]
        rows = {r.id: r for r in comments.comment_rows(session, ids)}
    found = [d for d in details if d is not None]
    if args.json:
        data = [
            {
                "id": d.id,
                "blog": d.blog_name,
                "blog_id": d.blog_id,
                "remote_id": d.remote_id,
                "post_id": d.post_id,
                "post_title": d.post_title,
                "remote_post_id": d.remote_post_id,
                "parent_remote_id": d.parent_remote_id,
                "author": d.author_name,
                "author_email": d.author_email,
                "author_url": d.author_url,
                "date": d.date.isoformat() if isinstance(d.date, datetime) else None,
                "status": STATUS_WORDS.get(d.status, d.status),
                "read": d.is_read,
                "content": d.content,
                "excerpt": rows[d.id].excerpt if d.id in rows else "",
            }
            for d in found
        ]
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for d in found:
        stamp = d.date.astimezone().strftime("%Y-%m-%d %H:%M")
        excerpt = rows[d.id].excerpt if d.id in rows else ""
        status = STATUS_WORDS.get(d.status, d.status)
        print(
            f"{d.id}\t{status}\t{stamp}\t{d.author_name or '(anonymous)'}\t"
            f"{d.post_title or '-'}\t{excerpt}"
        )
    return EXIT_OK


def _engine(lib: db.Library, blog_ids: set[int]):
    """A sync engine with the passwords of these blogs; (engine, {blog id: error})."""
    from .cli_publish import NoPassword, password_for
    from .publish.http import make_client
    from .publish.sync import SyncEngine, make_connector

    passwords: dict[int, str] = {}
    missing: dict[int, str] = {}
    with lib.session() as session:
        accounts = {b: publishing.get_blog_account(session, b) for b in blog_ids}
    for blog_id, account in accounts.items():
        try:
            passwords[blog_id] = password_for(account)
        except NoPassword as exc:
            missing[blog_id] = str(exc)
    client = make_client()

    def factory(account):
        return make_connector(account, passwords[account.id], client)

    return SyncEngine(lib, factory), missing


def _send(lib: db.Library, comment_ids: list[int], after_job: int) -> int:
    """Run the outbox of the blogs of the jobs written for ``comment_ids`` (ids above
    ``after_job``) and report how they ended; returns the exit code."""
    with lib.session() as session:
        jobs = [
            j
            for j in outbox.list_jobs(session, states=outbox.STATES, limit=None)
            if j.operation in comments.COMMENT_OPERATIONS
            and (j.id > after_job or j.state == outbox.PENDING)
            and (j.comment_id in comment_ids or j.id > after_job)
        ]
    if not jobs:
        return EXIT_OK  # nothing to send (already in that state)
    blogs = {j.blog_id for j in jobs}
    engine, missing = _engine(lib, blogs)
    for message in missing.values():
        _err(f"{message} The change is kept here and queued for the next sync.")
    for blog_id in blogs - set(missing):
        engine.run_outbox(blog_id=blog_id)
    code = EXIT_FAILED if missing else EXIT_OK
    with lib.session() as session:
        finished = [outbox.get_job(session, j.id) for j in jobs]
        comments.take_notices(session)  # told here; the app need not tell again
    for job in finished:
        if job.state == outbox.DONE:
            continue
        if job.state == outbox.CANCELLED and job.payload.get("refused"):
            _err(f"comment {job.comment_id or '(deleted)'}: {job.last_error}")
            code = EXIT_FAILED
        elif job.state == outbox.CANCELLED:
            continue  # folded into a later change
        elif job.blog_id not in missing:
            _err(
                f"comment {job.comment_id}: not on the blog yet: {job.last_error or 'waiting'} "
                "The change is kept here and queued for the next sync."
            )
            code = max(code, EXIT_WAITING) if code != EXIT_FAILED else code
    return code


def _last_job_id(lib: db.Library) -> int:
    with lib.session() as session:
        jobs = outbox.list_jobs(session, states=outbox.STATES, limit=None)
    return max((j.id for j in jobs), default=0)


def _check_ids(lib: db.Library, ids: list[int]) -> list[int]:
    with lib.session() as session:
        known = comments.statuses_of(session, ids)
    missing = [i for i in ids if i not in known]
    if missing:
        raise LookupError("No comment with id " + ", ".join(str(i) for i in missing) + ".")
    return ids


def cmd_action(lib: db.Library, args: argparse.Namespace) -> int:
    try:
        ids = _check_ids(lib, list(dict.fromkeys(args.ids)))
    except LookupError as exc:
        _err(str(exc))
        return EXIT_FAILED
    before = _last_job_id(lib)
    with lib.session() as session:
        comments.apply_action(session, ids, args.action)
    code = _send(lib, ids, before)
    with lib.session() as session:
        now = comments.statuses_of(session, ids)
    for cid in ids:
        if cid in now:
            print(f"{cid}\t{STATUS_WORDS.get(now[cid], now[cid])}")
    return code


def cmd_reply(lib: db.Library, args: argparse.Namespace) -> int:
    if not args.text.strip():
        _err("The reply is empty: give --text.")
        return EXIT_USAGE
    try:
        _check_ids(lib, [args.id])
    except LookupError as exc:
        _err(str(exc))
        return EXIT_FAILED
    before = _last_job_id(lib)
    with lib.session() as session:
        reply_id = comments.queue_reply(session, args.id, args.text)
    code = _send(lib, [reply_id], before)
    with lib.session() as session:
        remote_id = comments.remote_id_of(session, reply_id)
    if code == EXIT_OK and remote_id is not None and not comments.is_local(remote_id):
        print(f"{reply_id}\t{remote_id}")
    return code


def cmd_sync(lib: db.Library, args: argparse.Namespace) -> int:
    from .publish.errors import PublishError

    with lib.session() as session:
        try:
            blog_id = _blog_id(session, args.blog)
        except LookupError as exc:
            _err(str(exc))
            return EXIT_FAILED
        accounts = publishing.list_blog_accounts(session)
    accounts = [a for a in accounts if blog_id is None or a.id == blog_id]
    if not accounts:
        print("No blogs yet: add one with `desktop-blog blog add`.")
        return EXIT_OK
    engine, missing = _engine(lib, {a.id for a in accounts})
    codes = [EXIT_FAILED] if missing else []
    for message in missing.values():
        _err(message)
    for account in accounts:
        if account.id in missing:
            continue
        engine.run_outbox(blog_id=account.id)
        try:
            report = engine.pull_comments(account.id, full=args.full)
        except PublishError as exc:
            _err(f"{account.name}: could not fetch comments: {exc.user_message}")
            codes.append(EXIT_WAITING if exc.retryable else EXIT_FAILED)
            continue
        if report.unsupported:
            print(f"{account.name}: its API (XML-RPC metaWeblog) has no comments")
            continue
        print(
            f"{account.name}: {report.new} new, {report.updated} updated, "
            f"{report.status_changed} moderated on the blog, {report.removed} gone from the blog"
        )
    with lib.session() as session:
        for notice in comments.take_notices(session):
            _err(f"comment {notice.comment_id or '(deleted)'}: {notice.message}")
            codes.append(EXIT_FAILED)
    for worst in (EXIT_FAILED, EXIT_WAITING):
        if worst in codes:
            return worst
    return EXIT_OK


def cmd_comments(lib: db.Library, args: argparse.Namespace) -> int:
    return args.comments_func(lib, args)


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add `comments` and its subcommands to the command line's subparsers."""
    top = subparsers.add_parser(
        "comments",
        help="list, moderate and answer the blogs' comments",
        description="The comment inbox. Exit codes: 0 done, 1 failed or refused by the blog "
        "(undone here), 2 bad usage, 3 queued for later (offline).",
    )
    sub = top.add_subparsers(dest="comments_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="list the library's comments, newest first")
    p.add_argument("--status", choices=list(LIST_STATUSES), default="all")
    p.add_argument("--blog", metavar="NAME", help="only this blog's comments")
    p.add_argument("--limit", type=int, default=1000, help="at most this many (1000)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(comments_func=cmd_list)
    for action in ACTIONS:
        p = sub.add_parser(action, help=f"{action} comments, here and on their blog")
        p.add_argument("ids", type=int, nargs="+", metavar="ID")
        p.set_defaults(comments_func=cmd_action, action=action)
    p = sub.add_parser("reply", help="answer a comment (Markdown), as the blog's user")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--text", required=True, help="the reply, in Markdown")
    p.set_defaults(comments_func=cmd_reply)
    p = sub.add_parser("sync", help="send waiting comment actions, then fetch new comments")
    p.add_argument("--blog", metavar="NAME", help="only this blog")
    p.add_argument("--full", action="store_true", help="fetch every comment again")
    p.set_defaults(comments_func=cmd_sync)
    top.set_defaults(func=cmd_comments)


__all__ = ["add_parsers", "cmd_action", "cmd_list", "cmd_reply", "cmd_sync"]
