"""Media tests run the embedded RTMP ingest on a free port, with short timeouts."""

from __future__ import annotations

import pytest

from livecommerce.config import Settings
from tests.conftest import free_port


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rtmp_enabled": True,
            "rtmp_host": "127.0.0.1",
            "rtmp_port": free_port(),
            "rtmp_idle_timeout_s": 5.0,
            "media_reconnect_timeout_s": 3,
        }
    )
