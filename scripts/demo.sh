#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the demo: the daemon against a
# local Mosquitto it starts itself, fed by the embedded replayed video and the
# emulated CCCD card, with a subscriber printing what the central server receives.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m devkit.demo "$@"
