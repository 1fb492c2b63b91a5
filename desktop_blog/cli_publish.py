"""The `publish` and `sync` commands: the outbox and the sync worker, run from a terminal.

    desktop-blog publish ID --blog NAME [--status publish|draft|future] [--date ISO]
    desktop-blog sync [--blog NAME] [--full]

`publish` writes the post's outbox job (as the window's Publish button does) and runs that blog's
outbox at once; `sync` pulls each blog's posts (comments later), then runs its outbox. Both run
only jobs that are due: a job waiting for its retry time is left for a later run.

The password comes from the system keyring (`core.secrets.SecretStore`, where the blog was added
with `desktop-blog blog add`), else from the environment variable DESKTOP_BLOG_PASSWORD.

Exit codes (a script can rely on them; messages go to stderr, results to stdout):

- 0: done (`publish`: the blog has the post, its address is printed; `sync`: everything pulled
  and every due job done).
- 1: failed for good: the blog refused (wrong password, invalid data), the post or blog does not
  exist, or the request is invalid (a date in the past...). The message says why. A refused job
  stays in the outbox as "failed" for the app's Retry/Cancel.
- 2: bad usage (unknown option, missing argument).
- 3: waiting: the blog could not be reached or asked to slow down (offline, timeout, 5xx, 429),
  or earlier jobs of the blog are still waiting. Nothing is lost: the job stays queued and the
  next `desktop-blog sync` (or the app) sends it.
- 4: conflict: the post was changed on the blog since it was last synced; nothing was
  overwritten. Resolve it in the app (keep mine, take theirs, or merge).

For `sync`, the worst outcome over all blogs decides: 1, then 4, then 3, then 0.

Run these while the app is closed: starting a worker puts jobs left "running" back to pending.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from .core import db, outbox, publishing
from .core.publishing import BlogAccount

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_WAITING = 3
EXIT_CONFLICT = 4

PASSWORD_ENV = "DESKTOP_BLOG_PASSWORD"


def _err(message: str) -> None:
    print(f"desktop-blog: {message}", file=sys.stderr)


class NoPassword(LookupError):
    pass


def password_for(account: BlogAccount) -> str:
    """The blog's secret: the keyring's (`core.secrets`), else $DESKTOP_BLOG_PASSWORD."""
    from .core.secrets import SecretStore, resolve_password

    try:
        secret = resolve_password(SecretStore(), account)
    except Exception:  # a broken keyring is not a reason to stop: try the environment
        secret = os.environ.get(PASSWORD_ENV) or None
    if not secret:
        raise NoPassword(
            f"No password for the blog {account.name!r}: the keyring has none, and "
            f"{PASSWORD_ENV} is not set."
        )
    return secret


def _account_named(session, name: str) -> BlogAccount:
    """The blog called `name` (`core.blogs`' rules), as the worker sees it."""
    from .core.blogs import get_blog_by_name

    return publishing.get_blog_account(session, get_blog_by_name(session, name).id)


def _engine(lib: db.Library, passwords: dict[int, str]):
    """A worker whose connectors use the passwords looked up before it starts."""
    from .publish.http import make_client
    from .publish.sync import SyncEngine, make_connector

    client = make_client()

    def factory(account: BlogAccount):
        return make_connector(account, passwords[account.id], client)

    return SyncEngine(lib, factory)


def _parse_date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise publishing.PublishRequestError(
            f"Not a date: {text!r}. Use ISO 8601, for example 2030-05-01T09:00:00+02:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a date without a zone is the user's local time
    return moment.astimezone(UTC)


def cmd_publish(lib: db.Library, args: argparse.Namespace) -> int:
    try:
        when = _parse_date(args.date)
        with lib.session() as session:
            account = _account_named(session, args.blog)
            job = publishing.request_publish(session, args.id, account.id, args.status, when)
            session.commit()
    except (publishing.PublishRequestError, LookupError) as exc:
        _err(str(exc))
        return EXIT_FAILED
    try:
        passwords = {account.id: password_for(account)}
    except NoPassword as exc:
        _err(f"{exc} The post is queued (outbox job {job.id}) for the next sync.")
        return EXIT_FAILED
    report = _engine(lib, passwords).run_outbox(blog_id=account.id)
    with lib.session() as session:
        job = outbox.get_job(session, job.id)
    outcome = next((o for o in report.ran if o.job_id == job.id), None)
    if job.state == outbox.DONE:
        link = (job.payload.get("result") or {}).get("link") or ""
        print(link or (outcome.message if outcome else "done"))
        return EXIT_OK
    if job.state == outbox.CONFLICT:
        _err(job.last_error or "The post was changed on the blog; nothing was overwritten.")
        return EXIT_CONFLICT
    if job.state == outbox.FAILED:
        _err(job.last_error or "Publishing failed.")
        return EXIT_FAILED
    if job.last_error:
        _err(
            f"Not published yet: {job.last_error} The post is queued (outbox job {job.id}) and "
            "will be sent by the next `desktop-blog sync`."
        )
    else:
        _err(
            f"Not published yet: earlier jobs of this blog are waiting to be retried; the post "
            f"is queued behind them (outbox job {job.id})."
        )
    return EXIT_WAITING


def cmd_sync(lib: db.Library, args: argparse.Namespace) -> int:
    from .publish.errors import PublishError

    with lib.session() as session:
        if args.blog:
            try:
                accounts = [_account_named(session, args.blog)]
            except LookupError as exc:
                _err(str(exc))
                return EXIT_FAILED
        else:
            accounts = publishing.list_blog_accounts(session)
    if not accounts:
        print("No blogs yet: add one with `desktop-blog blog add`.")
        return EXIT_OK
    codes = []
    passwords: dict[int, str] = {}
    for account in accounts:
        try:
            passwords[account.id] = password_for(account)
        except NoPassword as exc:
            _err(str(exc))
            codes.append(EXIT_FAILED)
    engine = _engine(lib, passwords)
    for account in accounts:
        if account.id not in passwords:
            continue
        code = EXIT_OK
        try:
            pulled = engine.pull_posts(account.id, full=args.full)
            print(
                f"{account.name}: pulled {pulled.new} new, {pulled.updated} updated"
                + (f", {pulled.kept_local} kept as edited here" if pulled.kept_local else "")
            )
        except PublishError as exc:
            _err(f"{account.name}: could not pull posts: {exc.user_message}")
            code = EXIT_WAITING if exc.retryable else EXIT_FAILED
        report = engine.run_outbox(blog_id=account.id)
        sent = sum(1 for o in report.ran if o.state == outbox.DONE)
        with lib.session() as session:
            states = outbox.counts(session, account.id)
            # the delayed duplicate check after a retried create is not something to wait for
            states[outbox.PENDING] = sum(
                1
                for j in outbox.list_jobs(session, blog_id=account.id, states=[outbox.PENDING])
                if j.operation not in outbox.HOUSEKEEPING
            )
        print(
            f"{account.name}: outbox {sent} sent, {states[outbox.PENDING]} waiting, "
            f"{states[outbox.FAILED]} failed, {states[outbox.CONFLICT]} in conflict"
        )
        for o in report.ran:
            if o.state != outbox.DONE:
                _err(f"{account.name}: job {o.job_id} ({o.operation}): {o.message}")
        if states[outbox.FAILED]:
            code = EXIT_FAILED
        elif code == EXIT_OK and states[outbox.CONFLICT]:
            code = EXIT_CONFLICT
        elif code == EXIT_OK and states[outbox.PENDING]:
            code = EXIT_WAITING
        codes.append(code)
    for worst in (EXIT_FAILED, EXIT_CONFLICT, EXIT_WAITING):
        if worst in codes:
            return worst
    return EXIT_OK


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add `publish` and `sync` to the command line's subparsers."""
    p = subparsers.add_parser(
        "publish",
        help="publish a post to a blog now (exit 0 done, 1 failed, 3 queued, 4 conflict)",
        description="Publish, schedule or save as a remote draft. Exit codes: 0 published, "
        "1 failed, 2 bad usage, 3 queued for later (offline), 4 conflict.",
    )
    p.add_argument("id", type=int, help="the post's id (see `desktop-blog list`)")
    p.add_argument("--blog", required=True, metavar="NAME", help="the blog's name")
    p.add_argument(
        "--status",
        choices=publishing.REQUEST_STATUSES,
        default="publish",
        help="publish now (default), save as a draft on the blog, or schedule (future)",
    )
    p.add_argument(
        "--date",
        metavar="ISO",
        help="publication date, ISO 8601 (2030-05-01T09:00+02:00; no zone: local time); "
        "required with --status future",
    )
    p.set_defaults(func=cmd_publish)

    p = subparsers.add_parser(
        "sync",
        help="pull posts from blogs, then send what waits in the outbox",
        description="Pull each blog's posts, then run its outbox. Exit codes: 0 done, "
        "1 something failed, 3 something waits (offline), 4 a conflict waits.",
    )
    p.add_argument("--blog", metavar="NAME", help="only this blog")
    p.add_argument(
        "--full",
        action="store_true",
        help="fetch every post, not only those changed since the last sync (finds posts "
        "created on the blog with a date in the past)",
    )
    p.set_defaults(func=cmd_sync)


__all__ = [
    "EXIT_CONFLICT",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_WAITING",
    "add_parsers",
    "cmd_publish",
    "cmd_sync",
    "password_for",
]
