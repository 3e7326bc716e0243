"""Decoding the chip portrait (DG2) and other face photos into BGR pixels.

DG2 holds a JPEG or a JPEG 2000 image (`kiosk.cccd.dg2` tells which by its magic
bytes); OpenCV decodes both (JPEG 2000 through its bundled OpenJPEG). A portrait that
does not decode is reported as such, never as "no face"."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.cccd.dg2 import FaceImage, ImageFormat, detect_format


class PortraitError(ValueError):
    """The image bytes are not a decodable JPEG / JPEG 2000 / PNG image."""


def decode_image(data: bytes | FaceImage) -> np.ndarray:
    """BGR uint8 pixels of a JPEG, JPEG 2000 (JP2 file or raw codestream), PNG or BMP."""
    raw = data.image if isinstance(data, FaceImage) else data
    if not raw:
        raise PortraitError("empty image")
    image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        fmt = detect_format(raw)
        kind = fmt.value if fmt else "unknown format"
        raise PortraitError(f"image ({kind}, {len(raw)} bytes) could not be decoded")
    return image


def image_format(data: bytes) -> str:
    """'jpeg', 'jpeg2000' or 'other' (for results and logs: never the bytes)."""
    fmt = detect_format(data)
    return fmt.value if isinstance(fmt, ImageFormat) else "other"
