"""What an uploaded file really is, and images made safe to show: EXIF gone, a thumbnail made.

A file's type is read from its first bytes, never from its name or the type the client claimed.
Four magic numbers are all we accept, so the check is ours rather than a library's guess list.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

JPEG, PNG, HEIC, PDF = "image/jpeg", "image/png", "image/heic", "application/pdf"
ACCEPTED = (JPEG, PNG, HEIC, PDF)
THUMBNAIL_EDGE = 320
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")


class NotAcceptedType(ValueError):
    """The bytes are not one of the accepted types, or not the type the client said."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    data: bytes
    content_type: str
    thumbnail: bytes  # always JPEG
    width: int
    height: int


def sniff(head: bytes) -> str | None:
    """The accepted type these first bytes begin, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return HEIC
    return None


def clean_image(data: bytes, content_type: str) -> CleanImage:
    """Re-encode without metadata (GPS, camera, comments), upright, with a JPEG thumbnail.

    HEIC photos (iPhones) come back as JPEG, which every client can show.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise NotAcceptedType("image too large")
            image = ImageOps.exif_transpose(opened)  # keep what the orientation tag meant, then drop it
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise NotAcceptedType("not a readable image") from error
    output = io.BytesIO()
    if content_type == PNG:
        image.save(output, format="PNG", optimize=True)  # no text chunks, no EXIF
        stored_type = PNG
    else:
        image.convert("RGB").save(output, format="JPEG", quality=88)  # no exif= argument: none written
        stored_type = JPEG
    thumbnail = image.convert("RGB")
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    small = io.BytesIO()
    thumbnail.save(small, format="JPEG", quality=80)
    return CleanImage(output.getvalue(), stored_type, small.getvalue(), image.width, image.height)
