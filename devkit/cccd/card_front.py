"""A rendered CCCD front for tests and the demo: the layout's main parts (header,
portrait, name block) and, top right, the QR code with the card's real QR text.

It is not a copy of the real design, only what a kiosk camera has to cope with:
a QR of the right size in a busy card image. `photographed` puts the card in a
camera scene with tilt, blur and glare, as a citizen holds it to the kiosk."""

from __future__ import annotations

import unicodedata

import cv2
import numpy as np
import segno

from devkit.cccd.testcard import TestPerson, default_portrait

CARD_W, CARD_H = 856, 540  # ID-1 (85.6 x 54 mm) at 10 px/mm


def _ascii(text: str) -> str:
    """OpenCV's fonts are ASCII only: drop the diacritics (đ -> d) for the printed text."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def qr_image(text: str, module_px: int = 4, border: int = 4) -> np.ndarray:
    """The QR code as a grey image (black modules on white)."""
    code = segno.make(text, error="m", micro=False)
    rows = [list(r) for r in code.matrix_iter(scale=1, border=border)]
    matrix = np.array(rows, dtype=np.uint8)
    image = np.where(matrix > 0, 0, 255).astype(np.uint8)
    return cv2.resize(image, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)


def render_front(person: TestPerson, module_px: int = 3) -> np.ndarray:
    """The card front as a BGR image of CARD_W x CARD_H."""
    card = np.full((CARD_H, CARD_W, 3), (236, 226, 214), np.uint8)
    cv2.rectangle(card, (0, 0), (CARD_W, 70), (160, 60, 40), -1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(card, "CONG HOA XA HOI CHU NGHIA VIET NAM", (140, 32), font, 0.7, (255, 255, 255), 2)
    cv2.putText(card, "CAN CUOC CONG DAN", (250, 62), font, 0.7, (255, 255, 255), 2)
    portrait = cv2.imdecode(np.frombuffer(default_portrait(), np.uint8), cv2.IMREAD_COLOR)
    card[110:430, 30:270] = cv2.resize(portrait, (240, 320))
    lines = [
        f"So / No: {person.personal_number}",
        f"Ho va ten: {_ascii(person.full_name)}",
        f"Ngay sinh: {person.date_of_birth:%d/%m/%Y}",
        f"Noi thuong tru: {_ascii(person.place_of_residence)[:34]}",
    ]
    for i, line in enumerate(lines):
        cv2.putText(card, line, (290, 260 + 40 * i), font, 0.62, (40, 30, 30), 2)
    qr = qr_image(person.qr_text(), module_px=module_px, border=2)
    qh, qw = qr.shape
    top, left = 85, CARD_W - qw - 20
    card[top : top + qh, left : left + qw] = cv2.cvtColor(qr, cv2.COLOR_GRAY2BGR)
    return card


def photographed(
    card: np.ndarray,
    *,
    frame_size: tuple[int, int] = (1280, 720),
    tilt_deg: float = 0.0,
    scale: float = 1.0,
    blur_px: float = 0.0,
    glare: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """The card as the kiosk camera sees it: placed in a frame, rotated and perspective-
    tilted by `tilt_deg`, blurred (Gaussian sigma `blur_px`), with a bright glare spot
    of strength `glare` (0-1) and sensor noise."""
    rng = np.random.default_rng(seed)
    fw, fh = frame_size
    frame = np.full((fh, fw, 3), (70, 80, 90), np.uint8)
    h, w = card.shape[:2]
    cw, ch = w * scale, h * scale
    cx, cy = fw / 2, fh / 2
    t = np.deg2rad(tilt_deg)
    squeeze = 1 - 0.3 * abs(np.sin(t))
    corners = np.array(
        [[-cw / 2, -ch / 2], [cw / 2, -ch / 2 * squeeze], [cw / 2, ch / 2 * squeeze], [-cw / 2, ch / 2]]
    )
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    dst = (corners @ rot.T + [cx, cy]).astype(np.float32)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    warp = cv2.getPerspectiveTransform(src, dst)
    cv2.warpPerspective(card, warp, (fw, fh), frame, borderMode=cv2.BORDER_TRANSPARENT)
    if glare > 0:
        yy, xx = np.mgrid[0:fh, 0:fw]
        gx, gy = cx + cw * 0.25, cy - ch * 0.2
        spot = np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (0.12 * cw) ** 2)))
        frame = np.clip(frame + glare * 255 * spot[..., None], 0, 255).astype(np.uint8)
    if blur_px > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), blur_px)
    noise = rng.normal(0, 3, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)
