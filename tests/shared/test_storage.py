"""The object-storage port against a real S3-protocol server and the local filesystem."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from shared.media import HEIC, JPEG, PDF, PNG, NotAcceptedType, clean_image, sniff
from shared.storage import InvalidUploadToken, LocalStore, S3Store, StorageError, content_disposition
from tests.support.photos import GPS_TAG, photo_with_gps
from tests.support.s3 import s3_server

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture
async def bucket(s3_url: str) -> AsyncIterator[S3Store]:
    store = S3Store(bucket="evidence", endpoint_url=s3_url, access_key_id="test", secret_access_key="test")
    await store.open()
    try:
        await store.client.create_bucket(Bucket="evidence")
        yield store
    finally:
        await store.close()


async def test_a_presigned_post_upload_is_stored_read_and_downloaded_by_signed_url(bucket: S3Store) -> None:
    data = photo_with_gps()
    target = await bucket.upload_target("hazards/h1/a1", content_type=JPEG, max_size=10 << 20, expires=MINUTE)
    async with httpx.AsyncClient() as client:
        uploaded = await client.post(target.url, data=target.fields, files={"file": ("x.jpg", data, JPEG)})
        assert uploaded.status_code in (200, 204), uploaded.text
        stored = await bucket.stat("hazards/h1/a1")
        assert stored is not None and stored.size == len(data)
        assert await bucket.read("hazards/h1/a1", max_size=len(data)) == data
        with pytest.raises(StorageError):
            await bucket.read("hazards/h1/a1", max_size=len(data) - 1)
        url = await bucket.download_url("hazards/h1/a1", filename="消防通道.jpg", expires=MINUTE)
        downloaded = await client.get(url)
        assert downloaded.status_code == 200 and downloaded.content == data
        assert "filename*=UTF-8''%E6%B6%88%E9%98%B2" in downloaded.headers["content-disposition"]
    await bucket.delete("hazards/h1/a1")
    assert await bucket.stat("hazards/h1/a1") is None


async def test_path_like_keys_never_reach_a_store(bucket: S3Store, tmp_path: Path) -> None:
    local = LocalStore(tmp_path, "http://gateway.test", b"k" * 32)
    for key in ("../../etc/passwd", "/abs", "a/../b", "a//b", "", "名字"):
        with pytest.raises(StorageError):
            await bucket.stat(key)
        with pytest.raises(StorageError):
            await local.put(key, b"x", JPEG)
    assert await asyncio.to_thread(lambda: list(tmp_path.iterdir())) == []


async def test_a_local_upload_token_is_bound_to_its_object_type_size_and_time(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "http://gateway.test/", b"k" * 32)
    target = await store.upload_target("requests/r1/a1", content_type=PDF, max_size=100, expires=MINUTE)
    token = target.url.rsplit("/", 1)[1]
    assert target.url.startswith("http://gateway.test/uploads/")
    with pytest.raises(StorageError):
        await store.accept_upload(token, b"%PDF-1.7", JPEG)  # another type than the target's
    with pytest.raises(StorageError):
        await store.accept_upload(token, b"%" * 101, PDF)  # over its size
    with pytest.raises(StorageError):
        await store.accept_upload(token, b"", PDF)  # zero bytes
    assert await store.stat("requests/r1/a1") is None
    assert await store.accept_upload(token, b"%PDF-1.7", PDF) == "requests/r1/a1"
    assert (await store.stat("requests/r1/a1")) is not None
    with pytest.raises(InvalidUploadToken):
        store.verify(token, "download")  # an upload token is no download link
    with pytest.raises(InvalidUploadToken):
        store.verify(token, "upload", now=dt.datetime.now(dt.UTC) + 2 * MINUTE)  # expired
    with pytest.raises(InvalidUploadToken):
        store.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "upload")  # tampered
    with pytest.raises(InvalidUploadToken):
        LocalStore(tmp_path, "http://gateway.test", b"other" * 8).verify(token, "upload")


def test_types_are_read_from_the_bytes() -> None:
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    assert sniff(photo_with_gps()[:16]) == JPEG
    assert sniff(png.getvalue()[:16]) == PNG
    assert sniff(b"%PDF-1.7\n") == PDF
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00") == HEIC
    assert sniff(b"GIF89a") is None and sniff(b"<svg") is None and sniff(b"") is None
    assert sniff(b"\x00\x00\x00\x18ftypisom") is None  # an MP4 is not a HEIC photo


def test_a_photo_loses_its_gps_position_and_gets_a_thumbnail() -> None:
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_TAG)  # the fixture really has GPS
    clean = clean_image(original, JPEG)
    shown = Image.open(io.BytesIO(clean.data))
    assert dict(shown.getexif()) == {} and "exif" not in shown.info
    assert (clean.width, clean.height) == (900, 1200)  # turned upright as the orientation tag said
    thumbnail = Image.open(io.BytesIO(clean.thumbnail))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 320 and dict(thumbnail.getexif()) == {}


def test_an_iphone_heic_photo_comes_back_as_jpeg_without_metadata() -> None:
    heic = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 200)).save(heic, format="HEIF", exif=Image.Exif().tobytes())
    assert sniff(heic.getvalue()[:16]) == HEIC
    clean = clean_image(heic.getvalue(), HEIC)
    assert clean.content_type == JPEG and Image.open(io.BytesIO(clean.data)).format == "JPEG"


def test_bytes_that_are_not_an_image_are_refused() -> None:
    with pytest.raises(NotAcceptedType):
        clean_image(b"\xff\xd8\xff" + b"not really a jpeg" * 10, JPEG)


def test_content_disposition_keeps_chinese_names_and_an_ascii_fallback() -> None:
    assert content_disposition("整改照片 1.jpg") == (
        "attachment; filename=\"_____1.jpg\"; filename*=UTF-8''%E6%95%B4%E6%94%B9%E7%85%A7%E7%89%87%201.jpg"
    )
