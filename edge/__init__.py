"""vn-edge daemon core: events, durable outbox, MQTT publisher, daemon wiring."""

__version__ = "0.1.0"
