"""Hardware and library wrappers (OpenCV capture, pyscard). Drivers know nothing of
events, config files or MQTT: they take plain arguments and return plain data."""
