"""Our CCCD card emulator speaking the vpcd socket protocol (tests, demos, benchmark)."""
