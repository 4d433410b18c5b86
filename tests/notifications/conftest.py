from __future__ import annotations

from collections.abc import Iterator

import pytest

from livecommerce.config import Settings
from tests.notifications.sink import SmtpSink, smtp_sink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture
def settings(settings: Settings, smtp: SmtpSink) -> Settings:
    """Tests tick the worker by hand; e-mail goes to the real local SMTP server."""
    return settings.model_copy(update={"worker_enabled": False, "smtp_url": smtp.url})
