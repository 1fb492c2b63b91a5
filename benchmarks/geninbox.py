"""A library of 100,000 posts and 1,000,000 comments for the inbox benchmark.

It starts from genlib's cached 100,000-post library (copied, never changed), adds three blogs and
bulk-inserts the comments through SQLAlchemy Core with the comment triggers and list indexes
dropped; then the indexes are made again, the FTS index rebuilt and ``comment_counts`` filled,
and the triggers put back as migration 0003 leaves them. Cached under
/tmp/desktop-blog-bench/inbox-<n>. Run ``python benchmarks/geninbox.py``.

The comments: dates over eight years, ids in date order (as a sync stores them), 70 % approved,
10 % pending, 15 % spam, 5 % trash; the newest 5 % unread; 10 to 80 words from genlib's Zipfian
vocabulary, some with a link; about one in five a reply.
"""

from __future__ import annotations

import importlib
import itertools
import random
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from benchmarks.genlib import CACHE, _pool, cached_library, vocabulary  # noqa: E402
from desktop_blog.core.db import DB_FILENAME, open_library  # noqa: E402
from desktop_blog.core.models import Blog, Comment  # noqa: E402

N_POSTS = 100_000
N_COMMENTS = 1_000_000
BLOGS = 3
STATUS_WEIGHTS = {"approve": 70, "hold": 10, "spam": 15, "trash": 5}
UNREAD_SHARE = 0.05
NAMES = "Ana Ben Chloé Dmitri Eve Farid Grace Hiro Ines Jonas Kemal Lena Mateo Noor Olga".split()


def _migration():
    return importlib.import_module("desktop_blog.core.migrations.versions.0003_comments_fts")


def _rows(n: int, n_posts: int, seed: int):
    rng = random.Random(seed)
    common, _rare = vocabulary(seed)
    pool = _pool(rng, common)
    start = datetime(2018, 11, 1)
    span = int(timedelta(days=8 * 365).total_seconds())
    offsets = sorted(rng.randrange(span) for _ in range(n))
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=n)
    unread_from = int(n * (1 - UNREAD_SHARE))
    for i in range(n):
        length = rng.randint(10, 80)
        at = rng.randrange(0, len(pool) - length)
        text = " ".join(pool[at : at + length])
        if rng.random() < 0.1:
            text += f' <a href="https://site{rng.randrange(1000)}.example/">my site</a>'
        post = rng.randrange(1, n_posts + 1)
        yield {
            "blog_id": 1 + post % BLOGS,
            "post_id": post,
            "remote_id": str(i + 1),
            "remote_post_id": str(post),
            "parent_remote_id": str(rng.randrange(1, i + 1)) if i and rng.random() < 0.2 else None,
            "author_name": f"{rng.choice(NAMES)} {rng.choice(common[100:600]).capitalize()}",
            "author_email": f"reader{i}@example.com",
            "author_url": "",
            "author_ip": f"10.{i % 250}.{(i // 250) % 250}.{rng.randrange(250)}",
            "content": f"<p>{text}</p>",
            "status": statuses[i],
            "date": start + timedelta(seconds=offsets[i]),
            "is_read": i < unread_from,
        }


def generate(home: Path, n_comments: int, seed: int = 0, *, batch: int = 10_000) -> Path:
    """Copy the 100,000-post library into ``home`` and add ``n_comments`` comments."""
    source = cached_library(N_POSTS, seed)
    home.mkdir(parents=True)
    shutil.copy2(source / DB_FILENAME, home / DB_FILENAME)
    library = open_library(home)  # migrates the copy to the current head
    mig = _migration()
    triggers = [
        s
        for s in mig.FTS_STATEMENTS + mig.COUNT_STATEMENTS
        if s.lstrip().startswith("CREATE TRIGGER")
    ]
    index_names = [
        ix.name for ix in Comment.__table__.indexes if ix.name != "ix_comments_blog_remote"
    ]
    try:
        library.engine.dispose()
        with library.engine.connect() as con:
            con.exec_driver_sql("PRAGMA journal_mode=OFF")
            con.exec_driver_sql("PRAGMA synchronous=OFF")
            con.exec_driver_sql("PRAGMA cache_size=-400000")
            con.commit()
            with con.begin():
                for name in mig.TRIGGERS:
                    con.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
                for name in index_names:
                    con.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
                con.execute(
                    insert(Blog.__table__),
                    [
                        {
                            "id": b,
                            "name": f"Blog {b}",
                            "kind": "wordpress-rest",
                            "url": f"https://blog{b}.example",
                            "username": "me",
                            "created_at": datetime.now(UTC).replace(tzinfo=None),
                        }
                        for b in range(1, BLOGS + 1)
                    ],
                )
                rows = _rows(n_comments, N_POSTS, seed)
                table = Comment.__table__
                while chunk := list(itertools.islice(rows, batch)):
                    con.execute(insert(table), chunk)
                for ix in Comment.__table__.indexes:
                    if ix.name in index_names:
                        ix.create(con)
                con.exec_driver_sql(
                    "INSERT INTO comments_fts(comments_fts, rank) VALUES ('hashsize', 268435456)"
                )
                con.exec_driver_sql("INSERT INTO comments_fts(comments_fts) VALUES ('rebuild')")
                con.exec_driver_sql("DELETE FROM comments_fts_config WHERE k = 'hashsize'")
                con.exec_driver_sql("DELETE FROM comment_counts")
                con.exec_driver_sql(mig.COUNT_STATEMENTS[-1])
                for statement in triggers:
                    con.exec_driver_sql(statement)
            con.exec_driver_sql("PRAGMA journal_mode=WAL")
            con.commit()
    finally:
        library.close()
    return home


def cached_inbox_library(n_comments: int = N_COMMENTS, seed: int = 0) -> Path:
    """The folder of the generated inbox library, generating it the first time."""
    home = CACHE / (f"inbox-{n_comments}" if seed == 0 else f"inbox-{n_comments}-seed{seed}")
    if (home / DB_FILENAME).exists():
        return home
    partial = CACHE / f"{home.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    generate(partial, n_comments, seed)
    partial.rename(home)
    return home


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N_COMMENTS
    started = time.perf_counter()
    path = cached_inbox_library(n)
    print(f"{path} ready in {time.perf_counter() - started:.1f} s")
