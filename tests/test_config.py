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
    key = tmp_path / "k"
    good.write_text(GOOD.replace("/tmp/outbox.db\n", f"/tmp/outbox.db\n  encryption_key: {{file: {key}}}\n"))
    assert edge_main(["validate", "--config", str(good)]) == 1  # the key file does not exist yet
    assert f"storage.encryption_key: {key} does not exist" in capsys.readouterr().out
    key.write_text("00" * 32)
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


# -- bounds: values that validated but broke the daemon later ---------------------------


def _numeric_leaves_without_upper_bound(model: type[BaseModel], path: str = "") -> list[str]:
    """Config paths whose numbers (also inside tuples, lists and dicts) have no le/lt."""
    import typing

    import annotated_types as at

    def bounded(meta: list) -> bool:
        flat = [m for x in meta for m in (x, *(getattr(x, "metadata", None) or []))]
        return any(isinstance(m, (at.Le, at.Lt)) for m in flat)

    def leaves(ann, meta: list, where: str) -> list[str]:
        if typing.get_origin(ann) is typing.Annotated:
            base, *extra = typing.get_args(ann)
            return leaves(base, [*meta, *extra], where)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return _numeric_leaves_without_upper_bound(ann, where)
        if isinstance(ann, type) and issubclass(ann, (int, float)) and ann is not bool:
            return [] if bounded(meta) else [where]
        container = typing.get_origin(ann) in (list, tuple, dict)
        return [
            leaf
            for arg in typing.get_args(ann)
            if arg not in (type(None), Ellipsis)
            for leaf in leaves(arg, [] if container else meta, where + ("[]" if container else ""))
        ]

    return [
        leaf
        for name, field in model.model_fields.items()
        for leaf in leaves(field.annotation, list(field.metadata), f"{path}.{name}" if path else name)
    ]


def test_every_number_in_the_configuration_has_an_upper_bound():
    # polygon corners are checked against [0, 1] by their validator (with a message saying so)
    unbounded = [p for p in _numeric_leaves_without_upper_bound(EdgeConfig) if not p.endswith("[][]")]
    assert unbounded == []


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            "  allow_insecure: true\n",
            "  allow_insecure: true\n  session_expiry_s: 4294967296\n",
            "session_expiry_s",
        ),
        (
            "  path: /tmp/outbox.db\n",
            "  path: /tmp/outbox.db\n  default_ttl_s: 1000000000000000000000000000000000000000000\n",
            "default_ttl_s",
        ),
        (
            "  path: /tmp/outbox.db\n",
            "  path: /tmp/outbox.db\n  ttl_s: {checkin: 1000000000000000000000000000000000000000000}\n",
            "ttl_s.checkin",
        ),
        ("  path: /tmp/outbox.db\n", "  path: /tmp/outbox.db\n  quota: 100PB\n", "storage.quota"),
        ("  allow_insecure: true\n", "  allow_insecure: true\n  reconnect_max_s: .inf\n", "reconnect_max_s"),
        (
            "  allow_insecure: true\n",
            "  allow_insecure: true\n  stats_interval_s: .nan\n",
            "stats_interval_s",
        ),
        (
            "  allow_insecure: true\n",
            "  allow_insecure: true\n  rejected_retry_s: 1e300\n",
            "rejected_retry_s",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v else "",
)
def test_values_the_daemon_cannot_hold_are_refused_at_validation(old, new, key):
    found = problems(GOOD.replace(old, new))
    assert any(key in p.path for p in found), found


def test_a_session_expiry_of_four_bytes_still_validates():
    text = GOOD.replace(
        "  allow_insecure: true\n", "  allow_insecure: true\n  session_expiry_s: 4294967295\n"
    )
    assert load_config_text(text).mqtt.session_expiry_s == 2**32 - 1


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(tmp_path):
    import resource

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(GOOD + "\n".join(lines) + "\n")

    def limit_memory() -> None:  # the old loader took gigabytes; fail fast instead of swapping
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "validate", "--config", str(bomb)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_memory,
    )
    assert done.returncode == 1 and "aliases expand to more than" in done.stderr, done.stderr[-2000:]


def test_moderate_alias_use_still_validates():
    text = GOOD.replace("storage:\n  path: /tmp/outbox.db\n", "storage: &s\n  path: /tmp/outbox.db\n")
    assert load_config_text(text).storage.path == Path("/tmp/outbox.db")


def test_self_referring_and_deeply_nested_yaml_are_config_errors():
    assert "refers to itself" in str(problems(GOOD + "loop: &l [1, *l]\n")[0])
    assert "nested too deeply" in str(problems(GOOD + "deep: " + "[" * 100_000 + "]" * 100_000 + "\n")[0])
