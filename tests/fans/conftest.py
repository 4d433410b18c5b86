from __future__ import annotations

import pytest

from livecommerce.config import Settings

# Small, distinct numbers so each cap is reached within a test.
FAN_SETTINGS = {
    "worker_enabled": False,  # handlers run after each commit; nothing runs in the background
    "fans_watch_points_per_minute": 1,
    "fans_watch_daily_cap": 30,
    "fans_chat_points": 2,
    "fans_chat_daily_cap": 6,
    "fans_like_points": 1,
    "fans_like_daily_cap": 5,
    "fans_share_points": 5,
    "fans_share_daily_cap": 10,
    "fans_buy_points": 20,
    "fans_buy_daily_cap": 40,
    "fans_daily_cap": 60,
    "fans_level_thresholds": [
        10,
        20,
        40,
        70,
        100,
        140,
        190,
        250,
        320,
        400,
        500,
        620,
        760,
        920,
        1100,
        1300,
        1520,
        1760,
        2020,
    ],  # fmt: skip
    "fans_badge_dim_days": 7,
    "fans_day_utc_offset_hours": 8,
    "chat_rate_per_10s": 100,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=FAN_SETTINGS)
