"""Settings, read from the environment (prefix ``LIVECOMMERCE_``) and an optional ``.env``."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-secret-change-me"


class InsecureSettings(ValueError):
    """Settings that must not be served to the public."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIVECOMMERCE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///./var/livecommerce.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///PATH or postgresql+asyncpg://…",
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db; unset means the in-process broker."
    )
    data_dir: Path = Field(default=Path("./var"), description="Uploads and other files.")
    secret_key: str = Field(
        default=DEFAULT_SECRET_KEY,
        description="Signs CSRF tokens and sandbox payment callbacks. `serve` refuses the "
        "default unless mode is development or demo.",
    )
    mode: Literal["production", "development", "demo"] = Field(
        default="production",
        description="production refuses to serve with the default secret_key; development "
        "(local work) and demo (`livecommerce demo` sets it) allow it.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="How browsers reach this platform."
    )
    rtmp_enabled: bool = Field(
        default=True, description="Run the embedded RTMP ingest (OBS publishes to it)."
    )
    rtmp_host: str = Field(default="0.0.0.0", description="Interface the RTMP ingest listens on.")
    rtmp_port: int = Field(default=1935, ge=0, le=65535, description="RTMP ingest port.")
    rtmp_public_url: str | None = Field(
        default=None,
        description="Ingest server URL shown to hosts (rtmp://host:port/live); unset means "
        "the public_url host and rtmp_port.",
    )
    rtmp_idle_timeout_s: float = Field(
        default=15.0, gt=0, description="A publisher silent this long is disconnected."
    )
    media_reconnect_timeout_s: int = Field(
        default=120,
        ge=1,
        description="An interrupted live session ends when its host is not back in this time.",
    )
    media_viewer_queue: int = Field(
        default=1024, ge=16, description="Video tags buffered per viewer before it is dropped."
    )
    hls_enabled: bool = Field(default=True, description="Remux live streams to HLS too.")
    hls_segment_s: float = Field(
        default=1.0, gt=0, description="Target HLS segment length (cut at keyframes)."
    )
    order_payment_timeout_s: int = Field(
        default=900, ge=1, description="Unpaid orders are cancelled after this many seconds."
    )
    flash_sale_payment_timeout_s: int = Field(
        default=120,
        ge=1,
        description="Unpaid flash-sale orders expire after this many seconds; units go back.",
    )
    bench_endpoints: bool = Field(
        default=False,
        description="Benchmark-only routes (a bare endpoint, a naive read-then-write buy). "
        "Only `livecommerce bench` turns this on; never enable it in normal serving.",
    )
    session_cookie_secure: bool = Field(default=False, description="Set on HTTPS deployments.")
    session_ttl_s: int = Field(
        default=14 * 24 * 3600, ge=60, description="How long a log-in (cookie or API token) lasts."
    )
    upload_max_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest accepted image upload, in bytes."
    )
    video_max_bytes: int = Field(
        default=512 * 1024 * 1024, ge=1024, description="Largest accepted video upload, in bytes."
    )
    video_max_duration_s: int = Field(
        default=600, ge=1, description="Longest accepted video upload, in seconds."
    )
    video_quota_bytes: int = Field(
        default=4 * 1024 * 1024 * 1024,
        ge=1024,
        description="Storage a host's videos may use (originals while processing, results after).",
    )
    video_hls_min_duration_s: int = Field(
        default=60,
        ge=0,
        description="Videos longer than this also get an HLS rendition (4-second segments and "
        "a playlist) that players stream; shorter ones play as progressive MP4 only.",
    )
    video_lease_s: int = Field(
        default=60,
        ge=5,
        description="A video being processed is retried by any worker when its processor has "
        "not reported for this long (a crashed or restarted process).",
    )
    login_failures_per_account: int = Field(
        default=10, ge=1, description="Failed log-ins for one e-mail before 429 login_throttled."
    )
    login_failures_per_address: int = Field(
        default=50, ge=1, description="Failed log-ins from one address before 429."
    )
    login_throttle_window_s: int = Field(
        default=900, ge=1, description="How long failed log-ins are remembered, in seconds."
    )
    request_body_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body other than a multipart upload, in bytes (413 past it).",
    )
    chat_rate_per_10s: int = Field(
        default=10, ge=1, description="Chat messages one user may send per 10 s in a room."
    )
    chat_max_length: int = Field(
        default=200, ge=1, le=2000, description="Longest chat message, in characters."
    )
    ws_send_queue: int = Field(
        default=256,
        ge=8,
        description="Messages queued for one viewer before it is dropped as too slow (4008), "
        "where messages go through the ASGI send path (an ASGI server other than "
        "`livecommerce serve`, or per-message deflate on).",
    )
    ws_send_buffer_kb: int = Field(
        default=512,
        ge=4,
        description="Kilobytes of written frames that may wait unsent for one viewer, beyond "
        "the kernel's socket buffer, before it is dropped as too slow (4008), where "
        "`livecommerce serve` writes pre-framed messages directly.",
    )
    online_ttl_s: float = Field(
        default=10.0,
        gt=1,
        description="A worker's count of online viewers expires this long after its last "
        "report (it re-reports every second), so a crashed worker stops being counted.",
    )
    flood_room_chat_per_s: int = Field(
        default=50,
        ge=1,
        description="Chat messages one room broadcasts per second (all workers together); "
        "beyond that, chat is sampled out: only its sender sees it, and it is counted.",
    )
    flood_viewer_chat_per_s: int = Field(
        default=20,
        ge=1,
        description="Ordinary messages (chat) delivered to one viewer per second; the rest "
        "are skipped for that viewer. System events, purchases, pins, showcase, session "
        "state and flash-sale state are never skipped; likes and online are merged counts.",
    )
    ws_per_message_deflate: bool = Field(
        default=False,
        description="Compress WebSocket messages (per-message deflate). Off by default: "
        "compressing each message once per viewer costs more CPU than it saves in big rooms.",
    )
    worker_enabled: bool = Field(
        default=True, description="Run the timer/outbox loop inside this process."
    )
    worker_poll_s: float = Field(
        default=1.0, gt=0, description="How often the worker loop looks for due timers."
    )
    db_warm_connections: int = Field(
        default=0,
        ge=0,
        description=(
            "PostgreSQL connections a served process opens before serving (at most the"
            " pool's 40), with the hot statements prepared on each, so a flash sale's"
            " first burst does not open them. 0: opened as needed. Workers × this must"
            " fit the server's max_connections."
        ),
    )
    default_currency: str = Field(
        default="CNY",
        min_length=3,
        max_length=3,
        description="Currency of new products unless the merchant picks another.",
    )
    platform_fee_bp: int = Field(
        default=500,
        ge=0,
        le=5000,
        description="Platform fee on every paid order, in basis points (500 = 5 %).",
    )
    settlement_period_days: int = Field(
        default=7,
        ge=0,
        le=366,
        description="Statements close automatically every this many days at 00:00 UTC "
        "(weekly periods end on Mondays); 0 leaves closing to the settlements endpoint.",
    )

    smtp_url: str | None = Field(
        default=None,
        description="Where e-mail goes: smtp://user:password@host:port (STARTTLS when the "
        "server offers it), smtps://… (TLS from the start) or smtp://host:port?tls=off; "
        "unset means no e-mail is sent (the in-app inbox still works).",
    )
    smtp_from: str = Field(
        default="LiveShop <noreply@livecommerce.local>",
        description="The From of every e-mail.",
    )
    smtp_timeout_s: float = Field(
        default=15.0, gt=0, description="How long one SMTP conversation may take."
    )
    email_per_recipient_per_hour: int = Field(
        default=20,
        ge=1,
        description="E-mails one recipient gets per hour at most; the rest wait their turn.",
    )
    email_max_attempts: int = Field(
        default=6, ge=1, description="Tries of one e-mail before it is marked failed."
    )
    fan_messages_per_host_per_day: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="Messages a host may send to its fans per UTC day; more are refused (429).",
    )
    share_attribution_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="A paid order in a room is credited to the share link its buyer came "
        "through, if that was at most this many days before.",
    )
    staff_invite_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="Days a team invitation (场控, 客服, 选品) can be accepted before it expires.",
    )
    reminder_lead_min: int = Field(
        default=10,
        ge=0,
        le=7 * 24 * 60,
        description="Minutes before a reserved session's planned start its reservers are reminded.",
    )
    reminder_late_after_min: int = Field(
        default=60,
        ge=1,
        description="A reserved session not on air this many minutes after its planned start "
        "tells its reservers it is late.",
    )

    # ---- fan clubs (粉丝团) ---------------------------------------------------------------
    fans_paid_join: bool = Field(
        default=False,
        description="A room whose fan club has a badge product is joined by buying it; "
        "off: every fan club is free to join.",
    )
    fans_watch_points_per_minute: int = Field(
        default=1, ge=0, le=1000, description="Fan-club intimacy per whole minute watched."
    )
    fans_watch_daily_cap: int = Field(
        default=60, ge=0, le=100_000, description="Intimacy from watching, per room and day."
    )
    fans_chat_points: int = Field(
        default=2, ge=0, le=1000, description="Intimacy per chat message (none if removed)."
    )
    fans_chat_daily_cap: int = Field(
        default=20, ge=0, le=100_000, description="Intimacy from chat, per room and day."
    )
    fans_like_points: int = Field(default=1, ge=0, le=1000, description="Intimacy per like.")
    fans_like_daily_cap: int = Field(
        default=10, ge=0, le=100_000, description="Intimacy from likes, per room and day."
    )
    fans_share_points: int = Field(default=5, ge=0, le=1000, description="Intimacy per share.")
    fans_share_daily_cap: int = Field(
        default=10, ge=0, le=100_000, description="Intimacy from shares, per room and day."
    )
    fans_buy_points: int = Field(
        default=20, ge=0, le=1000, description="Intimacy per paid order in the room."
    )
    fans_buy_daily_cap: int = Field(
        default=60, ge=0, le=100_000, description="Intimacy from orders, per room and day."
    )
    fans_daily_cap: int = Field(
        default=150,
        ge=0,
        le=1_000_000,
        description="Intimacy from all actions together, per room and day.",
    )
    fans_level_thresholds: list[int] = Field(
        default=[
            10,
            30,
            60,
            100,
            160,
            240,
            350,
            500,
            700,
            950,
            1250,
            1600,
            2000,
            2500,
            3100,
            3800,
            4600,
            5500,
            6500,
        ],
        min_length=19,
        max_length=19,
        description="Intimacy needed for levels 2 to 20 (strictly increasing).",
    )
    fans_badge_dim_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="A badge dims after this many days without "
        "activity in its room and lights again on return.",
    )
    fans_day_utc_offset_hours: int = Field(
        default=8, ge=-12, le=14, description="Daily caps start again at midnight here (UTC+8)."
    )
    # ---- dashboards ----
    dashboard_rollup_interval_s: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="How often the dashboard rollups read new behaviour events "
        "(with the worker loop; 0.5 s keeps them well within 2 s of the events).",
    )
    dashboard_day_utc_offset_hours: int = Field(
        default=8, ge=-12, le=14, description="Dashboard days start at midnight here (UTC+8)."
    )
    dashboard_gap_grace_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long the rollup waits for an event id that was allocated but not "
        "committed yet before it counts it as rolled back.",
    )

    traffic_weights: dict[str, float] = Field(
        default={"pools": 0.6, "tags": 0.3, "private": 0.0, "popular": 0.1},
        description="The recommend feed's policy blend: weights of pools, tags, private and "
        'popular (JSON, e.g. {"tags": 1}); the admin page can store another.',
    )
    traffic_categories: list[str] = Field(
        default=["美妆", "服饰", "食品", "茶叶", "数码", "家居", "母婴", "珠宝"],
        max_length=30,
        description="The home page's category tabs; a session belongs to a category its "
        "title, room tags or showcase products name.",
    )
    traffic_pool_scale: float = Field(
        default=0.1,
        gt=0,
        le=100,
        description="Multiplies the tiered pools' samples and sizes (creator-guide numbers "
        "at 1.0: a test pool of 200–1,000 exposures); smaller on a small platform.",
    )
    traffic_cold_start_share: float = Field(
        default=0.2, ge=0, le=1, description="Share of each feed page kept for new sessions."
    )
    traffic_judge_share: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="`pools`: share of each page kept for sessions promoted in their first "
        "half hour and owed their tier's sample (0: none).",
    )
    traffic_trial_share: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="`tags`: share of each page (times tags' weight) kept for the trial of "
        "young sessions that engage like their best peers, least shown first (0: no trial).",
    )
    traffic_exposure_cap_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="A room's most share of all exposures in the window before it is held "
        "back (0: no cap).",
    )
    traffic_exposure_window_s: int = Field(
        default=600, ge=10, le=86400, description="The exposure cap's window in seconds."
    )
    traffic_exploration: float = Field(
        default=0.0,
        ge=0,
        le=5,
        description="Temperature of each feed page's draw: 0 orders strictly by score; "
        "above 0 items are drawn with odds exp(score / value), spreading attention.",
    )
    traffic_catalog_refresh_s: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="Feed requests of a process share one prepared catalog of candidates "
        "for this many seconds (ticks aligned on the clock, so processes agree); a session "
        "going on or off air, a pin or demotion and a policy change start a new one at once "
        "in every process. 0: one per request.",
    )
    traffic_clicks_per_minute: int = Field(
        default=30,
        ge=1,
        le=10000,
        description="Feed clicks one viewer may send per minute; more are refused (429).",
    )

    @field_validator("fans_level_thresholds")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)) or value[0] <= 0:
            raise ValueError("level thresholds are positive and strictly increasing")
        return value

    def check_can_serve(self) -> None:
        """Refuse serving the public with the well-known default secret key."""
        if self.mode == "production" and self.secret_key == DEFAULT_SECRET_KEY:
            raise InsecureSettings(
                "LIVECOMMERCE_SECRET_KEY is the default, with which anyone can forge payment "
                "callbacks and CSRF tokens. Set LIVECOMMERCE_SECRET_KEY to a long random value, "
                "e.g. export LIVECOMMERCE_SECRET_KEY=$(python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'), or set LIVECOMMERCE_MODE=development to run "
                "on your own machine with the default."
            )

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def videos_dir(self) -> Path:
        return self.data_dir / "videos"


def get_settings() -> Settings:
    return Settings()
