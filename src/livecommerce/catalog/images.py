"""Uploaded images on disk: checked with Pillow, stored under a random name.

The functions here block (file I/O, decoding headers); services run them in a
worker thread. File names are ``<32 hex>.<ext>``, so a name taken from a URL
can be checked against one pattern before it ever touches the file system.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from livecommerce.kit.errors import LiveCommerceError, TooLarge
from livecommerce.kit.ids import new_id

# Pillow format → (stored extension, content type)
IMAGE_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type in IMAGE_FORMATS.values()}
_FILENAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp|gif)$")
_CHUNK = 64 * 1024
# Refuse images whose pixel count could exhaust memory when a page thumbnails them.
_MAX_PIXELS = 40_000_000


class UnsupportedMediaType(LiveCommerceError):
    status = 415
    code = "unsupported_media_type"


@dataclass(frozen=True)
class StoredImage:
    filename: str
    content_type: str
    size_bytes: int


def is_media_filename(filename: str) -> bool:
    return _FILENAME.fullmatch(filename) is not None


def media_path(directory: Path, filename: str) -> Path | None:
    """The file behind ``filename``, or None when the name is not one we issue."""
    if not is_media_filename(filename):
        return None
    return directory / filename


def store_image(source: BinaryIO, directory: Path, max_bytes: int) -> StoredImage:
    """Copy ``source`` to ``directory`` in chunks, refusing more than ``max_bytes``,
    then keep it only if Pillow recognises a JPEG, PNG, WebP or GIF image."""
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f".{new_id()}.part"
    try:
        size = 0
        with partial.open("wb") as target:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(
                        f"The image is larger than {max_bytes // 1024} KiB.", code="too_large"
                    )
                target.write(chunk)
        if size == 0:
            raise UnsupportedMediaType("The uploaded file is empty.")
        extension, content_type = _identify(partial)
        filename = f"{new_id()}.{extension}"
        partial.rename(directory / filename)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredImage(filename=filename, content_type=content_type, size_bytes=size)


def _identify(path: Path) -> tuple[str, str]:
    refused = UnsupportedMediaType("Only JPEG, PNG, WebP and GIF images are accepted.")
    try:
        with Image.open(path) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise refused from exc
    except Exception as exc:  # Pillow's plugins raise assorted errors on corrupt data
        raise refused from exc
    if image_format not in IMAGE_FORMATS:
        raise refused
    if width * height > _MAX_PIXELS:
        raise TooLarge("The image has too many pixels.", code="too_many_pixels")
    return IMAGE_FORMATS[image_format]


def delete_image(directory: Path, filename: str) -> None:
    path = media_path(directory, filename)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
