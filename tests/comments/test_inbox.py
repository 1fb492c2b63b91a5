"""ui.comment_inbox: the hostile corpus in the real detail view, keyboard actions and undo,
filter counts and search (through the real threads too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from comment_helpers import T0, remote
from hostile import BEACON, HOSTILE
from PySide6.QtCore import QEvent, QModelIndex, Qt, QUrl
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript
from PySide6.QtWidgets import QApplication

from desktop_blog.core import comments as core
from desktop_blog.core.models import Comment
from desktop_blog.render.sanitize import to_text
from desktop_blog.ui.comment_inbox import CommentInbox
from desktop_blog.ui.comment_model import STATE
from desktop_blog.ui.tasks import TaskManager

APP_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld
LOAD_TIMEOUT = 15_000


@pytest.fixture
def opened(qtbot):
    made: list[CommentInbox] = []

    def make(library, *, synchronous: bool = True) -> tuple[CommentInbox, list[QUrl]]:
        tasks = TaskManager(synchronous=synchronous)
        opened_urls: list[QUrl] = []
        inbox = CommentInbox(tasks, open_url=opened_urls.append)
        qtbot.addWidget(inbox)
        inbox.resize(1000, 700)
        inbox.show()
        qtbot.waitExposed(inbox)
        inbox.activateWindow()
        inbox.set_library(library)
        inbox.table.setFocus()
        inbox._tasks_keepalive = tasks  # noqa: SLF001
        made.append(inbox)
        return inbox, opened_urls

    yield make
    # Delete the pages now, not at exit after their profile ("Release of profile requested but
    # WebEnginePage still not deleted", then a crash at exit).
    for inbox in made:
        inbox._tasks_keepalive.shutdown()  # noqa: SLF001
    QApplication.processEvents()  # callbacks of finished tasks, while the views still exist
    for inbox in made:
        inbox.close()
        inbox.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def js(qtbot, inbox: CommentInbox, script: str):
    result = []
    inbox.detail.page().runJavaScript(script, APP_WORLD, result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=LOAD_TIMEOUT)
    return result[0]


def show_and_wait(qtbot, inbox: CommentInbox, row: int) -> int:
    cid = inbox.model.comment_id(row)
    with qtbot.waitSignal(
        inbox.detailShown, timeout=LOAD_TIMEOUT, check_params_cb=lambda c: c == cid
    ):
        inbox.select_row(row)
    return cid


PROBE = """(() => {
  const bad = document.querySelectorAll(
    'script, style:not(head style), svg, math, img, iframe, object, embed, link, meta[http-equiv=refresh], form, video, audio, base, [style]:not(.db-thread-reply)');
  let handlers = 0;
  for (const el of document.querySelectorAll('*'))
    for (const a of el.attributes) if (a.name.startsWith('on')) handlers++;
  return JSON.stringify({title: document.title, bad: bad.length, handlers,
    text: document.body.innerText.length, href: location.href});
})()"""


def test_hostile_corpus_in_the_real_detail_view(qtbot, lib, opened):
    import json

    with lib.session() as s:
        stored = core.upsert_remote_comments(
            s,
            1,
            [
                remote(i, content=to_text(raw), author=f"Hostile {name}", minutes=-i)
                for i, (name, raw) in enumerate(HOSTILE, start=1)
            ],
        )
    inbox, opened_urls = opened(lib)
    assert inbox.model.rowCount() == len(HOSTILE)
    assert inbox.filter_buttons["hold"].text() == f"Pending ({len(HOSTILE)})"
    for row in range(len(HOSTILE)):
        cid = show_and_wait(qtbot, inbox, row)
        probe = json.loads(js(qtbot, inbox, PROBE))
        assert probe["title"] == f"Comment {cid}", probe
        assert probe["bad"] == 0 and probe["handlers"] == 0, (row, probe)
        # The list stays usable: every row shows its author and an excerpt.
        assert inbox.model.data(inbox.model.index(row, 0)).startswith("Hostile")
        inbox.model.data(inbox.model.index(row, 1))
    assert inbox.detail.blocked_requests == []
    assert opened_urls == []
    # The 1 MB comment shows whole.
    huge = dict(zip([n for n, _ in HOSTILE], stored.ids, strict=True))["huge comment"]
    row = inbox.model.row_of(huge)
    show_and_wait(qtbot, inbox, row)
    assert json.loads(js(qtbot, inbox, PROBE))["text"] > 1_000_000
    assert inbox.detail.blocked_requests == []


def test_request_counter_does_count(qtbot, lib, opened):
    """The counter is not blind: a page that asks for a stylesheet is counted (and blocked)."""
    inbox, _ = opened(lib)
    with qtbot.waitSignal(inbox.detail.page().loadFinished, timeout=LOAD_TIMEOUT):
        inbox.detail.show_html(
            f"<html><head><link rel=stylesheet href='http://{BEACON}/x.css'></head>"
            "<body>x</body></html>"
        )
    qtbot.waitUntil(lambda: len(inbox.detail.blocked_requests) >= 1, timeout=LOAD_TIMEOUT)
    assert all(BEACON in url for url in inbox.detail.blocked_requests), (
        inbox.detail.blocked_requests
    )


def test_links_open_outside_only_when_clicked(qtbot, lib, opened):
    inbox, opened_urls = opened(lib)
    qtbot.waitUntil(lambda: inbox.detail._shell_ready, timeout=LOAD_TIMEOUT)  # noqa: SLF001
    page = inbox.detail.page()
    clicked = QWebEnginePage.NavigationType.NavigationTypeLinkClicked
    other = QWebEnginePage.NavigationType.NavigationTypeOther
    assert not page.acceptNavigationRequest(QUrl("https://example.com/a"), clicked, True)
    assert [u.toString() for u in opened_urls] == ["https://example.com/a"]
    assert not page.acceptNavigationRequest(QUrl("javascript:alert(1)"), clicked, True)
    assert not page.acceptNavigationRequest(QUrl("https://example.com/b"), other, True)
    assert not page.acceptNavigationRequest(QUrl("https://example.com/c"), other, False)
    assert len(opened_urls) == 1


def _status(lib, cid):
    with lib.session() as s:
        return s.get(Comment, cid).status


def test_keyboard_actions_and_undo(qtbot, filled, opened):
    inbox, _ = opened(filled)
    actions = []
    inbox.actionRequested.connect(lambda ids, action: actions.append((list(ids), action)))
    assert inbox.filter_buttons["hold"].text() == "Pending (13)"
    first = inbox.current_comment_id()
    assert first == inbox.model.comment_id(0)
    qtbot.keyClick(inbox.table, Qt.Key.Key_J)
    assert inbox.table.currentIndex().row() == 1
    qtbot.keyClick(inbox.table, Qt.Key.Key_K)
    assert inbox.table.currentIndex().row() == 0
    qtbot.keyClick(inbox.table, Qt.Key.Key_A)
    assert _status(filled, first) == "approve"
    assert actions == [([first], "approve")]
    assert inbox.model.data(inbox.model.index(0, STATE)) == "Approved"
    assert inbox.table.currentIndex().row() == 1  # moved on to the next
    assert inbox.filter_buttons["hold"].text() == "Pending (12)"
    second = inbox.current_comment_id()
    qtbot.keyClick(inbox.table, Qt.Key.Key_S)
    assert _status(filled, second) == "spam"
    third = inbox.current_comment_id()
    qtbot.keyClick(inbox.table, Qt.Key.Key_D)
    assert _status(filled, third) == "trash"
    qtbot.keyClick(inbox.table, Qt.Key.Key_Z)
    assert _status(filled, third) == "hold"
    assert actions[-1] == ([third], "hold")
    qtbot.keyClick(inbox.table, Qt.Key.Key_Z)
    assert _status(filled, second) == "hold"
    qtbot.keyClick(inbox.table, Qt.Key.Key_Z)
    assert _status(filled, first) == "hold"
    assert inbox.filter_buttons["hold"].text() == "Pending (13)"
    qtbot.keyClick(inbox.table, Qt.Key.Key_Z)  # nothing left: no change
    assert inbox.status_label.text() == "Nothing to undo."
    # U marks the current one unread; Z reads it again.
    inbox.select_row(0)
    current = inbox.current_comment_id()
    with filled.session() as s:
        core.mark_read(s, [current])
    qtbot.keyClick(inbox.table, Qt.Key.Key_U)
    with filled.session() as s:
        assert s.get(Comment, current).is_read is False
    assert inbox.model.data(inbox.model.index(0, 0), Qt.ItemDataRole.FontRole).bold()
    qtbot.keyClick(inbox.table, Qt.Key.Key_Z)
    with filled.session() as s:
        assert s.get(Comment, current).is_read is True


def test_bulk_action_on_a_selection(qtbot, filled, opened):
    inbox, _ = opened(filled)
    inbox.table.selectAll()
    ids = inbox.selected_ids()
    assert len(ids) == 13
    with qtbot.waitSignal(inbox.actionRequested) as signal:
        qtbot.keyClick(inbox.table, Qt.Key.Key_S)
    assert sorted(signal.args[0]) == sorted(ids) and signal.args[1] == "spam"
    assert inbox.filter_buttons["hold"].text() == "Pending (0)"
    qtbot.keyClick(inbox.table, Qt.Key.Key_Z)
    assert inbox.filter_buttons["hold"].text() == "Pending (13)"


def test_reply_box(qtbot, filled, opened):
    inbox, _ = opened(filled)
    cid = inbox.current_comment_id()
    qtbot.keyClick(inbox.table, Qt.Key.Key_R)
    assert inbox.reply_panel.isVisible()
    qtbot.keyClicks(inbox.reply_box, "Thanks, *really*")  # letters go to the box
    assert inbox.reply_box.toPlainText() == "Thanks, *really*"
    assert "<em>really</em>" in inbox.reply_html()
    with qtbot.waitSignal(inbox.replyRequested) as signal:
        qtbot.keyClick(inbox.reply_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert signal.args == [cid, "Thanks, *really*"]
    assert not inbox.reply_panel.isVisible()
    assert _status(filled, cid) == "hold"  # nothing else changed


def test_filters_and_counts(qtbot, filled, opened):
    inbox, _ = opened(filled)
    texts = [b.text() for b in inbox.filter_buttons.values()]
    assert texts == ["Pending (13)", "Approved (5)", "Spam (5)", "Trash (5)", "All (28)"]
    inbox.set_status_filter(None)
    assert inbox.model.rowCount() == 28
    inbox.set_blog_filter(2)
    assert inbox.model.rowCount() == 3
    assert inbox.filter_buttons[None].text() == "All (3)"
    inbox.set_blog_filter(None)
    inbox.set_post_filter(11, "Second post")
    assert inbox.model.rowCount() == 5 and inbox.post_label.isVisible()
    inbox.set_post_filter(None)
    inbox.set_status_filter("spam")
    assert inbox.model.rowCount() == 5
    # Showing a comment reads it (its detail follows the list); unread only then leaves it out.
    with qtbot.waitSignal(inbox.detailShown, timeout=LOAD_TIMEOUT):
        inbox.set_status_filter("hold")
    shown = inbox.current_comment_id()
    assert inbox.model.data(inbox.model.index(0, 0), Qt.ItemDataRole.FontRole) is None
    with filled.session() as s:
        assert s.get(Comment, shown).is_read
    inbox.unread_box.setChecked(True)
    assert shown not in inbox.model.ids


def test_search_as_you_type_through_the_real_threads(qtbot, filled, opened):
    inbox, _ = opened(filled, synchronous=False)
    inbox.set_status_filter(None)
    with qtbot.waitSignal(inbox.listReady, timeout=5000):
        qtbot.keyClicks(inbox.search_box, "wha")
    assert inbox.model.rowCount() == 3
    assert inbox.filter_buttons[None].text() == "All (3)"
    with qtbot.waitSignal(inbox.listReady, timeout=5000):
        inbox.search_box.setText("number 21")
    assert [inbox.model.row_data(0).author] == ["Author 21"]
    with qtbot.waitSignal(inbox.listReady, timeout=5000):
        inbox.search_box.clear()
    assert inbox.model.rowCount() == 28


def test_new_comments_arrive(qtbot, lib, opened):
    inbox, _ = opened(lib)
    assert inbox.model.rowCount() == 0
    with lib.session() as s:
        core.upsert_remote_comments(
            s,
            1,
            [remote(i, minutes=int(timedelta(days=1).total_seconds() // 60) + i) for i in (1, 2)],
        )
    inbox.reload()
    assert inbox.model.rowCount() == 2
    assert inbox.model.row_data(0).date > T0
    assert inbox.model.canFetchMore(QModelIndex()) is False


def _jobs(lib):
    from desktop_blog.core import outbox

    with lib.session() as s:
        return outbox.list_jobs(s)


def test_each_action_writes_its_outbox_job_and_undo_takes_it_back(qtbot, filled, opened):
    inbox, _ = opened(filled)
    first = inbox.current_comment_id()
    qtbot.keyClick(inbox.table, Qt.Key.Key_A)
    [job] = _jobs(filled)
    assert (job.comment_id, job.operation, job.payload["status"]) == (
        first,
        core.OP_STATUS,
        "approve",
    )
    qtbot.keyClick(inbox.table, Qt.Key.Key_Z)  # not sent yet: nothing left to send
    assert _status(filled, first) == "hold" and _jobs(filled) == []


def test_buttons_spam_not_spam_trash_restore(qtbot, filled, opened):
    inbox, _ = opened(filled)
    cid = inbox.current_comment_id()
    inbox.action_buttons["spam"].click()
    assert _status(filled, cid) == "spam"
    inbox.apply_action("not_spam", [cid])
    assert _status(filled, cid) == "hold"
    inbox.apply_status("approve", [cid])
    inbox.apply_status("trash", [cid])
    inbox.apply_action("restore", [cid])
    assert _status(filled, cid) == "approve"  # what it was before the trash
    assert inbox.model.data(inbox.model.index(0, STATE)) == "Approved"


def test_delete_for_good_asks_first(qtbot, filled, opened):
    inbox, _ = opened(filled)
    cid = inbox.current_comment_id()
    answers = [False, True]
    inbox.confirm_delete = lambda n: answers.pop(0)
    inbox.action_buttons["delete"].click()
    assert _status(filled, cid) == "hold"  # "Cancel": nothing happened
    inbox.action_buttons["delete"].click()
    with filled.session() as s:
        assert s.get(Comment, cid) is None
    assert inbox.current_comment_id() != cid
    assert [j.operation for j in _jobs(filled)] == [core.OP_DELETE]
    assert inbox.filter_buttons["hold"].text() == "Pending (12)"


def test_edit_changes_the_text_here_and_queues_it(qtbot, filled, opened):
    inbox, _ = opened(filled)
    cid = inbox.current_comment_id()
    inbox.ask_edit = lambda text: text.replace("Comment", "Edited comment")
    inbox.action_buttons["edit"].click()
    with filled.session() as s:
        assert s.get(Comment, cid).content.startswith("<p>Edited comment")
    [job] = _jobs(filled)
    assert job.operation == core.OP_EDIT and "Edited" in job.payload["content_html"]
