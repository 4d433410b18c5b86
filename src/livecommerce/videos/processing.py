"""Checking, transcoding and cutting video files with PyAV (FFmpeg's libraries).

Pure file work, no database: the worker job calls these in a thread. Every output
is written under a ``.part`` name and renamed into place only when complete, so a
crash or a refusal never leaves a half-written video behind.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

log = logging.getLogger(__name__)

MAX_WIDTH = 1920
MAX_HEIGHT = 1920
TARGET_LONG_EDGE = 1920  # larger sources are scaled down to fit 1920 on the long edge
X264_PRESET = "veryfast"
X264_CRF = "23"
AUDIO_BITRATE = 128_000
AUDIO_RATE = 44_100
POSTER_AT_S = 1.0
# HLS renditions of long videos: a keyframe every two seconds (so segments can be cut
# there) and segments of about four seconds.
HLS_KEYFRAME_S = 2.0
HLS_SEGMENT_S = 4
HLS_PLAYLIST = "index.m3u8"
HLS_SEGMENT = re.compile(r"seg_\d{5}\.ts")

Progress = Callable[[float], None]


class VideoRejected(Exception):
    """The file cannot become a video; ``code`` is the machine-readable reason."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class Cancelled(Exception):
    """The processor was asked to stop (the app is shutting down)."""


@dataclass(frozen=True)
class Probe:
    duration_s: float
    width: int
    height: int
    has_audio: bool
    video_codec: str
    audio_codec: str | None
    keyframe_interval_s: float | None = None


@dataclass(frozen=True)
class Result:
    duration_s: float
    width: int
    height: int
    has_audio: bool
    size_bytes: int
    mode: str = "transcode"
    hls_bytes: int = 0  # the HLS rendition's playlist and segments (0: none)


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def remove_quietly(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s", path)


def _container_duration(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / av.time_base
    return 0.0


def probe(path: Path, *, max_duration_s: float | None = None) -> Probe:
    """Open the file and decode its first video frame: a real check, not the extension."""
    try:
        container = av.open(str(path), "r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoRejected("video_unreadable", str(exc)) from None
    with container:
        if container.format.name.split(",")[0] in ("image2", "png_pipe", "jpeg_pipe", "gif"):
            raise VideoRejected("video_unreadable", "an image, not a video")
        video = next((s for s in container.streams.video), None)
        if video is None:
            raise VideoRejected("video_unreadable", "no video stream")
        audio = next((s for s in container.streams.audio), None)
        try:
            frame = next(iter(container.decode(video)), None)
        except (av.error.FFmpegError, StopIteration) as exc:
            raise VideoRejected("video_unreadable", str(exc)) from None
        if frame is None:
            raise VideoRejected("video_unreadable", "no picture could be decoded")
        duration = _container_duration(container, video)
        width, height = frame.width, frame.height
    if width < 16 or height < 16:
        raise VideoRejected("video_bad_size", f"{width}x{height}")
    if duration <= 0.05:
        raise VideoRejected("video_too_short", f"{duration:.2f} s")
    if max_duration_s is not None and duration > max_duration_s:
        raise VideoRejected("video_too_long", f"{duration:.0f} s")
    return Probe(
        duration_s=duration,
        width=width,
        height=height,
        has_audio=audio is not None,
        video_codec=video.codec_context.name,
        audio_codec=None if audio is None else audio.codec_context.name,
    )


def output_size(width: int, height: int) -> tuple[int, int]:
    """Fit the long edge in ``TARGET_LONG_EDGE`` and make both sides even (H.264 4:2:0)."""
    scale = min(1.0, TARGET_LONG_EDGE / max(width, height))
    out_w = max(2, int(width * scale) // 2 * 2)
    out_h = max(2, int(height * scale) // 2 * 2)
    return out_w, out_h


def _add_h264(
    output: Any, width: int, height: int, rate: Fraction, keyframe_s: float | None = None
) -> Any:
    stream = output.add_stream("libx264", rate=rate)
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    options = {"preset": X264_PRESET, "crf": X264_CRF}
    if keyframe_s is not None:
        # A keyframe exactly every ``keyframe_s`` (no scene-cut ones in between), so HLS
        # segments are cut at even times.
        keyint = max(1, round(float(rate) * keyframe_s))
        options["x264-params"] = f"keyint={keyint}:min-keyint={keyint}:scenecut=0"
    stream.options = options
    stream.codec_context.thread_type = "AUTO"
    return stream


def _add_aac(output: Any) -> Any:
    stream = output.add_stream("aac", rate=AUDIO_RATE)
    stream.bit_rate = AUDIO_BITRATE
    stream.layout = "stereo"
    return stream


def _rate_of(stream: Any) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    rate = Fraction(rate)
    if rate <= 0 or rate > 120:
        rate = Fraction(25)
    return rate.limit_denominator(1001)


def _save_poster(frame: Any, poster: Path) -> None:
    part = _part(poster)
    image = frame.to_image()
    image.thumbnail((720, 1280))
    image.save(part, format="JPEG", quality=82)
    os.replace(part, poster)


class _Transcoder:
    """Decode → (scale) → encode, frame by frame, with exact time bounds."""

    def __init__(
        self,
        source: Path,
        target: Path,
        poster: Path | None,
        *,
        start_s: float = 0.0,
        end_s: float | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        keyframe_s: float | None = None,
    ) -> None:
        self.source = source
        self.target = target
        self.poster = poster
        self.start_s = start_s
        self.end_s = end_s
        self.progress = progress
        self.cancel = cancel
        self.keyframe_s = keyframe_s

    def run(self) -> Result:
        part = _part(self.target)
        try:
            return self._run(part)
        except BaseException:
            remove_quietly(part)
            if self.poster is not None:
                remove_quietly(_part(self.poster))
            raise

    def _run(self, part: Path) -> Result:
        try:
            input_container = av.open(str(self.source), "r")
        except av.error.FFmpegError as exc:
            raise VideoRejected("video_unreadable", str(exc)) from None
        with input_container:
            video_in = input_container.streams.video[0]
            video_in.thread_type = "AUTO"
            audio_in = next(iter(input_container.streams.audio), None)
            total = _container_duration(input_container, video_in)
            end = total if self.end_s is None else min(self.end_s, total or self.end_s)
            span = max(0.001, end - self.start_s)
            width, height = output_size(video_in.codec_context.width, video_in.codec_context.height)
            rate = _rate_of(video_in)
            if self.start_s > 0:
                input_container.seek(int(self.start_s * av.time_base), backward=True)
            with av.open(
                str(part), "w", format="mp4", options={"movflags": "+faststart"}
            ) as output:
                video_out = _add_h264(output, width, height, rate, self.keyframe_s)
                audio_out = _add_aac(output) if audio_in is not None else None
                resampler = (
                    av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
                    if audio_out is not None
                    else None
                )
                streams = [video_in] if audio_in is None else [video_in, audio_in]
                first_video_pts: float | None = None
                frames_out = 0
                last_video_s = 0.0
                audio_samples = 0
                poster_done = self.poster is None
                finished: set[str] = set()
                try:
                    for packet in input_container.demux(*streams):
                        if self.cancel is not None and self.cancel.is_set():
                            raise Cancelled()
                        if len(finished) == len(streams):
                            break  # every stream is past the end of the range
                        decoded: list[Any] = list(packet.decode())
                        for frame in decoded:
                            if frame.pts is None or frame.time_base is None:
                                continue
                            at = float(frame.pts * frame.time_base)
                            if at >= end - 1e-6:
                                finished.add(packet.stream.type)
                                continue
                            if at < self.start_s - 1e-6:
                                continue
                            if packet.stream.type == "video":
                                if first_video_pts is None:
                                    first_video_pts = at
                                if not poster_done and (
                                    at - self.start_s >= min(POSTER_AT_S, span / 2)
                                ):
                                    assert self.poster is not None
                                    _save_poster(frame, self.poster)
                                    poster_done = True
                                out = frame
                                if (
                                    frame.width != width
                                    or frame.height != height
                                    or frame.format.name != "yuv420p"
                                ):
                                    out = frame.reformat(width, height, "yuv420p")
                                out.pts = frames_out
                                out.time_base = 1 / rate
                                out.pict_type = av.video.frame.PictureType.NONE
                                output.mux(video_out.encode(out))
                                frames_out += 1
                                last_video_s = at - self.start_s
                                if self.progress is not None and frames_out % 15 == 0:
                                    self.progress(min(0.99, last_video_s / span))
                            elif audio_out is not None and resampler is not None:
                                frame.pts = None
                                for chunk in resampler.resample(frame):
                                    chunk.pts = audio_samples
                                    chunk.time_base = Fraction(1, AUDIO_RATE)
                                    audio_samples += chunk.samples
                                    output.mux(audio_out.encode(chunk))
                except av.error.FFmpegError as exc:
                    if frames_out == 0:
                        raise VideoRejected("video_unreadable", str(exc)) from None
                    # A truncated file: keep what decoded, if it is worth keeping.
                    log.warning("%s is damaged after %.1f s: %s", self.source, last_video_s, exc)
                if frames_out == 0:
                    raise VideoRejected("video_too_short", "no picture in range")
                output.mux(video_out.encode(None))
                if audio_out is not None:
                    output.mux(audio_out.encode(None))
                if not poster_done:
                    poster_done = True
        duration = frames_out / float(rate)
        if self.poster is not None and not self.poster.exists():
            make_poster(part, self.poster)
        os.replace(part, self.target)
        if self.progress is not None:
            self.progress(1.0)
        return Result(
            duration_s=round(duration, 3),
            width=width,
            height=height,
            has_audio=audio_in is not None,
            size_bytes=self.target.stat().st_size,
        )


def transcode(
    source: Path,
    target: Path,
    poster: Path | None = None,
    *,
    start_s: float = 0.0,
    end_s: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    keyframe_s: float | None = None,
) -> Result:
    """H.264 (yuv420p, even size, ≤1920 long edge) + AAC in a faststart MP4; with
    ``keyframe_s``, a keyframe at least that often (for an HLS rendition)."""
    return _Transcoder(
        source,
        target,
        poster,
        start_s=start_s,
        end_s=end_s,
        progress=progress,
        cancel=cancel,
        keyframe_s=keyframe_s,
    ).run()


def make_poster(video: Path, poster: Path) -> None:
    with av.open(str(video), "r") as container:
        for frame in container.decode(video=0):
            _save_poster(frame, poster)
            return


# ---- HLS renditions of long videos ----------------------------------------------------


def make_hls(
    video: Path,
    target_dir: Path,
    *,
    segment_s: int = HLS_SEGMENT_S,
    cancel: threading.Event | None = None,
) -> int:
    """Copy a web MP4's H.264/AAC packets into MPEG-TS segments of about ``segment_s``
    (cut at keyframes) and a VOD playlist ``index.m3u8``. Nothing is re-encoded. Written in
    ``<target_dir>.part`` and moved into place complete; returns the bytes written."""
    part = target_dir.with_name(target_dir.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    try:
        with av.open(str(video), "r") as source:
            streams: list[Any] = [next(iter(source.streams.video))]
            audio = next(iter(source.streams.audio), None)
            if audio is not None:
                streams.append(audio)
            with av.open(
                str(part / HLS_PLAYLIST),
                "w",
                format="hls",
                options={
                    "hls_time": str(segment_s),
                    "hls_playlist_type": "vod",
                    "hls_flags": "independent_segments",
                    "hls_segment_filename": str(part / "seg_%05d.ts"),
                },
            ) as output:
                mapping = {s.index: output.add_stream_from_template(s) for s in streams}
                for packet in source.demux(*streams):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled()
                    if packet.dts is None or packet.size == 0:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    output.mux(packet)
        names = sorted(p.name for p in part.iterdir())
        if HLS_PLAYLIST not in names or not any(HLS_SEGMENT.fullmatch(n) for n in names):
            raise VideoRejected("video_processing_failed", "no HLS segment was written")
        size = sum(p.stat().st_size for p in part.iterdir())
        shutil.rmtree(target_dir, ignore_errors=True)
        os.replace(part, target_dir)
        return size
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise


def hls_segments(playlist: Path) -> list[tuple[str, float]]:
    """The segments a VOD playlist lists, with their durations."""
    found: list[tuple[str, float]] = []
    duration: float | None = None
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            found.append((line.strip(), duration))
            duration = None
    return found


# ---- cutting clips from a recording ----------------------------------------------------


def keyframe_times(path: Path) -> list[float]:
    """The times of the video keyframes (from the packets; nothing is decoded)."""
    times: list[float] = []
    with av.open(str(path), "r") as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.is_keyframe and packet.pts is not None and packet.time_base is not None:
                times.append(float(packet.pts * packet.time_base))
    return times


def can_stream_copy(path: Path) -> bool:
    """Copying needs what the web plays already: H.264 video and AAC (or no) audio."""
    with av.open(str(path), "r") as container:
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        if video is None:
            return False
        return video.codec_context.name == "h264" and (
            audio is None or audio.codec_context.name == "aac"
        )


def copy_clip(
    source: Path,
    target: Path,
    start_s: float,
    end_s: float,
    *,
    cancel: threading.Event | None = None,
) -> Result:
    """Copy the compressed packets from the last keyframe at or before ``start_s`` to the
    first keyframe at or after ``end_s`` (so both ends are within one keyframe interval
    of the asked times), with the timestamps moved to start at zero."""
    part = _part(target)
    try:
        with av.open(str(source), "r") as input_container:
            video_in: Any = input_container.streams.video[0]
            audio_in: Any = next(iter(input_container.streams.audio), None)
            streams = [video_in] if audio_in is None else [video_in, audio_in]
            input_container.seek(
                int(start_s / video_in.time_base), stream=video_in, backward=True, any_frame=False
            )
            with av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as out:
                mapping = {s.index: out.add_stream_from_template(s) for s in streams}
                clip_start: float | None = None
                clip_end: float | None = None
                offsets: dict[int, int] = {}
                last_dts: dict[int, int] = {}
                pending_audio: list[Any] = []
                for packet in input_container.demux(*streams):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled()
                    if packet.dts is None or packet.pts is None or packet.size == 0:
                        continue
                    at = float(packet.pts * packet.time_base)
                    is_video = packet.stream.type == "video"
                    if is_video and clip_start is None:
                        if not packet.is_keyframe:
                            continue
                        clip_start = at
                    if clip_start is None:
                        pending_audio.append(packet)
                        continue
                    if is_video and packet.is_keyframe and at >= end_s - 1e-3 and at > clip_start:
                        clip_end = at
                        break
                    if not is_video and clip_end is None and at >= end_s + 2.0:
                        break  # far past the end: the recording has no more keyframes
                    packets = [packet]
                    if pending_audio:
                        packets = [p for p in pending_audio if _seconds(p) >= clip_start] + packets
                        pending_audio = []
                    for item in packets:
                        assert item.pts is not None
                        assert item.dts is not None
                        assert item.time_base is not None
                        index = item.stream.index
                        if index not in offsets:
                            offsets[index] = int(round(clip_start / item.time_base))
                        shift = offsets[index]
                        if float(item.pts * item.time_base) < clip_start - 1e-3:
                            continue
                        item.pts -= shift
                        item.dts -= shift
                        if item.dts < 0:
                            item.dts = 0
                        if index in last_dts and item.dts <= last_dts[index]:
                            continue
                        last_dts[index] = item.dts
                        item.stream = mapping[index]
                        out.mux(item)
                if clip_start is None:
                    raise VideoRejected("clip_empty", "no keyframe in range")
                duration = (clip_end if clip_end is not None else _last_time(last_dts, streams)) - (
                    clip_start
                )
                if clip_end is None:
                    duration = max(duration, 0.0)
        os.replace(part, target)
    except BaseException:
        remove_quietly(part)
        raise
    with av.open(str(target), "r") as check:
        video = check.streams.video[0]
        width, height = video.codec_context.width, video.codec_context.height
        real = _container_duration(check, video)
    return Result(
        duration_s=round(real or duration, 3),
        width=width,
        height=height,
        has_audio=audio_in is not None,
        size_bytes=target.stat().st_size,
        mode="copy",
    )


def _seconds(packet: Any) -> float:
    return float(packet.pts * packet.time_base) if packet.pts is not None else -1.0


def _last_time(last_dts: dict[int, int], streams: list[Any]) -> float:
    # Only used when the recording ended before ``end_s``: the offset-shifted dts of video.
    video = streams[0]
    return float(last_dts.get(video.index, 0) * video.time_base)


def cut_clip(
    source: Path,
    target: Path,
    poster: Path,
    start_s: float,
    end_s: float,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    keyframe_s: float | None = None,
) -> Result:
    """Stream copy where the recording is web-ready H.264/AAC; re-encode where it is not
    (with a keyframe at least every ``keyframe_s``, when given)."""
    if can_stream_copy(source):
        result = copy_clip(source, target, start_s, end_s, cancel=cancel)
        try:
            make_poster(target, poster)
        except (av.error.FFmpegError, OSError):
            log.warning("no poster for %s", target)
        if progress is not None:
            progress(1.0)
        return result
    result = transcode(
        source,
        target,
        poster,
        start_s=start_s,
        end_s=end_s,
        progress=progress,
        cancel=cancel,
        keyframe_s=keyframe_s,
    )
    return Result(
        duration_s=result.duration_s,
        width=result.width,
        height=result.height,
        has_audio=result.has_audio,
        size_bytes=result.size_bytes,
        mode="reencode",
    )


# ---- test and benchmark inputs ---------------------------------------------------------


def make_test_video(
    path: Path,
    *,
    seconds: float = 2.0,
    width: int = 160,
    height: int = 120,
    fps: int = 15,
    audio: bool = True,
    keyframe_interval: int | None = None,
    codec: str = "libx264",
    container_format: str | None = None,
) -> Path:
    """A small generated video (moving colour bars and a tone), for tests and the demo."""
    import numpy as np

    frames = max(1, int(round(seconds * fps)))
    with av.open(str(path), "w", format=container_format) as output:
        stream: Any = output.add_stream(codec, rate=fps)
        stream.width = width
        stream.height = height
        odd = width % 2 or height % 2
        stream.pix_fmt = "yuv444p" if odd and codec == "libx264" else "yuv420p"
        options: dict[str, str] = {"preset": "ultrafast"} if codec == "libx264" else {}
        if keyframe_interval is not None:
            stream.codec_context.gop_size = keyframe_interval
            if codec == "libx264":
                options.update(
                    {"x264-params": f"keyint={keyframe_interval}:min-keyint={keyframe_interval}"}
                )
        stream.options = options
        audio_stream: Any = None
        if audio:
            audio_stream = output.add_stream("aac", rate=22_050)
            audio_stream.layout = "mono"
        xs = np.arange(width, dtype=np.int32)
        ys = np.arange(height, dtype=np.int32)[:, None]
        samples_done = 0
        for index in range(frames):
            rgb = np.empty((height, width, 3), dtype=np.uint8)
            rgb[..., 0] = ((xs + index * 4) % 256).astype(np.uint8)
            rgb[..., 1] = ((ys + index * 2) % 256).astype(np.uint8)
            rgb[..., 2] = (index * 8) % 256
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
            if audio_stream is not None:
                until = int((index + 1) / fps * 22_050)
                count = until - samples_done
                t = (np.arange(samples_done, until) / 22_050).astype(np.float32)
                tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
                audio_frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                audio_frame.sample_rate = 22_050
                audio_frame.pts = samples_done
                samples_done += count
                for packet in audio_stream.encode(audio_frame):
                    output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
        if audio_stream is not None:
            for packet in audio_stream.encode(None):
                output.mux(packet)
    return path
