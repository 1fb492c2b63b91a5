#!/usr/bin/env python3
"""A throw-away WordPress on 127.0.0.1 for tests, made from Debian 12's own `wordpress` package.

    python tests/integration/wordpress/wpserver.py start --dir D [--port P]   (prints site.json)
    python tests/integration/wordpress/wpserver.py stop --dir D [--remove]
    python tests/integration/wordpress/wpserver.py php --dir D 'echo get_option("home");'

The packages come from ensure-packages.sh beside this file. `start` makes a fresh site in the
folder D (which must be empty or absent), all of it inside D:

    D/site.json        url, admin user and password, application password, pids, start time
    D/router.php       the router of `php -S` (see there why D/wp is laid out as it is)
    D/load.php         loads this site's WordPress in php-cli (`php` below, install.php)
    D/wp/              document root: copies of WordPress's top-level scripts, links to Debian's
                       wp-admin/ and wp-includes/, this site's wp-config.php and wp-content/
                       (the theme linked, mu-plugins/desktop-blog-sandbox.php copied, uploads/)
    D/mysql/           MariaDB's data folder, socket and error log (owned by `mysql` under root)
    D/logs/            php-server.log, php-errors.log, install.log, mail.log, blocked-requests.log
    D/opcache/         compiled PHP of the php-cli runs (install.php, `php` below)

MariaDB listens on a unix socket only (skip-networking); `php -S` (4 workers) on 127.0.0.1:P.
Each runs in its own process group, and `stop` ends exactly the processes whose command line
names D, so it is idempotent and never touches another site. Standard library only: the pytest
fixture (tests/integration/conftest.py) imports this file, and so can a benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENSURE_PACKAGES = HERE / "ensure-packages.sh"
WP_ROOT = Path("/usr/share/wordpress")
THEME = "twentytwentythree"
MARIADB_USER = "mysql"
PYTEST_PREFIX = "desktop-blog-wp-pytest-"

# Small and fast rather than durable: the data lives for one test session.
MARIADB_OPTIONS = [
    "--skip-name-resolve",
    "--skip-log-bin",
    "--performance-schema=OFF",
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=8M",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
]
PHP_INI = [
    "memory_limit=256M",
    "upload_max_filesize=64M",
    "post_max_size=64M",
    "log_errors=1",
    "opcache.enable_cli=1",
]
# php -S keeps compiled scripts in shared memory; each php-cli run (install.php, php()) would
# compile WordPress again (0.4 s), so those share a file cache in D/opcache instead (0.1 s).


class WordPressError(RuntimeError):
    """The site could not be started (or a php-cli call failed); `log_tail` says what the logs say."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n{self.log_tail}" if self.log_tail else text


@dataclass
class Site:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    admin_user: str
    admin_password: str  # the login password: XML-RPC accepts it, REST does not
    app_password: str  # application password of admin_user: REST (HTTP Basic) and XML-RPC
    directory: str
    port: int
    php_pid: int
    mariadb_pid: int
    start_seconds: float
    owner_pid: int | None = None

    @property
    def rest_url(self) -> str:
        return f"{self.url}/wp-json/"

    @property
    def xmlrpc_url(self) -> str:
        return f"{self.url}/xmlrpc.php"


# --- packages -------------------------------------------------------------------------------


def ensure_packages(install: bool = True) -> tuple[bool, str, str]:
    """Run ensure-packages.sh (it installs only as root, and only when `install`).

    Returns (all present?, what it reported, the command that would install the missing ones:
    empty when there is nothing to say).
    """
    args = ["bash", str(ENSURE_PACKAGES)] + ([] if install else ["--check"])
    try:
        done = subprocess.run(
            args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{ENSURE_PACKAGES.name} did not run: {exc}", ""
    return done.returncode == 0, (done.stderr + done.stdout).strip(), done.stdout.strip()


def _missing_programs() -> list[str]:
    wanted = {
        "php": shutil.which("php"),
        "mariadbd": shutil.which("mariadbd") or _sbin("mariadbd"),
        "mariadb-install-db": shutil.which("mariadb-install-db"),
        str(WP_ROOT / "wp-settings.php"): (WP_ROOT / "wp-settings.php").is_file(),
        str(WP_ROOT / "wp-content/themes" / THEME): (
            WP_ROOT / "wp-content/themes" / THEME
        ).is_dir(),
    }
    return [name for name, found in wanted.items() if not found]


def _sbin(name: str) -> str | None:
    for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        if os.access(os.path.join(folder, name), os.X_OK):
            return os.path.join(folder, name)
    return None


# --- small helpers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _php_str(value: str) -> str:
    """A PHP single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _tail(path: Path, lines: int) -> list[str]:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            return f.read().decode("utf-8", "replace").splitlines()[-lines:]
    except OSError:
        return []


def log_tail(directory: str | os.PathLike, lines: int = 25) -> str:
    """The last lines of each of the site's logs, for an error message."""
    d = Path(directory)
    logs = sorted((d / "logs").glob("*.log")) + [d / "mysql" / "error.log"]
    parts = []
    for path in logs:
        tail = _tail(path, lines)
        if tail:
            parts.append(f"--- {path} (last {len(tail)} lines)\n" + "\n".join(tail))
    return "\n".join(parts)


def _http_get(url: str, timeout: float) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- processes --------------------------------------------------------------------------------


def _processes_of(d: Path) -> list[int]:
    """Pids of the processes started for the site in `d`: php -S (parent and workers), mariadbd."""
    marks = {str(d / "router.php"), f"--datadir={d / 'mysql' / 'data'}"}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if marks.intersection(args):
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _end(pids: list[int], grace: float) -> None:
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pids)
        pids = [pid for pid in pids if _alive(pid)]
        if not pids:
            return
        time.sleep(0.05)
    _signal_all(pids, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    _reap(pids)


def _reap(pids: list[int]) -> None:
    """Collect the exit status of those that are our own children (no zombies left behind)."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def stop(directory: str | os.PathLike, remove: bool = False) -> int:
    """End the site's php -S and MariaDB (idempotent); returns how many processes were running.

    Only processes whose command line names this folder are signalled, one by one by pid.
    `remove` then deletes the folder.
    """
    d = Path(directory).resolve()
    php_pids = [p for p in _processes_of(d) if _is_php(p)]
    others = [p for p in _processes_of(d) if p not in php_pids]
    # php -S first (its workers survive a signal to their parent, so each is signalled); MariaDB
    # gets a few seconds for a clean shutdown, then is killed: its data is thrown away anyway.
    _end(php_pids, grace=2.0)
    _end(others, grace=5.0)
    count = len(php_pids) + len(others)
    _update_site_json(d, status="stopped")
    if remove and d.exists():
        shutil.rmtree(d, ignore_errors=True)
    return count


def _is_php(pid: int) -> bool:
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe")).startswith("php")
    except OSError:
        return False


def _update_site_json(d: Path, **fields) -> None:
    path = d / "site.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    data.update(fields)
    _write_json(path, data)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def reap_orphans(parent: str | os.PathLike | None = None, prefix: str = PYTEST_PREFIX) -> list[str]:
    """Stop and delete sites left by test sessions that died (their owner_pid is gone)."""
    reaped = []
    for d in Path(parent or tempfile.gettempdir()).glob(prefix + "*"):
        try:
            owner = json.loads((d / "site.json").read_text()).get("owner_pid")
        except (OSError, ValueError):
            owner = None
        if owner is not None and _alive(int(owner)):
            continue
        if owner is None and time.time() - d.stat().st_mtime < 600:
            continue  # perhaps a session that is starting its site right now
        stop(d, remove=True)
        reaped.append(str(d))
    return reaped


# --- start ------------------------------------------------------------------------------------


def _prepare_tree(d: Path, as_root: bool) -> None:
    if as_root:
        # MariaDB runs as `mysql` and must reach D/mysql: every folder above it needs o+x.
        for folder in reversed(d.parents):
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                raise WordPressError(
                    f"{folder} is not searchable by others (mode {stat.filemode(mode)}), so MariaDB,"
                    f" running as {MARIADB_USER}, cannot reach {d}/mysql; use a folder under /tmp"
                )
        d.chmod(0o711)
    root = d / "wp"
    root.mkdir()
    # Top-level scripts are copied: they find wp-load.php, and it finds ABSPATH and so
    # wp-config.php, through their own folder (__DIR__, which resolves links). See router.php.
    for entry in WP_ROOT.iterdir():
        if entry.name in ("wp-config.php", "wp-config-sample.php", "wp-content", ".htaccess"):
            continue
        if entry.suffix == ".php" and entry.is_file():
            shutil.copyfile(entry, root / entry.name)
        else:
            (root / entry.name).symlink_to(entry)
    content = root / "wp-content"
    for sub in ("themes", "plugins", "mu-plugins", "uploads"):
        (content / sub).mkdir(parents=True)
    (content / "themes" / THEME).symlink_to(WP_ROOT / "wp-content" / "themes" / THEME)
    (content / "index.php").write_text("<?php\n// Silence is golden.\n")
    shutil.copy(HERE / "sandbox.php", content / "mu-plugins" / "desktop-blog-sandbox.php")
    shutil.copy(HERE / "router.php", d / "router.php")
    (d / "logs").mkdir()
    (d / "opcache").mkdir()
    for sub in ("data", "run"):
        (d / "mysql" / sub).mkdir(parents=True)
    if as_root:
        mysql = pwd.getpwnam(MARIADB_USER)
        for path in (d / "mysql", d / "mysql" / "data", d / "mysql" / "run"):
            os.chown(path, mysql.pw_uid, mysql.pw_gid)
            path.chmod(0o700)


def _write_config(d: Path, port: int, db_password: str) -> None:
    url = f"http://127.0.0.1:{port}"
    socket_path = d / "mysql" / "run" / "mysqld.sock"
    salts = "\n".join(
        f"define('{name}', '{secrets.token_hex(32)}');"
        for name in (
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        )
    )
    (d / "wp" / "wp-config.php").write_text(
        f"""<?php
/* This test site's configuration, written by wpserver.py (Debian's wp-config.php is not used). */
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', {_php_str(db_password)});
define('DB_HOST', {_php_str(f"localhost:{socket_path}")});
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{salts}
$table_prefix = 'wp_';

define('WP_HOME', {_php_str(url)});
define('WP_SITEURL', {_php_str(url)});
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('WP_CONTENT_URL', {_php_str(url + "/wp-content")});
// Application passwords over plain http are offered only to a 'local' site.
define('WP_ENVIRONMENT_TYPE', 'local');
// Belt and braces with mu-plugins/desktop-blog-sandbox.php: nothing leaves loopback.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('DESKTOP_BLOG_LOG_DIR', {_php_str(str(d / "logs"))});
define('WP_DEBUG', false);

if (!defined('ABSPATH')) {{
    define('ABSPATH', __DIR__ . '/');
}}
require_once ABSPATH . 'wp-settings.php';
"""
    )
    (d / "load.php").write_text(
        f"""<?php
/* Loads this test site's WordPress in php-cli (install.php, `wpserver.py php`). */
if (!defined('ABSPATH')) {{
    define('ABSPATH', {_php_str(str(d / "wp") + "/")});
}}
$_SERVER['HTTP_HOST'] = '127.0.0.1:{port}';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['SERVER_PORT'] = '{port}';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
require_once ABSPATH . 'wp-load.php';
"""
    )


def _php_args(d: Path, server: bool = False) -> list[str]:
    settings = PHP_INI + [f"error_log={d / 'logs' / 'php-errors.log'}"]
    if server:
        settings.append("display_errors=0")
    else:
        settings += [
            "display_errors=stderr",
            f"opcache.file_cache={d / 'opcache'}",
            "opcache.file_cache_only=1",
        ]
    args = ["php"]
    for setting in settings:
        args += ["-d", setting]
    return args


def _start_mariadb(d: Path, as_root: bool, db_password: str) -> subprocess.Popen:
    data = d / "mysql" / "data"
    user = [f"--user={MARIADB_USER}"] if as_root else []
    with open(d / "logs" / "mariadb-install.log", "wb") as log:
        done = subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                *user,
                f"--datadir={data}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
                *MARIADB_OPTIONS,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    if done.returncode != 0:
        raise WordPressError(f"mariadb-install-db failed (exit code {done.returncode})")
    init = d / "mysql" / "init.sql"
    init.write_text(
        "CREATE DATABASE IF NOT EXISTS wordpress"
        " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n"
        f"CREATE USER IF NOT EXISTS 'wordpress'@'localhost' IDENTIFIED BY '{db_password}';\n"
        "GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';\n"
    )
    init.chmod(0o600)
    if as_root:
        mysql = pwd.getpwnam(MARIADB_USER)
        os.chown(init, mysql.pw_uid, mysql.pw_gid)
    run = d / "mysql" / "run"
    with open(d / "logs" / "mariadbd.out.log", "wb") as out:
        return subprocess.Popen(
            [
                shutil.which("mariadbd") or _sbin("mariadbd") or "mariadbd",
                "--no-defaults",
                *user,
                f"--datadir={data}",
                f"--socket={run / 'mysqld.sock'}",
                f"--pid-file={run / 'mysqld.pid'}",
                f"--log-error={d / 'mysql' / 'error.log'}",
                f"--init-file={init}",
                "--skip-networking",
                *MARIADB_OPTIONS,
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_mariadb(d: Path, process: subprocess.Popen, deadline: float) -> None:
    """Ready when the server sends its greeting: the init file has run by then."""
    path = str(d / "mysql" / "run" / "mysqld.sock")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WordPressError(f"mariadbd exited with code {process.returncode} while starting")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(path)
                if sock.recv(4):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise WordPressError("MariaDB did not answer on its socket in time")


def _start_php(d: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, PHP_CLI_SERVER_WORKERS="4")
    with open(d / "logs" / "php-server.log", "ab") as log:
        return subprocess.Popen(
            [
                *_php_args(d, server=True),
                "-S",
                f"127.0.0.1:{port}",
                "-t",
                str(d / "wp"),
                str(d / "router.php"),
            ],
            cwd=d / "wp",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _install(d: Path, settings: dict, timeout: float) -> dict:
    with open(d / "logs" / "install.log", "wb") as log:
        done = subprocess.run(
            [*_php_args(d), str(HERE / "install.php"), str(d)],
            input=json.dumps(settings).encode(),
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=d,
            timeout=timeout,
        )
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        raise WordPressError(
            f"installing WordPress failed (install.php exit code {done.returncode})"
        )
    try:
        return json.loads(lines[-1])
    except ValueError:
        raise WordPressError(f"install.php printed no JSON: {lines[-1]!r}") from None


def _wait_http(url: str, process: subprocess.Popen, deadline: float) -> None:
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WordPressError(f"php -S exited with code {process.returncode}")
        try:
            status, body = _http_get(url + "/wp-json/", timeout=5)
            if status == 200 and b'"namespaces"' in body:
                return
            last = f"HTTP {status}: {body[:200]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.05)
    raise WordPressError(f"GET {url}/wp-json/ did not answer 200 in time (last: {last})")


def start(
    directory: str | os.PathLike,
    port: int | None = None,
    *,
    admin_user: str = "admin",
    admin_password: str | None = None,
    title: str = "Desktop Blog test site",
    timeout: float = 60.0,
    owner_pid: int | None = None,
) -> Site:
    """Create and start a fresh site in `directory` (empty or absent); raise WordPressError.

    On failure everything started so far is stopped again. `owner_pid`, when given, is recorded
    so that reap_orphans() can clean up after a test session that died.
    """
    started = time.monotonic()
    deadline = started + timeout
    d = Path(directory).resolve()
    d.mkdir(parents=True, exist_ok=True)
    if any(d.iterdir()):
        raise WordPressError(f"{d} is not empty: start makes a fresh site in an empty folder")
    missing = _missing_programs()
    if missing:
        raise WordPressError(
            f"not installed: {', '.join(missing)}; run {ENSURE_PACKAGES} (as root) first"
        )
    if len(str(d / "mysql" / "run" / "mysqld.sock")) > 100:
        raise WordPressError(f"{d} is too long a path for MariaDB's unix socket; use a shorter one")
    as_root = os.geteuid() == 0
    chosen_port = port or free_port()
    db_password = secrets.token_hex(16)
    admin_password = admin_password or secrets.token_urlsafe(18)
    try:
        _prepare_tree(d, as_root)
        _write_config(d, chosen_port, db_password)
        mariadb = _start_mariadb(d, as_root, db_password)
        php = _start_php(d, chosen_port)
        site_json = {
            "status": "starting",
            "directory": str(d),
            "port": chosen_port,
            "php_pid": php.pid,
            "mariadb_pid": mariadb.pid,
            "owner_pid": owner_pid,
        }
        _write_json(d / "site.json", site_json)
        _wait_mariadb(d, mariadb, deadline)
        installed = _install(
            d,
            {
                "title": title,
                "admin_user": admin_user,
                "admin_password": admin_password,
                "admin_email": f"{admin_user}@example.invalid",
                "permalink_structure": "/%postname%/",
                "app_password_name": "desktop-blog-tests",
            },
            timeout=max(5.0, deadline - time.monotonic()),
        )
        # The port was free a moment ago; if someone took it since, try others (ours only).
        for _attempt in range(5):
            time.sleep(0.05)
            if php.poll() is None or port is not None:
                break
            if b"in use" not in (d / "logs" / "php-server.log").read_bytes():
                break
            chosen_port = free_port()
            _write_config(d, chosen_port, db_password)
            php = _start_php(d, chosen_port)
        url = f"http://127.0.0.1:{chosen_port}"
        _wait_http(url, php, deadline)
    except BaseException as exc:
        tail = log_tail(d)
        stop(d)
        if isinstance(exc, WordPressError):
            exc.log_tail = exc.log_tail or tail
            raise
        if isinstance(exc, Exception):
            raise WordPressError(f"starting WordPress failed: {exc!r}", tail) from exc
        raise
    site = Site(
        url=url,
        admin_user=admin_user,
        admin_password=admin_password,
        app_password=installed["app_password"],
        directory=str(d),
        port=chosen_port,
        php_pid=php.pid,
        mariadb_pid=mariadb.pid,
        start_seconds=round(time.monotonic() - started, 3),
        owner_pid=owner_pid,
    )
    _write_json(d / "site.json", {"status": "running", **asdict(site)})
    return site


def load_site(directory: str | os.PathLike) -> Site:
    data = json.loads((Path(directory) / "site.json").read_text())
    data.pop("status", None)
    return Site(**data)


def php(directory: str | os.PathLike, code: str, timeout: float = 60.0) -> str:
    """Run PHP `code` in php-cli with the site's WordPress loaded; return what it printed.

    For arranging things on the server behind the client's back, e.g.
    php(d, "wp_update_post(['ID' => 5, 'post_title' => 'Edited on the server']);").
    """
    d = Path(directory).resolve()
    done = subprocess.run(
        [
            *_php_args(d),
            "-r",
            f"require {_php_str(str(d / 'load.php'))};\n{code}",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=d,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise WordPressError(
            f"php exited with code {done.returncode}: {done.stderr.strip()[-2000:]}"
        )
    return done.stdout


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p_start = commands.add_parser("start", help="make and start a fresh site in an empty folder")
    p_start.add_argument("--dir", required=True, help="the site's folder (empty or absent)")
    p_start.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    p_start.add_argument("--admin-user", default="admin")
    p_start.add_argument("--admin-password", help="default: a random one")
    p_start.add_argument("--timeout", type=float, default=60.0)
    p_stop = commands.add_parser("stop", help="stop the site's processes (idempotent)")
    p_stop.add_argument("--dir", required=True)
    p_stop.add_argument("--remove", action="store_true", help="then delete the folder")
    p_php = commands.add_parser("php", help="run PHP code with the site's WordPress loaded")
    p_php.add_argument("--dir", required=True)
    p_php.add_argument("code")
    args = parser.parse_args(argv)

    try:
        if args.command == "start":
            site = start(
                args.dir,
                args.port,
                admin_user=args.admin_user,
                admin_password=args.admin_password,
                timeout=args.timeout,
            )
            print(
                json.dumps(
                    {**asdict(site), "rest_url": site.rest_url, "xmlrpc_url": site.xmlrpc_url},
                    indent=2,
                )
            )
        elif args.command == "stop":
            count = stop(args.dir, remove=args.remove)
            print(
                f"wpserver: stopped {count} process(es)"
                if count
                else "wpserver: nothing was running",
                file=sys.stderr,
            )
        else:
            sys.stdout.write(php(args.dir, args.code))
    except WordPressError as exc:
        print(f"wpserver: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
