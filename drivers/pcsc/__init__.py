"""pyscard driver for PC/SC card readers."""
