"""The local store's signed upload and download paths, served by the service that owns the files.

`POST {prefix}/uploads/{token}` takes the file (`multipart/form-data` with the file in `file`, the
form `wx.uploadFile` sends, or the raw bytes); `GET {prefix}/downloads/{token}` returns a stored
file. The token is the credential: an HMAC the service signed for one object key, one purpose, one
type and size limit, and an expiry (`shared.storage.LocalStore`). These paths take no identity; the
gateway forwards them without credentials and with the upload limit instead of the 1 MiB body limit
(docs/storage.md, "Through the gateway"). The signature is checked before the body is read.

With an S3 store the client talks to the bucket and both paths answer 404.
"""

from __future__ import annotations

import email
import email.policy
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from shared.attachments import UPLOAD_FILE_FIELD, UploadTargetInvalid
from shared.errors import NotFound, ValidationFailed
from shared.i18n import Text
from shared.media import sniff
from shared.storage import InvalidUploadToken, LocalStore, StorageError, content_disposition

Token = Annotated[str, Path(min_length=10, max_length=2000, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries and part headers around the file


def file_paths(prefix: str) -> frozenset[str]:
    """The two public paths (route templates) under `prefix`, for the role table's list of public paths."""
    return frozenset({f"{prefix}/uploads/{{token}}", f"{prefix}/downloads/{{token}}"})


def _local(request: Request) -> LocalStore:
    store = request.app.state.object_store
    if not isinstance(store, LocalStore):
        raise NotFound()
    return store


def _file_of(body: bytes, content_type: str) -> bytes:
    """The file of a multipart form (the part named `file`), or the raw body."""
    if not content_type.lower().startswith("multipart/form-data"):
        return body
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body, policy=email.policy.HTTP
    )
    if message.is_multipart():
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == UPLOAD_FILE_FIELD:
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    return payload
    detail = Text("表单中缺少 file 字段", "The form has no `file` part")
    raise ValidationFailed(detail, errors=[{"detail": detail.en, "code": "FILE_PART_MISSING", "pointer": "/file"}])


def local_file_router(prefix: str) -> APIRouter:
    """The two signed paths under `prefix` (`/v1/grid-files`).

    Hidden from OpenAPI: their URLs are handed out signed, never built by a client."""
    router = APIRouter(prefix=prefix, include_in_schema=False)

    @router.post("/uploads/{token}", status_code=204, summary="Upload a file to a signed local target")
    async def upload(token: Token, request: Request) -> Response:
        """The file's bytes; 204 once stored (the item shows it only after its confirmation)."""
        store = _local(request)
        try:
            claims = store.verify(token, "upload")  # before a byte of the body is read
        except InvalidUploadToken as error:
            raise UploadTargetInvalid() from error
        data = _file_of(await request.body(), request.headers.get("content-type", ""))
        try:
            await store.accept_upload(token, data, str(claims["t"]))
        except InvalidUploadToken as error:
            raise UploadTargetInvalid() from error
        except StorageError as error:
            detail = Text("文件为空或超过上传目标允许的大小", "The file is empty or larger than its target allows")
            raise ValidationFailed(
                detail, errors=[{"detail": detail.en, "code": "UPLOAD_SIZE", "pointer": "/file"}]
            ) from error
        return Response(status_code=204)

    @router.get("/downloads/{token}", summary="Download a file by its signed link")
    async def download(token: Token, request: Request) -> Response:
        """The stored file with its name in `Content-Disposition`."""
        store = _local(request)
        try:
            claims = store.verify(token, "download")
            data = await store.read(str(claims["k"]), 64 * 1024 * 1024)
        except InvalidUploadToken as error:
            raise UploadTargetInvalid() from error
        except (StorageError, OSError) as error:
            raise NotFound() from error
        return Response(
            data,
            media_type=sniff(data[:16]) or "application/octet-stream",
            headers={
                "Content-Disposition": content_disposition(str(claims.get("f") or "file")),
                "Cache-Control": "private, max-age=300",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router
