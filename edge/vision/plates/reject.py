"""Is a detector box a plate? Both models must not be weak at once.

The grammar filter (`PlateReader._accept`) drops a box whose reading fits no plate
format or whose weakest glyph is nearly a guess. That leans on the recogniser's
doubt, and fine-tuning removes doubt: a recogniser trained harder on plates reads a
side mirror or a windscreen sticker as `15-C1 5295` with its weakest glyph at 0.03,
above the 0.02 floor. A global floor high enough to stop that would also drop real
plates the recogniser reads right but unsurely (hard, blurred or sheared plates: on
augmented training-split plates correct reads go down to 0.003).

The detector is a second, independent witness. Every false box seen on the scene
set is a weak detection (score 0.53-0.69) *and* a weak reading (weakest glyph
< 0.03), while every real plate is either detected firmly or read firmly (the
weakest detections of real plates, 0.56-0.66, are read at 0.99+). So a box the
detector is unsure of must be read confidently, and one the detector is sure of
keeps the plain grammar filter. Crops read without a detector (`read_crop`) are not
affected. The two thresholds are chosen on the training split of the scene set only
by `models/train/select_reject.py` (see models/README.md)."""

from __future__ import annotations


def plate_like(
    detection_score: float, read_confidence: float, weak_score: float, min_confidence: float
) -> bool:
    """False when the detector's score is below `weak_score` and the reading's weakest
    glyph is below `min_confidence`: neither model vouches for the box."""
    return detection_score >= weak_score or read_confidence >= min_confidence
