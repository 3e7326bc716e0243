"""The development kit: stand-ins for the field environment, never part of a device install.

The emulated CCCD and the PC/SC stack around it (``devkit.emulator``), test card
builders and their test PKI (``devkit.cccd``), a Mosquitto broker on loopback with
generated TLS material and per-device ACLs (``devkit.mosquitto``, ``devkit.pki``),
the central subscriber and the demo. Tests, benchmarks and ``scripts/demo.sh`` use
it; runtime packages (``edge``, ``kiosk``, ``drivers``, ``firmware_config``) never
import it, so a production install leaves it out.
"""
