"""Publishing and pulling against the local real WordPress, from a real window (issue 5).

The site is Debian's `wordpress` package started by the integration tests' own script
(`tests/integration/wordpress/wpserver.py`); where it cannot start (not root and the packages
missing, or the start fails) every figure is reported as skipped, saying why. 1,000 posts are
made on the server (php-cli, before anything is timed). Each run is a fresh process (``--child``)
with a real `MainWindow` on a fresh library, its outbox dock open, and the window's own sync worker
(`ui/sync_worker.py`, the `publishing_ui` feature) doing the work, its httpx transport wrapped to
time every request (from sending it to the last byte of the answer):

- ``publish_client_overhead_ms``: per post (100 posts with one image each, written as outbox jobs
  and sent by the worker: upload, create), the time the client spent between the end of the
  previous job and the end of this one, minus the time it waited for the server. What it does:
  rendering, database reads and commits, building and parsing requests.
- ``pull_client_overhead_ms``: pulling every post (the 1,000 and the run's 100) in pages of 100:
  per page, the time from its request to the next page's (or the pull's end), minus the time
  waiting for the server in between, divided by the posts on the page: parsing, converting HTML
  to Markdown, storing.
- ``sync_gui_stall_max_ms``: the longest gap between two ticks of a 5 ms QTimer in the window
  while both run (the tick's own 5 ms included), the GUI thread also refreshing the outbox panel
  and the tree as jobs finish.

Goals: both overheads median <= 10 ms per post, stall <= 50 ms.
Run: ``python benchmarks/bench_publish.py`` (or ``make bench BENCH=publish``);
``BENCH_PUBLISH_RUNS=N`` for more windows (the stall is a maximum: noisy). With
``BENCH_PUBLISH_TRACE=1`` each window prints its worst gaps, with the CPU time its threads used in
each, every call from Qt into Python on the window's thread in it, and GC pauses over 5 ms;
``=2`` adds a watchdog that prints every thread's stack in a stall (its reads of /proc perturb).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from statistics import median  # noqa: E402

from benchmarks.stats import figure  # noqa: E402

#: Windows (fresh processes) per run; BENCH_PUBLISH_RUNS overrides it (the stall is noisy).
RUNS = int(os.environ.get("BENCH_PUBLISH_RUNS") or 2)
PUBLISH_POSTS = 100
SERVER_POSTS = 1000
KEYS = ("publish_client_overhead_ms", "pull_client_overhead_ms", "sync_gui_stall_max_ms")
TICK_MS = 5
_LIST_POSTS = re.compile(r"/wp/v2/(posts|pages)$")


def _wpserver():
    name = "desktop_blog_wpserver"
    if name not in sys.modules:
        path = ROOT / "tests" / "integration" / "wordpress" / "wpserver.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# --- the child: a window whose worker publishes and pulls ---------------------------------------


class _Record:
    __slots__ = ("start", "cpu", "wait", "end", "path", "method", "body")

    def __init__(self, start: float, method: str, path: str) -> None:
        self.start = start
        self.cpu = time.thread_time()  # the requesting thread's CPU time so far
        self.wait = 0.0
        self.end = start
        self.method = method
        self.path = path
        self.body: list[bytes] | None = None


def _timing_transport():
    """An httpx transport that times each request, sending to last byte, and keeps the list
    pages' bodies (to count their posts afterwards)."""
    import httpx

    class TimedStream(httpx.SyncByteStream):
        def __init__(self, inner, record: _Record) -> None:
            self.inner = inner
            self.record = record

        def __iter__(self):
            it = iter(self.inner)
            while True:
                t = time.perf_counter()
                try:
                    chunk = next(it)
                except StopIteration:
                    now = time.perf_counter()
                    self.record.wait += now - t
                    self.record.end = now
                    return
                now = time.perf_counter()
                self.record.wait += now - t
                self.record.end = now
                if self.record.body is not None:
                    self.record.body.append(chunk)
                yield chunk

        def close(self) -> None:
            t = time.perf_counter()
            self.inner.close()
            self.record.wait += time.perf_counter() - t

    class TimingTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()
            self.records: list[_Record] = []
            self.lock = threading.Lock()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            route = request.url.params.get("rest_route") or request.url.path
            record = _Record(time.perf_counter(), request.method, route)
            if request.method == "GET" and _LIST_POSTS.search(route):
                record.body = []
            response = self.inner.handle_request(request)
            record.wait = time.perf_counter() - record.start
            record.end = record.start + record.wait
            with self.lock:
                self.records.append(record)
            return httpx.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=TimedStream(response.stream, record),
                extensions=response.extensions,
            )

        def close(self) -> None:
            self.inner.close()

    return TimingTransport()


def _png(seed: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    w, h = 64, 48
    rgb = bytes(((seed * 37) % 256, (seed * 91) % 256, (seed * 13) % 256))
    rows = b"".join(b"\x00" + rgb * w for _ in range(h))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _prepare_library(home: Path, site: dict, run_id: str) -> tuple[int, list[int]]:
    """A library with the blog and 100 posts of a few paragraphs and one image each."""
    from desktop_blog.core import db, library, media
    from desktop_blog.core.models import Blog

    lib = db.open_library(home)
    try:
        with lib.session() as s:
            blog = Blog(
                name="Bench WordPress",
                kind="wordpress-rest",
                url=site["url"],
                api_url=site["rest_url"],
                username=site["user"],
            )
            s.add(blog)
            s.flush()
            ids = []
            for i in range(PUBLISH_POSTS):
                image = media.store_image(s, _png(i + 1000 * int(run_id, 16) % 7919), f"p{i}.png")
                body = (
                    f"An introduction to post {i}, with *emphasis* and a [link](https://e.org).\n\n"
                    f"{media.markdown_for(image)}\n\n"
                    "- one point\n- another point\n\n"
                    + "A longer paragraph of ordinary words to render. " * 8
                    + "\n\n## A heading\n\nThe end.\n"
                )
                post = library.create_post(s, f"Bench {run_id} post {i}", body)
                ids.append(post.id)
            s.commit()
            return blog.id, ids
    finally:
        lib.close()


def _trace_stalls(ticks: list[float], after_ms: float = 30) -> None:
    """While the GUI stalls, print to stderr what each thread was doing and why (to find what
    blocks it): a watchdog thread sleeps 2 ms at a time; when it wakes more than `after_ms` late
    it prints the threads' stacks and, per thread, how long each ran and waited for a CPU in
    that gap (Linux schedstat: "ran 0, waitcpu 0" for every thread means they all waited for
    the GIL or a lock; a large waitcpu, for a CPU). With `_trace_gc` (on whenever tracing is),
    this found full collections of 110-140 ms (hence `gc.freeze` in the sync worker)."""
    import traceback

    def sched(tid: int | None, where: str = "/proc/self/task") -> tuple[float, float]:
        try:
            ran, waited, _ = Path(f"{where}/{tid}/schedstat").read_text().split()
            return int(ran) / 1e6, int(waited) / 1e6
        except (OSError, ValueError):
            return 0.0, 0.0

    def cpu_line() -> list[int]:  # /proc/stat's "cpu" line, in jiffies (10 ms)
        return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]

    def others() -> dict[str, list[int]]:
        """Other processes that compete for the CPUs, by kind (php -S, MariaDB, Chromium)."""
        kinds: dict[str, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            kind = next((k for k in ("php", "mariadb", "QtWebEngine") if comm.startswith(k)), None)
            if kind:
                kinds.setdefault(kind, []).append(int(entry))
        return kinds

    def native_threads(skip: set[int]) -> dict[int, tuple[str, float, float]]:
        out = {}
        for entry in os.listdir("/proc/self/task"):
            tid = int(entry)
            if tid in skip:
                continue
            try:
                comm = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            except OSError:
                continue
            out[tid] = (comm, *sched(tid))
        return out

    def watch() -> None:
        mine = threading.get_ident()
        my_tid = threading.get_native_id()
        last = time.perf_counter()
        procs, procs_at = others(), time.perf_counter()
        while True:
            if time.perf_counter() - procs_at > 1:
                procs, procs_at = others(), time.perf_counter()
            tids = {t.name: t.native_id for t in threading.enumerate() if t.ident != mine}
            before = {name: sched(tid) for name, tid in tids.items()}
            me_before = sched(my_tid)
            stat_before = cpu_line()
            native_before = native_threads(set(tids.values()) | {my_tid})
            procs_before = {k: sum(sched(p, "/proc")[0] for p in v) for k, v in procs.items()}
            time.sleep(0.002)
            now = time.perf_counter()
            gap, last = (now - last) * 1000, now
            if gap <= after_ms or not ticks:
                continue
            after = {name: sched(tid) for name, tid in tids.items()}
            me_after = sched(my_tid)
            stat = [b - a for a, b in zip(stat_before, cpu_line(), strict=False)]
            native = native_threads(set(tids.values()) | {my_tid})
            procs_after = {k: sum(sched(p, "/proc")[0] for p in v) for k, v in procs.items()}
            lines = [f"--- stall: watchdog {gap:.0f} ms late"]
            # user, nice, system, idle, iowait, irq, softirq, steal (both CPUs, 10 ms each)
            busy = (stat[0] + stat[1] + stat[2] + stat[5] + stat[6]) * 10
            lines.append(
                f"  [machine: busy {busy} ms, idle {stat[3] * 10} ms, iowait {stat[4] * 10} ms,"
                f" steal {stat[7] * 10} ms (jiffies)]"
            )
            lines.append(
                f"  [watchdog: ran {me_after[0] - me_before[0]:.0f} ms,"
                f" waited for a CPU {me_after[1] - me_before[1]:.0f} ms]"
            )
            ran_by = []
            for tid, (comm, ran, waited) in native.items():
                if tid in native_before:
                    _, ran0, waited0 = native_before[tid]
                    if ran - ran0 >= 1 or waited - waited0 >= 1:
                        ran_by.append(f"{comm} {ran - ran0:.0f}/{waited - waited0:.0f}")
            lines.append("  [Qt's threads, ran/waited ms: " + (", ".join(ran_by) or "-") + "]")
            lines.append(
                "  [other processes ran: "
                + ", ".join(f"{k} {procs_after[k] - procs_before[k]:.0f} ms" for k in procs_after)
                + "]"
            )
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                name = names.get(ident, "?")
                if ident == mine or name not in before:
                    continue
                ran = after[name][0] - before[name][0]
                waited = after[name][1] - before[name][1]
                stack = "".join(traceback.format_stack(frame)[-4:])
                lines.append(f"  [{name}: ran {ran:.0f} ms, waited for a CPU {waited:.0f} ms]")
                lines.append(stack)
            print("\n".join(lines), file=sys.stderr, flush=True)

    threading.Thread(target=watch, daemon=True).start()


def _trace_gc(over_ms: float = 5) -> None:
    """Print cyclic-GC pauses longer than `over_ms` (they hold the GIL throughout)."""
    import gc

    started: dict[int, float] = {}

    def on_gc(phase: str, info: dict) -> None:
        me = threading.get_ident()
        if phase == "start":
            started[me] = time.perf_counter()
        elif me in started:
            begun = started.pop(me)
            took = (time.perf_counter() - begun) * 1000
            if took > over_ms:
                name = threading.current_thread().name
                print(
                    f"--- gc gen{info['generation']} {took:.0f} ms in {name}"
                    f" (monotonic clock {begun:.4f} s)",
                    file=sys.stderr,
                )

    gc.callbacks.append(on_gc)


def _trace_gui_entries(entries: list[tuple[float, float, str]]) -> None:
    """Record every call from Qt into Python on the window's thread (start, end, function):
    what the window did in a gap, and how often it had to take the GIL back. A call from Qt
    is one whose caller is the benchmark's `wait_for`, which runs the event loop."""
    open_calls: dict[int, float] = {}

    def profile(frame, event: str, _arg) -> None:
        if event not in ("call", "return"):
            return
        back = frame.f_back
        # from Qt (the caller is the loop in `wait_for`), or a task's callback (`_deliver`)
        if back is None or back.f_code.co_name not in ("wait_for", "_deliver"):
            return
        if event == "call":
            open_calls[id(frame)] = time.perf_counter()
        elif id(frame) in open_calls:
            code = frame.f_code
            where = f"{code.co_qualname} ({Path(code.co_filename).name}:{code.co_firstlineno})"
            if back.f_code.co_name == "_deliver":
                where = "  the task's callback " + where
            entries.append((open_calls.pop(id(frame)), time.perf_counter(), where))

    sys.setprofile(profile)


def _child(site_file: str, home_dir: str) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    from keyring.backends import fail
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_blog.app import open_library_in_window
    from desktop_blog.core.secrets import SecretStore
    from desktop_blog.publish.http import make_client
    from desktop_blog.ui.main_window import MainWindow
    from desktop_blog.ui.settings import Settings

    site = json.loads(Path(site_file).read_text())
    home = Path(home_dir)
    run_id = os.urandom(2).hex()
    blog_id, post_ids = _prepare_library(home, site, run_id)
    settings = Settings(home)
    settings.view_mode = "editor"
    settings.sync()

    app = QApplication.instance() or QApplication([])
    transport = _timing_transport()
    window = MainWindow(home)
    ctl = window.features["publishing_ui"]
    ctl.secret_store_factory = lambda: SecretStore(fail.Keyring())
    ctl.client_factory = lambda: make_client(timeout=60, transport=transport)
    window.resize(1200, 800)
    window.show()

    def wait_for(predicate, timeout_s: float = 600) -> None:
        deadline = time.monotonic() + timeout_s
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(lambda: predicate() and loop.quit())
        timer.start()
        if not predicate():
            QTimer.singleShot(int(timeout_s * 1000), loop.quit)
            loop.exec()
        timer.stop()
        if not predicate() and time.monotonic() >= deadline:
            raise TimeoutError("the benchmark waited too long")

    open_library_in_window(window)
    wait_for(lambda: ctl.worker is not None and ctl.worker.running, 60)
    ctl.worker.set_password(blog_id, site["app_password"])
    ctl.show_outbox()

    # Marks from the worker thread itself (direct connections run in the emitting thread).
    job_ends: list[float] = []
    job_cpu: list[float] = []
    pull_end: list[float] = []
    pull_cpu: list[float] = []

    def job_done(_outcome) -> None:
        job_ends.append(time.perf_counter())
        job_cpu.append(time.thread_time())

    def pull_done(*_args) -> None:
        pull_end.append(time.perf_counter())
        pull_cpu.append(time.thread_time())

    ctl.worker.jobFinished.connect(job_done, Qt.ConnectionType.DirectConnection)
    ctl.worker.pullFinished.connect(pull_done, Qt.ConnectionType.DirectConnection)
    outcomes: list = []
    ctl.worker.jobFinished.connect(outcomes.append)

    # the window settles first (icons, the first tree counts): measured is the sync, not start-up
    wait_for(lambda: window.icons_ready, 60)
    ticks: list[float] = []
    # With each tick, CPU time so far of the window's thread, the sync worker, the database
    # worker and the whole process (clock_gettime: cheap, and it keeps the GIL, so measuring
    # does not make the window wait for it): what each did in a long gap.
    clocks = [
        time.pthread_getcpuclockid(t.ident)
        for name in ("sync-worker", "db_0")
        for t in threading.enumerate()
        if t.name == name and t.ident is not None
    ]
    cpu: list[tuple[float, ...]] = []

    def tick() -> None:
        ticks.append(time.perf_counter())
        cpu.append(
            (time.thread_time(), *(time.clock_gettime(c) for c in clocks), time.process_time())
        )

    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(tick)
    ticker.start()
    # the same ticks with the worker idle first: how long the machine alone makes them late
    idle_until = time.perf_counter() + 5
    wait_for(lambda: time.perf_counter() >= idle_until, 10)
    baseline = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)]
    ticks.clear()
    cpu.clear()
    entries: list[tuple[float, float, str]] = []
    if os.environ.get("BENCH_PUBLISH_TRACE"):
        _trace_gui_entries(entries)
        _trace_gc()
    if os.environ.get("BENCH_PUBLISH_TRACE") == "2":  # its reads of /proc make stalls too
        _trace_stalls(ticks)

    def write_job(pid: int) -> None:
        from desktop_blog.core import publishing

        with window.library.session() as s:
            publishing.request_publish(s, pid, blog_id, "publish")
            s.commit()

    woke: list[float] = []

    def wake(_none) -> None:
        if not woke:
            woke.append(time.perf_counter())
        ctl.worker.wake()
        ctl.reload_outbox()

    # One database task per job, as Publish Now writes it (`publishing_ui._request`); the
    # worker wakes after the first and finds the rest as they come. (One task writing all 100
    # held the GIL on the database worker for 30-46 ms at a time: a stall of its own, which no
    # action of the window makes.)
    for pid in post_ids:
        window.tasks.run_db(lambda pid=pid: write_job(pid), wake)
    wait_for(lambda: len(job_ends) >= PUBLISH_POSTS)
    failed = [o for o in outcomes if o.state != "done"]
    if failed:
        raise RuntimeError(f"{len(failed)} jobs did not go out: {failed[0].message}")
    publish_records = [r for r in transport.records if r.start >= woke[0]]

    sync_started = time.perf_counter()
    ctl.worker.sync_now(blog_id)
    wait_for(lambda: bool(pull_end))
    wait_for(lambda: not ctl._tree_timer.isActive(), 30)
    ticker.stop()

    # publish: per job, its span minus the server's part of it; and the worker thread's own
    # CPU time per job (from the second job: the first one's span starts on the GUI thread)
    publish = []
    previous = woke[0]
    for end in job_ends[:PUBLISH_POSTS]:
        wait = sum(r.wait for r in publish_records if previous <= r.start < end)
        publish.append((end - previous - wait) * 1000)
        previous = end
    publish_cpu = [(b - a) * 1000 for a, b in zip(job_cpu, job_cpu[1:PUBLISH_POSTS], strict=False)]

    # pull: per page of posts, from its request to the next page's, minus the waits
    pull_records = [r for r in transport.records if r.start >= sync_started]
    pages = [r for r in pull_records if r.body is not None]
    bounds = [sync_started] + [p.start for p in pages[1:]] + [pull_end[0]]
    pull = []
    pull_cpu_ms = []
    cpu_bounds = [p.cpu for p in pages] + [pull_cpu[0]]
    pulled = 0
    for k, page in enumerate(pages):
        posts = len(json.loads(b"".join(page.body or [b"[]"]) or b"[]"))
        pulled += posts
        if posts == 0:
            continue
        lo, hi = bounds[k], bounds[k + 1]
        wait = sum(r.wait for r in pull_records if lo <= r.start < hi)
        pull.append((hi - lo - wait) / posts * 1000)
        pull_cpu_ms.append((cpu_bounds[k + 1] - cpu_bounds[k]) / posts * 1000)

    gaps = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)]
    worst = sorted(range(len(gaps)), key=gaps.__getitem__)[-8:]
    worst_gaps = [
        (round(gaps[i], 1), "publish" if ticks[i] < sync_started else "pull") for i in worst
    ]
    if os.environ.get("BENCH_PUBLISH_TRACE"):
        sys.setprofile(None)
        names = ["window", "sync-worker", "db_0"][: 1 + len(clocks)]
        for i in worst:
            phase = "publish" if ticks[i] < sync_started else "pull"
            used = [(b - a) * 1000 for a, b in zip(cpu[i], cpu[i + 1], strict=True)]
            rest = used[-1] - sum(used[:-1])
            print(
                f"gap {gaps[i]:.0f} ms at {ticks[i] - woke[0]:.2f} s ({phase}); CPU ms: "
                + ", ".join(f"{n} {u:.0f}" for n, u in zip(names, used, strict=False))
                + f", other threads {rest:.0f} (monotonic clock {ticks[i]:.4f} s)",
                file=sys.stderr,
            )
            for start, end, what in entries:
                if end >= ticks[i] and start <= ticks[i + 1]:
                    print(
                        f"    +{(start - ticks[i]) * 1000:5.1f} ms: {(end - start) * 1000:5.1f} ms"
                        f" in {what}",
                        file=sys.stderr,
                    )
    result = {
        "publish_ms": publish,
        "publish_cpu_ms": publish_cpu,
        "pull_ms": pull,
        "pull_cpu_ms": pull_cpu_ms,
        "pulled": pulled,
        "stall_ms": max(gaps) if gaps else None,
        "worst_gaps_ms": worst_gaps,
        "gaps_over_30ms": sum(1 for g in gaps if g > 30),
        "idle_stall_ms": max(baseline) if baseline else None,
        "publish_wait_ms": sum(r.wait for r in publish_records) * 1000 / PUBLISH_POSTS,
        "pull_wait_ms": sum(r.wait for r in pull_records) * 1000 / max(1, pulled),
        "publish_total_s": job_ends[PUBLISH_POSTS - 1] - woke[0],
        "pull_total_s": pull_end[0] - sync_started,
    }
    window.close()
    app.processEvents()
    print(json.dumps(result))


# --- the parent: the server, the runs, the figures ------------------------------------------------


def _skipped(why: str) -> dict:
    return {key: {"skipped": why} for key in KEYS}


def _make_server_posts(wp, directory: Path) -> None:
    code = (
        "wp_defer_term_counting(true);\n"
        f"for ($i = 0; $i < {SERVER_POSTS}; $i++) {{\n"
        "  wp_insert_post(['post_title' => \"Server post $i\", 'post_status' => 'publish',\n"
        "    'post_content' => \"<p>Written on the server, number $i, with <strong>bold</strong>"
        " and a <a href='https://example.org/$i'>link</a>.</p>\\n<ul><li>one</li><li>two</li>"
        "</ul>\\n<p>\" . str_repeat('Some ordinary words in a paragraph. ', 12) . \"</p>\\n"
        '<h2>A heading</h2>\\n<p>The end.</p>"]);\n'
        "}\n"
        "wp_defer_term_counting(false);\n"
        "echo wp_count_posts()->publish;\n"
    )
    out = wp.php(directory, code, timeout=600)
    if int(out.strip().splitlines()[-1]) < SERVER_POSTS:
        raise RuntimeError(f"the server made too few posts: {out[-200:]}")


def run() -> dict:
    wp = _wpserver()
    present, report, command = wp.ensure_packages(install=os.geteuid() == 0)
    if not present:
        return _skipped(
            "the local WordPress needs its packages: "
            + (command or f"run {wp.ENSURE_PACKAGES} as root ({report})")
        )
    directory = Path(tempfile.mkdtemp(prefix="desktop-blog-wp-bench-"))
    try:
        site = wp.start(directory, owner_pid=os.getpid())
    except wp.WordPressError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        return _skipped(f"the local WordPress could not start: {str(exc).splitlines()[0]}")
    publish, pull, stalls, info = [], [], [], []
    publish_cpu, pull_cpu = [], []
    try:
        _make_server_posts(wp, directory)
        site_file = directory / "bench-site.json"
        site_file.write_text(
            json.dumps(
                {
                    "url": site.url,
                    "rest_url": site.rest_url,
                    "user": site.admin_user,
                    "app_password": site.app_password,
                }
            )
        )
        for _ in range(RUNS):
            home = Path(tempfile.mkdtemp(prefix="desktop-blog-bench-home-"))
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(site_file), str(home)],
                    capture_output=True,
                    text=True,
                    timeout=1800,
                )
                if out.returncode != 0:
                    raise RuntimeError(f"the benchmark's window failed:\n{out.stderr[-3000:]}")
                if os.environ.get("BENCH_PUBLISH_TRACE"):  # what the trace printed
                    sys.stderr.write(out.stderr)
                result = json.loads(out.stdout.strip().splitlines()[-1])
            finally:
                shutil.rmtree(home, ignore_errors=True)
            publish += result["publish_ms"]
            pull += result["pull_ms"]
            publish_cpu += result["publish_cpu_ms"]
            pull_cpu += result["pull_cpu_ms"]
            stalls.append(result["stall_ms"])
            info.append(result)
    finally:
        wp.stop(directory, remove=True)
    load = [round(x, 2) for x in os.getloadavg()]
    figures = {
        "publish_client_overhead_ms": figure(publish, "ms"),
        "pull_client_overhead_ms": figure(pull, "ms"),
        "sync_gui_stall_max_ms": figure(stalls, "ms"),
    }
    # the worker thread's own CPU time per post: what the overhead would be on an idle machine
    figures["publish_client_overhead_ms"]["worker_cpu_ms_median"] = round(median(publish_cpu), 2)
    figures["pull_client_overhead_ms"]["worker_cpu_ms_median"] = round(median(pull_cpu), 2)
    figures["publish_client_overhead_ms"]["server_wait_ms_per_post"] = [
        round(r["publish_wait_ms"], 1) for r in info
    ]
    figures["publish_client_overhead_ms"]["total_s"] = [
        round(r["publish_total_s"], 1) for r in info
    ]
    figures["pull_client_overhead_ms"]["server_wait_ms_per_post"] = [
        round(r["pull_wait_ms"], 2) for r in info
    ]
    figures["sync_gui_stall_max_ms"]["runs"] = [round(r["stall_ms"], 1) for r in info]
    figures["sync_gui_stall_max_ms"]["gaps_over_30ms"] = [r["gaps_over_30ms"] for r in info]
    figures["sync_gui_stall_max_ms"]["idle_worker_max_ms"] = [
        round(r["idle_stall_ms"], 1) for r in info
    ]
    figures["pull_client_overhead_ms"]["posts_pulled"] = [r["pulled"] for r in info]
    figures["pull_client_overhead_ms"]["total_s"] = [round(r["pull_total_s"], 1) for r in info]
    for fig in figures.values():
        fig["goal"] = 50 if fig is figures["sync_gui_stall_max_ms"] else 10
        fig["load_avg"] = load
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        sys.exit(0)
    for key, fig in run().items():
        if fig.get("skipped"):
            print(f"{key}: skipped ({fig['skipped']})")
            continue
        print(
            f"{key}: median {fig['median']} {fig['unit']} "
            f"(min {fig['min']}, max {fig['max']}, n={fig['n']})"
        )
