"""Markdown with front matter: export, import back, Jekyll and Hugo folders, broken files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from export_helpers import make_post, png

from desktop_blog.core import db, export_md, import_md, library, media
from desktop_blog.core.models import Post
from desktop_blog.render.markdown import render_html


def _fields(p: library.PostData) -> tuple:
    return (
        p.title,
        p.body,
        p.slug,
        p.excerpt,
        p.status,
        p.created_at,
        p.published_at,
        p.scheduled_at,
        p.tags,
        p.categories,
    )


def test_export_writes_front_matter_jekyll_and_hugo_read(lib, tmp_path: Path):
    with lib.session() as s:
        post = make_post(s, image=png(4, 3))
        out = export_md.export_post(s, post, tmp_path / "out")
    assert out.path.name == "2025-03-05-exporting-posts.md"
    text = out.path.read_text("utf-8")
    assert text.startswith("---\n")
    data = yaml.safe_load(text.split("---\n")[1])
    assert data["title"] == "Exporting posts"
    assert data["date"] == datetime(2025, 3, 5, 9, 30, tzinfo=UTC)
    assert data["slug"] == "exporting-posts"
    assert data["draft"] is False
    assert data["summary"] == "A short summary: with a colon"
    assert data["tags"] == post.tags == ["Python", "export"]
    assert data["categories"] == ["Notes"]
    assert data["desktop_blog"]["id"] == post.uuid
    # The image is beside the file, linked relatively, byte for byte the stored one.
    assert [p.name for p in out.images] == ["2025-03-05-exporting-posts-red-square.png"]
    assert out.images[0].read_bytes() == png(4, 3)
    assert "](2025-03-05-exporting-posts-red-square.png)" in text
    assert "dbmedia:" not in text
    assert out.path.stat().st_mode & 0o777 == 0o644


def test_export_then_import_gives_back_equal_posts(lib, tmp_path: Path):
    with lib.session() as s:
        first = make_post(s, image=png(5, 5))
        draft = make_post(s, "A draft: with [brackets]", status=library.DRAFT, tags=(), extra="x")
        s.commit()
        files = export_md.export_posts(s, [first.id, draft.id], tmp_path / "out")
    lib2 = db.open_library(tmp_path / "lib2")
    try:
        with lib2.session() as s:
            report = import_md.import_paths(s, [tmp_path / "out"])
            s.commit()
            assert report.ok, report.errors
            assert report.count("created") == 2
            imported = [library.get_post(s, f.post_id) for f in report.imported]
            back = {p.title: p for p in imported}
            assert _fields(back[first.title]) == _fields(first)
            assert _fields(back[draft.title]) == _fields(draft)
            assert back[first.title].uuid == first.uuid
            # The image is in the new library, with the same bytes, and the body points at it.
            uuid = media.MEDIA_URL_RE.search(back[first.title].body).group(1)
            assert media.media_content(s, uuid) == ("image/png", png(5, 5))
    finally:
        lib2.close()
    assert len(files) == 2


def test_importing_twice_does_not_duplicate(lib, tmp_path: Path):
    with lib.session() as s:
        post = make_post(s, image=png(2, 2))
        s.commit()
        export_md.export_post(s, post, tmp_path / "out")
        before = s.query(Post).count()
        first = import_md.import_paths(s, [tmp_path / "out"])
        s.commit()
        second = import_md.import_paths(s, [tmp_path / "out"])
        s.commit()
        assert [f.action for f in first.imported] == ["unchanged"]
        assert [f.action for f in second.imported] == ["unchanged"]
        assert s.query(Post).count() == before
    # Edited on disk: the same post is updated, still no new one.
    md = next((tmp_path / "out").glob("*.md"))
    md.write_text(md.read_text("utf-8").replace("Intro paragraph", "Changed paragraph"), "utf-8")
    with lib.session() as s:
        third = import_md.import_paths(s, [md])
        s.commit()
        assert [(f.action, f.post_id) for f in third.imported] == [("updated", post.id)]
        assert "Changed paragraph" in library.get_post(s, post.id).body
        assert s.query(Post).count() == before


def test_broken_front_matter_is_named_and_the_others_come_in(lib, tmp_path: Path):
    folder = tmp_path / "_posts"
    folder.mkdir()
    (folder / "2024-01-01-good.md").write_text("---\ntitle: Good\n---\nBody\n", "utf-8")
    (folder / "2024-01-02-broken.md").write_text("---\ntitle: [unclosed\n---\nBody\n", "utf-8")
    (folder / "2024-01-03-never-closed.md").write_text("---\ntitle: x\nBody\n", "utf-8")
    (folder / "2024-01-04-list.md").write_text("---\n- a\n- b\n---\nBody\n", "utf-8")
    (folder / "2024-01-05-also-good.md").write_text("No front matter at all.\n", "utf-8")
    with lib.session() as s:
        report = import_md.import_paths(s, [folder])
        s.commit()
        titles = sorted(library.get_post(s, f.post_id).title for f in report.imported)
    assert titles == ["Good", "also-good"]
    errors = {path.name: message for path, message in report.errors}
    assert set(errors) == {
        "2024-01-02-broken.md",
        "2024-01-03-never-closed.md",
        "2024-01-04-list.md",
    }
    for name, message in errors.items():
        assert name in message
    assert "broken YAML front matter (line " in errors["2024-01-02-broken.md"]
    assert "never closed" in errors["2024-01-03-never-closed.md"]


def test_jekyll_posts_folder(lib, tmp_path: Path):
    site = tmp_path / "site"
    posts = site / "_posts"
    posts.mkdir(parents=True)
    (site / "assets").mkdir()
    (site / "assets" / "pic.png").write_bytes(png(3, 3))
    (posts / "2023-06-07-hello-jekyll.md").write_text(
        '---\nlayout: post\ntitle: "Hello, Jekyll"\ncategories: travel notes\n'
        "tags: [a, b]\n---\nSee ![pic](/pic.png) and more.\n",
        "utf-8",
    )
    (posts / "2023-06-08-unpublished.markdown").write_text(
        "---\ntitle: Later\npublished: false\ndate: 2023-06-08 10:00:00 +0200\n---\nSoon.\n",
        "utf-8",
    )
    with lib.session() as s:
        report = import_md.import_paths(s, [posts])
        s.commit()
        assert report.ok, report.errors
        hello, later = (library.get_post(s, f.post_id) for f in report.imported)
    assert hello.title == "Hello, Jekyll"
    assert hello.slug == "hello-jekyll"
    assert hello.status == library.PUBLISHED
    assert hello.published_at == datetime(2023, 6, 7, tzinfo=UTC)
    assert hello.categories == ["notes", "travel"]
    assert hello.tags == ["a", "b"]
    assert media.MEDIA_URL_RE.search(hello.body), hello.body
    assert 'src="dbmedia:' in render_html(hello.body)
    assert later.status == library.DRAFT
    assert later.created_at == datetime(2023, 6, 8, 8, 0, tzinfo=UTC)


def test_hugo_content_folder_yaml_toml_and_bundles(lib, tmp_path: Path):
    content = tmp_path / "hugo" / "content"
    (content / "posts" / "bundle").mkdir(parents=True)
    (content / "_index.md").write_text("---\ntitle: Home\n---\n", "utf-8")
    (content / "posts" / "yaml-post.md").write_text(
        "---\ntitle: YAML post\ndate: 2022-02-02T10:00:00+01:00\ndraft: true\n"
        "summary: Short\ntags:\n  - go\n  - hugo\n---\nYAML body\n",
        "utf-8",
    )
    (content / "posts" / "toml-post.md").write_text(
        '+++\ntitle = "TOML post"\ndate = 2022-03-03T12:00:00Z\nslug = "toml"\n'
        'categories = ["Tech"]\n+++\nTOML body\n',
        "utf-8",
    )
    (content / "posts" / "bundle" / "index.md").write_text(
        "---\ntitle: Bundle\ndate: 2022-04-04\n---\n![in bundle](cover.png)\n", "utf-8"
    )
    (content / "posts" / "bundle" / "cover.png").write_bytes(png(6, 2))
    with lib.session() as s:
        report = import_md.import_paths(s, [content])
        s.commit()
        assert report.ok, report.errors
        posts = {p.title: p for p in (library.get_post(s, f.post_id) for f in report.imported)}
    assert set(posts) == {"YAML post", "TOML post", "Bundle"}
    y, t, b = posts["YAML post"], posts["TOML post"], posts["Bundle"]
    assert (y.status, y.excerpt, y.tags, y.body) == (
        library.DRAFT,
        "Short",
        ["go", "hugo"],
        "YAML body\n",
    )
    assert y.created_at == datetime(2022, 2, 2, 9, 0, tzinfo=UTC)
    assert (t.status, t.slug, t.categories) == (library.PUBLISHED, "toml", ["Tech"])
    assert t.published_at == datetime(2022, 3, 3, 12, 0, tzinfo=UTC)
    assert b.slug == "bundle" and "dbmedia:" in b.body


def test_identity_rules(tmp_path: Path):
    f = tmp_path / "2024-05-06-some-post.md"
    f.write_text("Body", "utf-8")
    a = import_md.parse_file(f)
    assert a.identity_source == "slug+date"
    moved = tmp_path / "elsewhere" / f.name
    moved.parent.mkdir()
    moved.write_text("Body", "utf-8")
    assert import_md.parse_file(moved).identity == a.identity
    plain = tmp_path / "notes.md"
    plain.write_text("# A title\n\ntext", "utf-8")
    parsed = import_md.parse_file(plain)
    assert parsed.identity_source == "path" and parsed.title == "A title"


def test_missing_path_is_an_error_others_import(lib, tmp_path: Path):
    good = tmp_path / "good.md"
    good.write_text("---\ntitle: Fine\n---\n", "utf-8")
    with lib.session() as s:
        report = import_md.import_paths(s, [tmp_path / "nope.md", good])
        s.commit()
    assert len(report.imported) == 1
    assert "nope.md" in report.errors[0][1]


def test_a_chunk_the_database_refuses_is_done_again_file_by_file(lib, tmp_path: Path, monkeypatch):
    """When a chunk's single flush fails, its files are imported one by one: the good ones
    come in, and only the one at fault is reported."""
    folder = tmp_path / "_posts"
    folder.mkdir()
    for i in range(5):
        text = f"---\ntitle: Post {i}\ntags: [t{i % 2}, shared]\n---\nBody {i}\n"
        (folder / f"2024-01-0{i + 1}-post-{i}.md").write_text(text, "utf-8")
    real = import_md._import_parsed

    def refusing(session, parsed):
        if parsed.title == "Post 3":
            raise ValueError("refused by the library")
        return real(session, parsed)

    def failing_chunk(*args, **kwargs):
        raise RuntimeError("the chunk's flush failed")

    monkeypatch.setattr(import_md, "_add_chunk", failing_chunk)
    monkeypatch.setattr(import_md, "_import_parsed", refusing)
    with lib.session() as s:
        report = import_md.import_paths(s, [folder])
        s.commit()
    assert report.count("created") == 4
    assert [p.name for p, _ in report.errors] == ["2024-01-04-post-3.md"]
    assert "refused by the library" in report.errors[0][1]
    with lib.session() as s:
        posts = [library.get_post(s, p.id) for p in library.list_posts(s)]
    imported = sorted(p.title for p in posts if p.title.startswith("Post "))
    assert imported == ["Post 0", "Post 1", "Post 2", "Post 4"]
    assert all("shared" in p.tags for p in posts if p.title.startswith("Post "))


def test_the_same_post_twice_in_one_import_is_one_post(lib, tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, body in ((a, "First copy"), (b, "Second copy")):
        folder.mkdir()
        text = f"---\ntitle: Same\nslug: same\ndate: 2024-02-03\n---\n{body}\n"
        (folder / "same.md").write_text(text, "utf-8")
    with lib.session() as s:
        report = import_md.import_paths(s, [a, b])
        s.commit()
    assert [f.action for f in report.imported] == ["created", "updated"]
    with lib.session() as s:
        same = [p for p in library.list_posts(s) if p.title == "Same"]
        assert len(same) == 1
        assert library.get_post(s, same[0].id).body.strip() == "Second copy"
