"""The import rules of ARCHITECTURE.md ("Layers"), and that every package file ships.

- core, render and publish run without Qt: importing all of them leaves PySide6 unloaded.
- Only desktop_blog/ui and desktop_blog/app.py import Qt (PySide6, shiboken6, QtAwesome, QtPy).
- Nothing imports desktop_blog.ui but app.py (and __main__.py and cli_export.py, inside a
  function).
- render imports nothing of ours; core imports only core and render.
"""

from __future__ import annotations

import ast
import glob
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "desktop_blog"
QT_MODULES = {"PySide6", "shiboken6", "qtawesome", "qtpy"}

IMPORT_HEADLESS_LAYERS = """
import importlib, pkgutil, sys

def qt_or_ui_loaded():
    return sorted(m for m in sys.modules if m in {"PySide6", "shiboken6", "desktop_blog.ui"})

def fail(module_name):
    raise ImportError(f"cannot import {module_name}")

for name in ("desktop_blog.core", "desktop_blog.render", "desktop_blog.publish"):
    package = importlib.import_module(name)
    modules = [name] + [
        info.name
        for info in pkgutil.walk_packages(package.__path__, name + ".", onerror=fail)
        # Migration scripts are run by Alembic (env.py needs its context), not imported.
        if ".migrations." not in info.name + "."
    ]
    for module in modules:
        importlib.import_module(module)
        if qt_or_ui_loaded():
            print(f"importing {module} loaded {', '.join(qt_or_ui_loaded())}")
            sys.exit(1)
"""


def test_core_render_publish_import_without_qt():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_HEADLESS_LAYERS],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(absolute module imported, line, inside a function) for each import in the file."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                found.append((module, child.lineno, in_function))
                # `from desktop_blog import ui` imports the subpackage too.
                found.extend((f"{module}.{a.name}", child.lineno, in_function) for a in child.names)
            visit(child, nested)

    visit(tree, False)
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# May import desktop_blog.ui inside a function only: __main__ starts the GUI, cli_export prints a
# PDF with QtWebEngine (only for --format pdf; the other commands never load Qt).
DEFERRED_UI_IMPORTERS = ("desktop_blog/__main__.py", "desktop_blog/cli_export.py")

# Which of our packages each layer may import (besides the top-level desktop_blog itself).
ALLOWED = {"render": ("render",), "core": ("core", "render")}


def test_import_rules():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        in_ui = relative.startswith("desktop_blog/ui/")
        layer = relative.split("/")[1] if relative.count("/") > 1 else None
        for module, line, in_function in _imports(path):
            where = f"{relative}:{line} imports {module}"
            top = module.split(".")[0]
            if top in QT_MODULES and not (in_ui or relative == "desktop_blog/app.py"):
                problems.append(f"{where}: only desktop_blog/ui and app.py may use Qt")
            if _within(module, "desktop_blog.ui") and not (
                in_ui
                or relative == "desktop_blog/app.py"
                or (relative in DEFERRED_UI_IMPORTERS and in_function)
            ):
                problems.append(
                    f"{where}: only app.py (or {', '.join(DEFERRED_UI_IMPORTERS)}, deferred) "
                    "may import ui"
                )
            allowed = ALLOWED.get(layer)
            if (
                allowed
                and top == "desktop_blog"
                and module != "desktop_blog"
                and not any(_within(module, f"desktop_blog.{ok}") for ok in allowed)
            ):
                problems.append(f"{where}: {layer} may import only {', '.join(allowed)} of ours")
    assert not problems, "\n".join(problems)


def _shipped_files() -> set[Path]:
    """The files setuptools puts into the wheel, from pyproject.toml [tool.setuptools]."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    package_dir: dict[str, str] = config.get("package-dir", {})
    package_data: dict[str, list[str]] = config.get("package-data", {})

    def source(package: str) -> Path:
        parts = package.split(".")
        for n in range(len(parts), 0, -1):
            mapped = package_dir.get(".".join(parts[:n]))
            if mapped is not None:
                return ROOT.joinpath(mapped, *parts[n:])
        return ROOT.joinpath(*parts)

    shipped: set[Path] = set()
    for package in config["packages"]:
        folder = source(package)
        assert folder.is_dir(), f"pyproject.toml lists {package}, but {folder} does not exist"
        shipped.update(folder.glob("*.py"))
        for pattern in package_data.get("*", []) + package_data.get(package, []):
            matches = glob.glob(str(folder / pattern), recursive=True)
            shipped.update(Path(m) for m in matches if os.path.isfile(m))
    return {path.resolve() for path in shipped}


def _committed_files() -> list[Path]:
    """Files of the package and of resources/ that git tracks (all files outside a checkout).

    Committed files, not every file on disk: a subpackage can be listed in pyproject.toml only once
    its folder is committed, or a fresh clone fails to build ("package directory ... does not
    exist"); so work in progress must not turn this test red before its commit.
    """
    folders = ["desktop_blog", "resources"]
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", *folders],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return [p for folder in folders for p in (ROOT / folder).rglob("*") if p.is_file()]
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def test_every_package_file_ships():
    """A committed subpackage or data file that pyproject.toml would leave out of the wheel."""
    shipped = _shipped_files()
    left_out = sorted(
        path.relative_to(ROOT).as_posix()
        for path in _committed_files()
        if "__pycache__" not in path.parts
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        and path.resolve() not in shipped
    )
    assert not left_out, (
        "not in the wheel: add the subpackage to [tool.setuptools] packages, or a pattern to "
        "[tool.setuptools.package-data], in pyproject.toml:\n" + "\n".join(left_out)
    )
