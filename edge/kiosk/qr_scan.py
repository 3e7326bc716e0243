"""Reading the QR code on the CCCD front from the kiosk camera.

OpenCV's QR detector, tried on the frame and, when that fails, on a contrast-
equalised and an upscaled copy: a card held at arm's length under shop lighting
gives small, tilted, glare-spotted codes, and each variant rescues a share of
them. Only text that parses as a CCCD QR is accepted (anything else in view, a
price tag, a payment QR, is ignored)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import cv2
import numpy as np

from edge.kiosk.person_check import FrameFeed
from kiosk.cccd.errors import QrError
from kiosk.cccd.qr import parse_qr


class QrReader:
    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetector()

    def _variants(self, image: np.ndarray) -> Iterator[np.ndarray]:
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        yield grey
        clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
        yield clahe.apply(grey)
        if max(grey.shape) < 1600:
            yield cv2.resize(grey, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
        yield cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5)

    def read(self, image: np.ndarray) -> str | None:
        """The CCCD QR text in this image, or None."""
        for variant in self._variants(image):
            try:
                text, _, _ = self._detector.detectAndDecode(variant)
            except cv2.error:
                continue
            if text:
                try:
                    parse_qr(text)
                except QrError:
                    continue
                return text
        return None

    def scan(self, frames: FrameFeed, seconds: float) -> str | None:
        """Look at frames until a CCCD QR is read or `seconds` pass."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            image = frames.next_frame(min(left, 0.5))
            if image is not None:
                text = self.read(image)
                if text:
                    return text
