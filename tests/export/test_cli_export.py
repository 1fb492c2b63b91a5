"""``desktop-blog export`` and ``import`` as a script runs them: a real process, no display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from export_helpers import make_post, png
from pypdf import PdfReader

from desktop_blog.core import db, library


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("DESKTOP_BLOG_HOME", None)
    env.pop("QT_QPA_PLATFORM", None)  # the PDF export must choose offscreen by itself
    return subprocess.run(
        [sys.executable, "-m", "desktop_blog", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _library_with_posts(home: Path) -> list[int]:
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            ids = [
                make_post(s, image=png(40, 30)).id,
                make_post(s, "Second post", status=library.DRAFT).id,
            ]
            s.commit()
    finally:
        lib.close()
    return ids


def test_export_md_then_import_elsewhere(tmp_path: Path):
    home = tmp_path / "lib"
    ids = _library_with_posts(home)
    out = tmp_path / "site" / "_posts"
    done = run(home, "export", *map(str, ids), "--format", "md", "-o", str(out), "--progress")
    assert done.returncode == 0, done.stderr
    assert "2/2" in done.stderr  # the progress bar
    assert sorted(p.suffix for p in out.iterdir()) == [".md", ".md", ".png"]

    other = tmp_path / "other"
    first = run(other, "import", str(out))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "2 created, 0 updated, 0 unchanged, 0 failed"
    again = run(other, "import", str(out))
    assert again.stdout.strip() == "0 created, 0 updated, 2 unchanged, 0 failed"
    lib = db.open_library(other)
    try:
        with lib.session() as s:
            titles = sorted(p.title for p in library.list_posts(s))
    finally:
        lib.close()
    assert titles == ["Exporting posts", "Second post", "Welcome to Desktop Blog"]


def test_export_pdf_headless(tmp_path: Path):
    home = tmp_path / "lib"
    ids = _library_with_posts(home)
    out = tmp_path / "posts.pdf"
    done = run(home, "export", *map(str, ids), "-f", "pdf", "-o", str(out), "--author", "Ada")
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o644
    reader = PdfReader(out)
    assert reader.metadata.author == "Ada"
    assert [o.title for o in reader.outline] == ["Exporting posts", "Second post"]
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Exporting posts" in text and "Intro paragraph" in text


def test_export_html(tmp_path: Path):
    home = tmp_path / "lib"
    ids = _library_with_posts(home)
    out = tmp_path / "post.html"
    done = run(home, "export", str(ids[0]), "--format", "html", "-o", str(out), "--offline")
    assert done.returncode == 0, done.stderr
    page = out.read_text("utf-8")
    assert 'src="data:image/png;base64,' in page and "dbmedia:" not in page


def test_exit_codes(tmp_path: Path):
    home = tmp_path / "lib"
    ids = _library_with_posts(home)
    out = tmp_path / "md"
    partly = run(home, "export", str(ids[0]), "999", "--format", "md", "-o", str(out))
    assert partly.returncode == 1
    assert "999" in partly.stderr
    assert len(list(out.glob("*.md"))) == 1  # the post that exists was exported
    assert run(home, "export", "--format", "md", "-o", str(out)).returncode == 2
    assert run(home, "export", "1", "--all", "--format", "md", "-o", str(out)).returncode == 2
    everything = run(home, "export", "--all", "--format", "md", "-o", str(tmp_path / "all"))
    assert everything.returncode == 0, everything.stderr
    assert len(list((tmp_path / "all").glob("*.md"))) == 2
    assert run(home, "export", "1", "--format", "doc", "-o", str(out)).returncode == 2
    bad_margins = run(home, "export", "1", "-f", "pdf", "-o", "x", "--margins", "5,500")
    assert bad_margins.returncode == 2
    assert "between 0 and 100 mm" in bad_margins.stderr  # the dialog's rule and message

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: Good\n---\nText\n", "utf-8")
    (folder / "bad.md").write_text("---\ntitle: [\n---\nText\n", "utf-8")
    imported = run(home, "import", str(folder), str(tmp_path / "missing.md"))
    assert imported.returncode == 1
    assert "bad.md" in imported.stderr and "missing.md" in imported.stderr
    assert imported.stdout.strip() == "1 created, 0 updated, 0 unchanged, 2 failed"


def test_export_a_blog(tmp_path: Path):
    from desktop_blog.core import blogs
    from desktop_blog.core.models import Post

    home = tmp_path / "lib"
    _library_with_posts(home)  # local posts: not part of the blog
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            blog = blogs.add_blog(s, "Far", blogs.KINDS[0], "https://far.example", None, "ada")
            for title in ("Blog post A", "Blog post B", "Trashed"):
                post = library.create_post(s, title=title, body="Text")
                s.get(Post, post.id).blog_id = blog.id
                if title == "Trashed":
                    library.update_post(s, post.id, status=library.TRASH)
            s.commit()
    finally:
        lib.close()
    out = tmp_path / "blog"
    done = run(home, "export", "--blog", str(blog.id), "--format", "md", "-o", str(out))
    assert done.returncode == 0, done.stderr
    titles = sorted(
        p.read_text("utf-8").split("title: ")[1].split("\n")[0] for p in out.glob("*.md")
    )
    assert titles == ["Blog post A", "Blog post B"]


def test_export_pdf_of_many_posts_keeps_their_order(tmp_path: Path):
    """The PDF has every post, in the order given, each once, with the contents' outline
    (three posts' HTML is made in a child process, nine posts' in this one)."""
    home = tmp_path / "lib"
    lib = db.open_library(home)
    try:
        with lib.session() as s:
            ids = [
                make_post(s, f"Post {n}", extra=f"\n## Part of {n}\n\nWords of post {n}.\n").id
                for n in range(9)
            ]
            s.commit()
    finally:
        lib.close()
    ids = ids[::-1]  # not the order they were made in
    for count in (3, 9):
        out = tmp_path / f"many-{count}.pdf"
        done = run(home, "export", *map(str, ids[:count]), "-f", "pdf", "-o", str(out))
        assert done.returncode == 0, done.stderr
        reader = PdfReader(out)
        expected = [f"Post {n}" for n in range(8, 8 - count, -1)]
        assert [o.title for o in reader.outline] == expected
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
        for n in range(8, 8 - count, -1):
            assert text.stdout.count(f"Words of post {n}.") == 1
