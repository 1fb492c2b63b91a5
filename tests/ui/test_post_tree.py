"""The post tree: its lazy model, search as you type, and a selection that survives changes."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from sqlalchemy import insert, select

from desktop_blog.core import library as core
from desktop_blog.core import search
from desktop_blog.core.db import open_library
from desktop_blog.core.models import Blog, Post
from desktop_blog.ui import post_tree, post_tree_model
from desktop_blog.ui.post_tree import PostTree
from desktop_blog.ui.post_tree_model import (
    BATCH,
    NodeKindRole,
    PostIdRole,
    PostTreeModel,
    StatusRole,
    load_snapshot,
)
from desktop_blog.ui.tasks import TaskManager

DISPLAY = Qt.ItemDataRole.DisplayRole
BASE = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def tree_library(tmp_path):
    lib = open_library(tmp_path / "library")
    yield lib
    lib.close()


@pytest.fixture
def sync_tasks(qapp):
    tasks = TaskManager(synchronous=True)
    yield tasks
    tasks.shutdown()


@pytest.fixture
def real_tasks(qapp):
    tasks = TaskManager()
    yield tasks
    tasks.shutdown()


def add_posts(lib, n, *, status="published", blog_id=None, title="Post {i}", body="", start=0):
    """Bulk-insert ``n`` posts, post i changed ``start + i`` minutes after BASE; returns their
    ids newest first (the tree's order)."""
    uuids = [str(uuid.uuid4()) for _ in range(n)]
    rows = [
        {
            "uuid": uuids[i],
            "blog_id": blog_id,
            "kind": "post",
            "title": title.format(i=i),
            "slug": "",
            "body": body.format(i=i),
            "excerpt": "",
            "status": status,
            "created_at": BASE,
            "updated_at": BASE + timedelta(minutes=start + i),
        }
        for i in range(n)
    ]
    with lib.engine.begin() as con:
        con.execute(insert(Post.__table__), rows)
    with lib.session() as s:
        return list(
            s.scalars(
                select(Post.id)
                .where(Post.uuid.in_(uuids))
                .order_by(Post.updated_at.desc(), Post.id.desc())
            )
        )


def mixed_library(lib):
    """1,000 posts across the four statuses, plus a blog with a few of its own."""
    add_posts(lib, 600, status="published")
    add_posts(lib, 250, status="draft", title="Draft {i}")
    add_posts(lib, 100, status="trash")
    add_posts(lib, 50, status="scheduled")
    with lib.session() as s:
        blog = Blog(name="My blog", kind="wordpress-rest", url="https://e.test", username="me")
        s.add(blog)
        s.commit()
        blog_id = blog.id
    add_posts(lib, 30, status="published", blog_id=blog_id, title="Remote {i}")
    return blog_id


def loaded_model(lib, tasks=None) -> PostTreeModel:
    model = PostTreeModel(lib, tasks)
    with lib.session() as s:
        model.apply_snapshot(load_snapshot(s))
    return model


def folder_text(tree_or_model, status, blog_id=None) -> str:
    model = tree_or_model.model if isinstance(tree_or_model, PostTree) else tree_or_model
    return model.folder_index(blog_id, status).data(DISPLAY)


def make_tree(qtbot, lib, tasks) -> PostTree:
    tree = PostTree(lib, tasks)
    qtbot.addWidget(tree)
    tree.resize(320, 600)
    tree.show()
    return tree


# --- the model -------------------------------------------------------------------------------


def test_model_passes_the_model_tester(tree_library, qtmodeltester):
    mixed_library(tree_library)
    model = loaded_model(tree_library)
    qtmodeltester.check(model)
    published = model.folder_index(None, "published")
    while model.canFetchMore(published):
        model.fetchMore(published)
    assert model.rowCount(published) == 600
    qtmodeltester.check(model)


def test_model_passes_the_model_tester_while_searching(tree_library, qtmodeltester):
    add_posts(tree_library, 300, title="Apple {i}", body="common words")
    add_posts(tree_library, 300, status="draft", title="Pear {i}", body="common words")
    model = loaded_model(tree_library)
    qtmodeltester.check(model)
    with tree_library.session() as s:
        model.apply_snapshot(load_snapshot(s, query="common"))
    qtmodeltester.check(model)


def test_structure_roles_and_counts(tree_library):
    blog_id = mixed_library(tree_library)
    add_posts(tree_library, 1, status="draft", title="   ", start=10_000)
    model = loaded_model(tree_library)
    assert model.rowCount() == 2
    local, blog = model.index(0, 0), model.index(1, 0)
    assert local.data(DISPLAY) == "On this computer"
    assert blog.data(DISPLAY) == "My blog"
    assert local.data(NodeKindRole) == "library"
    assert [model.index(r, 0, local).data(DISPLAY) for r in range(4)] == [
        "Drafts (251)",
        "Scheduled (50)",
        "Published (600)",
        "Trash (100)",
    ]
    assert folder_text(model, "published", blog_id) == "Published (30)"
    drafts = model.folder_index(None, "draft")
    assert drafts.data(NodeKindRole) == "folder" and drafts.data(StatusRole) == "draft"
    newest = model.index(0, 0, drafts)
    assert newest.data(NodeKindRole) == "post"
    assert newest.data(DISPLAY) == "Untitled"
    assert isinstance(newest.data(PostIdRole), int)
    assert model.index(1, 0, drafts).data(DISPLAY) == "Draft 249"  # newest first
    assert model.parent(newest) == drafts
    assert model.parent(drafts) == local


def test_loading_is_lazy(tree_library):
    add_posts(tree_library, 1000, title="Post {i}")
    model = loaded_model(tree_library)
    published = model.folder_index(None, "published")
    assert model.rowCount(published) == BATCH
    assert model.canFetchMore(published)
    assert model.cached_summaries() == 0
    model.fetchMore(published)
    assert model.rowCount(published) == 2 * BATCH
    # Showing a row reads a window of summaries around it, not the folder.
    assert model.index(300, 0, published).data(DISPLAY) == "Post 699"
    assert model.summary_loads == 1
    assert 0 < model.cached_summaries() <= 200
    assert model.index(301, 0, published).data(DISPLAY) == "Post 698"
    assert model.summary_loads == 1
    while model.canFetchMore(published):
        model.fetchMore(published)
    assert model.rowCount(published) == 1000
    assert model.index(999, 0, published).data(DISPLAY) == "Post 0"


def test_fetch_more_inserts_exactly_the_new_rows(tree_library, qtbot):
    add_posts(tree_library, 450)
    model = loaded_model(tree_library)
    published = model.folder_index(None, "published")
    seen = []
    model.rowsInserted.connect(lambda parent, first, last: seen.append((parent, first, last)))
    model.fetchMore(published)
    model.fetchMore(published)
    assert seen == [(published, 200, 399), (published, 400, 449)]
    assert not model.canFetchMore(published)


def test_a_folder_fetches_more_when_its_end_comes_into_view(tree_library, sync_tasks, qtbot):
    add_posts(tree_library, 500, status="draft")
    add_posts(tree_library, 500, status="published")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    model = tree.model
    drafts, published = model.folder_index(None, "draft"), model.folder_index(None, "published")
    tree.view.expand(published)
    qtbot.wait(50)
    assert model.rowCount(drafts) == BATCH  # not one page per layout
    assert model.rowCount(published) == BATCH
    # The end of Drafts, with Published open below it: Drafts gets its next page.
    tree.view.scrollTo(model.index(BATCH - 1, 0, drafts))
    qtbot.waitUntil(lambda: model.rowCount(drafts) == 2 * BATCH)
    assert model.rowCount(published) == BATCH
    tree.view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount(published) == 2 * BATCH)


# --- the widget: selection across changes ------------------------------------------------------


def test_shows_at_once_with_local_drafts_expanded(tree_library, sync_tasks, qtbot):
    add_posts(tree_library, 5, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    model = tree.model
    assert tree.view.isExpanded(model.library_index(None))
    assert tree.view.isExpanded(model.folder_index(None, "draft"))
    assert not tree.view.isExpanded(model.folder_index(None, "published"))
    assert folder_text(tree, "draft") == "Drafts (5)"
    assert tree.search_box.placeholderText() == "Search posts"
    assert tree.current_post_id() is None


def test_clicking_a_post_selects_it(tree_library, sync_tasks, qtbot):
    ids = add_posts(tree_library, 5, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    index = tree.model.index_of(ids[2])
    rect = tree.view.visualRect(index)
    with qtbot.waitSignal(tree.postSelected) as blocker:
        qtbot.mouseClick(tree.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [ids[2]]
    assert tree.current_post_id() == ids[2]
    with qtbot.waitSignal(tree.postSelected) as blocker:
        tree.view.setCurrentIndex(tree.model.folder_index(None, "draft"))
    assert blocker.args == [None]


def test_selection_survives_trash_restore_rename_and_delete(tree_library, sync_tasks, qtbot):
    ids = add_posts(tree_library, 10, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    target = ids[3]
    tree.select_post(target)
    assert tree.current_post_id() == target
    emitted = []
    tree.postSelected.connect(emitted.append)

    with tree_library.session() as s:
        core.trash_post(s, target)
        s.commit()
    tree.refresh()
    assert tree.current_post_id() == target
    index = tree.view.currentIndex()
    assert index.data(PostIdRole) == target and index.data(StatusRole) == "trash"
    assert tree.view.isExpanded(tree.model.folder_index(None, "trash"))
    assert folder_text(tree, "draft") == "Drafts (9)"
    assert folder_text(tree, "trash") == "Trash (1)"

    with tree_library.session() as s:
        core.restore_post(s, target)
        s.commit()
    tree.refresh(select=target)
    assert tree.view.currentIndex().data(StatusRole) == "draft"
    assert tree.view.currentIndex().data(PostIdRole) == target
    # Restoring changed the post, so it is now the newest draft.
    assert tree.view.currentIndex().row() == 0

    with tree_library.session() as s:
        core.update_post(s, ids[7], title="Renamed")
        s.commit()
    tree.refresh()
    assert tree.current_post_id() == target
    assert tree.model.index_of(ids[7]).data(DISPLAY) == "Renamed"
    assert tree.model.index_of(ids[7]).row() == 0  # moved to the top, the selection stayed
    assert tree.view.currentIndex().data(PostIdRole) == target
    assert emitted == []  # the same post all along: nobody was told to load another

    # Deleted: its neighbour takes the selection, and the window is told.
    row = tree.view.currentIndex().row()
    below = tree.model.index(row + 1, 0, tree.view.currentIndex().parent()).data(PostIdRole)
    with tree_library.session() as s:
        core.delete_post(s, target)
        s.commit()
    tree.refresh()
    assert tree.current_post_id() == below
    assert tree.view.currentIndex().data(PostIdRole) == below
    assert emitted == [below]


def test_deleting_the_last_post_of_a_folder_selects_the_one_above(tree_library, sync_tasks, qtbot):
    ids = add_posts(tree_library, 3, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    tree.select_post(ids[-1])
    with tree_library.session() as s:
        core.delete_post(s, ids[-1])
        s.commit()
    tree.refresh(select=None)
    assert tree.current_post_id() == ids[-2]


def test_refresh_selects_a_new_post_and_keeps_expanded_folders(tree_library, sync_tasks, qtbot):
    add_posts(tree_library, 3, status="draft")
    add_posts(tree_library, 3, status="published")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    model = tree.model
    tree.view.collapse(model.folder_index(None, "draft"))
    tree.view.expand(model.folder_index(None, "published"))
    with tree_library.session() as s:
        new = core.create_post(s, "Fresh")
        s.commit()
    with qtbot.waitSignal(tree.postSelected) as blocker:
        tree.refresh(select=new.id)
    assert blocker.args == [new.id]
    assert tree.view.isExpanded(model.folder_index(None, "published"))
    assert tree.view.isExpanded(model.folder_index(None, "draft"))  # to show the new post
    assert folder_text(tree, "draft") == "Drafts (4)"
    assert tree.view.currentIndex().data(DISPLAY) == "Fresh"


def test_refresh_right_after_creation_selects_through_the_real_threads(
    tree_library, real_tasks, qtbot
):
    """What the main window does: create the tree, then at once refresh(select=the post)."""
    ids = add_posts(tree_library, 700, status="published")
    tree = PostTree(tree_library, real_tasks)
    qtbot.addWidget(tree)
    tree.show()
    with qtbot.waitSignal(tree.postSelected, timeout=5000) as blocker:
        tree.refresh(select=ids[650])
    assert blocker.args == [ids[650]]
    assert tree.view.currentIndex().data(PostIdRole) == ids[650]
    qtbot.waitUntil(lambda: folder_text(tree, "published") == "Published (700)")
    assert tree.view.currentIndex().data(PostIdRole) == ids[650]
    assert tree.view.isExpanded(tree.model.folder_index(None, "published"))


def test_select_post_deep_in_a_folder(tree_library, sync_tasks, qtbot):
    ids = add_posts(tree_library, 1500, status="published")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    published = tree.model.folder_index(None, "published")
    assert tree.model.rowCount(published) == BATCH
    oldest = ids[-1]
    with qtbot.waitSignal(tree.postSelected) as blocker:
        tree.select_post(oldest)
    assert blocker.args == [oldest]
    assert tree.current_post_id() == oldest
    assert tree.view.isExpanded(published)
    assert tree.view.currentIndex().row() == 1499
    assert tree.view.currentIndex().data(DISPLAY) == "Post 0"
    # And it stays selected, loaded, across a refresh.
    tree.refresh()
    assert tree.view.currentIndex().data(PostIdRole) == oldest


def test_set_post_title_shows_at_once_without_reading(tree_library, sync_tasks, qtbot):
    ids = add_posts(tree_library, 3, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    index = tree.model.index_of(ids[0])
    assert index.data(DISPLAY) == "Post 2"
    loads = tree.model.summary_loads
    changed = []
    tree.model.dataChanged.connect(lambda a, b, roles: changed.append((a, b)))
    tree.set_post_title(ids[0], "Typed title")
    assert index.data(DISPLAY) == "Typed title"
    assert changed == [(index, index)]
    assert tree.model.summary_loads == loads
    tree.set_post_title(ids[0], "")
    assert index.data(DISPLAY) == "Untitled"


def test_a_blog_node_appears(tree_library, sync_tasks, qtbot):
    add_posts(tree_library, 2, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    assert tree.model.rowCount() == 1
    with tree_library.session() as s:
        s.add(Blog(name="Travel notes", kind="wordpress-rest", url="https://t.test", username="a"))
        s.commit()
        blog_id = s.query(Blog.id).scalar()
    add_posts(tree_library, 4, status="published", blog_id=blog_id, title="Trip {i}")
    tree.refresh()
    assert tree.model.rowCount() == 2
    blog = tree.model.index(1, 0)
    assert blog.data(DISPLAY) == "Travel notes"
    assert blog.data(NodeKindRole) == "library"
    assert folder_text(tree, "published", blog_id) == "Published (4)"
    # The local library keeps its state.
    assert tree.view.isExpanded(tree.model.folder_index(None, "draft"))


def test_context_actions_show_on_right_click(tree_library, sync_tasks, qtbot, monkeypatch):
    from PySide6.QtGui import QAction

    add_posts(tree_library, 2, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    shown = []
    monkeypatch.setattr(
        post_tree.QMenu, "exec", staticmethod(lambda actions, *a: shown.append(actions))
    )
    action = QAction("Rename", tree)
    tree.set_context_actions([action])
    tree.view.customContextMenuRequested.emit(tree.view.visualRect(tree.model.index(0, 0)).center())
    assert shown == [[action]]


def test_icons_come_after_the_rows(tree_library, sync_tasks, qtbot):
    add_posts(tree_library, 1, status="draft")
    tree = make_tree(qtbot, tree_library, sync_tasks)
    post = tree.model.index(0, 0, tree.model.folder_index(None, "draft"))
    assert not post.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert not tree.model.folder_index(None, "trash").data(Qt.ItemDataRole.DecorationRole).isNull()


# --- search ------------------------------------------------------------------------------------


def gardening_library(lib):
    add_posts(lib, 40, status="published", title="Cars {i}", body="engines and wheels")
    garden = add_posts(
        lib, 3, status="draft", title="Garden {i}", body="tomatoes and basil", start=100
    )
    add_posts(lib, 2, status="trash", title="Old garden {i}", body="weeds", start=200)
    return garden


def test_search_filters_as_you_type_through_the_real_threads(tree_library, real_tasks, qtbot):
    garden = gardening_library(tree_library)
    tree = make_tree(qtbot, tree_library, real_tasks)
    qtbot.waitUntil(lambda: folder_text(tree, "published") == "Published (40)")
    tree.select_post(garden[1])
    assert tree.current_post_id() == garden[1]
    emitted = []
    tree.postSelected.connect(emitted.append)

    qtbot.keyClicks(tree.search_box, "gard")
    qtbot.waitUntil(lambda: tree.model.query == "gard")
    assert folder_text(tree, "draft") == "Drafts (3)"
    assert folder_text(tree, "trash") == "Trash (2)"
    assert folder_text(tree, "published") == "Published (0)"
    assert tree.model.rowCount(tree.model.folder_index(None, "published")) == 0
    assert tree.view.isExpanded(tree.model.folder_index(None, "trash"))  # has matches
    assert tree.view.currentIndex().data(PostIdRole) == garden[1]  # still a match

    qtbot.keyClicks(tree.search_box, "en tomato")
    qtbot.waitUntil(lambda: tree.model.query == "garden tomato")
    assert folder_text(tree, "draft") == "Drafts (3)"
    assert folder_text(tree, "trash") == "Trash (0)"

    tree.search_box.clear()
    qtbot.waitUntil(lambda: tree.model.query is None)
    assert folder_text(tree, "published") == "Published (40)"
    assert tree.view.currentIndex().data(PostIdRole) == garden[1]
    assert not tree.view.isExpanded(tree.model.folder_index(None, "trash"))
    assert emitted == []


def test_search_is_debounced_and_stale_results_are_dropped(
    tree_library, real_tasks, qtbot, monkeypatch
):
    gardening_library(tree_library)
    tree = make_tree(qtbot, tree_library, real_tasks)
    loads = []
    tree.refreshed.connect(lambda: loads.append(1))
    qtbot.waitUntil(lambda: len(loads) == 2)  # the first rows, then the counts
    real_load = post_tree.load_snapshot
    asked = []

    def slow_load(session, *, query=None, **kw):
        asked.append(query)
        if query == "engines":
            time.sleep(0.4)  # overtaken by the next search while it runs
        return real_load(session, query=query, **kw)

    monkeypatch.setattr(post_tree, "load_snapshot", slow_load)
    qtbot.keyClicks(tree.search_box, "engines")  # one search, not seven
    qtbot.wait(post_tree.SEARCH_DELAY_MS + 100)
    tree.search_box.setText("basil")
    qtbot.waitUntil(lambda: tree.model.query == "basil", timeout=3000)
    qtbot.wait(600)  # the slow result has arrived by now, and was dropped
    assert asked == ["engines", "basil"]
    assert tree.model.query == "basil"
    assert folder_text(tree, "draft") == "Drafts (3)"


def test_searching_hides_the_selection_and_clearing_brings_it_back(tree_library, sync_tasks, qtbot):
    garden = gardening_library(tree_library)
    tree = make_tree(qtbot, tree_library, sync_tasks)
    tree.select_post(garden[0])
    tree.search_box.setText("engines")
    tree._search_now()  # the debounce timer, without waiting
    assert tree.model.query == "engines"
    assert tree.view.selectionModel().selectedRows() == []
    assert tree.current_post_id() == garden[0]  # still the post being edited
    tree.search_box.clear()
    assert tree.view.currentIndex().data(PostIdRole) == garden[0]


def test_a_new_post_hidden_by_the_search_ends_it(tree_library, sync_tasks, qtbot):
    gardening_library(tree_library)
    tree = make_tree(qtbot, tree_library, sync_tasks)
    tree.search_box.setText("engines")
    tree._search_now()
    with tree_library.session() as s:
        new = core.create_post(s, "")
        s.commit()
    tree.refresh(select=new.id)
    assert tree.search_box.text() == ""
    assert tree.model.query is None
    assert tree.current_post_id() == new.id
    assert tree.view.currentIndex().data(PostIdRole) == new.id


def test_search_results_load_lazily_best_first(tree_library, sync_tasks, qtbot):
    add_posts(tree_library, 450, title="Note {i}", body="walnut")
    best = add_posts(tree_library, 1, title="Walnut", body="walnut walnut", start=-5)
    tree = make_tree(qtbot, tree_library, sync_tasks)
    tree.search_box.setText("walnut")
    tree._search_now()
    published = tree.model.folder_index(None, "published")
    assert published.data(DISPLAY) == "Published (451)"
    assert tree.model.index(0, 0, published).data(PostIdRole) == best[0]  # the title match
    assert tree.model.rowCount(published) == BATCH
    tree.model.fetchMore(published)
    tree.model.fetchMore(published)
    ids = [tree.model.index(r, 0, published).data(PostIdRole) for r in range(451)]
    assert sorted(ids) == sorted(core_ids(tree_library, "published"))
    assert not tree.model.canFetchMore(published)


def core_ids(lib, status):
    with lib.session() as s:
        return [i for i in core.post_ids(s, None, status, limit=10_000)]


# --- core.search ordering, which the tree pages through ---------------------------------------


def test_broad_searches_page_consistently(tree_library, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 50)
    monkeypatch.setattr(search, "COUNT_SAMPLE", 120)
    add_posts(tree_library, 200, status="published", title="Plain {i}", body="shared {i}")
    add_posts(tree_library, 100, status="draft", title="Shared {i}", body="x", start=300)
    with tree_library.session() as s:
        whole = search.search_ids(s, "shared", limit=1000)
        pages = []
        for offset in range(0, 300, 35):
            pages += search.search_ids(s, "shared", limit=35, offset=offset)
        assert pages == whole and len(set(whole)) == 300
        for status in ("published", "draft"):
            one = search.search_ids(s, "shared", status=status, limit=1000)
            paged = [
                i
                for offset in range(0, 300, 40)
                for i in search.search_ids(s, "shared", status=status, limit=40, offset=offset)
            ]
            assert paged == one
        overview, firsts = search.search_folders(s, "shared", limit=30)
        assert not overview.exact  # 300 matches, sample of 120: estimated
        assert overview.total == 300  # scaled from the newest 120 matches: all drafts, 20 others
        for status, ids in firsts.items():
            assert ids == search.search_ids(s, "shared", status=status, limit=30)
        # Within the window of the newest matches, title matches come first.
        assert whole[0] == max(core_ids(tree_library, "draft"))


def test_estimated_counts_are_shown_as_estimates(tree_library, monkeypatch):
    monkeypatch.setattr(search, "COUNT_SAMPLE", 10)
    add_posts(tree_library, 1234, body="common")
    model = loaded_model(tree_library)
    with tree_library.session() as s:
        model.apply_snapshot(load_snapshot(s, query="common"))
    assert folder_text(model, "published") == "Published (about 1,200)"
    published = model.folder_index(None, "published")
    while model.canFetchMore(published):
        model.fetchMore(published)
    assert model.rowCount(published) == 1234


def test_model_parent_without_index_is_the_qobject_parent(tree_library, qapp):
    from PySide6.QtCore import QObject

    owner = QObject()
    model = PostTreeModel(tree_library, None, owner)
    assert model.parent() is owner
    assert model.parent(QModelIndex()) == QModelIndex()
    assert post_tree_model.about(59_839) == "about 60,000"
