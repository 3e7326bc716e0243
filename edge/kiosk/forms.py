"""The staff form of each workflow and its validation.

The controller describes the form to the screen (`FormField`s), so the page has no
rules of its own; validation here answers with message keys per field, which the
page shows in plain language (Vietnamese first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.screen.protocol import FormField

OTHER_REASON = "20"
MAX_TEXT = {"room": 16, "reason_text": 200, "contract_reference": 64, "asset_description": 300}


@dataclass(frozen=True)
class StayDetails:
    room: str
    expected_departure: date
    reason_code: str
    reason_text: str | None


@dataclass(frozen=True)
class PawnDetails:
    contract_reference: str
    asset_description: str


def stay_form(
    reasons: dict[str, str], values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> tuple[FormField, ...]:
    v, e = values or {}, errors or {}
    choices = tuple((code, f"reason.{code}") for code in reasons)
    texts = tuple(reasons.items())  # the page shows these where it has no translation of its own
    return (
        FormField("room", "text", True, value=v.get("room", ""), error=e.get("room")),
        FormField(
            "expected_departure",
            "date",
            True,
            value=v.get("expected_departure", ""),
            error=e.get("expected_departure"),
        ),
        FormField(
            "reason", "choice", True, choices, v.get("reason", ""), e.get("reason"), choice_texts=texts
        ),
        FormField("reason_text", "text", False, value=v.get("reason_text", ""), error=e.get("reason_text")),
    )


def pawn_form(
    values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> tuple[FormField, ...]:
    v, e = values or {}, errors or {}
    return (
        FormField(
            "contract_reference",
            "text",
            True,
            value=v.get("contract_reference", ""),
            error=e.get("contract_reference"),
        ),
        FormField(
            "asset_description",
            "text",
            True,
            value=v.get("asset_description", ""),
            error=e.get("asset_description"),
        ),
    )


def _texts(values: Any, names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Trimmed text of each field; errors for non-text values and over-long ones."""
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    if not isinstance(values, dict):
        return {}, {n: "form.required" for n in names}
    for name in names:
        raw = values.get(name, "")
        if not isinstance(raw, str):
            errors[name] = "form.not_text"
            continue
        text = " ".join(raw.split())
        if len(text) > MAX_TEXT.get(name, 32):
            errors[name] = "form.too_long"
        out[name] = text
    return out, errors


def validate_stay(
    values: Any, reasons: dict[str, str], today: date
) -> tuple[StayDetails | None, dict[str, str], dict[str, str]]:
    """(details or None, cleaned values, field errors)."""
    v, errors = _texts(values, ("room", "expected_departure", "reason", "reason_text"))
    if not v.get("room") and "room" not in errors:
        errors["room"] = "form.required"
    departure = None
    text = v.get("expected_departure", "")
    if not text:
        errors.setdefault("expected_departure", "form.required")
    else:
        try:
            departure = date.fromisoformat(text)
        except ValueError:
            errors.setdefault("expected_departure", "form.date_invalid")
        else:
            if departure < today:
                errors["expected_departure"] = "form.departure_in_past"
            elif departure > today + timedelta(days=366):
                errors["expected_departure"] = "form.departure_too_far"
    reason = v.get("reason", "")
    if reason not in reasons:
        errors.setdefault("reason", "form.required" if not reason else "form.choice_invalid")
    if reason == OTHER_REASON and not v.get("reason_text"):
        errors.setdefault("reason_text", "form.reason_text_required")
    if errors:
        return None, v, errors
    assert departure is not None
    return StayDetails(v["room"], departure, reason, v.get("reason_text") or None), v, {}


def validate_pawn(values: Any) -> tuple[PawnDetails | None, dict[str, str], dict[str, str]]:
    v, errors = _texts(values, ("contract_reference", "asset_description"))
    for name in ("contract_reference", "asset_description"):
        if not v.get(name) and name not in errors:
            errors[name] = "form.required"
    if errors:
        return None, v, errors
    return PawnDetails(v["contract_reference"], v["asset_description"]), v, {}


def validate_extension(value: Any, arrival: datetime, today: date) -> tuple[date | None, str | None]:
    if not isinstance(value, str):
        return None, "form.date_invalid"
    try:
        departure = date.fromisoformat(value.strip())
    except ValueError:
        return None, "form.date_invalid"
    if departure < max(today, arrival.date()):
        return None, "form.departure_in_past"
    return departure, None
