"""HLS for browsers without Media Source Extensions: PyAV remuxes the FLV into short segments.

The remuxer runs in a thread (FFmpeg's muxers block) reading the stream's FLV tags
from a bounded queue. Segments are cut at keyframes, so with OBS's keyframe interval
at 1 s every segment is about one second; the playlist keeps a short rolling window.
"""

from __future__ import annotations

import contextlib
import io
import logging
import queue
import shutil
import threading
from pathlib import Path

from livecommerce.media import flv

log = logging.getLogger(__name__)

PLAYLIST = "index.m3u8"
WINDOW_SEGMENTS = 6
QUEUE_TAGS = 2000


class _TagPipe(io.RawIOBase):
    """A blocking read end fed with FLV bytes from the event loop."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_TAGS)
        self.pending = b""
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self.pending and not self.eof:
            chunk = self.chunks.get()
            if chunk is None:
                self.eof = True
            else:
                self.pending = chunk
        if not self.pending:
            return 0
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


class HlsMuxer:
    def __init__(self, directory: Path, *, segment_s: float) -> None:
        self.directory = directory
        self.segment_s = segment_s
        self.pipe: _TagPipe | None = None
        self.thread: threading.Thread | None = None

    def restart(self) -> None:
        """A (new) publisher: start remuxing from its first tags."""
        self.stop(final=False)
        self.directory.mkdir(parents=True, exist_ok=True)
        pipe = _TagPipe()
        pipe.chunks.put_nowait(flv.file_header(audio=True, video=True))
        self.pipe = pipe
        self.thread = threading.Thread(
            target=self._run, args=(pipe,), name=f"hls-{self.directory.name[:8]}", daemon=True
        )
        self.thread.start()

    def feed(self, data: bytes) -> None:
        if self.pipe is None:
            return
        try:
            self.pipe.chunks.put_nowait(data)
        except queue.Full:
            log.warning("HLS remuxer of %s fell behind; restarting it", self.directory.name)
            self.restart()

    def stop(self, *, final: bool) -> None:
        pipe, self.pipe = self.pipe, None
        if pipe is not None:
            with contextlib.suppress(queue.Full):
                pipe.chunks.put(None, timeout=1)
        thread, self.thread = self.thread, None
        if thread is not None and final:
            thread.join(timeout=2)
        if final:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, pipe: _TagPipe) -> None:
        import av

        try:
            with av.open(
                pipe,
                "r",
                format="flv",
                options={"analyzeduration": "0", "probesize": "32768", "fflags": "nobuffer"},
            ) as source:
                streams = [s for s in source.streams if s.type in ("video", "audio")]
                if not streams:
                    return
                options = {
                    "hls_time": str(self.segment_s),
                    "hls_list_size": str(WINDOW_SEGMENTS),
                    "hls_flags": "delete_segments+independent_segments+discont_start",
                    "hls_start_number_source": "epoch",
                    "hls_segment_filename": str(self.directory / "seg%d.ts"),
                }
                with av.open(
                    str(self.directory / PLAYLIST), "w", format="hls", options=options
                ) as output:
                    mapping = {s.index: output.add_stream_from_template(s) for s in streams}
                    for packet in source.demux(*streams):
                        if packet.dts is None or packet.size == 0:
                            continue
                        packet.stream = mapping[packet.stream.index]
                        try:
                            output.mux(packet)
                        except av.error.FFmpegError as exc:
                            log.debug("HLS muxer skipped a packet: %s", exc)
        except Exception:
            log.exception("HLS remuxing of %s stopped", self.directory.name)
        finally:
            # drain so the event loop never blocks on a full queue of a dead remuxer
            with contextlib.suppress(Exception):
                while True:
                    pipe.chunks.get_nowait()
