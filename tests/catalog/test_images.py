from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from livecommerce.catalog.service import catalog_service
from livecommerce.kit.runtime import Runtime
from tests.catalog.helpers import create_product, image_bytes, noisy_png, upload
from tests.factories import sign_up


def stored_files(runtime: Runtime) -> list[str]:
    directory = runtime.settings.uploads_dir
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
async def test_upload_is_stored_and_served(
    client: httpx.AsyncClient,
    runtime: Runtime,
    image_format: str,
    content_type: str,
    extension: str,
) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    content = image_bytes(image_format)
    # The declared name and type do not matter: the content decides.
    response = await upload(
        client,
        f"/api/v1/products/{product['id']}/images",
        merchant,
        content,
        filename="../../etc/passwd.txt",
        content_type="application/octet-stream",
    )
    assert response.status_code == 201, response.text
    image = response.json()
    match = re.fullmatch(r"/media/([0-9a-f]{32})\.(\w+)", image["url"])
    assert match is not None
    assert match.group(2) == extension
    assert image["content_type"] == content_type
    assert image["size_bytes"] == len(content)
    assert image["position"] == 0
    assert stored_files(runtime) == [f"{match.group(1)}.{extension}"]

    served = await client.get(image["url"])
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"] == content_type
    assert served.headers["x-content-type-options"] == "nosniff"

    fetched = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert fetched["cover_url"] == image["url"]
    assert fetched["images"] == [image]


async def test_text_named_png_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    response = await upload(
        client,
        f"/api/v1/products/{product['id']}/images",
        merchant,
        b"<html><script>alert(1)</script></html>\n" * 10,
        filename="cat.png",
        content_type="image/png",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert stored_files(runtime) == []
    assert (await client.get(f"/api/v1/products/{product['id']}")).json()["images"] == []


async def test_other_image_formats_and_empty_files_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    url = f"/api/v1/products/{product['id']}/images"
    for content in (image_bytes("BMP"), image_bytes("PNG")[:40], b""):
        response = await upload(client, url, merchant, content)
        assert response.status_code == 415, response.text
        assert response.json()["code"] == "unsupported_media_type"
    assert stored_files(runtime) == []


async def test_oversized_upload_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    runtime.settings.upload_max_bytes = 4096
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    url = f"/api/v1/products/{product['id']}/images"
    big = noisy_png(4097)
    response = await upload(client, url, merchant, big)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert stored_files(runtime) == []
    small = await upload(client, url, merchant, image_bytes("PNG"))
    assert small.status_code == 201


async def test_oversized_stream_without_length_is_cut_off(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    runtime.settings.upload_max_bytes = 4096
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    sent = 0

    async def endless_body() -> AsyncIterator[bytes]:
        nonlocal sent
        head = (
            b"--b0undary\r\n"
            b'Content-Disposition: form-data; name="file"; filename="big.png"\r\n'
            b"Content-Type: image/png\r\n\r\n"
        )
        yield head
        for _ in range(2000):  # up to 128 MiB if nobody stops reading
            sent += 65536
            yield b"\0" * 65536

    response = await client.post(
        f"/api/v1/products/{product['id']}/images",
        content=endless_body(),
        headers={**merchant.headers, "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert sent < 1024 * 1024
    assert stored_files(runtime) == []


async def test_declared_length_over_limit_is_refused_up_front(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    limit = runtime.settings.upload_max_bytes
    response = await upload(
        client, f"/api/v1/products/{product['id']}/images", merchant, b"\0" * (limit + 20_000)
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


async def test_missing_file_and_wrong_body(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    url = f"/api/v1/products/{product['id']}/images"
    missing = await client.post(
        url, data={"note": "x"}, files={"other": ("a.png", b"x")}, headers=merchant.headers
    )
    assert missing.status_code == 422
    assert missing.json()["code"] == "file_required"
    as_json = await client.post(url, json={"file": "x"}, headers=merchant.headers)
    assert as_json.status_code == 415
    assert as_json.json()["code"] == "unsupported_media_type"


async def test_upload_ownership_and_delete(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await sign_up(client, "merchant")
    other = await sign_up(client, "merchant")
    product = await create_product(client, owner)
    url = f"/api/v1/products/{product['id']}/images"
    forbidden = await upload(client, url, other, image_bytes())
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "not_product_owner"
    first = (await upload(client, url, owner, image_bytes())).json()
    second = (await upload(client, url, owner, image_bytes("JPEG"))).json()
    assert (first["position"], second["position"]) == (0, 1)

    other_delete = await client.delete(f"{url}/{first['id']}", headers=other.headers)
    assert other_delete.status_code == 403
    deleted = await client.delete(f"{url}/{first['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(first["url"])).status_code == 404
    assert (await client.get(second["url"])).status_code == 200
    assert stored_files(runtime) == [second["url"].removeprefix("/media/")]
    again = await client.delete(f"{url}/{first['id']}", headers=owner.headers)
    assert again.status_code == 404
    assert again.json()["code"] == "image_not_found"
    fetched = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert fetched["cover_url"] == second["url"]


@pytest.mark.parametrize(
    "name", ["nope.png", "..%2F..%2Fetc%2Fpasswd", f"{'a' * 32}.exe", f"{'A' * 32}.png"]
)
async def test_media_names_are_checked(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/media/{name}")
    assert response.status_code == 404
    assert response.json()["code"] in {"media_not_found", "not_found"}


async def test_rolled_back_upload_leaves_no_file(runtime: Runtime) -> None:
    async def store_then_fail() -> None:
        async with runtime.db.transaction() as session:
            await catalog_service.do_store_upload(session, io.BytesIO(image_bytes()))
            assert len(stored_files(runtime)) == 1
            raise RuntimeError("the row could not be saved")

    with pytest.raises(RuntimeError):
        await store_then_fail()
    assert stored_files(runtime) == []

    async with runtime.db.transaction() as session:
        kept = await catalog_service.do_store_upload(session, io.BytesIO(image_bytes()))
    assert stored_files(runtime) == [kept.filename]
