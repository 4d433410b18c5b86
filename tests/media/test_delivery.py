"""HLS delivery, stream health in the console, recording and the replay with its timeline."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.catalog.helpers import create_product
from tests.conftest import LiveServer
from tests.factories import link_staff, sign_up
from tests.media.helpers import decode, host_with_session, publish, stop, wait_for_status


def _rtmp_port(live_server: LiveServer) -> int:
    port: int = live_server.app.state.runtime.extras["media"].rtmp_port
    return port


async def _playlist(client: httpx.AsyncClient, session_id: str, segments: int) -> list[str]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        response = await client.get(f"/hls/{session_id}/index.m3u8")
        if response.status_code == 200:
            assert response.headers["content-type"] == "application/vnd.apple.mpegurl"
            assert response.headers["cache-control"] == "no-store"
            names = [line for line in response.text.splitlines() if line.endswith(".ts")]
            if len(names) >= segments:
                return names
        await asyncio.sleep(0.2)
    raise AssertionError("the HLS playlist never filled")


async def test_hls_segments_are_short_and_decode(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        _, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        process = await publish(f"rtmp://127.0.0.1:{_rtmp_port(live_server)}/live/{key}")
        try:
            names = await _playlist(client, session_id, 3)
            playlist = (await client.get(f"/hls/{session_id}/index.m3u8")).text
            durations = [
                float(line.split(":")[1].rstrip(","))
                for line in playlist.splitlines()
                if line.startswith("#EXTINF")
            ]
            # segments are cut at the 1 s keyframes (the first may carry the start-up)
            assert durations[0] <= 2.5, durations
            assert all(0.5 <= duration <= 1.5 for duration in durations[1:]), durations
            segment = await client.get(f"/hls/{session_id}/{names[-1]}")
            assert segment.status_code == 200
            assert segment.headers["content-type"] == "video/mp2t"
            decoded = decode(segment.content, "mpegts")
            assert decoded["width"] == 320
            assert decoded["first_is_key"] is True
            assert 20 <= decoded["video_frames"] <= 30
            bad_name = await client.get(f"/hls/{session_id}/..%2Fsecret.ts")
            assert bad_name.status_code == 404
        finally:
            await stop(process)


async def test_stream_health_for_the_host_only(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        url = f"/api/v1/live-sessions/{session_id}/stream-health"
        idle = (await client.get(url, headers=host.headers)).json()
        assert idle["publishing"] is False
        assert idle["warnings"] == ["not_publishing"]
        viewer = await sign_up(client, "viewer")
        forbidden = await client.get(url, headers=viewer.headers)
        assert forbidden.status_code == 403
        assert forbidden.json()["code"] == "not_room_host"
        # a keyframe every 3 s: the console warns that latency will suffer
        process = await publish(f"rtmp://127.0.0.1:{_rtmp_port(live_server)}/live/{key}", gop=75)
        try:
            await wait_for_status(client, session_id, "live")
            await asyncio.sleep(7.5)
            health = (await client.get(url, headers=host.headers)).json()
        finally:
            await stop(process)
        assert health["publishing"] is True
        assert health["via"] == "embedded"
        assert health["video_codec"] == "h264"
        assert health["audio_codec"] == "aac"
        assert (health["width"], health["height"]) == (320, 240)
        assert 20 <= health["fps"] <= 30
        assert health["bitrate_kbps"] > 50
        assert health["keyframe_interval_s"] == 3.0
        assert health["seconds_since_last_packet"] < 1
        assert health["warnings"] == ["keyframe_interval_too_long"]


async def test_ended_session_replays_with_its_product_timeline(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        merchant = await sign_up(client, "merchant")
        product = await create_product(client, merchant)
        await link_staff(client, merchant, host)
        added = await client.post(
            f"/api/v1/live-sessions/{session_id}/showcase",
            json={"product_id": product["id"]},
            headers=host.headers,
        )
        assert added.status_code == 201, added.text
        item_id = added.json()["id"]
        not_yet = await client.get(f"/replay/{session_id}/video")
        assert not_yet.status_code == 409
        assert not_yet.json()["code"] == "replay_not_ready"
        process = await publish(f"rtmp://127.0.0.1:{_rtmp_port(live_server)}/live/{key}")
        try:
            await wait_for_status(client, session_id, "live")
            await asyncio.sleep(2)
            pinned = await client.post(
                f"/api/v1/live-sessions/{session_id}/pin",
                json={"item_id": item_id},
                headers=host.headers,
            )
            assert pinned.status_code == 200, pinned.text
            await asyncio.sleep(2)
            ended = await client.post(
                f"/api/v1/live-sessions/{session_id}/end", headers=host.headers
            )
            assert ended.status_code == 200
            # ending the session disconnects the publisher
            assert await asyncio.wait_for(process.wait(), 10) is not None
        finally:
            await stop(process)
        replay = (await client.get(f"/api/v1/live-sessions/{session_id}/replay")).json()
        assert replay["status"] == "ended"
        assert replay["available"] is True
        assert replay["video_url"] == f"/replay/{session_id}/video"
        assert [entry["item"]["id"] for entry in replay["timeline"]] == [item_id]
        assert 1.5 <= replay["timeline"][0]["offset_s"] <= 4
        assert [item["id"] for item in replay["showcase"]] == [item_id]
        video = await client.get(replay["video_url"])
        assert video.status_code == 200
        assert video.headers["content-type"] == "video/mp4"
        decoded = decode(video.content, "mp4")
        assert (decoded["width"], decoded["height"]) == (320, 240)
        assert decoded["first_is_key"] is True
        assert 80 <= decoded["video_frames"] <= 130
        page = await client.get(f"/replay/{session_id}")
        assert page.status_code == 200
        offset = replay["timeline"][0]["offset_s"]
        assert f'data-seek="{offset}"' in page.text
        assert f'src="/replay/{session_id}/video"' in page.text
        assert f'data-item-id="{item_id}"' in page.text
        missing = await client.get(f"/replay/{'0' * 32}")
        assert missing.status_code == 404
        ranged = await client.get(replay["video_url"], headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206
        assert len(ranged.content) == 100


async def test_players_are_told_which_deliveries_carry_video(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        url = f"/api/v1/live-sessions/{session_id}/video"
        before = (await client.get(url)).json()
        assert before == {
            "session_id": session_id,
            "status": "scheduled",
            "flv": False,
            "hls": False,
        }
        started = await client.post(
            f"/api/v1/live-sessions/{session_id}/start", headers=host.headers
        )
        assert started.status_code == 200, started.text
        # On air, but the host's encoder is not sending yet: nothing for a player to load.
        assert (await client.get(url)).json()["flv"] is False
        process = await publish(f"rtmp://127.0.0.1:{_rtmp_port(live_server)}/live/{key}")
        try:
            deadline = time.monotonic() + 15
            body = (await client.get(url)).json()
            while not (body["flv"] and body["hls"]) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                body = (await client.get(url)).json()
            assert body == {"session_id": session_id, "status": "live", "flv": True, "hls": True}
        finally:
            await stop(process)
        unknown = await client.get("/api/v1/live-sessions/" + "0" * 32 + "/video")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "live_session_not_found"
