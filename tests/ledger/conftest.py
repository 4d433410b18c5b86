from __future__ import annotations

import pytest

from livecommerce.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background worker: the tests drive everything, and ``ledger verify`` runs in
    another process that must get the SQLite file without waiting on the loop."""
    return settings.model_copy(update={"worker_enabled": False})
