"""Generate a large library for the benchmarks: n posts bulk-inserted through SQLAlchemy Core.

Titles and bodies come from a pseudo-word vocabulary of a few thousand words drawn with a
Zipf-like distribution (a handful of words appear in most posts, most words in few), plus a
sprinkle of words from a much larger rare vocabulary, so searches can be tried on common words,
rare words and the prefixes typed on the way to either. Statuses are mostly published and
draft, some trash and scheduled; ``updated_at`` is spread over eight years.

A generated library is cached under /tmp/desktop-blog-bench/lib-<n> (seed 0) and reused, so
repeated benchmark runs do not pay for it again. Run ``python benchmarks/genlib.py 100000``.
"""

from __future__ import annotations

import bisect
import itertools
import random
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from desktop_blog.core.db import DB_FILENAME, open_library
from desktop_blog.core.models import Post

CACHE = Path("/tmp/desktop-blog-bench")
VOCABULARY = 4000
RARE_VOCABULARY = 50_000
# Sampled words are drawn once into a pool; each body is a slice of it (cheap, still Zipfian).
POOL = 1_500_000
STATUS_WEIGHTS = {"published": 60, "draft": 28, "trash": 7, "scheduled": 5}
_ONSETS = "b c d f g h j k l m n p r s t v w z br ch cl cr dr fl fr gl gr pl pr sc sh sl sp st str th tr".split()
_VOWELS = "a e i o u a e i o ai ea ee ie oo ou".split()
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt", "x"]


def _words(rng: random.Random, count: int, syllables: tuple[int, int], seen: set[str]) -> list[str]:
    """``count`` distinct pronounceable pseudo-words (none already in ``seen``)."""
    out: list[str] = []
    while len(out) < count:
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
            for _ in range(rng.randint(*syllables))
        )
        if 3 <= len(word) <= 14 and word not in seen:
            seen.add(word)
            out.append(word)
    # Short words first: they get the highest frequencies, as in real language.
    out.sort(key=len)
    return out


def vocabulary(seed: int = 0) -> tuple[list[str], list[str]]:
    """(common vocabulary in frequency order, rare vocabulary)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    common = _words(rng, VOCABULARY, (1, 3), seen)
    rare = _words(rng, RARE_VOCABULARY, (3, 4), seen)
    return common, rare


def _zipf_cumulative(n: int, s: float = 1.05) -> list[float]:
    return list(itertools.accumulate(1.0 / (k**s) for k in range(1, n + 1)))


def _pool(rng: random.Random, common: list[str]) -> list[str]:
    """A long stream of words with sentence punctuation baked in."""
    words = rng.choices(common, cum_weights=_zipf_cumulative(len(common)), k=POOL)
    capital = True
    for i, word in enumerate(words):
        if capital:
            words[i] = word.capitalize()
            capital = False
        r = rng.random()
        if r < 0.07:
            words[i] += "."
            capital = True
        elif r < 0.10:
            words[i] += ","
    return words


def _title(rng: random.Random, common: list[str], cum: list[float], rare: list[str]) -> str:
    total = cum[-1]
    # Titles lean on the less common words, as real titles do.
    picks = [
        common[min(len(common) - 1, bisect.bisect(cum, rng.random() * total) + 20)]
        for _ in range(rng.randint(2, 6))
    ]
    if rng.random() < 0.3:
        picks.append(rng.choice(rare))
    pattern = rng.random()
    if pattern < 0.2:
        return "Notes on " + " ".join(picks).capitalize()
    if pattern < 0.3:
        return f"{rng.randint(3, 12)} ways to " + " ".join(picks)
    if pattern < 0.4:
        return "Why " + " ".join(picks) + "?"
    return " ".join(w.capitalize() for w in picks)


def _rows(n_posts: int, seed: int):
    rng = random.Random(seed)
    common, rare = vocabulary(seed)
    cum = _zipf_cumulative(len(common))
    pool = _pool(rng, common)
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=n_posts)
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    span = int(timedelta(days=8 * 365).total_seconds())
    for i in range(n_posts):
        length = rng.randint(100, 600)
        start = rng.randrange(0, POOL - length)
        words = pool[start : start + length]
        # Two or three rare words per post: each rare word ends up in a few posts only.
        for _ in range(rng.randint(2, 3)):
            words.insert(rng.randrange(len(words)), rng.choice(rare))
        paragraphs = [" ".join(words[j : j + 80]) for j in range(0, len(words), 80)]
        body = "\n\n".join(paragraphs)
        updated = now - timedelta(seconds=rng.randrange(span))
        created = updated - timedelta(seconds=rng.randrange(3 * 24 * 3600))
        status = statuses[i]
        # A few posts have no title, as drafts often do.
        title = "" if status == "draft" and rng.random() < 0.03 else _title(rng, common, cum, rare)
        yield {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "blog_id": None,
            "kind": "post",
            "title": title,
            "slug": "",
            "body": body,
            "excerpt": "",
            "status": status,
            "status_before_trash": "draft" if status == "trash" else None,
            "created_at": created,
            "updated_at": updated,
            "scheduled_at": updated + timedelta(days=30) if status == "scheduled" else None,
            "published_at": updated if status == "published" else None,
        }


def _fts_statements() -> list[str]:
    from importlib import import_module

    module = import_module("desktop_blog.core.migrations.versions.0002_pages_comments_outbox_fts")
    return module.FTS_STATEMENTS


def generate_library(home: Path, n_posts: int, seed: int = 0, *, batch: int = 5000) -> Path:
    """Create a library in ``home`` holding ``n_posts`` generated posts. Returns ``home``.

    Faster than row by row, with the same result: the FTS triggers are dropped during the
    insert and the index is rebuilt once at the end, with a large FTS5 ``hashsize`` for the
    rebuild only (reset afterwards), and no rollback journal (a failed run leaves a
    ``.partial`` folder that is thrown away). Triggers, ``rebuild`` and WAL mode are then as
    migration 0002 and ``open_library`` leave them. Measured here: 100,000 posts in about
    27 s (rebuild with the default hashsize: about 50 s); through the triggers, 20,000 posts
    alone took 17 s to insert.
    """
    home = Path(home)
    library = open_library(home)
    triggers = [s for s in _fts_statements() if s.lstrip().startswith("CREATE TRIGGER")]
    try:
        library.engine.dispose()
        with library.engine.connect() as con:
            con.exec_driver_sql("PRAGMA journal_mode=OFF")
            con.exec_driver_sql("PRAGMA synchronous=OFF")
            con.exec_driver_sql("PRAGMA cache_size=-400000")
            con.commit()
            with con.begin():
                for name in ("posts_fts_ai", "posts_fts_ad", "posts_fts_au"):
                    con.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
                rows = _rows(n_posts, seed)
                table = Post.__table__
                while chunk := list(itertools.islice(rows, batch)):
                    con.execute(insert(table), chunk)
                con.exec_driver_sql(
                    "INSERT INTO posts_fts(posts_fts, rank) VALUES ('hashsize', 268435456)"
                )
                con.exec_driver_sql("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")
                con.exec_driver_sql("DELETE FROM posts_fts_config WHERE k = 'hashsize'")
                for statement in triggers:
                    con.exec_driver_sql(statement)
            con.exec_driver_sql("PRAGMA journal_mode=WAL")
            con.commit()
    finally:
        library.close()
    return home


def cached_library(n_posts: int, seed: int = 0) -> Path:
    """The folder of a generated library of ``n_posts`` posts, generating it the first time."""
    name = f"lib-{n_posts}" if seed == 0 else f"lib-{n_posts}-seed{seed}"
    home = CACHE / name
    if (home / DB_FILENAME).exists():
        return home
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / f"{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    generate_library(partial, n_posts, seed)
    partial.rename(home)
    return home


def common_and_rare_words(seed: int = 0) -> tuple[list[str], list[str]]:
    """Words to search for: the 20 most common, and 20 rare ones (a few posts each)."""
    common, rare = vocabulary(seed)
    return common[:20], random.Random(seed + 1).sample(rare, 20)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    start = time.perf_counter()
    path = cached_library(n)
    print(f"{path} ready in {time.perf_counter() - start:.1f} s")
