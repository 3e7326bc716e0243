"""`edge face compare`: JSON with detection, similarity and decision; JPEG 2000 input;
clear exit codes for no face and unreadable files; no pixels in the output."""

from __future__ import annotations

import json

import cv2
import numpy as np

from edge.cli import main
from tests.face_fixtures import PORTRAIT, astronaut, cameraman


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["face", "compare", *argv])
    return code, capsys.readouterr().out


def test_compare_json_same_person_from_jpeg2000_portrait(tmp_path, capsys) -> None:
    portrait = cv2.imdecode(np.frombuffer(PORTRAIT.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    cv2.imwrite(str(tmp_path / "portrait.jp2"), portrait)
    cv2.imwrite(str(tmp_path / "live.png"), astronaut())
    code, out = run(capsys, str(tmp_path / "portrait.jp2"), str(tmp_path / "live.png"), "--json")
    result = json.loads(out)
    assert code == 0
    assert result["a"]["format"] == "jpeg2000" and result["a"]["face"]["faces"] == 1
    assert result["decision"] == "match" and result["similarity"] >= result["threshold"]
    assert result["models"]["detector"]["name"] == "yunet_2023mar"
    assert len(out) < 1500  # numbers only


def test_compare_different_people_and_text_output(tmp_path, capsys) -> None:
    cv2.imwrite(str(tmp_path / "other.png"), cameraman())
    code, out = run(capsys, str(PORTRAIT), str(tmp_path / "other.png"))
    assert code == 0 and "no_match" in out


def test_compare_exit_codes(tmp_path, capsys) -> None:
    cv2.imwrite(str(tmp_path / "wall.png"), np.full((200, 200, 3), 90, np.uint8))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    code, out = run(capsys, str(PORTRAIT), str(tmp_path / "wall.png"), "--json")
    assert code == 5 and json.loads(out)["decision"] == "no_face"
    code, out = run(capsys, str(tmp_path / "broken.jpg"), str(PORTRAIT), "--json")
    assert code == 4 and json.loads(out)["decision"] == "unreadable"
