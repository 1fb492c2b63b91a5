"""The outbox panel adds many new rows a few at a time, so the window keeps painting."""

from __future__ import annotations


def _rows(n: int, done: int = 0) -> list:
    from desktop_blog.ui.outbox_panel import OutboxRow

    return [
        OutboxRow(
            i,
            i,
            f"Post {i}",
            "Blog",
            "publish",
            "publish",
            "done" if i <= done else "pending",
            0,
            "",
            None,
        )
        for i in range(1, n + 1)
    ]


def test_many_new_rows_come_in_turns_and_the_newest_snapshot_wins(qtbot) -> None:
    from desktop_blog.ui.outbox_panel import ROWS_PER_TURN, OutboxPanel, OutboxSnapshot

    panel = OutboxPanel()
    qtbot.addWidget(panel)
    refreshed: list = []
    panel.refreshed.connect(refreshed.append)
    first = OutboxSnapshot(_rows(4 * ROWS_PER_TURN), {"pending": 4 * ROWS_PER_TURN})
    panel.show_snapshot(first)
    assert panel.model.rowCount() == ROWS_PER_TURN  # the rest in later turns
    assert panel.rows == panel.model.rows and not refreshed
    newer = OutboxSnapshot(_rows(4 * ROWS_PER_TURN, done=3), {})
    panel.show_snapshot(newer)  # while the first one is still being added
    qtbot.waitUntil(lambda: bool(refreshed))
    assert refreshed == [newer]
    model = panel.model
    assert model.rowCount() == 4 * ROWS_PER_TURN
    assert [model.item(r, 3).text() for r in range(4)] == ["Done", "Done", "Done", "Waiting"]
    assert model.item(model.rowCount() - 1, 0).text() == f"Post {4 * ROWS_PER_TURN}"


def test_a_few_rows_are_shown_at_once(qtbot) -> None:
    from desktop_blog.ui.outbox_panel import OutboxPanel, OutboxSnapshot

    panel = OutboxPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.refreshed, timeout=1000):
        panel.show_snapshot(OutboxSnapshot(_rows(3), {}))
    assert panel.model.rowCount() == 3


def test_the_sync_worker_freezes_what_survives_a_full_collection() -> None:
    import gc

    from desktop_blog.ui.sync_worker import _freeze_after_full_collection

    gc.callbacks.append(_freeze_after_full_collection)
    try:
        gc.collect()
        assert gc.get_freeze_count() > 0
    finally:
        gc.callbacks.remove(_freeze_after_full_collection)
        gc.unfreeze()
