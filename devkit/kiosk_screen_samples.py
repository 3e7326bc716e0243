"""One plausible snapshot for every screen state, for screen tests, screenshots and the demo.

The person is invented (no real ID data); the values are what the daemon's kiosk
service would show at that step: a progress while reading, guidance in the person
check, the staff form of the workflow, the consent preview, a masked receipt."""

from __future__ import annotations

from typing import Any

from kiosk.screen.protocol import FormField, PreviewItem, ScreenState, Workflow

REASONS = (("1", "reason.1"), ("2", "reason.2"), ("3", "reason.3"), ("20", "reason.20"))

STAY_FORM = (
    FormField("room", "text"),
    FormField("expected_departure", "date"),
    FormField("reason", "choice", choices=REASONS),
    FormField("reason_text", "text", required=False),
)
PAWN_FORM = (
    FormField("contract_reference", "text"),
    FormField("asset_description", "text"),
)

PERSON = (
    PreviewItem("field.full_name", "Nguyễn Thị Hồng Nhung"),
    PreviewItem("field.gender", "Nữ"),
    PreviewItem("field.date_of_birth", "1994-07-21"),
    PreviewItem("field.personal_number", "079194001234"),
)
STAY_PREVIEW = (
    *PERSON,
    PreviewItem("field.nationality", "Việt Nam"),
    PreviewItem("field.place_of_residence", "Số 12 đường Lê Lợi, phường Bến Nghé, quận 1, TP. Hồ Chí Minh"),
    PreviewItem("field.room", "204"),
    PreviewItem("field.expected_departure", "2026-11-27"),
    PreviewItem("field.reason_code", "1"),
    PreviewItem("field.portrait", "not_sent"),
    PreviewItem("field.live_image", "not_sent"),
)
PAWN_PREVIEW = (
    *PERSON[:1],
    PERSON[2],
    PERSON[3],
    PreviewItem("field.contract_reference", "HĐ-2026/0457"),
    PreviewItem("field.asset_description", "Xe máy Honda Vision, biển số 59-X1 123.45"),
    PreviewItem("field.portrait", "not_sent"),
    PreviewItem("field.live_image", "not_sent"),
)
STAY_RECEIPT = (
    PreviewItem("receipt.reference", "01J9Z7K2Q4XW"),
    PreviewItem("receipt.time", "2026-11-25T14:32:05+07:00"),
    PreviewItem("receipt.seq", "118"),
    PreviewItem("field.personal_number", "••••••••1234"),
    PreviewItem("field.room", "204"),
    PreviewItem("receipt.due_by", "2026-11-25T23:00:00+07:00"),
)
PAWN_RECEIPT = (
    PreviewItem("receipt.reference", "01J9Z7M8D2RT"),
    PreviewItem("receipt.time", "2026-11-25T14:40:11+07:00"),
    PreviewItem("receipt.seq", "119"),
    PreviewItem("field.personal_number", "••••••••1234"),
    PreviewItem("field.contract_reference", "HĐ-2026/0457"),
)
OPEN_STAYS = (
    PreviewItem("01J9Z7K2Q4XW", "phòng 204 · 25/11 → 27/11"),
    PreviewItem("01J9YX3B7HPE", "phòng 105 · 24/11 → 26/11"),
)


def sample_fields(state: ScreenState, workflow: Workflow) -> dict[str, Any]:
    """Keyword arguments for ``ScreenController.show(state, **fields)``."""
    stay = workflow == "stay_notification"
    samples: dict[ScreenState, dict[str, Any]] = {
        ScreenState.ACCESS_KEY: {"access_kinds": ("id12", "can", "mrz"), "deadline_s": 90.0},
        ScreenState.READING: {"progress": 0.42},
        ScreenState.PERSON_CHECK: {"guidance": "face.move_closer", "attempts_left": 2, "deadline_s": 20.0},
        ScreenState.STAFF_DETAILS: {"form": STAY_FORM if stay else PAWN_FORM, "deadline_s": 300.0},
        ScreenState.CONSENT: {"preview": STAY_PREVIEW if stay else PAWN_PREVIEW, "deadline_s": 120.0},
        ScreenState.RECEIPT: {"receipt": STAY_RECEIPT if stay else PAWN_RECEIPT},
        ScreenState.WRONG_KEY: {"message": "wrong_key.try_again", "attempts_left": 1},
        ScreenState.IDLE: {"open_stays": OPEN_STAYS if stay else ()},
    }
    return dict(samples.get(state, {}))
