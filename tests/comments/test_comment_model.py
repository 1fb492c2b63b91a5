"""ui.comment_model: ids only, rows lazily, checked with qtmodeltester."""

from __future__ import annotations

from comment_helpers import remote
from PySide6.QtCore import QModelIndex, Qt

from desktop_blog.core import comments as core
from desktop_blog.core.comments import CommentFilter
from desktop_blog.ui import comment_model
from desktop_blog.ui.comment_model import (
    AUTHOR,
    EXCERPT,
    POST,
    STATE,
    CommentIdRole,
    CommentTableModel,
)


def test_model_passes_qtmodeltester(qtmodeltester, filled):
    model = CommentTableModel(filled.session)
    model.set_filter(CommentFilter(None))
    assert model.rowCount() == 28
    qtmodeltester.check(model)
    model.set_filter(CommentFilter("spam", blog_id=1))
    qtmodeltester.check(model)
    model.set_filter(CommentFilter("hold", search="nothing-matches-this"))
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_rows_show_author_excerpt_post_state_and_bold_unread(filled):
    model = CommentTableModel(filled.session)
    model.set_filter(CommentFilter("hold", post_id=11))
    first = model.index(0, 0)
    assert model.data(first.siblingAtColumn(AUTHOR)) == "Author 25"
    assert model.data(first.siblingAtColumn(EXCERPT)) == "Comment number 25"
    assert model.data(first.siblingAtColumn(POST)) == "Second post"
    assert model.data(first.siblingAtColumn(STATE)) == "Pending"
    assert model.data(first, Qt.ItemDataRole.FontRole).bold()
    cid = model.data(first, CommentIdRole)
    with filled.session() as s:
        core.mark_read(s, [cid])
    model.update_rows([cid], is_read=True)
    assert model.data(first, Qt.ItemDataRole.FontRole) is None
    model.update_rows([cid], status="spam")
    assert model.data(first.siblingAtColumn(STATE)) == "Spam"


def test_lazy_ids_and_rows(lib, qtmodeltester, monkeypatch):
    monkeypatch.setattr(comment_model, "BATCH", 50)
    with lib.session() as s:
        core.upsert_remote_comments(s, 1, [remote(i) for i in range(1, 161)])
    model = CommentTableModel(lib.session)
    model.set_filter(CommentFilter("hold"))
    assert model.rowCount() == 50 and model.canFetchMore(QModelIndex())
    reads = model.reads
    model.data(model.index(0, 0))
    assert model.reads == reads + 1  # one window for many rows
    model.data(model.index(10, 0))
    assert model.reads == reads + 1
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 160
    assert len(set(model.ids)) == 160
    assert model.row_of(model.comment_id(120)) == 120
    assert len(model._cache) <= comment_model.ROW_CACHE
    qtmodeltester.check(model)
