"""Publishing from the window against the real WordPress (the `wordpress` fixture), through the
window's real threads: add the blog with the Add Blog dialog (a refused login password first),
publish a post and find it on the blog, and a conflict made on the server, resolved with Keep
mine and with Take theirs in the conflict dialog. The keyring is the "fail" backend here (the
real Secret Service is tested in test_keyring_secret_service.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from desktop_blog.app import open_library_in_window  # noqa: E402
from desktop_blog.ui.main_window import MainWindow  # noqa: E402
from desktop_blog.ui.settings import Settings  # noqa: E402
from tests.integration.site_helpers import unique  # noqa: E402
from tests.ui.test_publishing_ui import (  # noqa: E402
    WAIT_MS,
    check,
    close_message_box,
    closed,
    controller,
    fill,
    open_add_blog,
    tree_blogs,
    type_post,
    wait_row,
)

pytestmark = pytest.mark.usefixtures("memory_only_secrets")


@pytest.fixture
def window(qtbot, home: Path) -> MainWindow:
    settings = Settings(home)
    settings.view_mode = "editor"  # no QtWebEngine preview: not what is tested here
    settings.sync()
    win = MainWindow(home)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.libraryReady, timeout=WAIT_MS):
        open_library_in_window(win)
    return win


def add_real_blog(qtbot, window, wordpress) -> None:
    dialog = open_add_blog(qtbot, window)
    fill(dialog, wordpress.url, wordpress.user, wordpress.password)  # the login password
    text = check(qtbot, dialog)
    assert "refused" in text and "application password" in text
    assert wordpress.password not in text

    fill(dialog, wordpress.url, wordpress.user, wordpress.app_password)
    text = check(qtbot, dialog)
    assert "Desktop Blog test site" in text
    assert "WordPress REST API" in text
    assert wordpress.user in text
    dialog.add_button.click()
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT_MS)
    close_message_box(qtbot, window)
    qtbot.waitUntil(lambda: tree_blogs(window) == ["Desktop Blog test site"], timeout=WAIT_MS)
    # adding pulls the blog's posts (WordPress's own sample post among them)
    ctl = controller(window)
    qtbot.waitUntil(lambda: "Fetched posts" in ctl.last_message, timeout=60_000)


def find_remote(api: httpx.Client, title: str) -> list[dict]:
    answer = api.get("wp/v2/posts", params={"search": title, "status": "any", "context": "edit"})
    assert answer.status_code == 200, answer.text[:300]
    return [p for p in answer.json() if p["title"]["raw"] == title]


def test_add_the_real_blog_and_publish_from_the_window(qtbot, window, wordpress, api) -> None:
    add_real_blog(qtbot, window, wordpress)
    ctl = controller(window)
    title = unique("From the window")
    type_post(qtbot, window, title, "Published *for real*.\n")
    ctl.show_outbox()
    ctl.actions["publish_now"].trigger()
    row = wait_row(qtbot, window, title, "done")
    (remote,) = find_remote(api, title)
    assert remote["status"] == "publish"
    assert "<em>for real</em>" in remote["content"]["raw"]
    assert row.message.startswith(wordpress.url)
    public = httpx.get(row.message, timeout=30, trust_env=False)
    assert public.status_code == 200 and title in public.text


@pytest.mark.parametrize("choice", ["keep_mine", "take_theirs"])
def test_conflict_made_on_the_real_blog(qtbot, window, wordpress, api, choice) -> None:
    add_real_blog(qtbot, window, wordpress)
    ctl = controller(window)
    title = unique("Contested")
    type_post(qtbot, window, title, "First line.\n\nSecond line.\n")
    ctl.actions["publish_now"].trigger()
    wait_row(qtbot, window, title, "done")
    (remote,) = find_remote(api, title)
    # no waiting: an edit in the second of the publish leaves modified_gmt (whole seconds) as
    # it was, and the update still sees it (the text differs from the last sync's)
    edited = api.post(
        f"wp/v2/posts/{remote['id']}",
        json={"content": "<p>First line.</p>\n<p>Second line, changed on the server.</p>"},
    )
    assert edited.status_code == 200, edited.text[:300]

    window.editor_panel.editor.setPlainText("First line.\n\nSecond line, changed here.\n")
    qtbot.waitUntil(lambda: not window.autosaver.has_unsaved(), timeout=WAIT_MS)
    ctl.actions["update"].trigger()
    qtbot.waitUntil(
        lambda: ctl.conflict_prompt is not None and not closed(ctl.conflict_prompt),
        timeout=60_000,
    )
    next(b for b in ctl.conflict_prompt.buttons() if "Resolve" in b.text()).click()
    qtbot.waitUntil(
        lambda: ctl.conflict_dialog is not None and not closed(ctl.conflict_dialog),
        timeout=WAIT_MS,
    )
    dialog = ctl.conflict_dialog
    qtbot.waitUntil(lambda: dialog.keep_button.isEnabled(), timeout=WAIT_MS)
    assert "changed here" in dialog.local_view.toPlainText()
    assert "changed on the server" in dialog.remote_view.toPlainText()

    def content() -> str:
        return api.get(f"wp/v2/posts/{remote['id']}", params={"context": "edit"}).json()["content"][
            "raw"
        ]

    if choice == "keep_mine":
        dialog.keep_button.click()
        qtbot.waitUntil(lambda: "changed here" in content(), timeout=60_000)
        assert "changed on the server" not in content()
    else:
        dialog.theirs_button.click()
        qtbot.waitUntil(
            lambda: "changed on the server" in window.editor_panel.editor.toPlainText(),
            timeout=WAIT_MS,
        )
        assert "changed on the server" in content()
    qtbot.waitUntil(lambda: not any(r.state == "conflict" for r in ctl.panel.rows), timeout=WAIT_MS)


def test_a_page_with_a_featured_image_from_the_window(
    qtbot, window, wordpress, api, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_blog.ui import featured_image
    from tests.images import png

    add_real_blog(qtbot, window, wordpress)
    ctl = controller(window)
    title = unique("A page from the window")
    type_post(qtbot, window, title, "About this site.\n")
    panel = window.editor_panel.metadata
    panel.kind.setCurrentIndex(panel.kind.findData("page"))
    panel.kind.activated.emit(panel.kind.currentIndex())
    picture = tmp_path / "window-cover.png"
    picture.write_bytes(png(16, 9, 120))
    monkeypatch.setattr(featured_image, "choose_image_file", lambda _parent: str(picture))
    panel.featured.menu.aboutToShow.emit()
    (from_file,) = [a for a in panel.featured.menu.actions() if a.text() == "Image File…"]
    from_file.trigger()
    qtbot.waitUntil(lambda: not window.autosaver.has_unsaved(), timeout=WAIT_MS)

    ctl.actions["publish_now"].trigger()
    wait_row(qtbot, window, title, "done")
    pages = api.get("wp/v2/pages", params={"search": title, "context": "edit"}).json()
    (page,) = [p for p in pages if p["title"]["raw"] == title]
    assert page["status"] == "publish" and page["featured_media"] > 0
    item = api.get(f"wp/v2/media/{page['featured_media']}").json()
    image = httpx.get(item["source_url"], timeout=30, trust_env=False)
    assert image.content == picture.read_bytes()
    assert find_remote(api, title) == []  # a page, not a post
    qtbot.waitUntil(lambda: not panel.kind.isEnabled(), timeout=WAIT_MS)  # stays a page
