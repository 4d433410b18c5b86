"""FLV: the container RTMP payloads already are, so ingest re-wraps them without transcoding."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

TAG_AUDIO = 8
TAG_VIDEO = 9
TAG_SCRIPT = 18

VIDEO_CODEC_AVC = 7
AUDIO_CODEC_AAC = 10

FLV_HEADER_SIZE = 9
TAG_HEADER_SIZE = 11


def file_header(*, audio: bool = True, video: bool = True) -> bytes:
    """The 9-byte FLV header followed by PreviousTagSize0."""
    flags = (0x04 if audio else 0) | (0x01 if video else 0)
    return b"FLV\x01" + bytes([flags]) + struct.pack(">I", FLV_HEADER_SIZE) + b"\x00\x00\x00\x00"


def tag(tag_type: int, timestamp_ms: int, payload: bytes) -> bytes:
    """One FLV tag plus its trailing PreviousTagSize."""
    timestamp_ms &= 0xFFFFFFFF
    size = len(payload)
    header = struct.pack(
        ">B3sI3s",
        tag_type,
        size.to_bytes(3, "big"),
        ((timestamp_ms & 0xFFFFFF) << 8) | (timestamp_ms >> 24),
        b"\x00\x00\x00",
    )
    return header + payload + struct.pack(">I", TAG_HEADER_SIZE + size)


def is_video_keyframe(payload: bytes) -> bool:
    return len(payload) >= 2 and payload[0] >> 4 == 1 and payload[1] == 1


def is_avc_sequence_header(payload: bytes) -> bool:
    return len(payload) >= 2 and payload[0] & 0x0F == VIDEO_CODEC_AVC and payload[1] == 0


def is_aac_sequence_header(payload: bytes) -> bool:
    return len(payload) >= 2 and payload[0] >> 4 == AUDIO_CODEC_AAC and payload[1] == 0


def video_codec(payload: bytes) -> int | None:
    if not payload:
        return None
    if payload[0] & 0x80:  # enhanced RTMP (HEVC, AV1…): a FourCC codec, not AVC
        return -1
    return payload[0] & 0x0F


def audio_codec(payload: bytes) -> int | None:
    return payload[0] >> 4 if payload else None


@dataclass(frozen=True)
class Tag:
    type: int
    timestamp_ms: int
    payload: bytes
    offset: int  # where the tag starts in the file


def read_tags(stream: BinaryIO, *, start: int = FLV_HEADER_SIZE + 4) -> list[Tag]:
    """Every complete tag from ``start``; a truncated last tag is left out."""
    tags: list[Tag] = []
    stream.seek(start)
    offset = start
    while True:
        header = stream.read(TAG_HEADER_SIZE)
        if len(header) < TAG_HEADER_SIZE:
            return tags
        size = int.from_bytes(header[1:4], "big")
        timestamp = int.from_bytes(header[4:7], "big") | (header[7] << 24)
        body = stream.read(size + 4)
        if len(body) < size + 4:
            return tags
        tags.append(Tag(header[0] & 0x1F, timestamp, body[:size], offset))
        offset += TAG_HEADER_SIZE + size + 4


def complete_length(path: Path) -> int:
    """Bytes of ``path`` up to the end of its last complete tag (0 if not an FLV file)."""
    with path.open("rb") as stream:
        head = stream.read(FLV_HEADER_SIZE + 4)
        if len(head) < FLV_HEADER_SIZE + 4 or not head.startswith(b"FLV"):
            return 0
        offset = FLV_HEADER_SIZE + 4
        while True:
            header = stream.read(TAG_HEADER_SIZE)
            if len(header) < TAG_HEADER_SIZE:
                return offset
            size = int.from_bytes(header[1:4], "big")
            stream.seek(size + 4, 1)
            end = offset + TAG_HEADER_SIZE + size + 4
            if stream.tell() < end or path.stat().st_size < end:
                return offset
            offset = end
