"""Video transcoding and clip cutting: our PyAV pipeline against the ffmpeg command line.

1. Transcoding throughput. A 60-second 1080p30 input with audio (made by the ``ffmpeg``
   CLI from its test sources) is transcoded by ``videos.processing.transcode`` — the
   code the upload job runs: H.264 ``veryfast`` CRF 23, yuv420p, AAC 128 kbit/s, faststart
   MP4 — and by the ``ffmpeg`` command line with the same settings. ``realtime_factor`` is
   seconds of video per second of wall time; ours should reach 0.8 × ffmpeg's.
2. Clip cutting. A one-hour recording (320x180 at 25 fps, a keyframe every 2 s, AAC) is cut into 20
   clips at pin-like times, by stream copy (keyframe-aligned, what the clip job does for
   H.264/AAC recordings) and by re-encoding each clip; both wall times are reported, and
   the largest distance between an asked start and the clip's real start.
3. HLS rendition. What a long video costs on top of its transcode: the transcoded MP4 of
   part 1 copied into 4-second MPEG-TS segments and a VOD playlist by
   ``videos.processing.make_hls`` (what the job runs for videos over
   ``video_hls_min_duration_s``), against ``ffmpeg -c copy -f hls`` doing the same, and
   as a share of the transcode's wall time.

``--smoke`` runs a 3-second 320x240 input and a 60-second recording (what the test runs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from livecommerce.bench.registry import register
from livecommerce.videos import processing

TARGET_RATIO = 0.8
CLIPS = 20


def _ffmpeg() -> str:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise RuntimeError(
            "the ffmpeg command line is needed for the baseline (apt install ffmpeg)"
        )
    return binary


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _make_input(path: Path, seconds: int, size: str, rate: int, keyint: int) -> None:
    _run(
        [
            _ffmpeg(), "-y", "-loglevel", "error",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20",
            "-g", str(keyint), "-keyint_min", str(keyint), "-sc_threshold", "0",
            "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k",
            "-shortest", str(path),
        ]
    )  # fmt: skip


def _ffmpeg_transcode(source: Path, target: Path) -> None:
    """The same encode the upload job does, by the command line."""
    _run(
        [
            _ffmpeg(), "-y", "-loglevel", "error", "-i", str(source),
            "-c:v", "libx264", "-preset", processing.X264_PRESET, "-crf", processing.X264_CRF,
            "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", str(processing.AUDIO_BITRATE),
            "-ar", str(processing.AUDIO_RATE), "-ac", "2",
            "-movflags", "+faststart", str(target),
        ]
    )  # fmt: skip


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def _ffmpeg_hls(source: Path, target: Path) -> None:
    """The same rendition by the command line: packets copied into 4 s segments."""
    target.mkdir()
    _run(
        [
            _ffmpeg(), "-y", "-loglevel", "error", "-i", str(source),
            "-c", "copy", "-f", "hls", "-hls_time", str(processing.HLS_SEGMENT_S),
            "-hls_playlist_type", "vod", "-hls_flags", "independent_segments",
            "-hls_segment_filename", str(target / "seg_%05d.ts"),
            str(target / processing.HLS_PLAYLIST),
        ]
    )  # fmt: skip


def _hls(workdir: Path, transcode_wall_s: float) -> dict[str, Any]:
    source = workdir / "ours.mp4"
    ours_s, size = _timed(processing.make_hls, source, workdir / "hls")
    ffmpeg_s, _ = _timed(_ffmpeg_hls, source, workdir / "ffmpeg-hls")
    segments = processing.hls_segments(workdir / "hls" / processing.HLS_PLAYLIST)
    return {
        "segment_s": processing.HLS_SEGMENT_S,
        "segments": len(segments),
        "wall_s": round(ours_s, 3),
        "ffmpeg_wall_s": round(ffmpeg_s, 3),
        "ratio_to_ffmpeg": round(ffmpeg_s / ours_s, 3) if ours_s else None,
        "share_of_transcode": round(ours_s / transcode_wall_s, 4) if transcode_wall_s else None,
        "bytes": size,
    }


def _transcoding(workdir: Path, smoke: bool) -> dict[str, Any]:
    seconds, size = (3, "320x240") if smoke else (60, "1920x1080")
    source = workdir / "input.mp4"
    _make_input(source, seconds, size, 30, 60)
    duration = processing.probe(source).duration_s
    ours_s, result = _timed(
        processing.transcode, source, workdir / "ours.mp4", workdir / "ours.jpg"
    )
    ffmpeg_s, _ = _timed(_ffmpeg_transcode, source, workdir / "ffmpeg.mp4")
    ours = duration / ours_s
    baseline = duration / ffmpeg_s
    return {
        "input": {"seconds": round(duration, 2), "size": size, "fps": 30},
        "encode": f"libx264 {processing.X264_PRESET} crf {processing.X264_CRF}, "
        f"aac {processing.AUDIO_BITRATE // 1000}k, faststart",
        "wall_s": round(ours_s, 2),
        "ffmpeg_wall_s": round(ffmpeg_s, 2),
        "realtime_factor": round(ours, 2),
        "ffmpeg_realtime_factor": round(baseline, 2),
        "ratio": round(ours / baseline, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ours / baseline >= TARGET_RATIO,
        "output_bytes": result.size_bytes,
        "ffmpeg_output_bytes": (workdir / "ffmpeg.mp4").stat().st_size,
    }


def _cutting(workdir: Path, smoke: bool) -> dict[str, Any]:
    seconds = 60 if smoke else 3600
    size = "320x180"  # re-encoding an hour of it is the slow side either way
    recording = workdir / "recording.mp4"
    keyframe_s = 2.0
    _make_input(recording, seconds, size, 25, int(25 * keyframe_s))
    # 20 explanations at uneven, non-keyframe times, each to the next pin.
    step = seconds / CLIPS
    pins = [round(index * step + 0.37 + (index % 3) * 0.41, 3) for index in range(CLIPS)]
    bounds = list(zip(pins, [*pins[1:], float(seconds)], strict=True))
    copy_s = 0.0
    worst_start = 0.0
    copied_s = 0.0
    keyframes = processing.keyframe_times(recording)
    for index, (start, end) in enumerate(bounds):
        wall, result = _timed(
            processing.copy_clip, recording, workdir / f"copy{index}.mp4", start, end
        )
        copy_s += wall
        copied_s += result.duration_s
        first_key = max(t for t in keyframes if t <= start + 1e-3)
        worst_start = max(worst_start, start - first_key)
    reencode_s = 0.0
    for index, (start, end) in enumerate(bounds):
        wall, _ = _timed(
            processing.transcode, recording, workdir / f"re{index}.mp4", None,
            start_s=start, end_s=end,
        )  # fmt: skip
        reencode_s += wall
    return {
        "recording": {"seconds": seconds, "size": size, "keyframe_interval_s": keyframe_s},
        "clips": CLIPS,
        "stream_copy_s": round(copy_s, 2),
        "reencode_s": round(reencode_s, 2),
        "speedup": round(reencode_s / copy_s, 1) if copy_s else None,
        "copied_video_s": round(copied_s, 1),
        "max_start_shift_s": round(worst_start, 3),
    }


@register(
    "video-transcode",
    "Upload transcoding throughput (realtime factor) vs the ffmpeg CLI on a 60 s 1080p "
    "input; its HLS rendition; cutting a one-hour recording's 20 clips by stream copy vs "
    "re-encoding",
)
def run(smoke: bool = False) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="lc-video-transcode-"))
    try:
        transcode = _transcoding(workdir, smoke)
        return {
            "smoke": smoke,
            "cpus": os.cpu_count(),
            "transcode": transcode,
            "hls": _hls(workdir, float(transcode["wall_s"])),
            "clip_cutting": _cutting(workdir, smoke),
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
