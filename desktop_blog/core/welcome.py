"""The welcome post a new library starts with."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from .library import PostData, create_post, update_post

WELCOME_TITLE = "Welcome to Desktop Blog"


def welcome_text() -> str:
    """The welcome post's Markdown, shipped in the package's resources."""
    try:
        return resources.files("desktop_blog.resources").joinpath("welcome.md").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # Running from a source tree that was not installed.
        repo = Path(__file__).resolve().parents[2]
        return (repo / "resources" / "welcome.md").read_text("utf-8")


def add_welcome_post(session: Session) -> PostData:
    """Add the welcome post to the local library."""
    body = welcome_text()
    # The file starts with its own heading; the title field carries it instead.
    if body.startswith("# "):
        body = body.split("\n", 1)[1].lstrip("\n")
    post = create_post(session, title=WELCOME_TITLE, body=body)
    return update_post(
        session, post.id, tags=["welcome"], excerpt="What Desktop Blog does and how."
    )
