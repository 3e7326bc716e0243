"""Every message key the kiosk controller can send, and every key the page uses, has a
Vietnamese and an English text in the one table (kiosk/screen/static/messages.json).

The controller's keys are those the contract lists (protocol.MESSAGE_KEYS), and, in
case a key is sent before it is listed, those found where they are written: the states (each state's
own key, title and next step), string literals in the daemon's kiosk code (edge/kiosk/)
and in the development controller, the reason-of-stay codes and identity fields of the
kiosk config, and the page's own scripts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from devkit.kiosk_screen_samples import sample_fields
from kiosk.screen.protocol import MESSAGE_KEYS, ScreenState
from tests.kiosk_screen_fixtures import MESSAGES

REPO = Path(__file__).resolve().parent.parent
STATIC = REPO / "kiosk" / "screen" / "static"
# first parts of the keys a controller sends (ui.*, title.*, next.* belong to the page)
NAMESPACES = {k.split(".")[0] for k in MESSAGES} - {"ui", "title", "next"} | {s.value for s in ScreenState}
KEY = re.compile(r"^([a-z][a-z0-9_]*)\.[a-z0-9_]+$")


def keys_in_python(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = KEY.match(node.value)
            if m and m.group(1) in NAMESPACES:
                found.add(node.value)
    return found


def controller_sources() -> list[Path]:
    daemon = sorted((REPO / "edge" / "kiosk").rglob("*.py")) if (REPO / "edge" / "kiosk").is_dir() else []
    return [*daemon, REPO / "devkit" / "kiosk_screen.py", REPO / "devkit" / "kiosk_screen_samples.py"]


def test_every_entry_has_vietnamese_and_english():
    for key, entry in MESSAGES.items():
        assert set(entry) == {"vi", "en"}, key
        assert entry["vi"].strip() and entry["en"].strip(), key
        assert entry["vi"] == entry["vi"].strip() and entry["en"] == entry["en"].strip(), key


@pytest.mark.parametrize("state", list(ScreenState), ids=lambda s: s.value)
def test_every_state_has_its_message_title_and_next_step(state):
    for key in (state.value, f"title.{state.value}", f"next.{state.value}"):
        assert key in MESSAGES, key


def test_every_key_of_the_contract_is_translated():
    """protocol.MESSAGE_KEYS: what the daemon's controller sends; a family ("not_genuine.")
    has one text for all its codes."""
    assert MESSAGE_KEYS - MESSAGE_KEYS.intersection(MESSAGES) == set()


def test_every_key_written_in_the_controllers_is_translated():
    missing = {}
    for path in controller_sources():
        for key in keys_in_python(path) - MESSAGES.keys():
            missing.setdefault(key, str(path.relative_to(REPO)))
    assert missing == {}, f"add these to {STATIC / 'messages.json'} (vi and en): {missing}"


def test_keys_built_from_the_kiosk_config_are_translated():
    kiosk_config = pytest.importorskip("firmware_config.kiosk")
    reasons = getattr(kiosk_config, "DEFAULT_REASONS", {})
    fields = getattr(kiosk_config, "IDENTITY_FIELDS", ())
    wanted = {f"reason.{code}" for code in reasons} | {f"field.{name}" for name in fields}
    assert wanted - MESSAGES.keys() == set()


def test_every_key_in_the_sample_snapshots_is_translated():
    for state in ScreenState:
        for workflow in ("stay_notification", "identity_verification"):
            fields = sample_fields(state, workflow)
            keys = {fields.get("message") or state.value, fields.get("guidance")}
            keys |= {item.label for item in fields.get("preview", ()) + fields.get("receipt", ())}
            keys |= {f"field.{f.name}" for f in fields.get("form", ())}
            keys |= {label for f in fields.get("form", ()) for _, label in f.choices}
            keys |= {f"access_kind.{k}" for k in fields.get("access_kinds", ())}
            assert keys - {None} - MESSAGES.keys() == set(), (state, workflow)


def test_every_key_the_page_names_is_translated():
    literal = re.compile(r"""["'`]([a-z][a-z0-9_]*\.[a-z0-9_.]+)["'`]""")
    for path in STATIC.glob("*.js"):
        for key in literal.findall(path.read_text(encoding="utf-8")):
            if not key.endswith(".js") and not key.endswith(".json"):
                assert key in MESSAGES, f"{path.name}: {key}"
