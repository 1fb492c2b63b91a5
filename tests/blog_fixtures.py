"""Fixtures of the tests that use a blog from the window: a machine without a keyring, and the
fake WordPress served on loopback. Loaded for every test folder by tests/conftest.py
(``pytest_plugins``); a module that wants no keyring says
``pytestmark = pytest.mark.usefixtures("memory_only_secrets")``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from keyring.backends import fail

from desktop_blog.core import secrets as core_secrets
from tests.fakes.wp_fake import WordPressFake


class MemoryOnlyStore(core_secrets.SecretStore):
    """The secret store of a machine without a keyring: passwords stay in memory."""

    def __init__(self, backend=None) -> None:
        super().__init__(backend or fail.Keyring())


@pytest.fixture
def memory_only_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SecretStore the app makes is a MemoryOnlyStore."""
    monkeypatch.setattr(core_secrets, "SecretStore", MemoryOnlyStore)


@pytest.fixture
def fake() -> WordPressFake:
    """The fake WordPress ("Fake Blog"); test folders may define their own."""
    return WordPressFake(site_name="Fake Blog")


@pytest.fixture
def site(fake: WordPressFake) -> Iterator[str]:
    """The fake WordPress served on loopback: its URL."""
    with fake.serve() as url:
        yield url
