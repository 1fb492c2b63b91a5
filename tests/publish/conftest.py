"""Fixtures for the connector tests (helpers live in tests/publish/helpers.py).

The tests import `tests.publish.helpers` and `tests.fakes.wp_fake`, which needs the repository
root on sys.path: `python -m pytest` (as `make test` runs it) puts it there, a bare `pytest` does
not, so it is added here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.publish.helpers import Router  # noqa: E402 - needs the path above


@pytest.fixture
def router() -> Router:
    return Router()
