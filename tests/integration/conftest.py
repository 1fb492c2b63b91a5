"""Integration tests: a real WordPress (Debian's package) on 127.0.0.1, one per test session.

Use the session fixture `wordpress` (and `api`, the administrator's REST client on it; `client`,
a plain one):

    def test_something(wordpress):
        with httpx.Client(auth=(wordpress.user, wordpress.app_password), trust_env=False) as c:
            c.get(wordpress.rest_url + "wp/v2/users/me", params={"context": "edit"})
        wordpress.php("echo get_option('blogname');")   # arrange things on the server itself

The site is shared by the session: it starts with WordPress's own sample post, page and comment;
make your own posts and do not count on totals. WordPress's comment flood check applies: a second
visitor comment (POST /wp-comments-post.php) from 127.0.0.1 within 15 s gets 429, so create
further comments over REST as the administrator. Mail goes to logs/mail.log, refused outside
requests to logs/blocked-requests.log (both in `directory`).

Every test under tests/integration/ is marked `integration` (deselect with -m "not integration").
Packages: ensure-packages.sh installs what is missing (as root). Without root and without the
packages (and not in CI), the tests that use `wordpress` are skipped, saying what to install; in
every other case a site that cannot start fails them, with the reason and the server's logs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

WORDPRESS_DIR = Path(__file__).resolve().parent / "wordpress"


def _load_wpserver():
    name = "desktop_blog_wpserver"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, WORDPRESS_DIR / "wpserver.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file runs
        spec.loader.exec_module(module)
    return sys.modules[name]


wpserver = _load_wpserver()


@dataclass(frozen=True)
class WordPress:
    """A running test WordPress. Its content is shared by the whole session: make your own posts."""

    url: str  # http://127.0.0.1:PORT, no trailing slash
    rest_url: str  # URL + "/wp-json/"
    xmlrpc_url: str  # URL + "/xmlrpc.php"
    user: str  # an administrator
    password: str  # its login password: XML-RPC takes it, REST answers 401 to it
    app_password: str  # its application password: REST (HTTP Basic) and XML-RPC
    directory: Path  # the site's folder (logs/, wp/wp-content/uploads/, site.json)

    def php(self, code: str) -> str:
        """Run PHP with this site's WordPress loaded (php-cli); returns what it printed."""
        return wpserver.php(self.directory, code)

    def log_tail(self, lines: int = 25) -> str:
        return wpserver.log_tail(self.directory, lines)


def pytest_configure(config: pytest.Config) -> None:
    if not any(line.split(":")[0].strip() == "integration" for line in config.getini("markers")):
        config.addinivalue_line(
            "markers", "integration: needs a real external service (here a local WordPress)"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


_timings: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter) -> None:
    if "site" in _timings:
        terminalreporter.write_line(
            f"test WordPress: packages checked in {_timings['packages']:.1f} s,"
            f" a fresh site started in {_timings['site']:.1f} s"
        )


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WordPress]:
    t0 = time.monotonic()
    wpserver.reap_orphans()  # sites of earlier sessions that died without stopping theirs
    present, report, command = wpserver.ensure_packages()
    _timings["packages"] = time.monotonic() - t0
    if not present:
        if os.geteuid() != 0 and os.environ.get("CI") != "true":
            pytest.skip(
                "needs root to install the wordpress packages; run as root or install: "
                + (command or f"the packages listed in {wpserver.ENSURE_PACKAGES} ({report})")
            )
        pytest.fail(
            f"the test WordPress cannot start: its packages are missing and could not be"
            f" installed:\n{report}",
            pytrace=False,
        )

    directory = Path(tempfile.mkdtemp(prefix=wpserver.PYTEST_PREFIX))
    t1 = time.monotonic()
    try:
        site = wpserver.start(directory, owner_pid=os.getpid())
    except wpserver.WordPressError as exc:
        failure = f"the test WordPress cannot start: {exc}"  # with the tails of its logs
        shutil.rmtree(directory, ignore_errors=True)
    else:
        failure = None
    if failure:
        pytest.fail(failure, pytrace=False)
    _timings["site"] = time.monotonic() - t1
    try:
        yield WordPress(
            url=site.url,
            rest_url=site.rest_url,
            xmlrpc_url=site.xmlrpc_url,
            user=site.admin_user,
            password=site.admin_password,
            app_password=site.app_password,
            directory=directory,
        )
    finally:
        wpserver.stop(directory, remove=True)


@pytest.fixture
def api(wordpress: WordPress) -> Iterator[httpx.Client]:
    """The administrator's REST client (application password, never through a proxy): for
    checking what the app did and for changes made behind its back."""
    with httpx.Client(
        base_url=wordpress.rest_url,
        auth=(wordpress.user, wordpress.app_password),
        timeout=30,
        trust_env=False,
    ) as c:
        yield c


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain client, as a reader's browser (redirects followed, no proxy)."""
    with httpx.Client(timeout=30, trust_env=False, follow_redirects=True) as c:
        yield c
