"""Face verification on real photos through the real models: the same person
matches and different people do not; JPEG 2000 portraits decode and match; the
YuNet plug-in agrees with OpenCV's own YuNet; no face means no decision."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from edge.vision.faceid.portrait import PortraitError, decode_image, image_format
from kiosk.cccd.dg2 import build_dg2, parse_dg2
from models.manifest import model_path
from tests.face_fixtures import CELEBA, PORTRAIT, astronaut, build_verifier, cameraman


@pytest.fixture(scope="module")
def verifier():
    return build_verifier()


def _encode(image: np.ndarray, ext: str, *params: int) -> bytes:
    ok, buf = cv2.imencode(ext, image, list(params))
    assert ok
    return buf.tobytes()


def test_chip_portrait_matches_the_person_in_another_photo(verifier) -> None:
    portrait = verifier.find(decode_image(PORTRAIT.read_bytes()))
    live = verifier.find(astronaut())
    assert portrait is not None and live is not None
    similarity = verifier.similarity(portrait.embedding, live.embedding)
    assert verifier.decide(similarity), similarity


def test_different_people_do_not_match(verifier) -> None:
    a, b = verifier.find(astronaut()), verifier.find(cameraman())
    assert a is not None and b is not None
    similarity = verifier.similarity(a.embedding, b.embedding)
    assert not verifier.decide(similarity), similarity


@pytest.mark.parametrize("container", ["jp2", "codestream"])
def test_jpeg2000_portrait_from_dg2_decodes_and_matches(verifier, container: str) -> None:
    """DG2 may hold a JP2 file or a bare J2K codestream (ISO 19794-5 allows both)."""
    image = decode_image(PORTRAIT.read_bytes())
    jp2 = _encode(image, ".jp2", cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 200)
    if container == "codestream":
        jp2 = jp2[jp2.index(b"\xff\x4f\xff\x51") :]
    face = parse_dg2(build_dg2(jp2, image.shape[1], image.shape[0]))
    assert image_format(face.image) == "jpeg2000"
    decoded = decode_image(face)
    assert decoded.shape == image.shape
    a, b = verifier.find(decoded), verifier.find(astronaut())
    assert verifier.decide(verifier.similarity(a.embedding, b.embedding))


def test_undecodable_portrait_is_a_clear_error() -> None:
    with pytest.raises(PortraitError, match="jpeg2000"):
        decode_image(b"\xff\x4f\xff\x51" + b"\x00" * 50)
    with pytest.raises(PortraitError, match="empty"):
        decode_image(b"")


def test_no_face_gives_no_embedding(verifier) -> None:
    assert verifier.find(np.full((240, 320, 3), 128, np.uint8)) is None


def test_yunet_plugin_matches_opencv_yunet(verifier) -> None:
    image = astronaut()
    ours = verifier.detect(image)[0]
    cv = cv2.FaceDetectorYN.create(str(model_path("yunet_2023mar_int8bq")), "", (512, 512), 0.6)
    theirs = cv.detect(image)[1][0]
    assert np.allclose(ours.box[:2], theirs[:2], atol=1.0)
    assert np.allclose(np.ravel(ours.keypoints), theirs[4:14], atol=1.0)
    assert abs(ours.score - theirs[14]) < 0.01


def test_dequantized_sface_gives_opencv_int8_embedding(verifier) -> None:
    """The fetch-time transform stores the int8bq weights as float32: same embedding."""
    image = astronaut()
    face = verifier.detect(image)[0]
    rec = cv2.FaceRecognizerSF.create(str(model_path("sface_2021dec_int8bq")), "")
    row = np.array(
        [
            *face.box[:2],
            face.box[2] - face.box[0],
            face.box[3] - face.box[1],
            *np.ravel(face.keypoints),
            face.score,
        ],
        np.float32,
    )
    theirs = rec.feature(rec.alignCrop(image, row)).ravel()
    crop = cv2.cvtColor(rec.alignCrop(image, row), cv2.COLOR_BGR2RGB)
    ours = verifier.embedder.session.run(None, {"data": crop.transpose(2, 0, 1)[None].astype(np.float32)})[0][
        0
    ]
    assert np.dot(ours, theirs) / (np.linalg.norm(ours) * np.linalg.norm(theirs)) > 0.999


@pytest.fixture(scope="module")
def celeba_pairs():
    if not (CELEBA / "pairs.csv").is_file():
        pytest.skip(f"faces-celeba not found at {CELEBA} (../shared beside the project root)")
    with (CELEBA / "pairs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    same = [r for r in rows if r["same"] == "1"][:30]
    diff = [r for r in rows if r["same"] == "0"][:30]
    return same, diff


def test_real_photos_same_people_match_and_different_people_do_not(verifier, celeba_pairs) -> None:
    """In-the-wild CelebA pairs (dev split): most same-person pairs match at the
    configured threshold and different-person pairs essentially never do."""

    def score(row) -> float:
        a = verifier.find(cv2.imread(str(CELEBA / row["file_a"])))
        b = verifier.find(cv2.imread(str(CELEBA / row["file_b"])))
        return -1.0 if a is None or b is None else verifier.similarity(a.embedding, b.embedding)

    same, diff = celeba_pairs
    matched = sum(verifier.decide(score(r)) for r in same)
    false = sum(verifier.decide(score(r)) for r in diff)
    assert matched >= 0.8 * len(same), f"{matched}/{len(same)} same-person pairs matched"
    assert false == 0, f"{false}/{len(diff)} different-person pairs matched"
