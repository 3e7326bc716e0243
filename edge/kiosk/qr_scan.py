"""Reading the QR code on the CCCD front from the kiosk camera.

zxing-cpp (PyPI `zxing-cpp`, Apache-2.0) reads the frame; when that fails, an
unsharp-masked copy: a card held at arm's length gives small, slightly blurred,
tilted, glare-spotted codes, and sharpening rescues the blurred ones. On our
rendered card fronts zxing-cpp read blurred and glare-spotted codes that
OpenCV's QRCodeDetector missed, and in a fraction of its time. Only text
that parses as a CCCD QR is accepted: a payment QR or a price tag in view is
ignored."""

from __future__ import annotations

import time
from collections.abc import Iterator

import cv2
import numpy as np
import zxingcpp

from edge.kiosk.person_check import FrameFeed
from kiosk.cccd.errors import QrError
from kiosk.cccd.qr import parse_qr


def _variants(image: np.ndarray) -> Iterator[np.ndarray]:
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    yield grey
    soft = cv2.GaussianBlur(grey, (0, 0), 2.0)
    yield cv2.addWeighted(grey, 2.0, soft, -1.0, 0)


class QrReader:
    def read(self, image: np.ndarray) -> str | None:
        """The CCCD QR text in this image, or None."""
        for variant in _variants(image):
            for code in zxingcpp.read_barcodes(variant, formats=zxingcpp.BarcodeFormat.QRCode):
                try:
                    parse_qr(code.text)
                except QrError:
                    continue
                return code.text
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
