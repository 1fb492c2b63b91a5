"""Small helpers of the tests against the real WordPress (the session's shared site)."""

from __future__ import annotations

import uuid


def unique(prefix: str) -> str:
    """A title no other test of the session's shared site uses."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"
