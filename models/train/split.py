"""The fixed train / held-out split of the dev scene set.

Every fourth scene in file-name order is held out: never used for training, used to
report detection and end-to-end accuracy honestly. The split is by file name only,
so it is stable however the files are listed, and the benchmark uses the same rule."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SceneLabel:
    file: str
    box: tuple[int, int, int, int]
    text: str


def load_scene_labels(scenes_dir: Path) -> dict[str, list[SceneLabel]]:
    """Labels of the scene set grouped by image file (one row per plate in the csv)."""
    out: dict[str, list[SceneLabel]] = {}
    with (scenes_dir / "labels.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            box = (int(row["x1"]), int(row["y1"]), int(row["x2"]), int(row["y2"]))
            out.setdefault(row["file"], []).append(SceneLabel(row["file"], box, row["text"]))
    return out


def held_out_files(files: list[str]) -> set[str]:
    return {f for i, f in enumerate(sorted(files)) if i % 4 == 0}


def split_scenes(scenes_dir: Path) -> tuple[dict[str, list[SceneLabel]], dict[str, list[SceneLabel]]]:
    """(train, held_out) label maps."""
    labels = load_scene_labels(scenes_dir)
    held = held_out_files(list(labels))
    return {f: v for f, v in labels.items() if f not in held}, {f: v for f, v in labels.items() if f in held}
