"""Shared base for every configuration model: unknown keys are errors, values are
validated strictly, and models are immutable once loaded."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """Base for config sections. `extra="forbid"` turns typos into errors instead of
    silently ignored settings, which in the field means a device that runs with
    defaults nobody intended."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
