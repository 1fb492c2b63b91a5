"""Fixtures for the connector tests (helpers live in tests/publish/helpers.py)."""

from __future__ import annotations

import pytest

from tests.publish.helpers import Router


@pytest.fixture
def router() -> Router:
    return Router()
