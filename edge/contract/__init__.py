"""The published contract: pydantic models of the event envelope and of each event
type's body. They are the single source of the JSON Schema files in docs/schemas/
and are used by tests to check that what producers really emit matches the
contract the central server codes against."""

from edge.contract.bodies import BODY_MODELS
from edge.contract.envelope import EventEnvelope, validate_payload

__all__ = ["BODY_MODELS", "EventEnvelope", "validate_payload"]
