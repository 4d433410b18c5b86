"""Reading one uploaded file from a multipart request, with a hard size limit.

The body is counted while it arrives, so an oversized upload is refused after
at most ``max_bytes`` plus a little multipart framing, whatever Content-Length
claims; the file part itself is spooled by Starlette (memory up to 1 MiB,
then a temporary file), never held whole in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import BinaryIO

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from livecommerce.kit.errors import LiveCommerceError, TooLarge, ValidationFailed

# Room for the multipart boundary, part headers and a few small text fields.
_FRAMING_BYTES = 16 * 1024

UPLOAD_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def _too_large(max_bytes: int) -> TooLarge:
    return TooLarge(f"The file is larger than {max_bytes // 1024} KiB.", code="too_large")


@asynccontextmanager
async def receive_upload(
    request: Request, *, max_bytes: int, field: str = "file"
) -> AsyncIterator[BinaryIO]:
    """Yield the uploaded file of multipart field ``field``, readable from its start."""
    async with receive_named_upload(request, max_bytes=max_bytes, field=field) as upload:
        yield upload.file


@asynccontextmanager
async def receive_named_upload(
    request: Request, *, max_bytes: int, field: str = "file"
) -> AsyncIterator[UploadFile]:
    """``receive_upload`` with the part's file name (as the client sent it, unchecked)."""
    limit = max_bytes + _FRAMING_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(max_bytes)
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise LiveCommerceError(
            f"Send the file as multipart/form-data in the field '{field}'.",
            code="unsupported_media_type",
            status=415,
        )
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(max_bytes)
        return message

    limited = Request(request.scope, counting_receive)
    async with limited.form(max_files=1, max_fields=8) as form:
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            raise ValidationFailed(
                f"Attach the file in the multipart field '{field}'.", code="file_required"
            )
        yield upload
