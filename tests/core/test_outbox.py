"""The outbox: order, backoff, restart recovery, cancel, retry, and one transaction with the
local change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_blog.core import db, library, outbox, publishing
from desktop_blog.core.models import Blog, OutboxJob, Post


@pytest.fixture
def lib(tmp_path: Path):
    lib = db.open_library(tmp_path)
    yield lib
    lib.close()


def add_blog(lib, name: str = "Blog") -> int:
    with lib.session() as s:
        blog = Blog(name=name, kind="wordpress-rest", url="http://b.test", username="u")
        s.add(blog)
        s.commit()
        return blog.id


def test_jobs_of_a_blog_run_in_order_and_other_blogs_are_not_held_back(lib):
    a, b = add_blog(lib, "A"), add_blog(lib, "B")
    with lib.session() as s:
        a1 = outbox.enqueue(s, a, "update", payload={"n": 1})
        b1 = outbox.enqueue(s, b, "update")
        a2 = outbox.enqueue(s, a, "update", payload={"n": 2})
        s.commit()
        assert [j.id for j in outbox.due_jobs(s)] == [a1.id, b1.id]  # one per blog
        assert outbox.next_due_job(s).id == a1.id
        outbox.mark_running(s, a1.id)
        # a running job holds back the rest of its blog, not other blogs
        assert outbox.next_due_job(s).id == b1.id
        assert outbox.next_due_job(s, blog_id=a) is None
        outbox.mark_done(s, a1.id)
        assert outbox.next_due_job(s, blog_id=a).id == a2.id
        assert outbox.get_job(s, a2.id).payload == {"n": 2}


def test_backoff_grows_is_capped_and_honours_retry_after(lib):
    blog = add_blog(lib)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with lib.session() as s:
        job = outbox.enqueue(s, blog, "update")
        later = outbox.enqueue(s, blog, "update")
        waits = []
        for _ in range(6):
            outbox.mark_running(s, job.id)
            failed = outbox.mark_failed(s, job.id, "offline", retryable=True, now=now)
            assert failed.state == outbox.PENDING and failed.last_error == "offline"
            waits.append((failed.next_attempt_at - now).total_seconds())
            # not due before its time, and the job behind it waits too (order)
            assert outbox.next_due_job(s, now=now) is None
            assert outbox.next_wake(s) == failed.next_attempt_at
            assert outbox.next_due_job(s, now=failed.next_attempt_at).id == job.id
        assert waits == [5, 30, 120, 600, 600, 600]
        outbox.mark_running(s, job.id)
        rate = outbox.mark_failed(s, job.id, "slow down", retryable=True, retry_after=900, now=now)
        assert rate.next_attempt_at == now + timedelta(seconds=900)
        assert outbox.get_job(s, later.id).state == outbox.PENDING


def test_permanent_failure_waits_for_the_user_and_holds_back_only_its_post(lib):
    blog = add_blog(lib)
    with lib.session() as s:
        p1 = library.create_post(s, "one", blog_id=blog)
        p2 = library.create_post(s, "two", blog_id=blog)
        j1 = outbox.enqueue(s, blog, "publish", post_id=p1.id)
        j1b = outbox.enqueue(s, blog, "update", post_id=p1.id)
        j2 = outbox.enqueue(s, blog, "publish", post_id=p2.id)
        outbox.mark_running(s, j1.id)
        failed = outbox.mark_failed(s, j1.id, "bad data", retryable=False)
        assert failed.state == outbox.FAILED and failed.next_attempt_at is None
        # the later job of the same post waits; the other post goes on
        assert outbox.next_due_job(s).id == j2.id
        outbox.mark_running(s, j2.id)
        outbox.mark_done(s, j2.id)
        assert outbox.next_due_job(s) is None
        assert outbox.retry(s, j1.id).state == outbox.PENDING
        assert outbox.next_due_job(s).id == j1.id
        assert j1b.id not in [j.id for j in outbox.due_jobs(s)]


def test_cancel_and_retry(lib):
    blog = add_blog(lib)
    with lib.session() as s:
        job = outbox.enqueue(s, blog, "update")
        outbox.mark_running(s, job.id)
        with pytest.raises(outbox.JobStateError):
            outbox.cancel(s, job.id)  # it may already have reached the blog
        outbox.mark_failed(s, job.id, "x", retryable=True)
        assert outbox.cancel(s, job.id).state == outbox.CANCELLED
        assert outbox.next_due_job(s) is None
        assert outbox.list_jobs(s) == []  # finished jobs are not listed by default
        assert [j.id for j in outbox.list_jobs(s, states=[outbox.CANCELLED])] == [job.id]
        again = outbox.retry(s, job.id)
        assert (again.state, again.next_attempt_at) == (outbox.PENDING, None)
        assert outbox.counts(s)[outbox.PENDING] == 1
        outbox.mark_running(s, job.id)
        outbox.mark_done(s, job.id)
        with pytest.raises(outbox.JobStateError):
            outbox.retry(s, job.id)
        assert outbox.cancel(s, job.id).state == outbox.DONE


def test_a_job_left_running_by_a_dead_worker_resumes_after_restart(lib, tmp_path):
    blog = add_blog(lib)
    with lib.session() as s:
        job = outbox.enqueue(s, blog, "publish")
        outbox.mark_running(s, job.id)
        s.commit()
    lib.close()  # the process dies here

    again = db.open_library(tmp_path)
    try:
        with again.session() as s:
            assert outbox.next_due_job(s) is None  # still "running"
            assert outbox.recover_interrupted(s) == 1
            s.commit()
        with again.session() as s:
            resumed = outbox.next_due_job(s)
            assert resumed.id == job.id and resumed.attempts == 1  # the first attempt counted
            assert outbox.mark_running(s, job.id).attempts == 2
    finally:
        again.close()


def test_publish_request_and_job_share_one_transaction(lib):
    blog = add_blog(lib)
    with lib.session() as s:
        post = library.create_post(s, "Hello", "Body")
        s.commit()
    with lib.session() as s:
        publishing.request_publish(s, post.id, blog, "publish")
        s.rollback()  # say the commit never happened
    with lib.session() as s:
        assert s.scalars(select(OutboxJob)).all() == []
        assert library.get_post(s, post.id).status == library.DRAFT
        assert s.get(Post, post.id).blog_id is None
    with lib.session() as s:
        job = publishing.request_publish(s, post.id, blog, "publish")
        s.commit()
    with lib.session() as s:
        assert library.get_post(s, post.id).status == library.PUBLISHED
        assert outbox.get_job(s, job.id).payload == {"status": "publish", "date": None}


def test_publish_request_checks_status_and_date(lib):
    blog = add_blog(lib)
    with lib.session() as s:
        post = library.create_post(s, "Later", "x")
        with pytest.raises(publishing.PublishRequestError, match="needs a date"):
            publishing.request_publish(s, post.id, blog, "future")
        with pytest.raises(publishing.PublishRequestError, match="in the past"):
            publishing.request_publish(s, post.id, blog, "future", datetime(2001, 1, 1, tzinfo=UTC))
        with pytest.raises(publishing.PublishRequestError, match="time zone"):
            publishing.request_publish(s, post.id, blog, "future", datetime(2099, 1, 1))
        with pytest.raises(publishing.PublishRequestError, match="Unknown status"):
            publishing.request_publish(s, post.id, blog, "private")
        when = datetime(2099, 5, 1, 10, 0, tzinfo=UTC)
        job = publishing.request_publish(s, post.id, blog, "future", when)
        got = library.get_post(s, post.id)
        assert (got.status, got.scheduled_at) == (library.SCHEDULED, when)
        assert job.payload["date"] == when.isoformat()


def test_unpublish_and_trash_requests(lib):
    blog = add_blog(lib)
    with lib.session() as s:
        local_only = library.create_post(s, "never sent", blog_id=blog)
        assert publishing.request_trash(s, local_only.id) is None  # nothing on the blog
        post = library.create_post(s, "P", "x")
        publishing.request_publish(s, post.id, blog)
        s.get(Post, post.id).remote_id = "55"
        unpub = publishing.request_unpublish(s, post.id)
        assert unpub.payload["status"] == "draft"
        assert library.get_post(s, post.id).status == library.DRAFT
        trash = publishing.request_trash(s, post.id)
        assert trash.operation == "trash"
        assert library.get_post(s, post.id).status == library.TRASH
        ops = [j.operation for j in outbox.list_jobs(s, blog_id=blog)]
        assert ops == ["publish", "publish", "trash"]


def test_claim_next_takes_the_due_job_in_order_and_complete_keeps_the_result(lib):
    a, b = add_blog(lib, "A"), add_blog(lib, "B")
    with lib.session() as s:
        a1 = outbox.enqueue(s, a, "update", payload={"n": 1})
        a2 = outbox.enqueue(s, a, "update")
        b1 = outbox.enqueue(s, b, "update")
        s.commit()
        loaded = s.get(OutboxJob, a1.id)  # an object of the session sees the claim
        claimed = outbox.claim_next(s)
        assert (claimed.id, claimed.state, claimed.attempts) == (a1.id, outbox.RUNNING, 1)
        assert claimed.payload == {"n": 1} and loaded.state == outbox.RUNNING
        assert outbox.claim_next(s, blog_id=a) is None  # a1 running holds back a2
        assert outbox.claim_next(s).id == b1.id
        assert outbox.count_pending(s) == 1 and outbox.count_pending(s, b) == 0
        outbox.complete(s, claimed, {"remote_id": 7})
        s.commit()
        done = outbox.get_job(s, a1.id)
        assert done.state == outbox.DONE and done.payload == {"n": 1, "result": {"remote_id": 7}}
        assert outbox.claim_next(s, blog_id=a).id == a2.id
        # a job waiting for its retry time is not taken before it, nor are the blog's later jobs
        later = datetime.now(UTC) + timedelta(minutes=5)
        outbox.mark_failed(s, a2.id, "offline", retryable=True, now=later - timedelta(seconds=5))
        a3 = outbox.enqueue(s, a, "update")
        assert outbox.claim_next(s, blog_id=a) is None
        assert outbox.claim_next(s, blog_id=a, now=later + timedelta(hours=1)).id == a2.id
        assert a3.state == outbox.PENDING
