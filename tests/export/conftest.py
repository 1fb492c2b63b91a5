"""Fixtures of the export and import tests: a library of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_blog.core import db


@pytest.fixture
def lib(tmp_path: Path):
    library_ = db.open_library(tmp_path / "lib")
    yield library_
    library_.close()
