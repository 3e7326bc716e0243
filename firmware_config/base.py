"""Shared base for every configuration model: unknown keys are errors, values are
validated strictly, and models are immutable once loaded."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """Base for config sections. `extra="forbid"` turns typos into errors instead of
    silently ignored settings, which in the field means a device that runs with
    defaults nobody intended. `.inf` and `.nan` are refused everywhere: no delay,
    timeout or threshold means anything at infinity, and a NaN compares false with
    every bound. Every number also has an upper bound in its own field (what the
    protocol or the device can hold), so a typo of a few zeros fails at validation
    and not hours later inside a thread."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)
