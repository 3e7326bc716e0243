"""Remote commands from the central server: signed, targeted, expiring, never replayed.

Nothing here knows MQTT or paho: the publisher hands each received command in as an
`Incoming` (payload, response topic, correlation data) and sends the `Reply`s back
(edge.publisher.commands). The daemon wires the two together (edge/daemon.py)."""
