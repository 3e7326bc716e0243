"""The published contract: schema files match the code, and real envelopes built by
the event model validate against the JSON Schemas the central server uses."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from edge.contract import validate_payload
from edge.contract.bodies import SyntheticBody
from edge.contract.generate import SCHEMA_DIR, render_all
from edge.events import Attachment, EventDraft, Priority, StoredEvent, format_utc


def schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def test_committed_schemas_match_the_code():
    rendered = render_all()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in Path(SCHEMA_DIR).glob("*.schema.json")}
    assert on_disk == rendered, "run: python -m edge.contract.generate"


def make_event(**kw) -> StoredEvent:
    draft = EventDraft(
        type="synthetic",
        body=SyntheticBody(n=3, padding="xx").model_dump(),
        priority=Priority.LOW,
        attachments=(Attachment("image/jpeg", b"\xff\xd8jpeg"),),
        **kw,
    )
    return StoredEvent(row_id=1, device_id="dev-0001", seq=7, draft=draft)


def test_envelope_validates_against_json_schema():
    payload = json.loads(make_event().to_json())
    jsonschema.validate(payload, schema("envelope"))
    jsonschema.validate(payload["body"], schema("synthetic"))
    validate_payload(payload)
    assert payload["seq"] == 7 and payload["priority"] == "low"
    assert payload["attachments"][0]["size"] == 6


def test_schema_rejects_broken_envelopes():
    payload = json.loads(make_event().to_json())
    for broken in ({**payload, "seq": 0}, {**payload, "event_id": "not-a-uuid"}, {**payload, "extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema("envelope"))
    with pytest.raises(ValueError, match="not part of the contract"):
        validate_payload({**payload, "type": "mystery"})


def test_event_ids_are_uuid7_and_time_ordered():
    ids = [EventDraft(type="synthetic", body={}).event_id for _ in range(200)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 200


def test_timestamps_are_utc_with_z_and_naive_is_refused():
    ict = timezone(timedelta(hours=7))
    assert format_utc(datetime(2026, 11, 22, 19, 0, 0, 123456, tzinfo=ict)) == "2026-11-22T12:00:00.123Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_utc(datetime(2026, 1, 1))


def test_vietnamese_text_is_sent_as_utf8_not_escaped():
    draft = EventDraft(type="synthetic", body={"n": 0, "padding": "Nguyễn Văn Đức"})
    raw = StoredEvent(1, "dev-0001", 1, draft).to_json()
    assert "Nguyễn Văn Đức".encode() in raw
