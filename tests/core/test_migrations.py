"""The schema comes from Alembic migrations, and upgrading keeps the user's data."""

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from desktop_blog.core import db
from desktop_blog.core.models import Base


def test_head_constant_matches_migrations():
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert script.get_current_head() == db.HEAD_REVISION


def test_models_agree_with_migrated_schema(tmp_path: Path):
    lib = db.open_library(tmp_path)
    with lib.engine.connect() as con:
        context = MigrationContext.configure(con, opts={"include_name": db.include_name})
        diff = compare_metadata(context, Base.metadata)
    lib.close()
    assert diff == []


def test_upgrade_from_first_revision_keeps_data(tmp_path: Path):
    path = db.database_path(tmp_path)
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine, "0001")
    with engine.begin() as con:
        con.execute(
            text(
                "INSERT INTO blogs (id, name, kind, url, username, created_at) "
                "VALUES (1, 'My blog', 'wordpress-rest', 'https://b.example', 'me', "
                "'2024-01-01 10:00:00')"
            )
        )
        for i, (title, body) in enumerate(
            [("Zebra crossings", "striped animals"), ("Orchids", "flowers in winter")], start=1
        ):
            con.execute(
                text(
                    "INSERT INTO posts (id, uuid, blog_id, title, slug, body, excerpt, status, "
                    "created_at, updated_at) VALUES (:id, :uuid, :blog, :t, '', :b, '', "
                    "'draft', '2024-01-01 10:00:00', '2024-01-02 10:00:00')"
                ),
                {
                    "id": i,
                    "uuid": f"uuid-{i}",
                    "blog": 1 if i == 1 else None,
                    "t": title,
                    "b": body,
                },
            )
        con.execute(text("INSERT INTO tags (id, name, slug) VALUES (1, 'nature', 'nature')"))
        con.execute(text("INSERT INTO post_tags (post_id, tag_id) VALUES (2, 1)"))
        con.execute(
            text(
                "INSERT INTO revisions (post_id, post_uuid, created_at, title, body, reason) "
                "VALUES (2, 'uuid-2', '2024-01-01 11:00:00', 'Orchids', 'old text', 'periodic')"
            )
        )
    engine.dispose()
    assert db.current_revision(path) == "0001"

    lib = db.open_library(tmp_path)  # migrates to head, as at start-up
    assert db.current_revision(path) == db.HEAD_REVISION
    from desktop_blog.core import library, search

    with lib.session() as s:
        orchids = library.get_post(s, 2)
        assert orchids.title == "Orchids"
        assert orchids.body == "flowers in winter"
        assert orchids.tags == ["nature"]
        assert orchids.kind == "post"  # the column added by 0002 got its default
        assert [r.body for r in library.list_revisions(s, 2)] == ["old text"]
        assert library.get_post(s, 1).blog_id == 1
        # Posts written before the index existed are found through it.
        assert search.search_ids(s, "zebra", blog_id=1) == [1]
        assert search.search_ids(s, "winter") == [2]
    lib.close()
    assert db.integrity_ok(path)


def test_pragmas_on(tmp_path: Path):
    lib = db.open_library(tmp_path)
    with lib.engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    lib.close()


def test_reopening_current_library_does_not_migrate(tmp_path: Path, monkeypatch):
    db.open_library(tmp_path).close()

    def fail(*a, **k):
        raise AssertionError("migrate called on a current library")

    monkeypatch.setattr(db, "migrate", fail)
    lib = db.open_library(tmp_path)
    assert not lib.created
    lib.close()


def test_corrupt_file_is_reported_and_kept(tmp_path: Path):
    path = db.database_path(tmp_path)
    path.write_bytes(b"this is not a database, just words" * 100)
    try:
        db.open_library(tmp_path)
    except db.CorruptLibraryError as exc:
        assert str(path) in str(exc)
    else:
        raise AssertionError("a corrupt library opened without complaint")
    aside = db.set_aside_damaged(path)
    assert aside.exists() and not path.exists()
    assert aside.read_bytes().startswith(b"this is not a database")
    lib = db.open_library(tmp_path)
    assert lib.created
    lib.close()


def test_truncated_database_is_reported(tmp_path: Path):
    lib = db.open_library(tmp_path)
    with lib.session() as s:
        from desktop_blog.core import library

        for i in range(200):
            library.create_post(s, f"post {i}", "words " * 200)
        s.commit()
    lib.close()
    path = db.database_path(tmp_path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = path.read_bytes()
    # Wreck the pages after the header: the file still starts like SQLite.
    path.write_bytes(data[:4096] + b"\x00garbage" * ((len(data) - 4096) // 8))
    try:
        lib = db.open_library(tmp_path)
        with lib.engine.connect() as con:
            con.exec_driver_sql("SELECT count(*) FROM posts").scalar()
    except db.CorruptLibraryError:
        pass
    else:
        raise AssertionError("a damaged library opened without complaint")
