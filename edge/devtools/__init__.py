"""Local stand-ins for the field environment, used by the demo, benchmarks and tests:
a Mosquitto broker on loopback with generated TLS material and per-device ACLs.
Nothing here runs on a production device."""
