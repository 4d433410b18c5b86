"""AMF0, the encoding of RTMP commands and FLV script data (only what publishers send)."""

from __future__ import annotations

import struct
from typing import Any


class AmfError(ValueError):
    """The bytes are not valid AMF0."""


class Undefined:
    """AMF0 ``undefined`` (distinct from ``null``, which is ``None``)."""

    def __repr__(self) -> str:
        return "Undefined"


UNDEFINED = Undefined()
_MAX_DEPTH = 16


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise AmfError("truncated AMF0 value")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def short_string(self) -> str:
        (length,) = struct.unpack(">H", self.take(2))
        return self.take(length).decode("utf-8", "replace")

    def properties(self, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            key = self.short_string()
            if key == "" and self.data[self.pos : self.pos + 1] == b"\x09":
                self.pos += 1
                return result
            result[key] = self.value(depth + 1)

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise AmfError("AMF0 value nested too deeply")
        marker = self.take(1)[0]
        if marker == 0x00:
            return struct.unpack(">d", self.take(8))[0]
        if marker == 0x01:
            return self.take(1)[0] != 0
        if marker == 0x02:
            return self.short_string()
        if marker == 0x03:
            return self.properties(depth)
        if marker == 0x05:
            return None
        if marker == 0x06:
            return UNDEFINED
        if marker == 0x08:
            self.take(4)  # the count is a hint; the end marker is authoritative
            return self.properties(depth)
        if marker == 0x0A:
            (count,) = struct.unpack(">I", self.take(4))
            if count > len(self.data):
                raise AmfError("AMF0 array longer than its message")
            return [self.value(depth + 1) for _ in range(count)]
        if marker == 0x0B:
            timestamp = struct.unpack(">d", self.take(8))[0]
            self.take(2)
            return timestamp
        if marker == 0x0C:
            (length,) = struct.unpack(">I", self.take(4))
            return self.take(length).decode("utf-8", "replace")
        raise AmfError(f"unsupported AMF0 marker 0x{marker:02x}")


def decode_all(data: bytes) -> list[Any]:
    """Every AMF0 value in ``data``, in order."""
    reader = _Reader(data)
    values = []
    while reader.pos < len(data):
        values.append(reader.value())
    return values


def _encode_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def encode(value: Any) -> bytes:
    if value is None:
        return b"\x05"
    if isinstance(value, Undefined):
        return b"\x06"
    if isinstance(value, bool):
        return b"\x01" + (b"\x01" if value else b"\x00")
    if isinstance(value, int | float):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) > 0xFFFF:
            return b"\x0c" + struct.pack(">I", len(raw)) + raw
        return b"\x02" + struct.pack(">H", len(raw)) + raw
    if isinstance(value, dict):
        body = b"".join(_encode_string(str(key)) + encode(item) for key, item in value.items())
        return b"\x03" + body + b"\x00\x00\x09"
    if isinstance(value, list | tuple):
        return b"\x0a" + struct.pack(">I", len(value)) + b"".join(encode(v) for v in value)
    raise TypeError(f"cannot encode {type(value).__name__} as AMF0")


def encode_all(*values: Any) -> bytes:
    return b"".join(encode(value) for value in values)


def encode_ecma_array(values: dict[str, Any]) -> bytes:
    body = b"".join(_encode_string(key) + encode(item) for key, item in values.items())
    return b"\x08" + struct.pack(">I", len(values)) + body + b"\x00\x00\x09"
