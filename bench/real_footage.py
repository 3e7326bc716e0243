"""Plate reading on the shared real traffic clips, scored against our hand labels
(`bench/labels/traffic-clips.csv`, protocol in `bench/labels/README.md`).

Two views, both at the clips' native resolution and never trained on:

* **passes** (`replay_passes`): each clip replayed through the real `VisionService`
  (motion gate, plate search, reader, tracker, event builder) with the
  intersection-camera profile's vision settings, as `edge run` would; each plate
  event is one vehicle pass. Recall: labelled readable passes with an event of
  exactly their text; precision: events whose text is a labelled plate's;
* **frames** (`frame_rows`, in `bench/plate_search.py`): reads in single frames.

The clips stay in ../shared (their terms: development and evaluation only)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
CLIPS_DIR = REPO.parent / "shared" / "datasets" / "traffic-clips"
LABELS = REPO / "bench" / "labels" / "traffic-clips.csv"
PROFILE = REPO / "firmware_config" / "profiles" / "intersection-camera.yaml"


@dataclass(frozen=True)
class Label:
    clip: str
    frame: int
    box: tuple[int, int, int, int]
    text: str
    readable: str  # yes / partly
    colour: str
    layout: str
    pass_id: str


def load_labels(path: Path = LABELS) -> list[Label]:
    with path.open(newline="") as fh:
        return [
            Label(
                r["clip"],
                int(r["frame"]),
                (int(r["x1"]), int(r["y1"]), int(r["x2"]), int(r["y2"])),
                r["text"],
                r["readable"],
                r["colour"],
                r["layout"],
                r["pass"],
            )
            for r in csv.DictReader(fh)
        ]


def decode(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def profile_vision():
    """The intersection-camera profile's `vision` section and its first camera's
    plate settings (what a device installed from the profile runs)."""
    import yaml

    from firmware_config.cameras import CameraConfig
    from firmware_config.vision import VisionConfig

    raw = yaml.safe_load(PROFILE.read_text())
    camera = raw["cameras"][0]
    keep = {k: camera[k] for k in ("motion", "plate_roi", "queue_size") if k in camera}
    return VisionConfig(**raw.get("vision", {})), keep, CameraConfig


@dataclass(frozen=True)
class PassResult:
    clip: str
    events: list[dict]  # plate event bodies


def replay_passes(clip: Path, models=None, on_event: Callable[[dict], None] | None = None) -> PassResult:
    """Replay `clip` (every frame analysed, nothing dropped) through a VisionService
    built from the intersection profile; return the plate event bodies."""
    from edge.vision.pipeline import VisionService

    vision, camera_keys, camera_config = profile_vision()
    cam = camera_config(
        id="real",
        kind="file",
        url=str(clip),
        replay_speed=0,
        detect=["plates"],
        **{**camera_keys, "queue_size": 4},  # a lossless replay: the queue only lets decoding run ahead
    )
    events: list[dict] = []

    def append(draft) -> None:
        if draft.type == "plate":
            events.append(draft.body)
            if on_event:
                on_event(draft.body)

    service = VisionService(vision, [cam], append, models=models)
    service.start()
    if not service.wait_finished(1800):
        raise RuntimeError(f"replay of {clip.name} did not finish")
    service.stop()
    return PassResult(clip.name, events)


def pass_rows(results: list[PassResult], labels: list[Label]) -> list[list[str]]:
    """Rows per clip, per plate kind (colour, layout) of the readable passes, and all
    clips together: readable passes, read exactly (recall = exact text rate of passes),
    of those read from the plate itself (an event box on a labelled box of the pass:
    a van repeats its number painted on its body, and an event read there has the
    plate's text but not its colour or layout), events of those passes (one each is
    right), events right / all (precision: an event is right when its text is a
    labelled plate's, readable or partly)."""
    from edge.vision.plates.plate_format import compact

    rows = []
    totals = [0, 0, 0, 0, 0, 0]
    for res in results:
        labs = [lab for lab in labels if lab.clip == res.clip]
        known = {compact(lab.text) for lab in labs}
        readable = {lab.pass_id: compact(lab.text) for lab in labs if lab.readable == "yes"}
        texts = [compact(e["text"]) for e in res.events]
        right = sum(t in known for t in texts)
        read = [p for p, t in readable.items() if t in texts]
        on_plate = [
            p
            for p in read
            if any(compact(e["text"]) == readable[p] and _on_plate(e, labs, p) for e in res.events)
        ]
        per_pass = sum(texts.count(t) for t in readable.values())
        counts = [len(readable), len(read), len(on_plate), per_pass, right, len(texts)]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        events = ", ".join(_describe(e, labs) for e in res.events) or "-"
        rows.append([res.clip, "all", *_cells(counts), events])
        kinds = sorted({(lab.colour, lab.layout) for lab in labs if lab.readable == "yes"})
        for colour, layout in kinds:
            ids = {
                lab.pass_id
                for lab in labs
                if lab.readable == "yes" and (lab.colour, lab.layout) == (colour, layout)
            }
            got = sum(p in read for p in ids)
            got_plate = sum(p in on_plate for p in ids)
            rows.append(
                [
                    res.clip,
                    f"{colour} {layout}",
                    str(len(ids)),
                    f"{got} ({100 * got / len(ids):.0f} %)",
                    str(got_plate),
                    "",
                    "",
                    "",
                ]
            )
    rows.append(["all clips", "all", *_cells(totals), ""])
    return rows


def _cells(c: list[int]) -> list[str]:
    readable, read, on_plate, per_pass, right, events = c
    recall = f"{read} ({100 * read / readable:.0f} %)" if readable else "0"
    precision = f"{right}/{events} ({100 * right / events:.0f} %)" if events else "0/0"
    return [str(readable), recall, str(on_plate), str(per_pass), precision]


def _on_plate(event: dict, labs: list[Label], pass_id: str | None = None) -> bool:
    """Whether the event's box overlaps a hand-labelled plate box (of `pass_id`, or of
    any pass with the event's text)."""
    from edge.vision.plates.plate_format import compact

    boxes = [
        lab.box
        for lab in labs
        if (lab.pass_id == pass_id if pass_id else compact(lab.text) == compact(event["text"]))
    ]
    x1, y1, x2, y2 = event["box"]
    return any(min(x2, b[2]) > max(x1, b[0]) and min(y2, b[3]) > max(y1, b[1]) for b in boxes)


def _describe(event: dict, labs: list[Label]) -> str:
    """An event as the table shows it: text, colour, layout, and whether its box lies
    on a hand-labelled plate box with that text."""
    from edge.vision.plates.plate_format import compact

    if not any(compact(lab.text) == compact(event["text"]) for lab in labs):
        where = "unlabelled"
    else:
        where = "on the plate" if _on_plate(event, labs) else "not on the plate"
    return f"{event['text']} ({event['colour']}, {event['layout']}, {where})"
