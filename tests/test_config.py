"""Device configuration: profiles validate, every field is described, and every kind
of mistake yields a specific message with file:line, key path and a suggestion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from edge.cli import main as edge_main
from firmware_config import ConfigError, EdgeConfig, load_config, load_config_text
from firmware_config.loader import _model_in
from firmware_config.secrets import SecretError, SecretRef, read_secret

PROFILES = sorted((Path(__file__).parent.parent / "firmware_config" / "profiles").glob("*.yaml"))

GOOD = """\
device:
  id: dev-0001
  role: pawnshop_kiosk
mqtt:
  host: 127.0.0.1
  port: 1883
  allow_insecure: true
storage:
  path: /tmp/outbox.db
kiosk: {}
"""


def problems(text: str) -> list:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "dev.yaml")
    return info.value.problems


def test_all_three_role_profiles_validate():
    assert {p.stem for p in PROFILES} == {"intersection-camera", "pawnshop-kiosk", "guesthouse-kiosk"}
    roles = {load_config(p).device.role for p in PROFILES}
    assert roles == {"intersection_camera", "pawnshop_kiosk", "guesthouse_kiosk"}


def _all_models(model: type[BaseModel], seen: set) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        inner = _model_in(field.annotation)
        if inner is not None:
            _all_models(inner, seen)


def test_every_config_field_is_described():
    models: set = set()
    _all_models(EdgeConfig, models)
    undocumented = [
        f"{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if not (field.description and len(field.description) > 10)
    ]
    assert len(models) >= 8
    assert undocumented == []


def test_good_config_loads():
    cfg = load_config_text(GOOD)
    assert cfg.device.id == "dev-0001"
    assert cfg.mqtt.keepalive_s == 15


def test_typo_gets_line_and_suggestion():
    (p,) = problems(GOOD.replace("  port: 1883", "  prot: 1883"))
    assert (p.file, p.line, p.path, p.message) == ("dev.yaml", 6, "mqtt.prot", "unknown key")
    assert p.suggestion == "did you mean 'port'?"
    assert str(p) == "dev.yaml:6: mqtt.prot: unknown key (did you mean 'port'?)"


def test_every_error_is_reported_at_once_in_line_order():
    text = GOOD.replace("id: dev-0001", "id: Bad ID").replace("port: 1883", "port: 99999")
    text = text.replace("role: pawnshop_kiosk", "role: pawnshop")
    found = problems(text)
    assert [(p.line, p.path) for p in found] == [(2, "device.id"), (3, "device.role"), (6, "mqtt.port")]
    assert found[1].suggestion == "did you mean 'pawnshop_kiosk'?"
    assert "less than or equal to 65535" in found[2].message


def test_yaml_syntax_error_has_line():
    (p,) = problems(GOOD.replace("  host: 127.0.0.1", "  host: [127.0.0.1"))
    assert p.line is not None and p.line >= 5
    assert p.message.startswith("YAML syntax error")


def test_missing_required_key():
    (p,) = problems(GOOD.replace("  host: 127.0.0.1\n", ""))
    assert (p.path, p.message, p.line) == ("mqtt.host", "required key is missing", 4)


def test_wrong_type_and_bad_size():
    found = problems(GOOD.replace("  path: /tmp/outbox.db", "  path: /tmp/outbox.db\n  quota: lots"))
    assert [p.path for p in found] == ["storage.quota"]
    found = problems(GOOD.replace("port: 1883", "port: abc"))
    assert "valid integer" in found[0].message


def test_plain_mqtt_needs_explicit_opt_in():
    (p,) = problems(GOOD.replace("  allow_insecure: true\n", ""))
    assert p.path == "mqtt" and "mutual TLS is required" in p.message


def test_inline_secret_is_refused_without_echoing_it():
    text = GOOD.replace(
        "  allow_insecure: true\n",
        "  tls:\n    ca_file: a\n    cert_file: b\n    key_file: c\n    key_passphrase: hunter2\n",
    )
    (p,) = problems(text)
    assert p.path == "mqtt.tls.key_passphrase"
    assert "must not be written inline" in p.message
    assert "hunter2" not in str(p)


def test_role_needs_its_section():
    (p,) = problems(GOOD.replace("kiosk: {}\n", ""))
    assert "needs a 'kiosk' section" in p.message


def test_top_level_must_be_mapping_and_file_must_exist(tmp_path):
    assert problems("- a\n- b\n")[0].message == "the file must be a YAML mapping of sections"
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"device:\n  site: \xe9\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load_config(bad)


def test_secret_from_file_and_credentials_dir(tmp_path, monkeypatch):
    (tmp_path / "pw").write_text("s3cret\n")
    assert read_secret(SecretRef(file=tmp_path / "pw")) == b"s3cret"
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_secret(SecretRef(credential="pw")) == b"s3cret"
    with pytest.raises(SecretError, match="cannot read secret"):
        read_secret(SecretRef(credential="nope"))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    with pytest.raises(SecretError, match="CREDENTIALS_DIRECTORY is not set"):
        read_secret(SecretRef(credential="pw"))


def test_validate_command_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert edge_main(["validate", "--config", str(good)]) == 1  # a kiosk without outbox encryption
    assert "storage.encryption_key" in capsys.readouterr().out
    good.write_text(GOOD.replace("/tmp/outbox.db\n", "/tmp/outbox.db\n  encryption_key: {file: /tmp/k}\n"))
    assert edge_main(["validate", "--config", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: dev-0001 (pawnshop_kiosk)") and out.count("\n") == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("port: 1883", "prot: 1883").replace("id: dev-0001", "id: X"))
    assert edge_main(["validate", "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "problems found (2 problems)" in err and f"{bad}:6: mqtt.prot" in err


def test_daemon_refuses_to_start_with_bad_config(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("  host: 127.0.0.1\n", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "refusing to start" in proc.stderr and "mqtt.host: required key is missing" in proc.stderr
