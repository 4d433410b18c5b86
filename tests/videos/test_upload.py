"""Uploads: a real decode check, transcoding by a resumable job, bad input refused cleanly."""

from __future__ import annotations

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
from livecommerce.videos.processing import make_test_video
from livecommerce.videos.runner import workers_of
from livecommerce.videos.service import video_service
from livecommerce.worker.loop import WorkerLoop
from tests.factories import sign_up
from tests.videos.helpers import host_with_room, process_all, upload


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"video_max_duration_s": 5, "video_quota_bytes": 400_000, "video_lease_s": 5}
    )


def _files(settings: Settings) -> list[str]:
    root = settings.videos_dir
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def test_an_upload_is_transcoded_to_a_web_mp4_with_poster_and_duration(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    host, room_id = await host_with_room(client)
    # odd size, 4:4:4 chroma, WebM/VP9 would all be re-encoded; here an odd-sized H.264 MOV
    source = make_test_video(tmp_path / "clip.mov", seconds=2, width=161, height=121)
    response = await upload(client, host, source, content_type="video/quicktime")
    assert response.status_code == 202, response.text
    video = response.json()
    assert video["status"] == "processing"
    assert video["title"] == "clip"
    assert video["room_id"] == room_id
    assert video["video_url"] is None
    await process_all(runtime)
    done = (await client.get(f"/api/v1/videos/{video['id']}", headers=host.headers)).json()
    assert done["status"] == "ready"
    assert done["progress"] == 100
    assert (done["width"], done["height"]) == (160, 120)
    assert done["duration_s"] == pytest.approx(2.0, abs=0.1)
    assert done["has_audio"] is True
    assert _files(settings) == [f"{video['id']}/poster.jpg", f"{video['id']}/video.mp4"]
    with av.open(str(settings.videos_dir / video["id"] / "video.mp4")) as result:
        assert result.streams.video[0].codec_context.name == "h264"
        assert result.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert result.streams.audio[0].codec_context.name == "aac"
    data = (settings.videos_dir / video["id"] / "video.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: playable while loading
    served = await client.get(done["video_url"], headers={"Range": "bytes=0-99"})
    assert served.status_code == 206
    assert (
        done["size_bytes"]
        == len(data) + (settings.videos_dir / video["id"] / "poster.jpg").stat().st_size
    )


async def test_a_webm_without_audio_is_handled(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    host, _ = await host_with_room(client)
    source = make_test_video(
        tmp_path / "silent.webm",
        seconds=1,
        audio=False,
        codec="libvpx-vp9",
        container_format="webm",
    )
    response = await upload(client, host, source, content_type="video/webm")
    assert response.status_code == 202, response.text
    await process_all(runtime)
    done = await client.get(f"/api/v1/videos/{response.json()['id']}", headers=host.headers)
    assert done.json()["status"] == "ready"
    assert done.json()["has_audio"] is False


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../../etc/passwd.mp4", "bad_filename"),
        ("a\\b.mp4", "bad_filename"),
        (".hidden.mp4", "bad_filename"),
        ("notes.txt", "video_format"),
    ],
)
async def test_names_with_path_characters_are_refused(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path, name: str, code: str
) -> None:
    host, _ = await host_with_room(client)
    source = make_test_video(tmp_path / "ok.mp4", seconds=1)
    response = await upload(client, host, source, filename=name)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert _files(settings) == []


async def test_bad_files_are_refused_with_a_code_and_leave_nothing(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    host, _ = await host_with_room(client)
    text = tmp_path / "fake.mp4"
    text.write_bytes(b"this is not a video at all " * 100)
    whole = make_test_video(tmp_path / "whole.mp4", seconds=2)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    long = make_test_video(tmp_path / "long.mp4", seconds=7, width=32, height=32, fps=5)
    tiny = make_test_video(tmp_path / "tiny.mp4", seconds=1, width=8, height=8)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    cases = [
        (text, "video_unreadable"),
        (truncated, "video_unreadable"),
        (long, "video_too_long"),
        (tiny, "video_bad_size"),
        (empty, "video_unreadable"),
    ]
    for path, code in cases:
        response = await upload(client, host, path)
        assert response.status_code == 422, (path.name, response.text)
        assert response.json()["code"] == code, path.name
    chinese = await upload(client, host, text)
    assert chinese.json()["message"] == "这个文件不是可播放的视频，或已损坏"
    assert _files(settings) == []
    mine = (await client.get("/api/v1/videos/mine", headers=host.headers)).json()
    assert mine["items"] == []


async def test_only_hosts_upload_and_storage_has_a_quota(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    viewer = await sign_up(client)
    source = make_test_video(tmp_path / "a.mp4", seconds=2, width=320, height=240)
    refused = await upload(client, viewer, source)
    assert refused.status_code == 403
    host, _ = await host_with_room(client)
    sizes = []
    while True:
        response = await upload(client, host, source)
        if response.status_code != 202:
            break
        sizes.append(response.json()["size_bytes"])
    assert response.status_code == 413
    assert response.json()["code"] == "video_quota_exceeded"
    assert sum(sizes) + source.stat().st_size > settings.video_quota_bytes
    await process_all(runtime)
    folders = {name.split("/")[0] for name in _files(settings)}
    assert len(folders) == len(sizes)  # the refused one left no file
    mine = (await client.get("/api/v1/videos/mine", headers=host.headers)).json()
    assert mine["used_bytes"] == sum(item["size_bytes"] for item in mine["items"])
    assert all(item["status"] == "ready" for item in mine["items"])
    # discarding frees the space
    first = mine["items"][0]["id"]
    assert (await client.delete(f"/api/v1/videos/{first}", headers=host.headers)).status_code == 204
    again = await upload(client, host, source)
    assert again.status_code == 202, again.text


async def test_processing_survives_a_restart_and_is_done_once(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    host, _ = await host_with_room(client)
    source = make_test_video(tmp_path / "a.mp4", seconds=1)
    video_id = (await upload(client, host, source)).json()["id"]
    # A worker claims it and dies before its processor runs (nothing is started here).
    async with runtime.db.transaction() as session:
        claim = await video_service.do_claim_processing(session, video_id)
    assert claim is not None
    assert claim.attempt == 1
    async with runtime.db.transaction() as session:
        # while the lease holds, another claim is refused
        assert await video_service.do_claim_processing(session, video_id) is None
    clock.clock.freeze(utcnow() + timedelta(seconds=settings.video_lease_s + 2))
    await process_all(runtime)  # the watchdog job finds the lease expired and claims again
    async with runtime.db.transaction() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        assert (video.status, video.attempts, video.progress) == ("ready", 2, 100)
        # the dead attempt's late result is not written over the new one
        assert not await video_service.do_report_progress(session, claim, 0.5)
    assert not workers_of(runtime).tasks
    assert await WorkerLoop(runtime).run_once() == 0
