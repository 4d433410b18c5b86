from __future__ import annotations

import pytest

from livecommerce.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Tests tick the worker by hand; the app's own background loop stays off."""
    return settings.model_copy(update={"worker_enabled": False})
