"""Turn what the vision pipeline saw into contract events (`edge.contract.bodies`).

`plate`: one per finished track, with a JPEG crop of the plate as an attachment and,
only if configured, a full-frame snapshot. `presence`: the face count in a zone
changed (after it held for a few frames, so one blink of the detector is not an
event). `presence_summary`: periodic max/mean per zone. Faces are counted, never
sent: face crops are attached only when the config explicitly asks for them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import cv2
import numpy as np

from edge.contract.bodies import PlateBody, PlateCandidate, PresenceBody, PresenceSummaryBody
from edge.events import Attachment, EventDraft, Priority
from edge.vision.plates.plate_format import PlateFormatError, parse
from edge.vision.plugins import Box, Detection
from edge.vision.tracker import PlateObservation, PlatePass
from firmware_config.vision import PlateEventConfig, PresenceConfig

# Image direction -> contract direction, for the usual mounting: the camera looks along
# the road, so vehicles coming towards it move down the image.
DIRECTIONS = {
    "down": "approaching",
    "up": "receding",
    "left": "left",
    "right": "right",
    "stationary": "unknown",
}
FULL_FRAME_ZONE = "full"
PLATE_COLOURS = ("white", "yellow", "blue", "red", "unknown")


def plate_category(text: str) -> str:
    """civil / military / foreign, from a plate text in label style."""
    try:
        return parse(text).category
    except PlateFormatError:
        return "civil"


class EncodeError(RuntimeError):
    """OpenCV could not encode an image as JPEG."""


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise EncodeError(f"cannot encode {image.shape} image as JPEG")
    return buf.tobytes()


def crop(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    """The box grown by `margin` of its size on each side, clipped to the image."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    left, top = max(0, int(x1 - mx)), max(0, int(y1 - my))
    right, bottom = min(w, int(np.ceil(x2 + mx))), min(h, int(np.ceil(y2 + my)))
    return image[top : max(bottom, top + 1), left : max(right, left + 1)]


class PlateEventBuilder:
    def __init__(self, config: PlateEventConfig, *, clock_synced: Callable[[], bool] = lambda: False) -> None:
        self.config = config
        self._clock_synced = clock_synced

    def detach(self, obs: PlateObservation) -> PlateObservation:
        """The observation holding a copy of its plate area instead of the frame (the
        frame too only if snapshots are configured). Tracks keep several reads for
        seconds; holding whole frames cost ~2.7 MB per read at 720p and kept the
        camera from recycling its frame buffers."""
        if obs.frame is None:
            return obs
        piece = crop(obs.frame, obs.box, self.config.crop_margin).copy()
        return replace(obs, crop=piece, frame=obs.frame if self.config.full_frame_snapshot else None)

    def build(self, camera_id: str, p: PlatePass) -> EventDraft:
        cfg = self.config
        attachments: list[Attachment] = []
        crop_id = snapshot_id = None
        frame = p.best.frame
        piece_image = p.best.crop
        if piece_image is None and frame is not None:
            piece_image = crop(frame, p.best.box, cfg.crop_margin)
        if piece_image is not None:
            piece = Attachment("image/jpeg", encode_jpeg(piece_image, cfg.crop_jpeg_quality))
            attachments.append(piece)
            crop_id = piece.id
            if cfg.full_frame_snapshot and frame is not None:
                shot = Attachment("image/jpeg", encode_jpeg(frame, cfg.snapshot_jpeg_quality))
                attachments.append(shot)
                snapshot_id = shot.id
        body = PlateBody(
            camera_id=camera_id,
            text=p.text,
            layout=p.best.layout if p.best.layout in ("one_line", "two_line") else "one_line",
            colour=p.colour if p.colour in PLATE_COLOURS else "unknown",
            category=plate_category(p.text),
            confidence=min(1.0, max(0.0, p.confidence)),
            candidates=[
                PlateCandidate(text=t, confidence=min(1.0, max(0.0, c)))
                for t, c in p.candidates[: cfg.max_candidates]
            ],
            direction=DIRECTIONS[p.direction],
            first_seen=p.first_seen,
            last_seen=p.last_seen,
            frames=p.hits,
            box=[round(v) for v in p.best.box],
            crop_attachment_id=crop_id,
            snapshot_attachment_id=snapshot_id,
        )
        return EventDraft(
            type="plate",
            body=body.model_dump(mode="json"),
            priority=Priority.NORMAL,
            occurred_at=p.first_seen,
            clock_synced=self._clock_synced(),
            attachments=tuple(attachments),
        )


@dataclass
class _ZoneState:
    name: str
    polygon: np.ndarray | None  # pixel polygon, None = whole frame
    reported: int = 0
    pending: int = 0
    pending_for: int = 0
    samples: int = 0
    total: int = 0
    peak: int = 0


class PresenceMonitor:
    """Face counts per zone for one camera. Zones are normalised polygons; a face is in
    a zone when the centre of its box is."""

    def __init__(
        self,
        camera_id: str,
        zones: Sequence[tuple[str, Sequence[tuple[float, float]]]],
        config: PresenceConfig,
        *,
        clock_synced: Callable[[], bool] = lambda: False,
    ) -> None:
        self.camera_id = camera_id
        self.config = config
        self._clock_synced = clock_synced
        self._zone_defs = list(zones)
        self._zones = [_ZoneState(FULL_FRAME_ZONE, None)] if not zones else []
        self._frame_size: tuple[int, int] | None = None
        self._last_faces: list[Detection] = []
        self._period_start: datetime | None = None
        self._period_mono: float | None = None

    def _layout(self, width: int, height: int) -> None:
        if self._frame_size == (width, height):
            return
        self._frame_size = (width, height)
        if self._zone_defs:
            old = {z.name: z for z in self._zones}
            self._zones = []
            for name, pts in self._zone_defs:
                poly = np.array([[x * (width - 1), y * (height - 1)] for x, y in pts], np.float32)
                state = old.get(name) or _ZoneState(name, poly)
                state.polygon = poly
                self._zones.append(state)

    def _count(self, zone: _ZoneState, faces: Sequence[Detection]) -> int:
        if zone.polygon is None:
            return len(faces)
        n = 0
        for f in faces:
            cx, cy = (f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2
            if cv2.pointPolygonTest(zone.polygon, (float(cx), float(cy)), False) >= 0:
                n += 1
        return n

    def update(
        self, faces: Sequence[Detection] | None, image: np.ndarray, captured_at: datetime, monotonic: float
    ) -> list[EventDraft]:
        """Feed one analysed frame. `faces=None` means the detector did not run (the
        scene did not move), so the previous faces still stand."""
        h, w = image.shape[:2]
        self._layout(w, h)
        if faces is None:
            faces = self._last_faces
        self._last_faces = list(faces)
        if self._period_start is None:
            self._period_start, self._period_mono = captured_at, monotonic
        events: list[EventDraft] = []
        for zone in self._zones:
            n = self._count(zone, faces)
            zone.samples += 1
            zone.total += n
            zone.peak = max(zone.peak, n)
            if n == zone.reported:
                zone.pending_for = 0
                continue
            if n != zone.pending:
                zone.pending, zone.pending_for = n, 0
            zone.pending_for += 1
            if zone.pending_for >= self.config.stable_frames:
                events.append(self._presence(zone, n, faces, image, captured_at))
                zone.reported, zone.pending_for = n, 0
        if self._period_mono is not None and monotonic - self._period_mono >= self.config.summary_interval_s:
            events += self.summaries(captured_at, monotonic)
        return events

    def _presence(
        self, zone: _ZoneState, n: int, faces: Sequence[Detection], image: np.ndarray, at: datetime
    ) -> EventDraft:
        attachments: tuple[Attachment, ...] = ()
        if self.config.include_face_crops:
            inside = [f for f in faces if zone.polygon is None or self._count(zone, [f])]
            attachments = tuple(
                Attachment("image/jpeg", encode_jpeg(crop(image, f.box, 0.2), 85)) for f in inside
            )
        body = PresenceBody(camera_id=self.camera_id, zone=zone.name, count=n, previous_count=zone.reported)
        return EventDraft(
            type="presence",
            body=body.model_dump(mode="json"),
            priority=Priority.NORMAL,
            occurred_at=at,
            clock_synced=self._clock_synced(),
            attachments=attachments,
        )

    def summaries(self, now: datetime, monotonic: float) -> list[EventDraft]:
        """One `presence_summary` per zone for the period so far, then start a new period."""
        if self._period_start is None:
            return []
        out = []
        for zone in self._zones:
            body = PresenceSummaryBody(
                camera_id=self.camera_id,
                zone=zone.name,
                period_start=self._period_start,
                period_end=now,
                max_count=zone.peak,
                mean_count=round(zone.total / zone.samples, 3) if zone.samples else 0.0,
                samples=zone.samples,
            )
            out.append(
                EventDraft(
                    type="presence_summary",
                    body=body.model_dump(mode="json"),
                    priority=Priority.LOW,
                    occurred_at=now,
                    clock_synced=self._clock_synced(),
                )
            )
            zone.samples = zone.total = zone.peak = 0
        self._period_start, self._period_mono = now, monotonic
        return out
