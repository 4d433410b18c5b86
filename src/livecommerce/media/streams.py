"""Live streams in this process: GOP cache, viewer fan-out, recording, HLS, and the RTMP ingest.

One :class:`LiveStream` per session that has (had) a publisher here. Every audio/video
message becomes an FLV tag once; viewers receive the same bytes through bounded
queues (a viewer that falls behind is dropped, never allowed to stall the room), the
recorder appends them to ``recordings/{session_id}.flv`` and the HLS muxer remuxes
them with PyAV into short MPEG-TS segments.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from livecommerce.kit.broker import live_channel
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.runtime import Runtime
from livecommerce.media import amf, flv
from livecommerce.media.hls import HlsMuxer
from livecommerce.media.recording import Recorder, Recordings
from livecommerce.media.rtmp import (
    MSG_AUDIO,
    MSG_VIDEO,
    ProtocolError,
    PublishRefused,
    RtmpServer,
)
from livecommerce.media.service import RTMP_APP, media_service

log = logging.getLogger(__name__)

GOP_CACHE_MAX_BYTES = 16 * 1024 * 1024
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
HLS_NAME = re.compile(r"index\.m3u8|seg\d{1,20}\.ts")


@dataclass(frozen=True)
class StatsSnapshot:
    bitrate_kbps: float
    fps: float
    keyframe_interval_s: float | None
    seconds_since_last_packet: float | None
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    unsupported_audio: bool


class StreamStats:
    """Incoming bitrate and frame rate over the last few seconds, keyframe spacing."""

    WINDOW_S = 5.0

    def __init__(self) -> None:
        self.packets: deque[tuple[float, int, bool]] = deque()
        self.keyframes: deque[int] = deque(maxlen=3)
        self.last_packet: float | None = None
        self.video_codec: str | None = None
        self.audio_codec: str | None = None
        self.width: int | None = None
        self.height: int | None = None
        self.unsupported_audio = False

    def add(self, size: int, *, video: bool, keyframe_ts: int | None) -> None:
        now = time.monotonic()
        self.last_packet = now
        self.packets.append((now, size, video))
        while self.packets and self.packets[0][0] < now - self.WINDOW_S:
            self.packets.popleft()
        if keyframe_ts is not None:
            self.keyframes.append(keyframe_ts)

    def snapshot(self) -> StatsSnapshot:
        now = time.monotonic()
        recent = [packet for packet in self.packets if packet[0] >= now - self.WINDOW_S]
        span = min(self.WINDOW_S, now - recent[0][0]) if recent else 0.0
        span = max(span, 1.0)
        total = sum(size for _, size, _ in recent)
        frames = sum(1 for _, _, video in recent if video)
        interval = None
        if len(self.keyframes) >= 2:
            interval = round((self.keyframes[-1] - self.keyframes[-2]) / 1000, 3)
        return StatsSnapshot(
            bitrate_kbps=round(total * 8 / 1000 / span, 1),
            fps=round(frames / span, 1),
            keyframe_interval_s=interval,
            seconds_since_last_packet=(
                None if self.last_packet is None else round(now - self.last_packet, 3)
            ),
            video_codec=self.video_codec,
            audio_codec=self.audio_codec,
            width=self.width,
            height=self.height,
            unsupported_audio=self.unsupported_audio,
        )


class Subscriber:
    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=maxsize)
        self.dropped = False

    def push(self, data: bytes | None) -> bool:
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            # Too slow: drop it. Empty its queue so the end marker fits and its
            # response finishes instead of waiting for bytes that will never come.
            self.dropped = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            return False
        return True


class LiveStream:
    def __init__(
        self,
        session_id: str,
        recording_started_at: datetime,
        recorder: Recorder | None,
        hls: HlsMuxer | None,
        queue_size: int,
    ) -> None:
        self.session_id = session_id
        self.recording_started_at = recording_started_at
        self.recorder = recorder
        self.hls = hls
        self.queue_size = queue_size
        self.publishing = False
        self.ended = False
        self.metadata: dict[str, Any] = {}
        self.video_header: bytes | None = None
        self.audio_header: bytes | None = None
        self.gop: list[bytes] = []
        self.gop_bytes = 0
        self.subscribers: set[Subscriber] = set()
        self.stats = StreamStats()
        self.last_out_ts = -1
        self._base_ts = 0
        self._first_in_ts: int | None = None
        self.publisher_closed: asyncio.Event | None = None

    # ---- publisher side ----------------------------------------------------------------

    def attach(self, closed: asyncio.Event) -> None:
        """A publisher (re)connected: its timestamps continue from the wall clock."""
        self.publishing = True
        self.publisher_closed = closed
        self.stats = StreamStats()
        elapsed = int((time.time() - self.recording_started_at.timestamp()) * 1000)
        self._base_ts = max(self.last_out_ts + 1, elapsed, 0)
        self._first_in_ts = None
        if self.hls is not None:
            self.hls.restart()

    def detach(self) -> None:
        self.publishing = False
        self.publisher_closed = None
        if self.recorder is not None:
            self.recorder.flush()

    def on_metadata(self, values: dict[str, Any]) -> None:
        clean = {
            key: value
            for key, value in values.items()
            if isinstance(value, int | float | str | bool) and len(key) <= 64
        }
        self.metadata = clean
        width, height = clean.get("width"), clean.get("height")
        if isinstance(width, int | float) and isinstance(height, int | float):
            self.stats.width, self.stats.height = int(width), int(height)
        if self.recorder is not None:
            self.recorder.write_metadata(self.metadata_tag())

    def metadata_tag(self) -> bytes:
        body = amf.encode("onMetaData") + amf.encode_ecma_array(self.metadata)
        return flv.tag(flv.TAG_SCRIPT, 0, body)

    def on_media(self, message_type: int, timestamp_ms: int, payload: bytes) -> None:
        if self.ended:
            raise ProtocolError("the session has ended")
        if message_type == MSG_VIDEO:
            codec = flv.video_codec(payload)
            if codec != flv.VIDEO_CODEC_AVC:
                raise ProtocolError(f"unsupported video codec {codec}; send H.264")
            self.stats.video_codec = "h264"
        elif message_type == MSG_AUDIO:
            if flv.audio_codec(payload) != flv.AUDIO_CODEC_AAC:
                self.stats.unsupported_audio = True
                return  # viewers' players only take AAC; the video goes on without it
            self.stats.audio_codec = "aac"
        else:
            return
        if self._first_in_ts is None:
            self._first_in_ts = timestamp_ms
        out_ts = self._base_ts + ((timestamp_ms - self._first_in_ts) & 0xFFFFFFFF)
        if out_ts > self._base_ts + 0x7FFFFFFF:  # timestamp went backwards: keep it monotonic
            out_ts = max(self.last_out_ts, self._base_ts)
        self.last_out_ts = max(self.last_out_ts, out_ts)
        data = flv.tag(message_type, out_ts, payload)
        keyframe = False
        if message_type == MSG_VIDEO and flv.is_avc_sequence_header(payload):
            self.video_header = data
        elif message_type == MSG_AUDIO and flv.is_aac_sequence_header(payload):
            self.audio_header = data
        else:
            keyframe = message_type == MSG_VIDEO and flv.is_video_keyframe(payload)
            if keyframe:
                self.gop = []
                self.gop_bytes = 0
            if self.gop or keyframe:
                if self.gop_bytes + len(data) > GOP_CACHE_MAX_BYTES:
                    self.gop, self.gop_bytes = [], 0  # absurd GOP: wait for the next keyframe
                else:
                    self.gop.append(data)
                    self.gop_bytes += len(data)
        self.stats.add(
            len(payload),
            video=message_type == MSG_VIDEO and not flv.is_avc_sequence_header(payload),
            keyframe_ts=out_ts if keyframe else None,
        )
        for subscriber in list(self.subscribers):
            if not subscriber.push(data):
                self.subscribers.discard(subscriber)
        if self.recorder is not None:
            self.recorder.write(data)
        if self.hls is not None:
            self.hls.feed(data)

    # ---- viewer side -------------------------------------------------------------------

    def subscribe(self) -> tuple[Subscriber, bytes]:
        """A new viewer: the bytes to send first (header, codec setup, GOP from a keyframe)."""
        subscriber = Subscriber(self.queue_size)
        audio = self.audio_header is not None or "audiocodecid" in self.metadata
        parts = [flv.file_header(audio=audio, video=True)]
        if self.metadata:
            parts.append(self.metadata_tag())
        if self.video_header is not None:
            parts.append(self.video_header)
        if self.audio_header is not None:
            parts.append(self.audio_header)
        parts.extend(self.gop)
        self.subscribers.add(subscriber)
        return subscriber, b"".join(parts)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def end(self) -> None:
        self.ended = True
        self.publishing = False
        if self.publisher_closed is not None:
            self.publisher_closed.set()
        for subscriber in list(self.subscribers):
            subscriber.push(None)
        self.subscribers.clear()
        if self.recorder is not None:
            self.recorder.close()


class _Publication:
    """The ingest's :class:`~livecommerce.media.rtmp.Publisher` for one connected publisher."""

    def __init__(self, media: MediaRuntime, stream: LiveStream, publication_id: str) -> None:
        self.media = media
        self.stream = stream
        self.publication_id = publication_id
        self.closed = asyncio.Event()
        stream.attach(self.closed)

    def on_metadata(self, values: dict[str, Any]) -> None:
        self.stream.on_metadata(values)

    def on_media(self, message_type: int, timestamp_ms: int, payload: bytes) -> None:
        self.stream.on_media(message_type, timestamp_ms, payload)

    async def on_close(self, bytes_in: int) -> None:
        if self.stream.publisher_closed is self.closed:
            self.stream.detach()
        await self.media.stop_publication(self.stream.session_id, self.publication_id, bytes_in)


class MediaRuntime:
    """Everything media in this process; ``runtime.extras["media"]``."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.streams: dict[str, LiveStream] = {}
        self.recordings = Recordings(settings.data_dir / "recordings")
        self.hls_dir = settings.data_dir / "hls"
        self.rtmp: RtmpServer | None = None
        self.rtmp_port: int | None = None
        self._listeners: dict[str, Any] = {}
        self._nginx_listeners: dict[str, Any] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        settings = self.runtime.settings
        self.recordings.directory.mkdir(parents=True, exist_ok=True)
        self.hls_dir.mkdir(parents=True, exist_ok=True)
        if not settings.rtmp_enabled:
            return
        server = RtmpServer(self, idle_timeout_s=settings.rtmp_idle_timeout_s)
        try:
            self.rtmp_port = await server.start(settings.rtmp_host, settings.rtmp_port)
        except OSError as exc:
            log.error("RTMP ingest disabled: cannot listen on port %s: %s", settings.rtmp_port, exc)
            return
        self.rtmp = server
        log.info("RTMP ingest listening on %s:%s", settings.rtmp_host, self.rtmp_port)

    async def stop(self) -> None:
        if self.rtmp is not None:
            await self.rtmp.stop()
            self.rtmp = None
        for session_id in list(self.streams):
            stream = self.streams.pop(session_id)
            stream.detach()
            if stream.recorder is not None:
                stream.recorder.close()
            if stream.hls is not None:
                stream.hls.stop(final=False)
            await self._unlisten(session_id)
        for session_id, listener in list(self._nginx_listeners.items()):
            with contextlib.suppress(Exception):
                await self.runtime.broker.unsubscribe(live_channel(session_id), listener)
        self._nginx_listeners.clear()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    # ---- ingest ------------------------------------------------------------------------

    async def on_publish(self, app: str, stream_name: str, client: str) -> _Publication:
        if app != RTMP_APP:
            raise PublishRefused("unknown_app", f"Publish to /{RTMP_APP}/<stream key>.")
        try:
            async with self.runtime.db.transaction() as session:
                started = await media_service.do_start_publication(
                    session, stream_name, via="embedded", client=client
                )
                existing = self.streams.get(started.session_id)
                if existing is not None and existing.publishing:
                    raise PublishRefused(
                        "already_publishing", "Another publisher is live in this room."
                    )
        except LiveCommerceError as error:
            raise PublishRefused(error.code, error.message) from error
        stream = self.streams.get(started.session_id)
        if stream is None or stream.ended:
            stream = self._open_stream(started.session_id, started.recording_started_at)
            await self._listen(started.session_id)
        return _Publication(self, stream, started.publication_id)

    def _open_stream(self, session_id: str, recording_started_at: datetime) -> LiveStream:
        settings = self.runtime.settings
        hls = (
            HlsMuxer(self.hls_dir / session_id, segment_s=settings.hls_segment_s)
            if settings.hls_enabled
            else None
        )
        stream = LiveStream(
            session_id,
            recording_started_at,
            self.recordings.recorder(session_id),
            hls,
            settings.media_viewer_queue,
        )
        self.streams[session_id] = stream
        return stream

    async def stop_publication(self, session_id: str, publication_id: str, bytes_in: int) -> None:
        try:
            async with self.runtime.db.transaction() as session:
                await media_service.do_stop_publication(
                    session, publication_id, session_id, bytes_in
                )
        except LiveCommerceError as error:
            log.info("publication %s stopped: %s", publication_id, error.message)
        except Exception:
            log.exception("recording the end of publication %s failed", publication_id)

    # ---- session end -------------------------------------------------------------------

    async def watch_nginx_publisher(self, session_id: str, drop_url: str) -> None:
        """When the session ends, ask nginx-rtmp to drop its publisher (control module)."""

        async def _drop() -> None:
            import httpx

            try:
                async with httpx.AsyncClient(timeout=5) as http:
                    await http.get(drop_url)
            except httpx.HTTPError as exc:
                log.warning("could not drop the nginx publisher of %s: %s", session_id, exc)

        def _on_message(text: str) -> None:
            try:
                message = json.loads(text)
            except ValueError:
                return
            if message.get("type") == "session_state" and message.get("status") in (
                "ended",
                "cancelled",
            ):
                task = asyncio.ensure_future(_drop())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                listener = self._nginx_listeners.pop(session_id, None)
                if listener is not None:
                    unsubscribe = asyncio.ensure_future(
                        self.runtime.broker.unsubscribe(live_channel(session_id), listener)
                    )
                    self._tasks.add(unsubscribe)
                    unsubscribe.add_done_callback(self._tasks.discard)

        previous = self._nginx_listeners.pop(session_id, None)
        if previous is not None:
            await self.runtime.broker.unsubscribe(live_channel(session_id), previous)
        self._nginx_listeners[session_id] = _on_message
        await self.runtime.broker.subscribe(live_channel(session_id), _on_message)

    async def _listen(self, session_id: str) -> None:
        def _on_message(text: str) -> None:
            try:
                message = json.loads(text)
            except ValueError:
                return
            if message.get("type") == "session_state" and message.get("status") in (
                "ended",
                "cancelled",
            ):
                task = asyncio.ensure_future(self.finish_session(session_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

        self._listeners[session_id] = _on_message
        await self.runtime.broker.subscribe(live_channel(session_id), _on_message)

    async def _unlisten(self, session_id: str) -> None:
        listener = self._listeners.pop(session_id, None)
        if listener is not None:
            with contextlib.suppress(Exception):
                await self.runtime.broker.unsubscribe(live_channel(session_id), listener)

    async def finish_session(self, session_id: str) -> None:
        """The session ended: disconnect its publisher, close viewers, make the MP4."""
        stream = self.streams.pop(session_id, None)
        await self._unlisten(session_id)
        if stream is not None:
            stream.end()
            if stream.hls is not None:  # joins the remuxer thread: not on the event loop
                await asyncio.to_thread(stream.hls.stop, final=True)
        try:
            await asyncio.to_thread(self.recordings.make_mp4, session_id)
        except Exception:
            log.exception("remuxing the recording of %s failed", session_id)

    # ---- delivery ----------------------------------------------------------------------

    def hls_file(self, session_id: str, name: str) -> Path | None:
        if not SESSION_ID.match(session_id) or not re.fullmatch(
            r"index\.m3u8|seg\d{1,20}\.ts", name
        ):
            return None
        path = self.hls_dir / session_id / name
        return path if path.is_file() else None
