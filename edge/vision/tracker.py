"""Plate tracking: join the reads of one plate across frames into one vehicle pass.

A plate is visible in many frames as a vehicle drives through; reporting every read
would flood the central server with near-duplicates that disagree in a character or
two. The tracker matches each frame's plates to open tracks (box overlap first, then
centre distance for fast vehicles at low frame rates), lets the reads vote on the
text, and closes a track when its plate has not been seen for `max_missed_frames`.
The closed track is the unit a `plate` event reports: best text, its confidence, the
other candidates, the direction of travel and when the pass began and ended.

In dense motorbike traffic at an intersection camera's 5-6 frames/s, neighbouring
plates are closer to each other than a plate moves between frames, so a match by
centre distance alone swaps vehicles (and a follower's box overlaps where the leader
was). Matching therefore also asks the text: a read whose text differs from the track's leading text in more than
`max_text_mismatch` glyphs is a different plate and never continues that track, and
among allowed pairs the ones agreeing on the text are matched first. A pass is
reported only when its winning text was read `min_agreeing_reads` times: a plate too
small to read gives a different guess in every frame, and none of them is a plate
event."""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from edge.vision.plugins import box_iou
from firmware_config.vision import TrackerConfig

Box = tuple[float, float, float, float]


@dataclass(frozen=True, eq=False)
class PlateObservation:
    """One plate read in one frame."""

    box: Box
    text: str
    confidence: float
    captured_at: datetime
    monotonic: float
    frame: np.ndarray | None = field(default=None, repr=False)
    """The whole frame it was read in; the pipeline keeps it only when plate events
    carry a full-frame snapshot (a 720p frame is 2.7 MB, and a track holds several reads)."""
    crop: np.ndarray | None = field(default=None, repr=False)
    """A copy of the plate area with the event's margin, for the event's JPEG crop."""
    candidates: tuple[tuple[str, float], ...] = ()
    layout: str | None = None
    colour: str = "unknown"
    """Plate background colour (`plates.colour.plate_colour`)."""


@dataclass
class Track:
    id: int
    first: PlateObservation
    last: PlateObservation
    best: PlateObservation
    hits: int = 1
    missed: int = 0
    votes: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    best_conf: dict[str, float] = field(default_factory=dict)
    best_obs: dict[str, PlateObservation] = field(default_factory=dict)
    alt_conf: dict[str, float] = field(default_factory=dict)
    colours: dict[str, dict[str, int]] = field(default_factory=dict)  # text -> colour -> reads

    def add(self, obs: PlateObservation) -> None:
        self.hits += 1
        self.missed = 0
        self.last = obs
        self.vote(obs)
        if obs.confidence > self.best.confidence:
            self.best = obs

    def leading_text(self) -> str:
        """The text with the most votes so far ('' before any read)."""
        return max(self.votes.items(), key=lambda kv: (kv[1], kv[0]))[0] if self.votes else ""

    def vote(self, obs: PlateObservation) -> None:
        if obs.text:
            self.votes[obs.text] += obs.confidence
            self.counts[obs.text] += 1
            if obs.colour != "unknown":
                per_text = self.colours.setdefault(obs.text, {})
                per_text[obs.colour] = per_text.get(obs.colour, 0) + 1
            if obs.confidence >= self.best_conf.get(obs.text, 0.0):
                self.best_conf[obs.text] = obs.confidence
                self.best_obs[obs.text] = obs
        for text, conf in obs.candidates:
            if text and text != obs.text:
                self.votes[text] += 0.25 * conf  # an alternative counts, but far less than a best read
                self.alt_conf[text] = max(self.alt_conf.get(text, 0.0), conf)


@dataclass(frozen=True)
class PlatePass:
    """A finished track: what a `plate` event reports."""

    track_id: int
    text: str
    confidence: float
    votes: int
    hits: int
    candidates: tuple[tuple[str, float], ...]
    """Other texts with their best reader confidence, in vote order (best first)."""
    direction: str
    """'up', 'down', 'left', 'right' (image directions) or 'stationary'."""
    motion: tuple[float, float]
    """Displacement of the plate centre from first to last sighting, in frame widths/heights."""
    first_seen: datetime
    last_seen: datetime
    best: PlateObservation
    colour: str = "unknown"
    """The colour most reads of the winning text saw (one crop's white balance can
    be off; the pass's majority is steadier)."""


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def text_mismatch(a: str, b: str) -> int:
    """Glyphs that differ between two plate texts (edit distance over 0-9A-Z); 0 when
    either is empty (nothing to compare)."""
    a, b = re.sub("[^0-9A-Z]", "", a), re.sub("[^0-9A-Z]", "", b)
    if not a or not b:
        return 0
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def direction_of(dx: float, dy: float, *, still: float = 0.03) -> str:
    """Dominant image direction of a displacement given in frame fractions."""
    if math.hypot(dx, dy) < still:
        return "stationary"
    if abs(dy) >= abs(dx):
        return "down" if dy > 0 else "up"
    return "right" if dx > 0 else "left"


class PlateTracker:
    """Tracks plates of one camera. Call `update` once per analysed frame (with an empty
    list when the motion gate skipped it, so tracks still age) and `flush` at shutdown."""

    def __init__(self, config: TrackerConfig, frame_size: tuple[int, int] | None = None) -> None:
        self.config = config
        self.frame_size = frame_size  # (width, height); learnt from the first frame if None
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)
        # text -> monotonic time it was last seen, oldest first; pruned as it ages out
        # (an intersection sees tens of thousands of distinct plates a day)
        self._last_pass: dict[str, float] = {}
        self.suppressed = 0
        self.discarded = 0

    def update(
        self, observations: Sequence[PlateObservation], frame_size: tuple[int, int] | None = None
    ) -> list[PlatePass]:
        if frame_size is not None:
            self.frame_size = frame_size
        unmatched = list(observations)
        matched: set[int] = set()
        leading = [t.leading_text() for t in self.tracks]
        pairs = sorted(
            (
                (box_iou(t.last.box, o.box), ti, oi)
                for ti, t in enumerate(self.tracks)
                for oi, o in enumerate(unmatched)
                if text_mismatch(leading[ti], o.text) <= self.config.max_text_mismatch
            ),
            reverse=True,
        )
        used_obs: set[int] = set()
        for score, ti, oi in pairs:
            if score < self.config.iou_match:
                break
            if ti in matched or oi in used_obs:
                continue
            self.tracks[ti].add(unmatched[oi])
            matched.add(ti)
            used_obs.add(oi)
        self._match_by_distance(unmatched, matched, used_obs)
        for oi, obs in enumerate(unmatched):
            if oi not in used_obs:
                track = Track(next(self._ids), obs, obs, obs)
                track.vote(obs)
                self.tracks.append(track)
                matched.add(len(self.tracks) - 1)
        finished: list[PlatePass] = []
        still_open: list[Track] = []
        for ti, track in enumerate(self.tracks):
            if ti not in matched:
                track.missed += 1
            if track.missed > self.config.max_missed_frames:
                done = self._close(track)
                if done is not None:
                    finished.append(done)
            else:
                still_open.append(track)
        self.tracks = still_open
        return finished

    def _match_by_distance(self, observations, matched: set[int], used_obs: set[int]) -> None:
        diag = math.hypot(*self.frame_size) if self.frame_size else None
        if not diag:
            return
        limit = self.config.max_centroid_jump * diag
        pairs = []
        for ti, track in enumerate(self.tracks):
            if ti in matched:
                continue
            tx, ty = _centre(track.last.box)
            leading = track.leading_text()
            for oi, obs in enumerate(observations):
                if oi in used_obs:
                    continue
                ox, oy = _centre(obs.box)
                dist = math.hypot(ox - tx, oy - ty)
                if dist > limit:
                    continue
                mismatch = text_mismatch(leading, obs.text)
                if mismatch > self.config.max_text_mismatch:
                    continue  # another plate, however close
                pairs.append((mismatch > 0, dist, ti, oi))
        for _, _, ti, oi in sorted(pairs):
            if ti in matched or oi in used_obs:
                continue
            self.tracks[ti].add(observations[oi])
            matched.add(ti)
            used_obs.add(oi)

    def settled(self, track: Track) -> bool:
        """Whether the track's text is sure enough that its plate need not be read
        again this pass (`settle_reads` agreeing reads, one at `settle_confidence`)."""
        n = self.config.settle_reads
        if n == 0 or not track.votes:
            return False
        text = track.leading_text()
        return (
            track.counts.get(text, 0) >= n and track.best_conf.get(text, 0.0) >= self.config.settle_confidence
        )

    def flush(self) -> list[PlatePass]:
        """Close every open track (shutdown, end of a replay)."""
        out = [p for p in (self._close(t) for t in self.tracks) if p is not None]
        self.tracks = []
        return out

    def remembered_texts(self) -> int:
        """How many plate texts are held for repeat suppression (bounded by traffic in
        `repeat_suppress_s`, not by traffic since start)."""
        return len(self._last_pass)

    def _forget_old_passes(self, closing: Track) -> None:
        """Drop texts no open track can be a repeat of any more: a track is compared
        with passes up to `repeat_suppress_s` before its own first sighting."""
        oldest_first = min((t.first.monotonic for t in self.tracks), default=closing.first.monotonic)
        cutoff = min(oldest_first, closing.first.monotonic) - self.config.repeat_suppress_s
        while self._last_pass:
            text, seen = next(iter(self._last_pass.items()))
            if seen >= cutoff:
                return
            del self._last_pass[text]

    def _close(self, track: Track) -> PlatePass | None:
        if track.hits < self.config.min_hits or not track.votes:
            self.discarded += 1
            return None
        ranked = sorted(track.votes.items(), key=lambda kv: (-kv[1], kv[0]))
        text = ranked[0][0]
        if track.counts.get(text, 0) < self.config.min_agreeing_reads:
            self.discarded += 1
            return None
        previous = self._last_pass.pop(text, None)
        self._last_pass[text] = track.last.monotonic  # re-inserted: the dict stays oldest first
        self._forget_old_passes(track)
        if previous is not None and track.first.monotonic - previous <= self.config.repeat_suppress_s:
            self.suppressed += 1
            return None
        w, h = self.frame_size or (1, 1)
        (fx, fy), (lx, ly) = _centre(track.first.box), _centre(track.last.box)
        dx, dy = (lx - fx) / w, (ly - fy) / h
        # the crop comes from the most confident read of the winning text
        best = track.best_obs.get(text, track.best)
        return PlatePass(
            track_id=track.id,
            text=text,
            confidence=round(track.best_conf.get(text, 0.0), 4),
            votes=track.counts.get(text, 0),
            hits=track.hits,
            candidates=tuple(
                (t, round(track.best_conf.get(t, track.alt_conf.get(t, 0.0)), 4)) for t, _ in ranked[1:]
            ),
            direction=direction_of(dx, dy),
            motion=(round(dx, 4), round(dy, 4)),
            first_seen=track.first.captured_at,
            last_seen=track.last.captured_at,
            best=best,
            colour=max(track.colours[text].items(), key=lambda kv: (kv[1], kv[0]))[0]
            if track.colours.get(text)
            else best.colour,
        )
