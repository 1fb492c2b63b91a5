"""Export and import: the whole CLI run for PDFs, the core import for Markdown files.

Figures, each the median of several runs, in seconds:

* ``export_pdf_5k_s``: ``desktop-blog export ID --format pdf`` of a 5,000-word post from
  ``postgen.generate_post`` (headings, lists, tables, code) with three images of the library,
  the whole process: Python start, library, QtWebEngine start, print, pypdf, write. Issue 7's
  target: median <= 1.5 s.
* ``export_pdf_100_posts_s``: the same command with 100 posts of 800 words (one with an image
  each) into one PDF with a table of contents (printed twice: the second time with the page
  numbers in the contents). Target <= 15 s.
* ``import_1000_md_s``: ``import_md.import_paths`` of 1,000 Jekyll-named Markdown files of 300
  words with front matter into an empty library, committed. Target <= 10 s.

Run ``python benchmarks/bench_export.py`` to print one JSON object per line; ``run.py`` calls
``run()``. Headless: no display needed (the export chooses the offscreen platform).
"""

from __future__ import annotations

import json
import os
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


def _cli(home: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    if os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "desktop_blog", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
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
    five_k = [_cli(home, "export", str(big), "-f", "pdf", "-o", str(out)) for _ in range(RUNS_5K)]
    ids = [str(i) for i in many]
    hundred = [_cli(home, "export", *ids, "-f", "pdf", "-o", str(out)) for _ in range(RUNS_100)]
    return {
        "export_pdf_5k_s": figure(five_k, "s"),
        "export_pdf_100_posts_s": figure(hundred, "s"),
    }


def _import_figure(tmp: Path) -> dict:
    folder = tmp / "_posts"
    folder.mkdir()
    for i in range(1000):
        day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        text = generate_post(300, 1000 + i).replace("title: A generated post", f"title: Post {i}")
        (folder / f"{day}-post-{i}.md").write_text(text, "utf-8")
    samples = []
    for run in range(RUNS_IMPORT):
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
    return {"import_1000_md_s": figure(samples, "s")}


def run() -> dict[str, dict]:
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        figures = _pdf_figures(Path(tmp))
        figures.update(_import_figure(Path(tmp)))
    return figures


if __name__ == "__main__":
    for key, fig in run().items():
        print(json.dumps({key: fig}), flush=True)
