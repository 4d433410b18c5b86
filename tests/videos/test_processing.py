"""Cutting clips: stream copy keyframe-aligned where it can, exact re-encoding where not."""

from __future__ import annotations

from pathlib import Path

import pytest

from livecommerce.videos import processing


@pytest.mark.parametrize(("start", "end"), [(2.3, 5.6), (4.0, 7.0), (0.0, 1.5), (8.1, 12.0)])
def test_stream_copy_ends_within_a_keyframe_interval_of_the_asked_times(
    tmp_path: Path, start: float, end: float
) -> None:
    recording = processing.make_test_video(
        tmp_path / "rec.mp4", seconds=12, fps=10, keyframe_interval=10
    )  # a keyframe every second
    clip = tmp_path / "clip.mp4"
    result = processing.cut_clip(recording, clip, tmp_path / "poster.jpg", start, end)
    assert result.mode == "copy"
    keyframe_s = 1.0
    # starts at the keyframe at or before ``start``, ends at the one at or after ``end``
    assert end - start <= result.duration_s <= end - start + 2 * keyframe_s + 0.01
    first_key = max(t for t in processing.keyframe_times(recording) if t <= start)
    assert start - first_key < keyframe_s
    assert processing.keyframe_times(clip)[0] == 0.0
    assert (tmp_path / "poster.jpg").exists()
    assert not list(tmp_path.glob("*.part"))


def test_a_recording_the_web_cannot_play_is_reencoded_exactly(tmp_path: Path) -> None:
    recording = processing.make_test_video(
        tmp_path / "rec.webm",
        seconds=6,
        fps=10,
        audio=False,
        codec="libvpx-vp9",
        container_format="webm",
    )
    clip = tmp_path / "clip.mp4"
    result = processing.cut_clip(recording, clip, tmp_path / "poster.jpg", 1.5, 4.0)
    assert result.mode == "reencode"
    assert result.duration_s == pytest.approx(2.5, abs=0.01)
    assert processing.probe(clip).video_codec == "h264"


def test_a_cancelled_transcode_leaves_no_partial_file(tmp_path: Path) -> None:
    import threading

    source = processing.make_test_video(tmp_path / "a.mp4", seconds=2)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(processing.Cancelled):
        processing.transcode(source, tmp_path / "out.mp4", tmp_path / "p.jpg", cancel=cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]
