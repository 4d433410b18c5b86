"""The video-transcode benchmark's smoke run: the JSON shape the issue asks for."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from livecommerce.cli import app


def test_video_transcode_smoke_run() -> None:
    result = CliRunner().invoke(app, ["bench", "video-transcode", "--json", "--smoke"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    transcode = report["transcode"]
    assert transcode["input"] == {"seconds": 3.0, "size": "320x240", "fps": 30}
    assert transcode["realtime_factor"] > 0
    assert transcode["ffmpeg_realtime_factor"] > 0
    assert transcode["wall_s"] > 0
    assert transcode["ffmpeg_wall_s"] > 0
    assert transcode["target_ratio"] == 0.8
    cutting = report["clip_cutting"]
    assert cutting["clips"] == 20
    assert cutting["stream_copy_s"] > 0
    assert cutting["reencode_s"] > 0
    # every clip starts at the keyframe at or before its pin: within one interval
    assert 0 <= cutting["max_start_shift_s"] <= cutting["recording"]["keyframe_interval_s"]
    hls = report["hls"]
    assert hls["segments"] >= 1
    assert hls["wall_s"] > 0
    assert hls["ffmpeg_wall_s"] > 0
    assert hls["bytes"] > 0
