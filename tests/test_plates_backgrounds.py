"""The intersection composites are the same on every machine set up by the project
(issue 11): their road backgrounds include OpenCV's `vtest.avi`, which setup installs
(Debian opencv-doc) and whose sha256 is pinned. Before, it was used only when it
happened to be installed, so a fresh machine trained and measured on other images."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.synth.intersection import VTEST, VTEST_SHA256, RoadBackgrounds, vtest_frames

REPO = Path(__file__).resolve().parents[1]

# Builds the detector's training composites (training split, every background kind)
# in a fresh interpreter and prints one digest of the images and their plate boxes.
BUILD = """
import hashlib, random, sys
from pathlib import Path
from models.synth.intersection import RoadBackgrounds, training_composite, vehicles_of
from models.train.split import split_scenes

dataset = Path(sys.argv[1])
train, _ = split_scenes(dataset / "scenes")
vehicles, frames = vehicles_of(train, dataset / "scenes")
backgrounds = RoadBackgrounds(frames)
rng = random.Random(21)
digest = hashlib.sha256()
for _ in range(24):
    img, placed = training_composite(rng, backgrounds, vehicles, (320, 320), (12.0, 110.0))
    digest.update(img.tobytes())
    digest.update(repr([(p.box, p.text) for p in placed]).encode())
print(len(backgrounds.frames), digest.hexdigest())
"""


def _build(dataset: Path, hash_seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    result = subprocess.run(
        [sys.executable, "-c", BUILD, str(dataset)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_composite_set_is_identical_across_runs(plates_dir) -> None:
    first = _build(plates_dir, "1")
    second = _build(plates_dir, "2")
    assert first == second
    # the 123 training-split dev frames plus 20 vtest frames: the video was used
    assert first.split()[0] == "143"


def test_setup_installs_the_pinned_background_video() -> None:
    assert "opencv-doc" in (REPO / "scripts" / "setup.sh").read_text()
    assert hashlib.sha256(VTEST.read_bytes()).hexdigest() == VTEST_SHA256
    assert len(vtest_frames()) == 20


def test_missing_or_different_video_is_an_error_not_a_silent_fallback(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="opencv-doc"):
        RoadBackgrounds([], vtest=tmp_path / "vtest.avi")
    other = tmp_path / "other.avi"
    data = bytearray(VTEST.read_bytes())
    data[-1] ^= 0xFF
    other.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=VTEST_SHA256):
        RoadBackgrounds([], vtest=other)
