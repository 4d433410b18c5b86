"""HLS renditions of long videos: segments and a playlist from the transcode job, served to
players; short videos stay progressive MP4."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import av
import httpx
import pytest

from livecommerce.config import Settings
from livecommerce.kit import clock
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Video
from livecommerce.videos import processing
from livecommerce.videos.processing import make_test_video
from livecommerce.videos.service import video_service
from tests.videos.helpers import host_with_room, process_all, ready_video, upload


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"video_hls_min_duration_s": 5, "video_lease_s": 5})


def _decoded_seconds(path: Path) -> tuple[int, int]:
    """(video frames, audio samples) decoded from one file on its own."""
    frames = samples = 0
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                frames += 1
            else:
                samples += frame.samples
    return frames, samples


def test_a_long_video_becomes_segments_that_each_play_and_add_up(tmp_path: Path) -> None:
    source = make_test_video(tmp_path / "long.mp4", seconds=13, fps=10)
    web = tmp_path / "video.mp4"
    result = processing.transcode(
        source, web, tmp_path / "poster.jpg", keyframe_s=processing.HLS_KEYFRAME_S
    )
    # a keyframe every two seconds, where segments may be cut
    keyframes = processing.keyframe_times(web)
    assert max(b - a for a, b in zip(keyframes, keyframes[1:], strict=False)) <= 2.01
    size = processing.make_hls(web, tmp_path / "hls")
    files = sorted(p.name for p in (tmp_path / "hls").iterdir())
    assert size == sum(p.stat().st_size for p in (tmp_path / "hls").iterdir())
    assert files[0] == "index.m3u8"
    playlist = (tmp_path / "hls" / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    segments = processing.hls_segments(tmp_path / "hls" / "index.m3u8")
    assert [name for name, _ in segments] == files[1:]
    assert len(segments) >= 3
    assert sum(d for _, d in segments) == pytest.approx(result.duration_s, abs=0.15)
    assert all(d <= processing.HLS_SEGMENT_S + 0.01 for _, d in segments[:-1])
    total_frames = 0
    for name, duration in segments:
        frames, samples = _decoded_seconds(tmp_path / "hls" / name)
        assert frames == pytest.approx(duration * 10, abs=1)  # each segment starts on a keyframe
        assert samples > 0
        total_frames += frames
    assert total_frames == 130
    assert not list(tmp_path.glob("*.part"))


def test_a_stopped_rendition_leaves_nothing_behind(tmp_path: Path) -> None:
    web = make_test_video(tmp_path / "video.mp4", seconds=6, fps=10)
    (tmp_path / "hls.part").mkdir()
    (tmp_path / "hls.part" / "seg_00000.ts").write_bytes(b"left by a dead process")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(processing.Cancelled):
        processing.make_hls(web, tmp_path / "hls", cancel=cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["video.mp4"]


async def test_long_uploads_get_hls_and_short_ones_stay_mp4(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    host, _ = await host_with_room(client)
    long = await ready_video(client, runtime, host, tmp_path, seconds=8, fps=10)
    short = await ready_video(client, runtime, host, tmp_path, seconds=3, fps=10)
    assert short["hls_url"] is None
    assert long["hls_url"] == f"/videos/{long['id']}/hls/index.m3u8"
    directory = settings.videos_dir / long["id"]
    assert sorted(p.name for p in directory.iterdir()) == ["hls", "poster.jpg", "video.mp4"]
    assert not (settings.videos_dir / short["id"] / "hls").exists()
    # the rendition counts against the host's storage quota
    assert long["size_bytes"] == sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())

    playlist = await client.get(long["hls_url"])
    assert playlist.status_code == 200
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    names = [line for line in playlist.text.splitlines() if line and not line.startswith("#")]
    assert len(names) >= 2
    for name in names:
        segment = await client.get(f"/videos/{long['id']}/hls/{name}")
        assert segment.status_code == 200
        assert segment.headers["content-type"] == "video/mp2t"
        assert segment.content[0] == 0x47  # MPEG-TS sync byte
    for bad in ("video.mp4", "seg_1.ts", "..%2Fvideo.mp4", "index.m3u8.part"):
        missing = await client.get(f"/videos/{long['id']}/hls/{bad}")
        assert missing.status_code == 404, bad
    assert (await client.get(f"/videos/{short['id']}/hls/index.m3u8")).status_code == 404

    for video in (long, short):
        published = await client.post(
            f"/api/v1/videos/{video['id']}/publish", headers=host.headers, json={}
        )
        assert published.status_code == 200, published.text
    feed = (await client.get("/api/v1/feed/videos")).json()["items"]
    urls = {item["id"]: item["hls_url"] for item in feed}
    assert urls == {long["id"]: long["hls_url"], short["id"]: None}
    # the progressive MP4 stays the fallback of browsers without HLS
    assert all(item["video_url"].endswith("/video.mp4") for item in feed)


async def test_the_rendition_survives_a_restart_of_the_job(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    host, _ = await host_with_room(client)
    source = make_test_video(tmp_path / "a.mp4", seconds=7, fps=10)
    video_id = (await upload(client, host, source)).json()["id"]
    # A worker claims it, writes part of the rendition and dies.
    async with runtime.db.transaction() as session:
        claim = await video_service.do_claim_processing(session, video_id)
    assert claim is not None
    part = settings.videos_dir / video_id / "hls.part"
    part.mkdir(parents=True)
    (part / "seg_00000.ts").write_bytes(b"half a segment")
    clock.clock.freeze(utcnow() + timedelta(seconds=settings.video_lease_s + 2))
    await process_all(runtime)  # the watchdog takes it again and does it all
    async with runtime.db.reading() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        assert (video.status, video.attempts, video.has_hls) == ("ready", 2, True)
    directory = settings.videos_dir / video_id
    assert sorted(p.name for p in directory.iterdir()) == ["hls", "poster.jpg", "video.mp4"]
    segments = processing.hls_segments(directory / "hls" / "index.m3u8")
    assert sum(d for _, d in segments) == pytest.approx(7.0, abs=0.15)
    for name, _ in segments:
        assert _decoded_seconds(directory / "hls" / name)[0] > 0


async def test_long_clips_get_hls_and_lose_it_when_trimmed_short(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    from tests.videos.test_clips_and_feed import _ended_session_with_pins

    stage, _, _ = await _ended_session_with_pins(client, runtime, settings)
    host = stage.host  # type: ignore[attr-defined]
    mine = (await client.get("/api/v1/videos/mine", headers=host.headers)).json()["items"]
    clips = sorted(mine, key=lambda v: v["clip_start_s"])
    # cut by stream copy (6 s, 6 s and 4 s between keyframes): the two over 5 s get HLS
    assert [c["cut_mode"] for c in clips] == ["copy"] * 3
    assert [c["hls_url"] is not None for c in clips] == [True, True, False]
    first = clips[0]
    segments = processing.hls_segments(settings.videos_dir / first["id"] / "hls" / "index.m3u8")
    assert sum(d for _, d in segments) == pytest.approx(first["duration_s"], abs=0.15)
    trimmed = await client.post(
        f"/api/v1/videos/{first['id']}/trim",
        json={"start_s": 3.0, "end_s": 5.0},
        headers=host.headers,
    )
    assert trimmed.status_code == 200, trimmed.text
    await process_all(runtime)
    again = (await client.get(f"/api/v1/videos/{first['id']}", headers=host.headers)).json()
    assert (again["status"], again["hls_url"]) == ("ready", None)
    assert not (settings.videos_dir / first["id"] / "hls").exists()
