"""Intersection-camera frames composited from real plates, for training and benchmarks.

An intersection camera is mounted high over the road: it sees many vehicles at once,
from above and behind, and a plate is 40-90 px wide in a 1080p frame (15-35 px on a
640x480 camera). The dev scenes are parking-gate close-ups, so this module builds
frames at intersection scale from them:

* **vehicles**: the region around each labelled plate of a dev scene (the rear of the
  car or motorbike, its real plate in place) is cut out, tilted as seen from above
  (vertical squash, a little rotation and perspective) and scaled so that its plate is
  the width asked for;
* **backgrounds** (`RoadBackgrounds`): procedurally drawn asphalt with lane lines, a
  stop line and a zebra crossing under a random perspective, the dev scenes
  themselves (real Vietnamese roadside and gate frames), and frames of OpenCV's
  sample video `vtest.avi` (pedestrians on a pavement seen from a high camera;
  BSD-3-Clause, Intel, OpenCV sample data) from Debian's `opencv-doc`, which
  `scripts/setup.sh` installs. The file's sha256 is pinned (`VTEST_SHA256`) and a
  missing or different file is an error, not a silent fallback: a training or
  benchmark run that quietly lost a third of its backgrounds would give other figures
  on a fresh machine. The shared traffic clips are never used here: their terms forbid
  training on them;
* **camera**: motion blur along the direction of travel, low light, sensor noise,
  JPEG compression (`degrade`).

Which dev scenes are used is the caller's choice: the detector trains on composites
of the training split only, and the benchmarks build theirs from the held-out scenes
(`models/train/split.py`), so a benchmark composite never shows a plate trained on."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
VTEST_SHA256 = "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"  # opencv-doc 4.6.0
VTEST_STRIDE = 40  # every 40th of its 795 frames: 20 backgrounds


def vtest_frames(path: Path = VTEST, *, stride: int = VTEST_STRIDE) -> list[np.ndarray]:
    """Every `stride`-th frame of OpenCV's `vtest.avi`, after checking the file is the
    pinned one (a different file would change every composite drawn from it)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"road background video {path} is missing: it comes from Debian's opencv-doc, "
            "which scripts/setup.sh installs (apt-get install opencv-doc)"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != VTEST_SHA256:
        raise ValueError(f"road background video {path} has sha256 {digest}, expected {VTEST_SHA256}")
    cap = cv2.VideoCapture(str(path))
    frames = []
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % stride == 0:
            frames.append(frame)
        i += 1
    cap.release()
    if not frames:
        raise ValueError(f"road background video {path} decoded to no frame")
    return frames


@dataclass(frozen=True)
class Vehicle:
    """A vehicle's rear cut from a real frame, with its plate's box inside the patch."""

    patch: np.ndarray
    plate: tuple[float, float, float, float]
    text: str


def cut_vehicle(frame: np.ndarray, box: tuple[int, int, int, int], text: str) -> Vehicle:
    """The region around a plate: ~3.2 plate widths across and down to ~2.4 above it,
    clipped to the frame (what a camera above and behind sees of the vehicle)."""
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = box
    pw, ph = x2 - x1, y2 - y1
    size = max(pw, 1.6 * ph)
    cx1, cx2 = max(0, int(x1 - 1.1 * size)), min(w, int(x2 + 1.1 * size))
    cy1, cy2 = max(0, int(y1 - 1.6 * size)), min(h, int(y2 + 0.5 * size))
    patch = frame[cy1:cy2, cx1:cx2].copy()
    return Vehicle(patch, (x1 - cx1, y1 - cy1, x2 - cx1, y2 - cy1), text)


def _warp_points(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float32), m).reshape(-1, 2)


def place_vehicle(
    rng: random.Random,
    canvas: np.ndarray,
    vehicle: Vehicle,
    plate_width: float,
    at: tuple[float, float],
    *,
    tilt: float | None = None,
    avoid: list[tuple[float, float, float, float]] = (),  # type: ignore[assignment]
) -> tuple[float, float, float, float] | None:
    """Paste `vehicle` into `canvas` (in place) with its plate centred near `at` and
    about `plate_width` px wide, seen from above (`tilt`: vertical squash 0.55-1);
    return the plate's box in the canvas, or None when the plate would leave it or
    the vehicle would cover a plate in `avoid`."""
    H, W = canvas.shape[:2]
    ph, pw = vehicle.patch.shape[:2]
    px1, py1, px2, py2 = vehicle.plate
    scale = plate_width / max(1.0, px2 - px1)
    squash = tilt if tilt is not None else rng.uniform(0.55, 1.0)
    angle = np.deg2rad(rng.uniform(-9, 9))
    shear = rng.uniform(-0.15, 0.15)
    pcx, pcy = (px1 + px2) / 2, (py1 + py2) / 2
    # patch -> canvas: move the plate centre to the origin, scale, squash, shear, rotate
    c, s = np.cos(angle), np.sin(angle)
    a = np.array([[c, -s], [s, c]]) @ np.array([[1, shear], [0, squash]]) * scale
    t = np.array(at) - a @ np.array([pcx, pcy])
    m = np.array([[a[0, 0], a[0, 1], t[0]], [a[1, 0], a[1, 1], t[1]], [0, 0, 1]], np.float64)
    # a little perspective: the far edge of the vehicle a few percent narrower
    k = rng.uniform(0.0, 0.06)
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    dst = _warp_points(m, src)
    dst[0, 0] += k * (dst[1, 0] - dst[0, 0])
    dst[1, 0] -= k * (dst[1, 0] - dst[0, 0])
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    corners = _warp_points(m, np.float32([[px1, py1], [px2, py1], [px2, py2], [px1, py2]]))
    box = (
        float(corners[:, 0].min()),
        float(corners[:, 1].min()),
        float(corners[:, 0].max()),
        float(corners[:, 1].max()),
    )
    if box[0] < 1 or box[1] < 1 or box[2] > W - 2 or box[3] > H - 2:
        return None
    # warp only the canvas region the patch lands in
    outline = _warp_points(m, src)
    x0, y0 = max(0, int(outline[:, 0].min())), max(0, int(outline[:, 1].min()))
    x1, y1 = min(W, int(np.ceil(outline[:, 0].max())) + 1), min(H, int(np.ceil(outline[:, 1].max())) + 1)
    if x1 <= x0 or y1 <= y0 or any(_overlaps((x0, y0, x1, y1), b) for b in avoid):
        return None
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    local = shift @ m
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(vehicle.patch, local, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), local, size)
    mask = cv2.GaussianBlur(mask, (5, 5), 0).astype(np.float32)[..., None] / 255.0
    region = canvas[y0:y1, x0:x1]
    region[:] = (region * (1 - mask) + warped * mask).astype(np.uint8)
    return box


def draw_road(rng: random.Random, size: tuple[int, int]) -> np.ndarray:
    """Asphalt with lane lines, a stop line and a zebra crossing, seen from a high camera."""
    W, H = size
    base = rng.uniform(70, 150)
    img = np.full((H, W, 3), base, np.float32)
    img += np.float32([rng.uniform(-8, 8), rng.uniform(-6, 6), rng.uniform(-8, 8)])
    gen = np.random.default_rng(rng.randrange(1 << 30))
    grain = cv2.GaussianBlur(gen.normal(0, 14, (H // 2 + 1, W // 2 + 1)).astype(np.float32), (0, 0), 1.2)
    img += cv2.resize(grain, (W, H))[..., None]
    img += np.linspace(rng.uniform(-25, 0), rng.uniform(0, 25), H, dtype=np.float32)[:, None, None]
    paint = (rng.uniform(190, 240),) * 3
    lanes = rng.randint(2, 6)
    horizon = rng.uniform(-0.6, 0.1) * H
    for i in range(lanes + 1):  # lane lines converging towards a point above the frame
        xb = W * (i / lanes) * rng.uniform(0.9, 1.1)
        xt = W / 2 + (xb - W / 2) * rng.uniform(0.3, 0.6)
        if i % lanes and rng.random() < 0.7:
            for y in range(int(horizon), H, 60):
                f0, f1 = (y - horizon) / (H - horizon), (y + 30 - horizon) / (H - horizon)
                p0 = (int(xt + (xb - xt) * f0), y)
                p1 = (int(xt + (xb - xt) * f1), y + 30)
                cv2.line(img, p0, p1, paint, max(2, W // 300))
        else:
            cv2.line(img, (int(xt), int(horizon)), (int(xb), H), paint, max(2, W // 250))
    if rng.random() < 0.7:
        y = int(H * rng.uniform(0.3, 0.8))
        cv2.line(img, (0, y), (W, y + int(rng.uniform(-0.05, 0.05) * H)), paint, max(3, H // 80))
        if rng.random() < 0.7:
            stripe = max(6, W // 60)
            yz = y + int(H * rng.uniform(0.04, 0.1))
            for x in range(0, W, 2 * stripe):
                cv2.rectangle(img, (x, yz), (x + stripe, yz + int(H * 0.08)), paint, -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def erase_boxes(frame: np.ndarray, boxes) -> np.ndarray:
    """A copy of `frame` with the given (plate) boxes inpainted away: a background must
    not show a plate that carries no label."""
    mask = np.zeros(frame.shape[:2], np.uint8)
    for x1, y1, x2, y2 in boxes:
        dx, dy = 0.1 * (x2 - x1) + 2, 0.15 * (y2 - y1) + 2
        cv2.rectangle(mask, (int(x1 - dx), int(y1 - dy)), (int(x2 + dx), int(y2 + dy)), 255, -1)
    return cv2.inpaint(frame, mask, 5, cv2.INPAINT_TELEA)


class RoadBackgrounds:
    """Backgrounds to paste vehicles on: drawn roads, real dev-scene frames (their
    plates erased, `erase_boxes`) and frames of OpenCV's `vtest.avi` sample
    (`vtest_frames`; see the module docstring). The set is the same on every machine
    set up by `scripts/setup.sh`, or the constructor raises."""

    def __init__(self, frames: list[np.ndarray], *, use_vtest: bool = True, vtest: Path = VTEST) -> None:
        self.frames = list(frames)
        if use_vtest:
            self.frames += vtest_frames(vtest)

    def draw(self, rng: random.Random, size: tuple[int, int]) -> np.ndarray:
        W, H = size
        if not self.frames or rng.random() < 0.55:
            return draw_road(rng, size)
        src = self.frames[rng.randrange(len(self.frames))]
        sh, sw = src.shape[:2]
        scale = max(W / sw, H / sh) * rng.uniform(1.0, 1.6)
        big = cv2.resize(src, (int(sw * scale) + 1, int(sh * scale) + 1), interpolation=cv2.INTER_LINEAR)
        x0 = rng.randint(0, big.shape[1] - W)
        y0 = rng.randint(0, big.shape[0] - H)
        return big[y0 : y0 + H, x0 : x0 + W].copy()


def motion_blur(img: np.ndarray, length: float, angle_deg: float) -> np.ndarray:
    """Linear motion blur of `length` px along `angle_deg`."""
    n = max(1, round(length))
    if n < 2:
        return img
    k = np.zeros((n, n), np.float32)
    c = (n - 1) / 2
    a = np.deg2rad(angle_deg)
    for i in range(n):
        t = i - c
        k[round(c + t * np.sin(a)), round(c + t * np.cos(a))] = 1.0
    return cv2.filter2D(img, -1, k / k.sum())


def degrade(rng: random.Random, img: np.ndarray, *, strength: float = 1.0) -> np.ndarray:
    """Intersection-camera look: motion blur (mostly along the road), low light or
    haze, sensor noise and H.264-like JPEG compression."""
    out = img
    if rng.random() < 0.5 * strength:
        out = motion_blur(out, rng.uniform(2, 2 + 4 * strength), rng.uniform(60, 120))
    f = out.astype(np.float32)
    if rng.random() < 0.3 * strength:  # dusk / night: dark, contrast lost, noise up
        f = 255 * (f / 255) ** rng.uniform(1.4, 2.4) * rng.uniform(0.6, 0.9)
        f += np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(3, 8), f.shape)
    elif rng.random() < 0.3:
        f = f * rng.uniform(0.75, 0.95) + rng.uniform(10, 40)  # haze
    if rng.random() < 0.4:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.4, 0.9 + 0.5 * strength))
    out = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.8:
        q = int(rng.uniform(90 - 60 * strength, 92))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, max(15, q)])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


@dataclass(frozen=True)
class PlacedPlate:
    box: tuple[float, float, float, float]
    text: str


def compose(
    rng: random.Random,
    size: tuple[int, int],
    vehicles: list[Vehicle],
    background: np.ndarray,
    *,
    count: int,
    plate_width: tuple[float, float],
) -> tuple[np.ndarray, list[PlacedPlate]]:
    """Paste `count` vehicles onto a copy of `background` (size (W, H)), plates
    `plate_width` px wide (wider towards the bottom of the frame, as a camera looking
    down the road sees them), no vehicle covering another's plate."""
    W, H = size
    canvas = background.copy()
    ys = sorted(rng.uniform(0.15, 0.95) * H for _ in range(count))
    placed: list[PlacedPlate] = []
    lo, hi = plate_width
    for y in ys:
        depth = (y / H - 0.15) / 0.8
        width = lo + (hi - lo) * min(1.0, max(0.0, depth + rng.uniform(-0.25, 0.25)))
        vehicle = vehicles[rng.randrange(len(vehicles))]
        for _ in range(6):
            at = (rng.uniform(0.05, 0.95) * W, y)
            box = place_vehicle(rng, canvas, vehicle, width, at, avoid=[p.box for p in placed])
            if box is not None:
                placed.append(PlacedPlate(box, vehicle.text))
                break
    return canvas, placed


def training_composite(
    rng: random.Random,
    backgrounds: RoadBackgrounds,
    vehicles: list[Vehicle],
    size: tuple[int, int],
    plate_width: tuple[float, float],
) -> tuple[np.ndarray, list[PlacedPlate]]:
    """One detector training sample (`models/train/small_plates.py`): a background,
    2-14 vehicles whose plates span a random part of `plate_width`, camera degradation.
    Every random choice comes from `rng`, so a seed fixes the whole sample."""
    bg = backgrounds.draw(rng, size)
    lo = rng.uniform(plate_width[0], 40)
    hi = rng.uniform(lo + 5, plate_width[1])
    img, placed = compose(rng, size, vehicles, bg, count=rng.randint(2, 14), plate_width=(lo, hi))
    return degrade(rng, img), placed


def vehicles_of(scenes: dict, scenes_dir: Path) -> tuple[list[Vehicle], list[np.ndarray]]:
    """Vehicle cuts around every labelled plate of `scenes` (file -> labels with `box`
    and `text`, as `models.train.split` gives them), and the frames with their plates
    erased (backgrounds)."""
    vehicles, frames = [], []
    for f, labels in sorted(scenes.items()):
        frame = cv2.imread(str(scenes_dir / f))
        frames.append(erase_boxes(frame, [lab.box for lab in labels]))
        vehicles += [cut_vehicle(frame, lab.box, lab.text) for lab in labels]
    return vehicles, frames


def _overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])
