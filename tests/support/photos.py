"""Files for the attachment tests: a phone photo with a GPS position, a PNG, a PDF, an iPhone HEIC."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

GPS_TAG = 0x8825


def photo_with_gps(size: tuple[int, int] = (1200, 900), seed: int = 0) -> bytes:
    """A JPEG with camera make, an orientation tag (rotate 90°) and a GPS position in its EXIF."""
    image = Image.new("RGB", size, (200, 80 + seed % 100, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (30.0, 12.0, 30.0), 3: "E", 4: (120.0, 12.0, 30.0)})
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def noisy_photo(megabytes: float, seed: int = 0) -> bytes:
    """A JPEG of about `megabytes` MB (random noise does not compress), with GPS in its EXIF."""
    import random

    rng = random.Random(seed)
    edge = int((megabytes * 1_100_000) ** 0.5)  # noise at quality 90 is about 0.9 bytes a pixel
    image = Image.frombytes("RGB", (edge, edge), rng.randbytes(edge * edge * 3))
    exif = Image.Exif()
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (30.0, 12.0, 30.0), 3: "E", 4: (120.0, 12.0, 30.0)})
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=90, exif=exif)
    return output.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(output, format="PNG")
    return output.getvalue()


def heic(size: tuple[int, int] = (640, 480)) -> bytes:
    output = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (30.0, 12.0, 30.0)})
    Image.new("RGB", size, (10, 120, 200)).save(output, format="HEIF", exif=exif.tobytes())
    return output.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
