"""Where the library lives, how it is opened, and its migrations.

Opening a library is cheap when its schema is current: the revision is read with plain
``sqlite3`` and Alembic is only imported when there is something to migrate.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

APP_NAME = "desktop-blog"
DB_FILENAME = "library.sqlite3"
# The newest migration; kept in step with migrations/versions by a test.
HEAD_REVISION = "0005"
# Tables made and kept by raw SQL (FTS5 indexes with their shadow tables, trigger-kept counts).
RAW_SQL_TABLES = ("posts_fts", "comments_fts", "comment_counts")
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class LibraryError(Exception):
    """A problem with the library file that the user must be told about."""


class CorruptLibraryError(LibraryError):
    """The file is not a usable SQLite database."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The library file {path} is damaged and cannot be opened ({detail}). "
            "Your old file is kept as it is."
        )
        self.path = path
        self.detail = detail


class StorageError(LibraryError):
    """Writing failed: read-only file, full disk, locked database."""


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder that holds the library: ``override``, ``$DESKTOP_BLOG_HOME`` or platformdirs."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("DESKTOP_BLOG_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def database_path(home: Path) -> Path:
    return home / DB_FILENAME


def _set_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        # A read-only file cannot switch journal mode; reading still works, and saving
        # reports a clear error later.
        log.warning("could not switch the library to WAL mode (read-only?)")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine with the library's pragmas set on every connection."""
    engine = create_engine(url, connect_args={"check_same_thread": False})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_pragmas)
    return engine


def storage_message(exc: BaseException) -> str:
    """A sentence a user can act on, for an error raised while writing the library."""
    text_ = str(getattr(exc, "orig", exc)).lower()
    if "readonly" in text_ or "read-only" in text_ or "permission" in text_:
        return "The library file is read-only, so your changes cannot be saved to disk."
    if "full" in text_ or "no space" in text_:
        return "The disk is full, so your changes cannot be saved to disk."
    if "locked" in text_ or "busy" in text_:
        return "The library is busy in another program, so your changes could not be saved yet."
    if "malformed" in text_ or "not a database" in text_:
        return "The library file is damaged, so your changes cannot be saved to it."
    return f"Your changes could not be saved to disk: {getattr(exc, 'orig', exc)}"


def current_revision(path: Path) -> str | None:
    """The schema revision of the file at ``path``; None for a new or empty file.

    Raises CorruptLibraryError when the file is not a SQLite database.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            con.execute("PRAGMA schema_version").fetchone()
            row = con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            if row is None:
                return None
            version = con.execute("SELECT version_num FROM alembic_version").fetchone()
            return version[0] if version else None
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise CorruptLibraryError(path, str(exc)) from exc


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Autogenerate filter: the FTS5 indexes, their shadow tables and the trigger-kept comment
    counts are made by raw SQL."""
    return not (type_ == "table" and name is not None and name.startswith(RAW_SQL_TABLES))


def alembic_config(engine_or_url: Engine | str):
    """An Alembic Config pointing at our migrations (imports Alembic)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``. Foreign keys are off while tables are rebuilt."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        connection.commit()
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        if problems:
            log.warning("foreign key problems after migration: %s", problems[:10])


@dataclass
class Library:
    """An open library: its folder, engine and session factory."""

    home: Path
    engine: Engine
    sessions: sessionmaker[Session]
    created: bool

    @property
    def path(self) -> Path:
        return database_path(self.home)

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def open_library(home: Path | None = None, *, url: str | None = None) -> Library:
    """Open (creating or upgrading when needed) the library in ``home``.

    Raises CorruptLibraryError when the file is damaged, StorageError when the folder cannot
    be written to create it.
    """
    home = data_dir(home)
    path = database_path(home)
    created = False
    if url is None:
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create the library folder {home}: {exc}") from exc
        revision = current_revision(path)
        created = revision is None
        url = f"sqlite:///{path}"
    else:
        revision = None
    engine = make_engine(url)
    if revision != HEAD_REVISION:
        try:
            migrate(engine)
        except Exception as exc:
            engine.dispose()
            if isinstance(exc, sqlite3.DatabaseError) or "DatabaseError" in type(exc).__name__:
                if "not a database" in str(exc) or "malformed" in str(exc):
                    raise CorruptLibraryError(path, str(exc)) from exc
                raise StorageError(storage_message(exc)) from exc
            raise
    else:
        try:
            with engine.connect() as con:
                con.execute(text("SELECT count(*) FROM posts LIMIT 1"))
        except Exception as exc:
            engine.dispose()
            raise CorruptLibraryError(path, str(getattr(exc, "orig", exc))) from exc
    sessions = sessionmaker(engine, expire_on_commit=False)
    return Library(home=home, engine=engine, sessions=sessions, created=created)


def set_aside_damaged(path: Path) -> Path:
    """Rename a damaged library (and its WAL files) aside, so a fresh one can start.

    Nothing is deleted: the old file stays beside the new one with a dated name.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    shutil.move(str(path), str(target))
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.move(str(side), str(target) + suffix)
    return target


def integrity_ok(path: Path) -> bool:
    """``PRAGMA integrity_check`` says ok."""
    con = sqlite3.connect(str(path))
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
