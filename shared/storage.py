"""Object storage for attachments: one port, two stores.

`S3Store` speaks the S3 API (Aliyun OSS, Tencent COS, MinIO, Ceph) through aiobotocore;
`LocalStore` keeps files under a folder (the embedded default of `make run`). Uploads never pass
through the gateway: a client is handed a short-lived signed target (an S3 presigned POST policy,
which `wx.uploadFile` can send, or for the local store a URL the service signs and serves).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,511}$")


class StorageError(Exception):
    """A store refused or failed an operation (the caller maps it to a Problem)."""


class InvalidUploadToken(StorageError):
    """A local upload target that was not ours, was for another object, or has expired."""


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """Where and how the client uploads: POST `url` as multipart with `fields`, the file last."""

    url: str
    fields: dict[str, str]
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StoredObject:
    size: int
    content_type: str | None


class ObjectStore(Protocol):
    """What the attachment code needs of a store."""

    async def upload_target(
        self, key: str, *, content_type: str, max_size: int, expires: dt.timedelta
    ) -> UploadTarget: ...

    async def stat(self, key: str) -> StoredObject | None: ...

    async def read(self, key: str, max_size: int) -> bytes: ...

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def download_url(self, key: str, *, filename: str, expires: dt.timedelta) -> str: ...


def checked_key(key: str) -> str:
    """Keys are made by the platform, never from a client's file name; refuse anything path-like."""
    if not SAFE_KEY.match(key) or ".." in key or "//" in key:
        raise StorageError("unsafe object key")
    return key


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the UTF-8 name (Chinese file names survive)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@dataclass
class S3Store:
    """A bucket behind the S3 API; the client is opened in the app's lifespan and closed with it."""

    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    _client: S3Client | None = field(default=None, init=False, repr=False)
    _context: Any = field(default=None, init=False, repr=False)

    async def open(self) -> None:
        session = get_session()
        self._context = session.create_client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=AioConfig(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        self._client = await self._context.__aenter__()

    async def close(self) -> None:
        if self._context is not None:
            await self._context.__aexit__(None, None, None)
            self._client = self._context = None

    @property
    def client(self) -> S3Client:
        if self._client is None:
            raise StorageError("the store is not open")
        return self._client

    async def upload_target(self, key: str, *, content_type: str, max_size: int, expires: dt.timedelta) -> UploadTarget:
        post = await self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=checked_key(key),
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
            ExpiresIn=int(expires.total_seconds()),
        )
        return UploadTarget(post["url"], dict(post["fields"]), dt.datetime.now(dt.UTC) + expires)

    async def stat(self, key: str) -> StoredObject | None:
        try:
            head = await self.client.head_object(Bucket=self.bucket, Key=checked_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError("the object store failed") from error
        return StoredObject(int(head["ContentLength"]), head.get("ContentType"))

    async def read(self, key: str, max_size: int) -> bytes:
        response = await self.client.get_object(Bucket=self.bucket, Key=checked_key(key), Range=f"bytes=0-{max_size}")
        async with response["Body"] as body:
            data = await body.read()
        if len(data) > max_size:
            raise StorageError("object larger than allowed")
        return data

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self.client.put_object(Bucket=self.bucket, Key=checked_key(key), Body=data, ContentType=content_type)

    async def delete(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=checked_key(key))

    async def download_url(self, key: str, *, filename: str, expires: dt.timedelta) -> str:
        return await self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": checked_key(key),
                "ResponseContentDisposition": content_disposition(filename),
            },
            ExpiresIn=int(expires.total_seconds()),
        )


@dataclass
class LocalStore:
    """Files under `root`; upload and download URLs are HMAC-signed paths the service serves itself.

    `base_url` is where those paths are reached: the gateway's address and the service's file prefix
    (`http://127.0.0.1:8000/v1/grid-files` in `make run`); uploads go to `{base_url}/uploads/<token>`,
    downloads come from `{base_url}/downloads/<token>` (`shared/file_routes.py` serves both).
    """

    root: Path
    base_url: str
    secret: bytes

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def sign(self, purpose: str, key: str, expires_at: dt.datetime, **extra: object) -> str:
        claims = {"p": purpose, "k": key, "e": int(expires_at.timestamp()), **extra}
        body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=")
        mac = base64.urlsafe_b64encode(hmac.new(self.secret, body, hashlib.sha256).digest()).rstrip(b"=")
        return f"{body.decode()}.{mac.decode()}"

    def verify(self, token: str, purpose: str, now: dt.datetime | None = None) -> dict[str, Any]:
        """The claims of a token this store signed for `purpose` that has not expired."""
        body, _, mac = token.partition(".")
        expected = base64.urlsafe_b64encode(hmac.new(self.secret, body.encode(), hashlib.sha256).digest()).rstrip(b"=")
        if not hmac.compare_digest(expected, mac.encode()):
            raise InvalidUploadToken()
        try:
            claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError as error:
            raise InvalidUploadToken() from error
        if claims.get("p") != purpose or (now or dt.datetime.now(dt.UTC)).timestamp() > claims.get("e", 0):
            raise InvalidUploadToken()
        return claims

    async def upload_target(self, key: str, *, content_type: str, max_size: int, expires: dt.timedelta) -> UploadTarget:
        expires_at = dt.datetime.now(dt.UTC) + expires
        token = self.sign("upload", checked_key(key), expires_at, t=content_type, m=max_size)
        return UploadTarget(f"{self.base_url.rstrip('/')}/uploads/{token}", {}, expires_at)

    async def accept_upload(self, token: str, data: bytes, content_type: str) -> str:
        """Store the bytes of a local upload; the key, or `InvalidUploadToken`/`StorageError`."""
        claims = self.verify(token, "upload")
        if content_type != claims["t"] or not 0 < len(data) <= claims["m"]:
            raise StorageError("the upload does not match its target")
        await self.put(claims["k"], data, content_type)
        return str(claims["k"])

    async def stat(self, key: str) -> StoredObject | None:
        path = self._path(key)
        return StoredObject(path.stat().st_size, None) if path.is_file() else None

    async def read(self, key: str, max_size: int) -> bytes:
        def read_at_most() -> bytes:
            with self._path(key).open("rb") as file:
                return file.read(max_size + 1)

        data = await asyncio.to_thread(read_at_most)  # file I/O off the event loop
        if len(data) > max_size:
            raise StorageError("object larger than allowed")
        return data

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        await asyncio.to_thread(write)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def download_url(self, key: str, *, filename: str, expires: dt.timedelta) -> str:
        token = self.sign("download", checked_key(key), dt.datetime.now(dt.UTC) + expires, f=filename)
        return f"{self.base_url.rstrip('/')}/downloads/{token}"
