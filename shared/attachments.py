"""Attachments: what every service with files shares (issue 19).

The settings, the store opened in the lifespan, the request and response bodies, the problems, and
the confirmation step: the object must exist with the declared size and SHA-256, its bytes must be
the declared type (JPEG, PNG, HEIC or PDF), and images are re-encoded without EXIF with a thumbnail.
Each service keeps its own table, rows and history; this module never touches a database.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from shared.errors import Conflict, Forbidden, NotFound, ProblemError, ServiceUnavailable, ValidationFailed
from shared.field_messages import invalid
from shared.i18n import Text
from shared.iso import IsoDateTime, JsonInt
from shared.media import ACCEPTED, HEIC, PDF, NotAcceptedType, clean_image, sniff
from shared.settings import PlatformSettings
from shared.storage import LocalStore, ObjectStore, S3Store, StorageError

AcceptedType = Literal["image/jpeg", "image/png", "image/heic", "application/pdf"]
MIB = 1024 * 1024
UPLOAD_FILE_FIELD = "file"  # the multipart field the file travels in (S3 POST policy and local uploads)
EXAMPLE_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


class AttachmentSettings(PlatformSettings):
    """The store and the limits (each service's own env prefix: `GRID_STORAGE_BACKEND`, ...)."""

    storage_backend: Literal["local", "s3"] = "local"
    storage_local_root: str = ".data/files"  # each service's settings name its own folder
    # where clients reach the local store's signed paths: the gateway in `make run`
    storage_public_url: str = "http://127.0.0.1:8000"
    storage_signing_secret: SecretStr = SecretStr("")  # empty: the internal token secret signs
    s3_bucket: str = "binjiang-files"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    attachment_max_bytes: int = 10 * MIB
    attachment_max_per_item: int = 9
    attachment_upload_seconds: int = 900  # how long an upload target is good for
    attachment_download_seconds: int = 300  # how long a download URL is good for


def build_store(settings: AttachmentSettings, file_prefix: str) -> ObjectStore:
    """The configured store; `file_prefix` is the public path the local store's URLs live under."""
    if settings.storage_backend == "s3":
        secret = settings.s3_secret_access_key
        return S3Store(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    signing = settings.storage_signing_secret.get_secret_value() or settings.internal_token_secret.get_secret_value()
    return LocalStore(
        root=Path(settings.storage_local_root),
        base_url=settings.storage_public_url.rstrip("/") + file_prefix,
        secret=hashlib.sha256(b"local-store\x00" + signing.encode()).digest(),
    )


def object_store(file_prefix: str) -> Any:
    """A lifespan resource publishing the store as `app.state.object_store`."""

    @contextlib.asynccontextmanager
    async def resource(app: FastAPI) -> AsyncIterator[None]:
        store = build_store(app.state.settings, file_prefix)
        if isinstance(store, S3Store):
            await store.open()
        app.state.object_store = store
        try:
            yield
        finally:
            if isinstance(store, S3Store):
                await store.close()

    return resource


# ---------------------------------------------------------------- problems


class AttachmentNotFound(NotFound):
    code = "ATTACHMENT_NOT_FOUND"
    title = Text("附件不存在", "Attachment not found")


class AttachmentLimitReached(Conflict):
    code = "ATTACHMENT_LIMIT_REACHED"
    title = Text("附件数量已达上限", "This item has as many attachments as allowed")


class AttachmentTooLarge(ValidationFailed):
    code = "ATTACHMENT_TOO_LARGE"
    title = Text("文件过大", "The file is larger than allowed")


class AttachmentNotUploaded(Conflict):
    code = "ATTACHMENT_NOT_UPLOADED"
    title = Text("文件尚未上传", "The file has not been uploaded yet")


class AttachmentSizeMismatch(ValidationFailed):
    code = "ATTACHMENT_SIZE_MISMATCH"
    title = Text("文件大小与声明不符", "The uploaded size is not the declared size")


class AttachmentChecksumMismatch(ValidationFailed):
    code = "ATTACHMENT_CHECKSUM_MISMATCH"
    title = Text("文件校验和与声明不符", "The uploaded bytes do not have the declared SHA-256")


class AttachmentTypeMismatch(ValidationFailed):
    code = "ATTACHMENT_TYPE_MISMATCH"
    title = Text("文件内容与声明的类型不符", "The file's bytes are not of the declared type")


class AttachmentUploadExpired(ProblemError):
    status = 410
    code = "ATTACHMENT_UPLOAD_EXPIRED"
    title = Text("上传已过期", "The upload target has expired")


class AttachmentNotYours(Forbidden):
    code = "ATTACHMENT_NOT_YOURS"
    title = Text("只能确认自己的上传", "Only the uploader may confirm an upload")


class AttachmentAlreadyConfirmed(Conflict):
    code = "ATTACHMENT_ALREADY_CONFIRMED"
    title = Text("附件已确认", "The attachment is already confirmed")


class AttachmentEvidenceClosed(Conflict):
    code = "ATTACHMENT_ITEM_CLOSED"
    title = Text("已办结事项的证据只能增加不能删除", "Evidence on a closed item can be added to, not removed")


class UploadTargetInvalid(Forbidden):
    code = "UPLOAD_TARGET_INVALID"
    title = Text("上传或下载链接无效或已过期", "The signed link is invalid or has expired")


class StorageUnavailable(ServiceUnavailable):
    code = "STORAGE_UNAVAILABLE"
    title = Text("文件存储暂不可用", "The file store is unavailable")


def _field(error: type[ProblemError], pointer: str, zh: str, en: str) -> ProblemError:
    return error(Text(zh, en), errors=[{"detail": en, "code": error.code, "pointer": pointer}])


# ---------------------------------------------------------------- bodies


class AttachmentCreateBase(BaseModel):
    """What the client says about the file before it uploads it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, examples=["消防通道.jpg"], description="Shown to people only")
    content_type: AcceptedType = Field(examples=["image/jpeg"])
    size: JsonInt = Field(ge=1, le=1 << 40, examples=[2_048_000], description="Bytes")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", examples=[EXAMPLE_SHA256])

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        name = unicodedata.normalize("NFC", name)
        if _UNSAFE_NAME.search(name) or name.strip(". ") == "" or name.startswith(".") or ".." in name:
            raise invalid("path_like_name", "文件名不得含路径或控制字符", "The name must be a plain file name")
        return name


class UploadForm(BaseModel):
    """Where to send the file: a `multipart/form-data` POST of `fields`, then the file as `file`."""

    url: str
    method: Literal["POST"] = "POST"
    fields: dict[str, str]
    file_field: str = UPLOAD_FILE_FIELD
    max_size: int
    expires_at: IsoDateTime


class AttachmentRead(BaseModel):
    """A confirmed attachment; the links are short-lived."""

    id: uuid.UUID
    name: str
    stage: str | None
    content_type: str = Field(description="What is stored (a HEIC photo is stored as JPEG)")
    size: int = Field(description="Bytes stored (after EXIF was removed)")
    sha256: str = Field(description="SHA-256 of the bytes uploaded")
    width: int | None
    height: int | None
    uploaded_by: str
    confirmed_at: IsoDateTime
    url: str
    thumbnail_url: str | None
    links_expire_at: IsoDateTime


class AttachmentPending(BaseModel):
    """An upload the client must now send to `upload` and then confirm."""

    id: uuid.UUID
    name: str
    stage: str | None
    status: Literal["pending"] = "pending"
    expires_at: IsoDateTime
    upload: UploadForm
    confirm_path: str


# ---------------------------------------------------------------- keys and links


def keys_of(base: str) -> tuple[str, str, str]:
    """The upload, the stored file and the thumbnail of one attachment."""
    return f"{base}/upload", f"{base}/file", f"{base}/thumbnail"


async def upload_form(
    store: ObjectStore, base: str, content_type: str, max_size: int, expires: dt.timedelta
) -> UploadForm:
    try:
        target = await store.upload_target(
            keys_of(base)[0], content_type=content_type, max_size=max_size, expires=expires
        )
    except StorageError as error:
        raise StorageUnavailable() from error
    return UploadForm(url=target.url, fields=target.fields, max_size=max_size, expires_at=target.expires_at)


async def links(
    store: ObjectStore, base: str, name: str, has_thumbnail: bool, expires: dt.timedelta
) -> tuple[str, str | None]:
    _, file_key, thumbnail_key = keys_of(base)
    try:
        url = await store.download_url(file_key, filename=name, expires=expires)
        thumbnail = (
            await store.download_url(thumbnail_key, filename="thumbnail.jpg", expires=expires)
            if has_thumbnail
            else None
        )
    except StorageError as error:
        raise StorageUnavailable() from error
    return url, thumbnail


async def remove_objects(store: ObjectStore, base: str) -> None:
    """Every object of an attachment (missing ones are fine)."""
    for key in keys_of(base):
        with contextlib.suppress(StorageError):
            await store.delete(key)


# ---------------------------------------------------------------- confirmation


@dataclass(frozen=True, slots=True)
class Declared:
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Confirmed:
    content_type: str
    size: int
    width: int | None
    height: int | None
    has_thumbnail: bool


async def confirm_upload(store: ObjectStore, base: str, declared: Declared, max_size: int) -> Confirmed:
    """Check the uploaded object and store its clean copy (and thumbnail) beside it.

    Any refusal deletes the upload, so nothing that failed is kept. The clean copy goes to its own
    key: a second, racing confirmation never removes what the first one stored.
    """
    upload_key, file_key, thumbnail_key = keys_of(base)
    try:
        stored = await store.stat(upload_key)
        if stored is None:
            raise AttachmentNotUploaded(Text("请先上传文件再确认", "Upload the file to its target, then confirm"))
        try:
            _check_size(stored.size, declared, max_size)
            data = await store.read(upload_key, max_size)
            _check_size(len(data), declared, max_size)
            if hashlib.sha256(data).hexdigest() != declared.sha256:
                raise _field(AttachmentChecksumMismatch, "/sha256", "校验和不符", "The bytes do not have this SHA-256")
            confirmed = await asyncio.to_thread(_clean, data, declared.content_type)
            clean, thumbnail, result = confirmed
            await store.put(file_key, clean, result.content_type)
            if thumbnail is not None:
                await store.put(thumbnail_key, thumbnail, "image/jpeg")
        except ProblemError:
            await store.delete(upload_key)
            raise
        await store.delete(upload_key)
    except StorageError as error:
        raise StorageUnavailable() from error
    return result


class PendingRow(Protocol):
    """What a confirmation reads of a service's attachment row."""

    status: str
    uploaded_by: str
    expires_at: dt.datetime
    declared_type: str
    declared_size: int
    sha256: str


async def confirm_pending(
    row: PendingRow, subject: str, store: ObjectStore, base: str, max_size: int, now: dt.datetime
) -> dict[str, object]:
    """The checks of a confirmation, the same for every service: not confirmed yet, by its
    uploader, before its target expired (an expired upload is removed), then the file itself
    (`confirm_upload`). Returns the columns the confirmed row gets."""
    if row.status == "confirmed":
        raise AttachmentAlreadyConfirmed()
    if row.uploaded_by != subject:
        raise AttachmentNotYours()
    if row.expires_at < now:
        await remove_objects(store, base)
        raise AttachmentUploadExpired()
    checked = await confirm_upload(store, base, Declared(row.declared_type, row.declared_size, row.sha256), max_size)
    return {
        "content_type": checked.content_type,
        "size": checked.size,
        "width": checked.width,
        "height": checked.height,
        "has_thumbnail": checked.has_thumbnail,
        "confirmed_at": now,
    }


def _check_size(actual: int, declared: Declared, max_size: int) -> None:
    if actual > max_size:
        raise _field(AttachmentTooLarge, "/size", "文件超过大小上限", f"Files are limited to {max_size} bytes")
    if actual != declared.size:
        raise _field(AttachmentSizeMismatch, "/size", "大小不符", "The uploaded file is not the declared size")


def _clean(data: bytes, declared_type: str) -> tuple[bytes, bytes | None, Confirmed]:
    """The bytes to keep, the thumbnail, what they are (CPU work: run in a thread)."""
    actual = sniff(data[:16])
    if actual is None or actual not in ACCEPTED or actual != declared_type:
        raise _field(AttachmentTypeMismatch, "/content_type", "文件内容与类型不符", "The bytes are not of this type")
    if actual == PDF:
        return data, None, Confirmed(PDF, len(data), None, None, False)
    try:
        image = clean_image(data, actual)
    except NotAcceptedType as error:
        raise _field(AttachmentTypeMismatch, "/content_type", "图片无法读取", "Not a readable image") from error
    kept_type = image.content_type if actual != HEIC else "image/jpeg"
    return image.data, image.thumbnail, Confirmed(kept_type, len(image.data), image.width, image.height, True)


def require_size(size: int, max_size: int) -> None:
    """A declared size beyond the limit, before any target is handed out."""
    if size > max_size:
        raise _field(AttachmentTooLarge, "/size", "文件超过大小上限", f"Files are limited to {max_size} bytes")
