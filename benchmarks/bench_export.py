"""Export and import: the whole CLI run for PDFs, the core import for Markdown files.

Figures, each the median of several runs, in seconds:

* ``export_pdf_5k_s``: ``desktop-blog export ID --format pdf`` of a 5,000-word post from
  ``postgen.generate_post`` (headings, lists, tables, code) with three images of the library,
  the whole process: Python start, library, QtWebEngine start, print, finish, write. Issue 7's
  target: median <= 1.5 s.
* ``export_pdf_100_posts_s``: the same command with 100 posts of 800 words (one image each)
  into one PDF with a table of contents (printed once). Target <= 15 s.
* ``import_1000_md_s``: ``import_md.import_paths`` of 1,000 Jekyll-named Markdown files of 300
  words with front matter into an empty library, committed. Target <= 10 s.

Baselines measured in the same rounds, so that a loaded machine (two cores shared by several
people) shows in both; each ratio is the median of the per-round ratios:

* ``export_cli_baseline_s``: ``desktop-blog list`` on the same library, run right before each
  export: the cost every command pays (Python, SQLAlchemy, the CLI's imports, the library).
  ``export_pdf_5k_over_cli`` and ``export_pdf_100_over_cli`` are the exports' ratios to it.
* ``import_parse_only_s``: reading and parsing the same 1,000 files (``parse_file``) without
  the database, before each import: ``import_1000_md_over_parse`` is the import's ratio to it.
* With ``BENCH_EXPORT_BEFORE=DIR`` (a checkout of an older commit, e.g. ``git archive REV |
  tar -x -C DIR``), the same commands run from that tree in the same rounds too:
  ``*_before_s`` and ``*_speedup`` (before / now, median of the rounds' ratios).

Run ``python benchmarks/bench_export.py`` to print one JSON object per line; ``run.py`` calls
``run()``. Headless: no display needed (the export chooses the offscreen platform).
"""

from __future__ import annotations

import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.postgen import generate_post  # noqa: E402
from benchmarks.stats import figure  # noqa: E402
from desktop_blog.core import db, import_md, library, media  # noqa: E402

RUNS_5K = 5
RUNS_100 = 3
RUNS_IMPORT = 3


def _png(width: int, height: int, seed: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    raw = b"".join(
        b"\0"
        + b"".join(bytes(((x + seed) % 256, (y * 2) % 256, (x ^ y) % 256)) for x in range(width))
        for y in range(height)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _body(words: int, seed: int) -> str:
    text = generate_post(words, seed)
    return text.split("---\n", 2)[2] if text.startswith("---\n") else text


def _add_post(session, title: str, words: int, seed: int, images: int) -> int:
    body = _body(words, seed)
    paragraphs = body.split("\n\n")
    for i in range(images):
        stored = media.store_image(session, _png(320, 200, seed * 10 + i), f"figure-{seed}-{i}.png")
        at = len(paragraphs) * (i + 1) // (images + 1)
        paragraphs.insert(at, media.markdown_for(stored))
    post = library.create_post(session, title=title, body="\n\n".join(paragraphs))
    library.update_post(session, post.id, status=library.PUBLISHED, tags=["bench"])
    return post.id


BEFORE = os.environ.get("BENCH_EXPORT_BEFORE")  # an older tree to compare with, or None


def _ratio(numerators: list[float], denominators: list[float]) -> dict:
    ratios = [a / b for a, b in zip(numerators, denominators, strict=True)]
    fig = figure(ratios, "x")
    fig["median"] = round(statistics.median(ratios), 2)
    return fig


def _cli(home: Path, *args: str, tree: str | None = None) -> float:
    """Seconds of one ``python -m desktop_blog`` run (from ``tree`` when given)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    if os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    if tree is not None:
        env["PYTHONPATH"] = tree
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "desktop_blog", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        cwd=tree,
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"export failed ({out.returncode}): {out.stderr[-2000:]}")
    return seconds


def _pdf_figures(tmp: Path) -> dict:
    home = tmp / "pdf-home"
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            big = _add_post(s, "A long post with code and images", 5000, 1, 3)
            many = [_add_post(s, f"Post number {i}", 800, 100 + i, 1) for i in range(100)]
            s.commit()
    finally:
        lib.close()
    out = tmp / "out.pdf"
    _cli(home, "export", str(big), "-f", "pdf", "-o", str(out))  # warm the file cache
    ids = [str(i) for i in many]
    samples: dict[str, list[float]] = {}

    def measure(key: str, *args: str, tree: str | None = None) -> None:
        samples.setdefault(key, []).append(_cli(home, *args, tree=tree))

    for run in range(max(RUNS_5K, RUNS_100)):
        measure("base", "list")
        if run < RUNS_5K:
            measure("5k", "export", str(big), "-f", "pdf", "-o", str(out))
            if BEFORE:
                measure("5k_before", "export", str(big), "-f", "pdf", "-o", str(out), tree=BEFORE)
        if run < RUNS_100:
            measure("base100", "list")
            measure("100", "export", *ids, "-f", "pdf", "-o", str(out))
            if BEFORE:
                measure("100_before", "export", *ids, "-f", "pdf", "-o", str(out), tree=BEFORE)
    figures = {
        "export_pdf_5k_s": figure(samples["5k"], "s"),
        "export_pdf_100_posts_s": figure(samples["100"], "s"),
        "export_cli_baseline_s": figure(samples["base"], "s"),
        "export_pdf_5k_over_cli": _ratio(samples["5k"], samples["base"][:RUNS_5K]),
        "export_pdf_100_over_cli": _ratio(samples["100"], samples["base100"]),
    }
    if BEFORE:
        figures["export_pdf_5k_before_s"] = figure(samples["5k_before"], "s")
        figures["export_pdf_100_posts_before_s"] = figure(samples["100_before"], "s")
        figures["export_pdf_5k_speedup"] = _ratio(samples["5k_before"], samples["5k"])
        figures["export_pdf_100_posts_speedup"] = _ratio(samples["100_before"], samples["100"])
    return figures


IMPORT_BEFORE = """
import sys, time
from pathlib import Path
from desktop_blog.core import db, import_md
lib = db.open_library(Path(sys.argv[1]))
start = time.perf_counter()
with lib.session() as s:
    report = import_md.import_paths(s, [Path(sys.argv[2])])
    s.commit()
print(time.perf_counter() - start, len(report.imported))
lib.close()
"""


def _import_figure(tmp: Path) -> dict:
    folder = tmp / "_posts"
    folder.mkdir()
    for i in range(1000):
        day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        text = generate_post(300, 1000 + i).replace("title: A generated post", f"title: Post {i}")
        (folder / f"{day}-post-{i}.md").write_text(text, "utf-8")
    samples, parse, before = [], [], []
    for run in range(RUNS_IMPORT):
        start = time.perf_counter()
        for path in import_md.markdown_files([folder]):
            import_md.parse_file(path)
        parse.append(time.perf_counter() - start)
        lib = db.open_library(tmp / f"import-home-{run}")
        try:
            start = time.perf_counter()
            with lib.session() as s:
                report = import_md.import_paths(s, [folder])
                s.commit()
            samples.append(time.perf_counter() - start)
        finally:
            lib.close()
        if report.errors or len(report.imported) != 1000:
            raise RuntimeError(f"import: {len(report.imported)} imported, {report.errors[:3]}")
        if BEFORE:
            db.open_library(tmp / f"import-before-{run}").close()  # migrated by this tree
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    IMPORT_BEFORE,
                    str(tmp / f"import-before-{run}"),
                    str(folder),
                ],
                capture_output=True,
                text=True,
                cwd=BEFORE,
                env={**os.environ, "PYTHONPATH": BEFORE},
                timeout=900,
            )
            if out.returncode != 0:
                raise RuntimeError(f"import before: {out.stderr[-2000:]}")
            before.append(float(out.stdout.split()[0]))
    figures = {
        "import_1000_md_s": figure(samples, "s"),
        "import_parse_only_s": figure(parse, "s"),
        "import_1000_md_over_parse": _ratio(samples, parse),
    }
    if before:
        figures["import_1000_md_before_s"] = figure(before, "s")
        figures["import_1000_md_speedup"] = _ratio(before, samples)
    return figures


def run() -> dict[str, dict]:
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        figures = _pdf_figures(Path(tmp))
        figures.update(_import_figure(Path(tmp)))
    return figures


if __name__ == "__main__":
    for key, fig in run().items():
        print(json.dumps({key: fig}), flush=True)
