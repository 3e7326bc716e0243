"""Bodies of each event type. Producers build bodies with these models
(`Body(...).model_dump(mode="json")`) so what is sent cannot drift from the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.contract.kiosk_bodies import KIOSK_BODY_MODELS


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SyntheticBody(_Body):
    """Demo / commissioning traffic."""

    n: int = Field(ge=0, description="Counter of the synthetic source since it started.")
    padding: str = Field(description="Filler of the configured size.")


class SelftestBody(_Body):
    """Sent by `edge selftest publish`."""

    run_id: str = Field(description="Identifies one selftest run.")
    n: int = Field(ge=0, description="Index of the event within the run.")


class PlateCandidate(_Body):
    text: str = Field(description="Plate text in label style, e.g. 51F-123.45 or 59-X1 123.45.")
    confidence: float = Field(ge=0, le=1, description="Reader confidence.")


class PlateBody(_Body):
    """One vehicle pass in front of one camera."""

    camera_id: str = Field(description="Camera that saw the vehicle.")
    text: str = Field(description="Best plate text, label style (Đ written D).")
    layout: Literal["one_line", "two_line"] = Field(description="Plate layout.")
    colour: Literal["white", "yellow", "blue", "red", "unknown"] = Field(
        default="unknown",
        description="Plate background colour: white private, yellow commercial transport, blue state, red "
        "military (read from the image; 'unknown' when it cannot be told).",
    )
    category: Literal["civil", "military", "foreign"] = Field(
        default="civil",
        description="Register the text belongs to: civil (car and motorbike series), military (unit code "
        "TM-12-34), foreign (NG diplomatic, QT international organisation, NN foreign, CV staff).",
    )
    confidence: float = Field(ge=0, le=1, description="Confidence of the best read.")
    candidates: list[PlateCandidate] = Field(description="Other texts read during the pass, best first.")
    direction: Literal["approaching", "receding", "left", "right", "unknown"] = Field(
        description="Direction of travel in the image."
    )
    first_seen: datetime = Field(description="Capture time of the first frame of the pass.")
    last_seen: datetime = Field(description="Capture time of the last frame of the pass.")
    frames: int = Field(ge=1, description="Frames in which the plate was read.")
    box: list[int] = Field(min_length=4, max_length=4, description="x1,y1,x2,y2 of the best read, pixels.")
    crop_attachment_id: str | None = Field(description="Attachment id of the JPEG plate crop.")
    snapshot_attachment_id: str | None = Field(
        default=None, description="Attachment id of the full-frame snapshot, when enabled."
    )


class PresenceBody(_Body):
    """The number of faces in a zone changed."""

    camera_id: str = Field(description="Camera.")
    zone: str = Field(description="Zone name from the camera config ('full' for the whole frame).")
    count: int = Field(ge=0, description="Faces now present.")
    previous_count: int = Field(ge=0, description="Faces present before the change.")


class PresenceSummaryBody(_Body):
    """Periodic presence summary for one zone."""

    camera_id: str = Field(description="Camera.")
    zone: str = Field(description="Zone name.")
    period_start: datetime = Field(description="Start of the summarised period.")
    period_end: datetime = Field(description="End of the summarised period.")
    max_count: int = Field(ge=0, description="Largest face count seen.")
    mean_count: float = Field(ge=0, description="Mean face count over the samples.")
    samples: int = Field(ge=0, description="Frames sampled.")


BODY_MODELS: dict[str, type[BaseModel]] = {
    "synthetic": SyntheticBody,
    "selftest": SelftestBody,
    "plate": PlateBody,
    "presence": PresenceBody,
    "presence_summary": PresenceSummaryBody,
    **KIOSK_BODY_MODELS,
}
