from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from livecommerce.live.schemas import ShowcaseItemOut


class ObsSettings(BaseModel):
    """What to set in OBS (Settings → Output, advanced) for low latency."""

    encoder: str = "x264"
    rate_control: str = "CBR"
    bitrate_kbps: int = 2500
    keyframe_interval_s: int = 1
    cpu_usage_preset: str = "veryfast"
    profile: str = "main"
    tune: str = "zerolatency"
    audio_bitrate_kbps: int = 128
    resolution: str = "1280x720"
    fps: int = 30


class StreamKeyOut(BaseModel):
    room_id: str
    server_url: str  # OBS "Server"
    stream_key: str  # OBS "Stream Key"
    ingest_url: str  # server_url/stream_key, for ffmpeg
    created_at: datetime
    obs: ObsSettings


class StreamHealthOut(BaseModel):
    session_id: str
    publishing: bool
    via: str | None
    bitrate_kbps: float
    fps: float
    keyframe_interval_s: float | None
    seconds_since_last_packet: float | None
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    viewers: int
    warnings: list[str]


class TimelineEntry(BaseModel):
    at: datetime
    offset_s: float  # seconds into the recording
    item: ShowcaseItemOut | None  # None: the host took the product down


class ReplayOut(BaseModel):
    session_id: str
    title: str
    status: str
    room_id: str
    room_name: str
    available: bool
    video_url: str | None
    recording_started_at: datetime | None
    timeline: list[TimelineEntry]
    showcase: list[ShowcaseItemOut]


class NginxCallbackReply(BaseModel):
    ok: bool
    session_id: str | None = None


class VideoAvailabilityOut(BaseModel):
    """What a player may load right now, so it never asks for a stream that is not there."""

    session_id: str
    status: str
    flv: bool
    hls: bool
