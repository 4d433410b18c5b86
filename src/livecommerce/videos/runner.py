"""The file work of processing a video, run in a thread of this process.

The ``videos.process`` job claims a video (lease + attempt) and hands it here after
its unit commits. While the thread transcodes or cuts, a ticker renews the lease
and stores the progress every second; the outcome is written only while the claim
still holds. One video at a time per process (the machine's cores go to x264).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil
import threading
from pathlib import Path

from livecommerce.kit.runtime import Runtime
from livecommerce.models import VideoKind
from livecommerce.videos import processing
from livecommerce.videos.service import (
    Claim,
    hls_dir,
    poster_path,
    source_path,
    video_path,
    video_service,
)

log = logging.getLogger(__name__)

REPORT_EVERY_S = 1.0


class VideoWorkers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.cancel = threading.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.limit = asyncio.Semaphore(1)

    def start(self, claim: Claim) -> None:
        task = asyncio.create_task(self._process(claim), name=f"video-{claim.video_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def join(self) -> None:
        """Wait for the videos being processed (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def stop(self) -> None:
        self.cancel.set()
        await self.join()

    async def _process(self, claim: Claim) -> None:
        progress = [0.0]
        ticker = asyncio.create_task(self._report(claim, progress))
        try:
            async with self.limit:
                async with self.runtime.db.reading() as session:
                    video = await video_service.get_processing_plan(session, claim.video_id)
                    kind, session_id = video.kind, video.session_id
                    start, end = video.clip_start_s, video.clip_end_s
                settings = self.runtime.settings
                target = video_path(settings, claim.video_id)
                poster = poster_path(settings, claim.video_id)
                hls = hls_dir(settings, claim.video_id)
                hls_min_s = float(settings.video_hls_min_duration_s)
                target.parent.mkdir(parents=True, exist_ok=True)

                def report(fraction: float) -> None:
                    progress[0] = fraction

                if kind == VideoKind.CLIP:
                    assert session_id is not None
                    assert start is not None
                    assert end is not None
                    result = await asyncio.to_thread(
                        _cut,
                        settings.data_dir / "recordings",
                        session_id,
                        target,
                        poster,
                        start,
                        end,
                        report,
                        self.cancel,
                        hls,
                        hls_min_s,
                    )
                else:
                    result = await asyncio.to_thread(
                        _transcode,
                        source_path(settings, claim.video_id),
                        target,
                        poster,
                        float(settings.video_max_duration_s),
                        report,
                        self.cancel,
                        hls,
                        hls_min_s,
                    )
        except processing.Cancelled:
            log.info("processing video %s stopped; it resumes after the restart", claim.video_id)
            return  # the lease runs out and the watchdog job takes it again
        except processing.VideoRejected as rejected:
            await self._write_failure(claim, rejected.code)
            return
        except Exception:
            log.exception("processing video %s failed", claim.video_id)
            await self._write_failure(claim, "video_processing_failed")
            return
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        async with self.runtime.db.transaction() as session:
            await video_service.do_finish_processing(session, claim, result)

    async def _write_failure(self, claim: Claim, code: str) -> None:
        try:
            async with self.runtime.db.transaction() as session:
                await video_service.do_fail_processing(session, claim, code)
        except Exception:
            log.exception("could not store the failure of video %s", claim.video_id)

    async def _report(self, claim: Claim, progress: list[float]) -> None:
        while True:
            await asyncio.sleep(REPORT_EVERY_S)
            try:
                async with self.runtime.db.transaction() as session:
                    if not await video_service.do_report_progress(session, claim, progress[0]):
                        self.cancel_claim(claim)
                        return
            except Exception:
                log.exception("progress of video %s not stored", claim.video_id)

    def cancel_claim(self, claim: Claim) -> None:
        log.info("video %s: attempt %d lost its claim", claim.video_id, claim.attempt)


def _with_hls(
    result: processing.Result,
    target: Path,
    hls: Path,
    hls_min_s: float,
    cancel: threading.Event,
) -> processing.Result:
    """A video longer than ``hls_min_s`` also gets its HLS rendition (segments copied from
    the finished MP4); a shorter one plays as progressive MP4 only (a trimmed clip that
    became short loses the rendition it had)."""
    if result.duration_s <= hls_min_s:
        shutil.rmtree(hls, ignore_errors=True)
        return dataclasses.replace(result, hls_bytes=0)
    size = processing.make_hls(target, hls, cancel=cancel)
    return dataclasses.replace(result, hls_bytes=size)


def _transcode(
    source: Path,
    target: Path,
    poster: Path,
    max_duration_s: float,
    report: processing.Progress,
    cancel: threading.Event,
    hls: Path,
    hls_min_s: float,
) -> processing.Result:
    if not source.exists():
        raise processing.VideoRejected("video_source_missing")
    probe = processing.probe(source, max_duration_s=max_duration_s)
    long = probe.duration_s > hls_min_s
    result = processing.transcode(
        source,
        target,
        poster,
        progress=report,
        cancel=cancel,
        keyframe_s=processing.HLS_KEYFRAME_S if long else None,
    )
    return _with_hls(result, target, hls, hls_min_s, cancel)


def _cut(
    recordings_dir: Path,
    session_id: str,
    target: Path,
    poster: Path,
    start: float,
    end: float,
    report: processing.Progress,
    cancel: threading.Event,
    hls: Path,
    hls_min_s: float,
) -> processing.Result:
    from livecommerce.media.recording import Recordings

    recording = Recordings(recordings_dir).make_mp4(session_id)
    if recording is None:
        raise processing.VideoRejected("recording_not_found")
    result = processing.cut_clip(
        recording,
        target,
        poster,
        start,
        end,
        progress=report,
        cancel=cancel,
        keyframe_s=processing.HLS_KEYFRAME_S if end - start > hls_min_s else None,
    )
    return _with_hls(result, target, hls, hls_min_s, cancel)


def workers_of(runtime: Runtime) -> VideoWorkers:
    workers = runtime.extras.get("videos")
    if not isinstance(workers, VideoWorkers):
        workers = VideoWorkers(runtime)
        runtime.extras["videos"] = workers
    return workers
