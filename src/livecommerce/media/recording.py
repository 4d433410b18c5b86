"""Recordings: FLV appended as it arrives (a cut-off file stays playable), MP4 at the end."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import BinaryIO

from livecommerce.media import flv

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 1.0
_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


class Recorder:
    """Appends one session's FLV tags to its file; reopening continues after the last tag."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO | None = None
        self.metadata_written = False
        self.last_flush = time.monotonic()

    def _open(self) -> BinaryIO:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keep = flv.complete_length(self.path) if self.path.exists() else 0
            handle = self.path.open("r+b" if keep else "wb")
            if keep:
                handle.truncate(keep)  # drop a tag cut off by a crash
                handle.seek(keep)
                self.metadata_written = True
            else:
                handle.write(flv.file_header(audio=True, video=True))
            self.file = handle
        return self.file

    def write_metadata(self, data: bytes) -> None:
        if not self.metadata_written:
            self.metadata_written = True
            self.write(data)

    def write(self, data: bytes) -> None:
        try:
            self._open().write(data)
            if time.monotonic() - self.last_flush >= FLUSH_EVERY_S:
                self.flush()
        except OSError:
            log.exception("writing the recording %s failed", self.path)

    def flush(self) -> None:
        if self.file is not None:
            try:
                self.file.flush()
            except OSError:
                log.exception("flushing the recording %s failed", self.path)
            self.last_flush = time.monotonic()

    def close(self) -> None:
        if self.file is not None:
            self.flush()
            self.file.close()
            self.file = None


class Recordings:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def flv_path(self, session_id: str) -> Path:
        return self.directory / f"{session_id}.flv"

    def mp4_path(self, session_id: str) -> Path:
        return self.directory / f"{session_id}.mp4"

    def recorder(self, session_id: str) -> Recorder:
        return Recorder(self.flv_path(session_id))

    def has_recording(self, session_id: str) -> bool:
        if not _SESSION_ID.match(session_id):
            return False
        return self.mp4_path(session_id).exists() or self.flv_path(session_id).exists()

    def make_mp4(self, session_id: str) -> Path | None:
        """Remux the FLV into a seekable MP4 (no transcoding); None if there is nothing."""
        if not _SESSION_ID.match(session_id):
            return None
        with self._guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        with lock:
            target = self.mp4_path(session_id)
            source = self.flv_path(session_id)
            if target.exists() and (
                not source.exists() or target.stat().st_mtime >= source.stat().st_mtime
            ):
                return target
            if not source.exists():
                return None
            remux_to_mp4(source, target)
            return target


def remux_to_mp4(source: Path, target: Path) -> None:
    import av

    partial = target.with_suffix(".part.mp4")
    with av.open(str(source), "r", format="flv") as input_container:
        streams = [
            stream for stream in input_container.streams if stream.type in ("video", "audio")
        ]
        with av.open(
            str(partial), "w", format="mp4", options={"movflags": "+faststart"}
        ) as output_container:
            mapping = {
                stream.index: output_container.add_stream_from_template(stream)
                for stream in streams
            }
            last_dts: dict[int, int] = {}
            for packet in input_container.demux(*streams):
                if packet.dts is None or packet.size == 0:
                    continue
                index = packet.stream.index
                if index in last_dts and packet.dts <= last_dts[index]:
                    continue  # a publisher reconnect can repeat timestamps
                last_dts[index] = packet.dts
                packet.stream = mapping[index]
                try:
                    output_container.mux(packet)
                except av.error.FFmpegError:
                    log.warning("skipped a packet the MP4 muxer refused in %s", source.name)
    os.replace(partial, target)
