"""Post or page, and the featured image, in the window's Details panel: chosen as a user would,
stored in the library, shown in the tree, and sent to the blog (the fake WordPress on loopback).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from window_helpers import stored_post, wait_saved

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from desktop_blog.core import db, library, media  # noqa: E402
from desktop_blog.core.models import Post  # noqa: E402
from desktop_blog.ui import featured_image  # noqa: E402
from desktop_blog.ui.featured_image import THUMB_SIZE  # noqa: E402
from tests.images import png  # noqa: E402
from tests.ui.test_publishing_ui import add_blog, controller, remote_posts, wait_row  # noqa: E402

pytestmark = pytest.mark.usefixtures("memory_only_secrets")


def store(home: Path, data: bytes, name: str) -> media.MediaData:
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            stored = media.store_image(s, data, name)
            s.commit()
        return stored
    finally:
        lib.close()


def new_post_with(qtbot, window, title: str, body: str) -> int:
    before = window.editor_panel.post_id
    window.new_post()
    qtbot.waitUntil(lambda: window.editor_panel.post_id not in (None, before), timeout=5000)
    window.editor_panel.title.setText(title)
    window.editor_panel.editor.setPlainText(body)
    wait_saved(qtbot, window)
    return window.editor_panel.post_id


def menu_entries(field) -> list[str]:
    field.menu.aboutToShow.emit()
    return [a.text() for a in field.menu.actions() if a.text()]


def menu_action(field, text: str):
    field.menu.aboutToShow.emit()
    (action,) = [a for a in field.menu.actions() if a.text().startswith(text)]
    return action


def tree_row(window, post_id: int) -> QModelIndex:
    found = window.tree.model.find(post_id)
    assert found is not None
    return window.tree.model.createIndex(found[1], 0, found[0].key)


def test_a_post_becomes_a_page_in_the_library_and_the_tree(qtbot, window, home) -> None:
    post_id = new_post_with(qtbot, window, "About us", "Who we are.\n")
    panel = window.editor_panel.metadata
    assert panel.kind.currentText() == "Post" and panel.kind.isEnabled()
    assert panel.tags.isEnabled() and panel.categories.isEnabled()

    panel.kind.setCurrentIndex(panel.kind.findData("page"))
    panel.kind.activated.emit(panel.kind.currentIndex())
    qtbot.waitUntil(lambda: stored_post(home, post_id).kind == "page", timeout=5000)
    # a page has no tags or categories: the fields say so instead of taking input
    assert not panel.tags.isEnabled() and "Pages have no tags" in panel.tags.toolTip()

    model = window.tree.model
    qtbot.waitUntil(
        lambda: "Page" in str(tree_row(window, post_id).data(Qt.ItemDataRole.ToolTipRole)),
        timeout=5000,
    )
    page_icon = tree_row(window, post_id).data(Qt.ItemDataRole.DecorationRole)
    post_icon = model._icons.get("post")
    if post_icon is not None:  # icons arrive in slices after start-up
        assert page_icon is not post_icon

    # back to a post: allowed while the page is not on a blog
    panel.kind.setCurrentIndex(panel.kind.findData("post"))
    panel.kind.activated.emit(panel.kind.currentIndex())
    qtbot.waitUntil(lambda: stored_post(home, post_id).kind == "post", timeout=5000)
    assert panel.tags.isEnabled()


def test_a_post_already_on_a_blog_keeps_its_kind(qtbot, window, home) -> None:
    post_id = new_post_with(qtbot, window, "Published", "Text.\n")
    lib = db.open_library(home)
    with lib.session() as s:
        s.get(Post, post_id).remote_id = "41"
        s.commit()
    lib.close()
    window.tree.refresh()  # as after a sync: the post is read again
    window._reload_post_info(post_id, refresh_tree=False)
    panel = window.editor_panel.metadata
    qtbot.waitUntil(lambda: not panel.kind.isEnabled(), timeout=5000)
    assert "on the blog already" in panel.kind.toolTip()


def test_choose_an_image_of_the_post_as_featured_image(qtbot, window, home) -> None:
    wide = store(home, png(640, 360, 40), "harbour.png")
    other = store(home, png(20, 20, 90), "stamp.png")
    body = f"A walk.\n\n![harbour]({wide.url})\n\n![stamp]({other.url})\n\n![again]({wide.url})\n"
    post_id = new_post_with(qtbot, window, "Harbour", body)
    field = window.editor_panel.metadata.featured
    assert field.caption.text() == "No featured image" and not field.remove.isEnabled()

    # the menu offers the post's images, once each, with their sizes, and a file
    entries = menu_entries(field)
    assert entries == [
        "Images in this post",
        "harbour.png (640×360)",
        "stamp.png (20×20)",
        "Image File…",
    ]

    menu_action(field, "harbour.png").trigger()
    qtbot.waitUntil(lambda: not field.thumb.pixmap().isNull(), timeout=5000)
    thumb = field.thumb.pixmap()
    assert thumb.width() == THUMB_SIZE.width() and thumb.height() <= THUMB_SIZE.height()
    assert field.caption.text() == "harbour.png" and field.remove.isEnabled()
    qtbot.waitUntil(lambda: stored_post(home, post_id).featured_media_id == wide.id, timeout=5000)
    assert menu_action(field, "harbour.png").isChecked()

    # another post shows its own (none); coming back shows the harbour again
    new_post_with(qtbot, window, "Plain", "No pictures.\n")
    assert field.caption.text() == "No featured image"
    assert menu_entries(field) == ["This post shows no images", "Image File…"]
    window.tree.select_post(post_id)
    qtbot.waitUntil(lambda: window.editor_panel.post_id == post_id, timeout=5000)
    qtbot.waitUntil(lambda: field.caption.text() == "harbour.png", timeout=5000)
    assert not field.thumb.pixmap().isNull()

    field.remove.click()
    assert field.caption.text() == "No featured image"
    qtbot.waitUntil(lambda: stored_post(home, post_id).featured_media_id is None, timeout=5000)


def test_an_image_file_as_featured_image_and_a_file_that_is_not_one(
    qtbot, window, home, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_id = new_post_with(qtbot, window, "Cover", "Text.\n")
    field = window.editor_panel.metadata.featured
    picture = tmp_path / "cover.png"
    picture.write_bytes(png(300, 200, 7))
    monkeypatch.setattr(featured_image, "choose_image_file", lambda _parent: str(picture))
    menu_action(field, "Image File…").trigger()
    assert field.caption.text() == "cover.png"
    qtbot.waitUntil(lambda: stored_post(home, post_id).featured_media_id is not None, timeout=5000)
    chosen = stored_post(home, post_id).featured_media_id
    # stored in the library like any image: the post needs no file on disk
    picture.unlink()
    lib = db.open_library(home)
    with lib.session() as s:
        assert media.image_ref(s, chosen).filename == "cover.png"
    lib.close()

    notes = tmp_path / "notes.png"
    notes.write_text("not a picture at all")
    monkeypatch.setattr(featured_image, "choose_image_file", lambda _parent: str(notes))
    with qtbot.waitSignal(field.failed, timeout=5000) as told:
        menu_action(field, "Image File…").trigger()
    assert "notes.png cannot be the featured image" in told.args[0]
    assert "notes.png cannot be the featured image" in window.statusBar().currentMessage()
    assert field.caption.text() == "cover.png"  # unchanged
    wait_saved(qtbot, window)
    assert stored_post(home, post_id).featured_media_id == chosen


def test_a_pulled_posts_image_on_the_blog_is_shown_and_can_be_removed(
    qtbot, make_window, home
) -> None:
    lib = db.open_library(home)
    with lib.session() as s:
        post = library.create_post(s, "Pulled", "From the blog.\n")
        library.update_post(s, post.id, remote_featured_id="314")
        s.commit()
    lib.close()
    window = make_window()
    window.tree.select_post(post.id)
    qtbot.waitUntil(lambda: window.editor_panel.post_id == post.id, timeout=5000)
    field = window.editor_panel.metadata.featured
    assert field.caption.text() == "The blog's image #314"
    assert "not in yours" in field.caption.toolTip()
    field.remove.click()
    qtbot.waitUntil(lambda: stored_post(home, post.id).remote_featured_id is None, timeout=5000)


def test_a_page_with_its_featured_image_is_published_to_the_blog(
    qtbot,
    window,
    home,
    fake,
    site,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_blog(qtbot, window, site, fake.username, fake.app_password)
    post_id = new_post_with(qtbot, window, "About this blog", "Who writes here, and why.\n")
    panel = window.editor_panel.metadata
    panel.kind.setCurrentIndex(panel.kind.findData("page"))
    panel.kind.activated.emit(panel.kind.currentIndex())
    picture = tmp_path / "portrait.png"
    picture.write_bytes(png(90, 120, 200))
    monkeypatch.setattr(featured_image, "choose_image_file", lambda _parent: str(picture))
    menu_action(panel.featured, "Image File…").trigger()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: stored_post(home, post_id).kind == "page", timeout=5000)

    assert stored_post(home, post_id).featured_media_id is not None
    controller(window).actions["publish_now"].trigger()
    wait_row(qtbot, window, "About this blog", "done")
    (remote,) = remote_posts(fake, "About this blog")
    (uploaded,) = [m for m in fake.media.values() if m["file"] == "portrait.png"]
    assert remote["type"] == "page"
    assert remote["featured_media"] == uploaded["id"]
    assert uploaded["data"] == picture.read_bytes()
    # on the blog now: it stays a page
    qtbot.waitUntil(lambda: not panel.kind.isEnabled(), timeout=5000)

    # another image, with the text unchanged: Update still sends it
    second = tmp_path / "portrait-2.png"
    second.write_bytes(png(90, 120, 30))
    monkeypatch.setattr(featured_image, "choose_image_file", lambda _parent: str(second))
    menu_action(panel.featured, "Image File…").trigger()
    wait_saved(qtbot, window)
    controller(window).actions["update"].trigger()

    def uploaded_again() -> list[dict]:
        return [m for m in fake.media.values() if m["file"] == "portrait-2.png"]

    qtbot.waitUntil(lambda: len(uploaded_again()) == 1, timeout=20_000)
    qtbot.waitUntil(
        lambda: (
            remote_posts(fake, "About this blog")[0]["featured_media"] == uploaded_again()[0]["id"]
        ),
        timeout=20_000,
    )


def test_categories_and_tags_complete_from_the_blogs_own(qtbot, make_window, home) -> None:
    from PySide6.QtTest import QTest

    lib = db.open_library(home)
    with lib.session() as s:
        other = library.create_post(s, "Older", "x")
        library.update_post(s, other.id, categories=["Travel", "Food & Drink"], tags=["harbour"])
        post = library.create_post(s, "New", "y")
        s.commit()
    lib.close()
    window = make_window()
    window.tree.select_post(post.id)
    qtbot.waitUntil(lambda: window.editor_panel.post_id == post.id, timeout=5000)
    panel = window.editor_panel.metadata
    qtbot.waitUntil(
        lambda: panel.category_completer.names() == ["Food & Drink", "Travel"], timeout=5000
    )
    assert panel.tag_completer.names() == ["harbour"]

    panel.categories.setFocus()
    QTest.keyClicks(panel.categories, "Travel, dri")
    completer = panel.category_completer
    qtbot.waitUntil(lambda: completer.popup().isVisible(), timeout=5000)
    offered = [completer.completionModel().index(r, 0).data() for r in range(2)]
    assert offered[0] == "Food & Drink"  # "dri" inside the name; Travel is used already
    assert completer.completionCount() == 1
    QTest.keyClick(completer.popup(), Qt.Key.Key_Down)
    QTest.keyClick(completer.popup(), Qt.Key.Key_Return)
    assert panel.categories.text() == "Travel, Food & Drink"
    wait_saved(qtbot, window)
    qtbot.waitUntil(
        lambda: stored_post(home, post.id).categories == ["Food & Drink", "Travel"], timeout=5000
    )
