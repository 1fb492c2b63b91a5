"""``desktop-blog export`` and ``desktop-blog import``: the headless export and import commands.

    desktop-blog export ID... --format pdf|html|md -o PATH
    desktop-blog export --all --format md -o FOLDER        (or --blog ID: a blog's posts)
    desktop-blog import PATH...

PDF and HTML put every post given into one file (with a table of contents when there are
several); Markdown writes one file per post, with its images, into the folder PATH. Import takes
Markdown files and folders (a Jekyll ``_posts``, a Hugo ``content/``).

Exit codes, as for every command: 0 everything done; 1 something failed (each failure has a
line on stderr; what could be done was done: the other posts are exported, the other files
imported); 2 bad usage. A progress bar goes to stderr when it is a terminal and there is more
than one post or file (``--progress`` forces it, ``--no-progress`` hides it).

The PDF needs QtWebEngine: only ``--format pdf`` imports Qt (``ui.pdf_export``, inside the
function), and it runs without a display (the offscreen platform).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .core import db, library
from .render.page_setup import parse_margins

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

FORMATS = ("pdf", "html", "md")
FORK_BELOW = 8  # a PDF export of fewer posts renders them in a forked process (see below)


class Progress:
    """A one-line progress bar on a terminal: ``[#####.....]  12/100 label``."""

    def __init__(self, stream: TextIO, enabled: bool, width: int = 30) -> None:
        self.stream = stream
        self.enabled = enabled
        self.width = width
        self._shown = False

    def __call__(self, done: int, total: int, label: str = "") -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done:>{len(str(total))}}/{total} {label}"[:200])
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


def _progress(args: argparse.Namespace, count: int) -> Progress:
    if args.progress is None:
        enabled = count > 1 and sys.stderr.isatty()
    else:
        enabled = args.progress
    return Progress(sys.stderr, enabled)


def _fail(message: str) -> None:
    print(f"desktop-blog: {message}", file=sys.stderr)


def _margins(text: str) -> tuple[float, float, float, float]:
    try:
        return parse_margins(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _posts(lib: db.Library, args: argparse.Namespace) -> tuple[list[library.PostData], int]:
    """The posts asked for, in the order given, and how many ids were not found."""
    with lib.session() as session:
        if args.all or args.blog is not None:
            # Oldest first, as a blog reads from its beginning; the trash stays out.
            every = library.list_posts(session, args.blog)
            ids = [p.id for p in reversed(every) if p.status != library.TRASH]
        else:
            ids = list(dict.fromkeys(args.ids))
        posts, missing = [], 0
        for post_id in ids:
            try:
                posts.append(library.get_post(session, post_id))
            except library.PostNotFound as exc:
                _fail(str(exc))
                missing += 1
    return posts, missing


def _doc_posts(posts: list[library.PostData], author: str):
    from .render.standalone import DocPost

    return [
        DocPost(
            title=p.title,
            body=p.body,
            date=p.published_at or p.scheduled_at or p.created_at,
            author=author,
            anchor=f"post-{p.id}",
        )
        for p in posts
    ]


def _export_md(lib, posts, args, progress: Callable[[int, int], None]) -> int:
    from .core import export_md

    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        _fail(f"{folder} is a file; Markdown export writes into a folder")
        return EXIT_FAILED
    failed = 0
    used: set[str] = set()
    with lib.session() as session:
        for i, post in enumerate(posts, 1):
            try:
                export_md.export_post(session, post, folder, used_names=used)
            except OSError as exc:
                _fail(f"post {post.id}: cannot write into {folder}: {exc.strerror or exc}")
                failed += 1
            progress(i, len(posts))
    return EXIT_FAILED if failed else EXIT_OK


def _export_html(lib, posts, args, progress: Callable[[int, int], None]) -> int:
    from .core.export_md import image_loader
    from .render.standalone import standalone_html

    docs = _doc_posts(posts, args.author)
    page, missing = standalone_html(
        docs,
        image_loader(lib.session, remote=not args.offline),
        title=args.title,
        author=args.author,
        theme=args.theme,
    )
    progress(len(posts), len(posts))
    _write(Path(args.output), page.encode("utf-8"))
    for url in missing:
        _fail(f"image not included (cannot be loaded): {url}")
    return EXIT_OK


def _write(path: Path, data: bytes) -> None:
    import os

    path.write_bytes(data)
    os.chmod(path, 0o644)


def _render_in_children(docs: list) -> Callable[[], list[str] | None] | None:
    """Start rendering a few posts' HTML in a forked process, so that it runs while this
    process imports Qt and starts Chromium; returns ``collect()``, which waits for it and
    gives the articles (None if the child failed: the caller renders them).

    Only for fewer than ``FORK_BELOW`` posts, before Qt is loaded and while this process has
    one thread (a fork is then safe); the child uses no database connection and leaves by
    ``os._exit``. Measured: with a free core, a 5,000-word post's rendering (about 0.2 s) is
    off the run; on a loaded two-core machine no gain shows, and for 100 posts two children
    made the whole run 1.5-2.5 s slower in three interleaved runs out of three (they compete
    with Chromium's start and each warms Markdown and Pygments up again), so many posts
    render in this process, on a thread, as the window does."""
    import os
    import struct
    import threading

    if not hasattr(os, "fork") or "PySide6.QtCore" in sys.modules:
        return None
    if threading.active_count() > 1 or len(docs) >= FORK_BELOW or (os.cpu_count() or 1) < 2:
        return None
    many = len(docs) > 1
    count = 1
    children: list[tuple[int, int, int]] = []
    for i in range(count):
        part = docs[i * len(docs) // count : (i + 1) * len(docs) // count]
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: render, write, leave (no cleanup of the parent's objects)
            code = 1
            try:
                os.close(read_end)
                from .render.standalone import articles_html

                with os.fdopen(write_end, "wb") as out:
                    for article in articles_html(part, many):
                        data = article.encode("utf-8")
                        out.write(struct.pack(">Q", len(data)) + data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        children.append((pid, read_end, len(part)))

    def collect() -> list[str] | None:
        articles: list[str] = []
        ok = True
        for pid, read_end, expected in children:
            with os.fdopen(read_end, "rb") as stream:
                data = stream.read()
            _, status = os.waitpid(pid, 0)
            got, at = [], 0
            while at + 8 <= len(data):
                (size,) = struct.unpack(">Q", data[at : at + 8])
                got.append(data[at + 8 : at + 8 + size].decode("utf-8"))
                at += 8 + size
            ok = ok and status == 0 and len(got) == expected
            articles += got
        return articles if ok else None

    return collect


def _export_pdf(lib, posts, args, progress: Callable[[int, int], None]) -> int:
    docs = _doc_posts(posts, args.author)
    articles = _render_in_children(docs)
    # Qt only here: the other commands never load it.
    from .core.export_md import image_loader
    from .ui import pdf_export

    options = pdf_export.PdfOptions(
        page_size=args.page_size,
        margins_mm=args.margins,
        title=args.title,
        author=args.author,
        theme=args.theme,
    )
    progress(0, len(posts))
    had_app = _qt_application_exists()
    pdf_export.export_pdf(
        docs,
        args.output,
        options,
        library=lib,
        load_image=None if args.offline else image_loader(lib.session),
        on_post=lambda done, total: progress(done, total + 1),
        articles=articles,
    )
    progress(len(posts), len(posts))
    args.leave_now = not had_app  # Qt was started for this command alone
    return EXIT_OK


def _qt_application_exists() -> bool:
    core = sys.modules.get("PySide6.QtCore")
    return core is not None and core.QCoreApplication.instance() is not None


def _leave_now(lib: db.Library, code: int) -> None:
    """End the process at once after a successful PDF export, when it is the command itself.

    The file is written and closed; what is left is QtWebEngine's shutdown (its threads and
    renderer process), about 0.3 s of a 1.5 s run, for nothing. So: close the library, flush
    the standard streams and ``os._exit(0)``. Only when this process is ``desktop-blog`` (or
    ``python -m desktop_blog``): a program or a test calling ``cli.main`` goes on as usual."""
    import os

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    ours = (spec is not None and spec.name == "desktop_blog.__main__") or Path(
        sys.argv[0] if sys.argv else ""
    ).name == "desktop-blog"
    if not ours:
        return
    lib.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_export(lib: db.Library, args: argparse.Namespace) -> int:
    if bool(args.ids) + args.all + (args.blog is not None) != 1:
        _fail("export: give post ids, or --all, or --blog ID")
        return EXIT_USAGE
    posts, missing = _posts(lib, args)
    if not posts:
        _fail("export: no post to export")
        return EXIT_FAILED
    progress = _progress(args, len(posts))
    run = {"md": _export_md, "html": _export_html, "pdf": _export_pdf}[args.format]
    try:
        code = run(lib, posts, args, progress)
    except OSError as exc:
        progress.close()
        _fail(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_FAILED
    except Exception as exc:
        progress.close()
        if type(exc).__name__ == "PdfError":
            _fail(f"PDF export failed: {exc}")
            return EXIT_FAILED
        raise
    progress.close()
    code = EXIT_FAILED if missing or code else EXIT_OK
    if getattr(args, "leave_now", False):
        _leave_now(lib, code)
    return code


def cmd_import(lib: db.Library, args: argparse.Namespace) -> int:
    from .core import import_md

    try:
        count = len(import_md.markdown_files([p for p in args.paths if Path(p).exists()]))
    except OSError:
        count = 0
    progress = _progress(args, count)
    with lib.session() as session:
        report = import_md.import_paths(session, args.paths, progress)
        session.commit()
    progress.close()
    for _path, message in report.errors:
        _fail(message)
    print(
        f"{report.count('created')} created, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {len(report.errors)} failed"
    )
    return EXIT_FAILED if report.errors else EXIT_OK


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``export`` and ``import`` to the CLI's subcommands."""
    p = sub.add_parser(
        "export",
        help="export posts to PDF, standalone HTML or Markdown (Jekyll/Hugo)",
        description="PDF and HTML: one file with every post given; md: one file per post "
        "(and its images) in the folder -o.",
    )
    p.add_argument("ids", type=int, nargs="*", metavar="ID", help="post ids (see `list`)")
    p.add_argument(
        "--all", action="store_true", help="every post of the local library but the trash"
    )
    p.add_argument("--blog", type=int, metavar="ID", help="every post of a blog but the trash")
    p.add_argument("--format", "-f", choices=FORMATS, required=True)
    p.add_argument(
        "-o", "--output", required=True, metavar="PATH", help="file (pdf, html) or folder (md)"
    )
    p.add_argument("--title", help="the document's title (default: the post's, or 'Posts')")
    p.add_argument("--author", default="", help="shown under each title and set as PDF author")
    p.add_argument("--theme", choices=("light", "dark", "sepia"), default="light")
    p.add_argument("--page-size", choices=("A4", "Letter"), default="A4", help="PDF only")
    p.add_argument(
        "--margins",
        type=_margins,
        default=(18.0, 18.0, 20.0, 18.0),
        metavar="MM",
        help="PDF page margins in mm: one value, or TOP,RIGHT,BOTTOM,LEFT (default 18,18,20,18)",
    )
    p.add_argument(
        "--offline", action="store_true", help="HTML, PDF: do not fetch remote http images"
    )
    _progress_flags(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import",
        help="import Markdown files or folders (Jekyll _posts, Hugo content/)",
        description="Importing the same files again updates the posts instead of adding them.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    _progress_flags(p)
    p.set_defaults(func=cmd_import)


def _progress_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_true", default=None)
    group.add_argument("--no-progress", dest="progress", action="store_false")
