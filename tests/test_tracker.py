"""Plate tracker: one pass -> one track, best text by vote, direction of travel,
track end after N missed frames, noise discarded, repeated passes suppressed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from edge.vision.tracker import PlateObservation, PlateTracker, direction_of
from firmware_config.vision import TrackerConfig

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)
SIZE = (1280, 720)


def obs(
    x: float, y: float, text: str, conf: float, t: float, w: float = 120, h: float = 40
) -> PlateObservation:
    return PlateObservation(
        box=(x, y, x + w, y + h),
        text=text,
        confidence=conf,
        captured_at=T0 + timedelta(seconds=t),
        monotonic=1000.0 + t,
    )


def run(tracker: PlateTracker, frames: list[list[PlateObservation]], tail: int = 20):
    passes = []
    for f in frames:
        passes += tracker.update(f, SIZE)
    for _ in range(tail):
        passes += tracker.update([], SIZE)
    return passes


def test_one_vehicle_pass_gives_one_track_with_the_voted_text() -> None:
    reads = ["51F12345", "51F12345", "51F12346", "51F12345", "S1F12345", "51F12345"]
    frames = [
        [obs(600, 100 + 50 * i, t, 0.9 if t == "51F12345" else 0.7, 0.1 * i)] for i, t in enumerate(reads)
    ]
    tracker = PlateTracker(TrackerConfig(max_missed_frames=5))
    passes = run(tracker, frames)
    assert len(passes) == 1
    p = passes[0]
    assert p.text == "51F12345" and p.votes == 4 and p.hits == 6
    assert p.confidence == 0.9
    assert {c for c, _ in p.candidates} == {"51F12346", "S1F12345"}
    assert dict(p.candidates) == {"51F12346": 0.7, "S1F12345": 0.7}
    assert p.direction == "down" and p.motion[1] > 0.3
    assert p.first_seen == T0 and p.last_seen == T0 + timedelta(seconds=0.5)
    assert p.best.text == "51F12345"


def test_track_ends_exactly_after_max_missed_frames() -> None:
    tracker = PlateTracker(TrackerConfig(max_missed_frames=3))
    assert tracker.update([obs(100, 100, "30A99999", 0.9, 0)], SIZE) == []
    assert tracker.update([obs(110, 100, "30A99999", 0.9, 0.1)], SIZE) == []
    assert [tracker.update([], SIZE) for _ in range(3)] == [[], [], []]
    done = tracker.update([], SIZE)
    assert len(done) == 1 and done[0].text == "30A99999"
    assert tracker.tracks == []


def test_two_plates_crossing_in_opposite_directions_stay_apart() -> None:
    frames = [
        [obs(100 + 80 * i, 300, "29A11111", 0.9, 0.1 * i), obs(1100 - 80 * i, 500, "59X222222", 0.9, 0.1 * i)]
        for i in range(8)
    ]
    passes = run(PlateTracker(TrackerConfig()), frames)
    by_text = {p.text: p for p in passes}
    assert set(by_text) == {"29A11111", "59X222222"}
    assert by_text["29A11111"].direction == "right"
    assert by_text["59X222222"].direction == "left"


def test_fast_vehicle_without_box_overlap_is_matched_by_centre_distance() -> None:
    frames = [[obs(600, 50 + 90 * i, "43C55555", 0.9, 0.2 * i, h=30)] for i in range(6)]
    passes = run(PlateTracker(TrackerConfig(iou_match=0.3, max_centroid_jump=0.15)), frames)
    assert len(passes) == 1 and passes[0].hits == 6
    assert passes[0].direction == "down"


def test_single_frame_blip_is_discarded() -> None:
    tracker = PlateTracker(TrackerConfig(min_hits=2))
    assert run(tracker, [[obs(10, 10, "11A00000", 0.6, 0)]]) == []
    assert tracker.discarded == 1


def test_same_plate_stopping_and_moving_on_is_reported_once() -> None:
    cfg = TrackerConfig(max_missed_frames=2, repeat_suppress_s=20)
    tracker = PlateTracker(cfg)
    first = run(tracker, [[obs(600, 300, "51G67890", 0.9, t)] for t in (0, 0.1, 0.2)], tail=3)
    again = run(tracker, [[obs(600, 320 + 10 * i, "51G67890", 0.9, 5 + 0.1 * i)] for i in range(3)], tail=3)
    later = run(tracker, [[obs(600, 300, "51G67890", 0.9, 60 + 0.1 * i)] for i in range(3)], tail=3)
    assert len(first) == 1 and again == [] and len(later) == 1
    assert tracker.suppressed == 1


def test_flush_closes_open_tracks() -> None:
    tracker = PlateTracker(TrackerConfig())
    tracker.update([obs(0, 0, "60B12345", 0.8, 0)], SIZE)
    tracker.update([obs(5, 0, "60B12345", 0.8, 0.1)], SIZE)
    assert [p.text for p in tracker.flush()] == ["60B12345"]
    assert tracker.tracks == []


def test_direction_names() -> None:
    assert direction_of(0.0, 0.01) == "stationary"
    assert direction_of(0.2, 0.05) == "right"
    assert direction_of(-0.2, 0.05) == "left"
    assert direction_of(0.05, -0.3) == "up"


def test_repeat_memory_holds_only_the_suppression_window_of_distinct_plates() -> None:
    # One distinct plate a second for over an hour: the texts remembered for repeat
    # suppression stay those of the last `repeat_suppress_s`, not every plate since start.
    tracker = PlateTracker(TrackerConfig(max_missed_frames=2, repeat_suppress_s=20))
    reported = 0
    for n in range(4000):
        text = f"51F{n:05d}"
        reported += len(run(tracker, [[obs(600, 300, text, 0.9, n + 0.1 * i)] for i in range(3)], tail=3))
    assert reported == 4000
    assert tracker.remembered_texts() <= 25


def test_a_plate_back_within_the_window_is_suppressed_among_many_others() -> None:
    tracker = PlateTracker(TrackerConfig(max_missed_frames=2, repeat_suppress_s=20))
    first = run(tracker, [[obs(600, 300, "30K11111", 0.9, 0.1 * i)] for i in range(3)], tail=3)
    for n in range(15):  # other vehicles in between
        run(tracker, [[obs(600, 300, f"51F{n:05d}", 0.9, 1 + n + 0.1 * i)] for i in range(3)], tail=3)
    again = run(tracker, [[obs(600, 300, "30K11111", 0.9, 17 + 0.1 * i)] for i in range(3)], tail=3)
    assert len(first) == 1 and again == [] and tracker.suppressed == 1


def test_dense_motorbikes_at_low_frame_rate_keep_their_own_tracks() -> None:
    """Three motorbikes one behind the other in a lane, 6 frames/s: each moves 50 px a
    frame while the next one's plate lands 10 px from where the previous one was. By
    distance alone every track would jump to the follower; the text keeps them apart,
    one pass each, each with its own best read (one frame of each misread)."""
    texts = ["29-B1 123.45", "30-K2 678.90", "88-H1 246.80"]
    frames = []
    for i in range(8):
        frame = []
        for k, text in enumerate(texts):
            y = 600 + 60 * k - 50 * i
            if y < 0:
                continue
            read = text if i != k + 2 else text[:-1] + "9"  # one misread per vehicle
            frame.append(obs(400, y, read, 0.9 if read == text else 0.6, i / 6, w=40, h=30))
        frames.append(frame)
    config = TrackerConfig(max_missed_frames=2, iou_match=0.2, max_centroid_jump=0.1, min_agreeing_reads=2)
    passes = run(PlateTracker(config), frames)
    assert sorted(p.text for p in passes) == sorted(texts)
    assert all(p.best.text == p.text and p.confidence == 0.9 for p in passes)
    swapped = run(PlateTracker(config.model_copy(update={"max_text_mismatch": 10})), frames)
    assert (
        sorted(p.text for p in swapped) != sorted(texts) or len(swapped) != 3
    )  # what text matching prevents


def test_a_text_read_only_once_in_a_pass_is_not_reported() -> None:
    """A plate too small to read: a different guess in every frame, none reported."""
    guesses = ["51F12345", "51F72345", "57F12845", "51E12349"]
    frames = [[obs(600, 100 + 20 * i, g, 0.5, 0.2 * i)] for i, g in enumerate(guesses)]
    tracker = PlateTracker(TrackerConfig(min_agreeing_reads=2))
    assert run(tracker, frames) == [] and tracker.discarded >= 1


def test_a_settled_track_is_kept_alive_by_unread_sightings() -> None:
    """After `settle_reads` sure reads the plate is only located (empty text): the
    pass goes on, the vote and the best read stay those of the real reads."""
    config = TrackerConfig(settle_reads=3, settle_confidence=0.9, max_missed_frames=2)
    tracker = PlateTracker(config)
    for i in range(3):
        tracker.update([obs(600, 100 + 10 * i, "29B60108", 0.95, 0.2 * i)], SIZE)
    (track,) = tracker.tracks
    assert tracker.settled(track)
    for i in range(3, 30):  # waiting at the stop line: located, not read
        assert tracker.update([obs(600, 130, "", 0.0, 0.2 * i)], SIZE) == []
    (p,) = run(tracker, [])
    assert p.text == "29B60108" and p.votes == 3 and p.hits == 30 and p.confidence == 0.95
    assert not PlateTracker(TrackerConfig()).settled(track)  # off by default


def test_a_pass_reports_the_colour_most_of_its_reads_saw() -> None:
    colours = ["yellow", "white", "yellow", "unknown", "yellow"]
    frames = [
        [replace(obs(600, 100 + 20 * i, "29B60108", 0.9 if c == "white" else 0.8, 0.2 * i), colour=c)]
        for i, c in enumerate(colours)
    ]
    (p,) = run(PlateTracker(TrackerConfig()), frames)
    assert p.best.colour == "white" and p.colour == "yellow"
