"""`edge provision`: a device from bare OS to running daemon, one idempotent plan of
steps (each knows whether it is already done), `--dry-run` prints the plan."""
