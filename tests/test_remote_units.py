"""The remote-command parts without a broker: the wire format against its JSON
schemas, the gate's order of checks, the trial marker's rollback at start (what
`edge run` does before it reads a configuration), and masked camera passwords."""

from __future__ import annotations

import json
import time

import jsonschema
import pytest

from devkit.central import new_command_key, pinned_key, signed_command
from edge.contract.generate import SCHEMA_DIR
from edge.remote.dispatcher import reply_body
from edge.remote.gate import CommandGate
from edge.remote.nonces import NonceJournal
from edge.remote.redact import mask_url
from edge.remote.trial import Trial, TrialRecord, marker_for
from edge.remote.wire import Refusal
from firmware_config.remote import RemoteConfig


def schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())


def test_wire_format_and_replies_match_the_schemas():
    key = new_command_key()
    wire = json.loads(signed_command(key, "dev-0001", "set_config", {"config_yaml": "x: 1\n"}))
    jsonschema.validate(wire, schema("command_envelope"))
    jsonschema.validate(json.loads(wire["signed"]), schema("command"))
    jsonschema.validate({"config_yaml": "x: 1\n"}, schema("command_params_set_config"))
    for body in (None, ("set_config", "n" * 16)):
        reply = json.loads(reply_body("dev-0001", body, "refused", code="garbled", reason="x"))
        jsonschema.validate(reply, schema("command_reply"))


@pytest.fixture
def gate(tmp_path):
    key = new_command_key()
    cfg = RemoteConfig(command_key=pinned_key(key), journal=tmp_path / "j.db", max_command_bytes=2048)
    journal = NonceJournal(cfg.journal)
    yield key, CommandGate(cfg, "dev-0001", journal)
    journal.close()


def test_gate_checks_in_order_and_spends_a_nonce_only_when_admitted(gate):
    key, g = gate
    known = {"ping"}.__contains__
    with pytest.raises(Refusal) as err:
        g.admit(signed_command(key, "dev-0002", "ping"), known)
    assert err.value.code == "wrong_device"
    payload = signed_command(key, "dev-0001", "nope", nonce="n" * 20)
    with pytest.raises(Refusal) as err:
        g.admit(payload, known)
    assert err.value.code == "unknown_command"
    ok = signed_command(key, "dev-0001", "ping", nonce="n" * 20)  # same nonce: it was not spent
    assert g.admit(ok, known).command == "ping"
    with pytest.raises(Refusal) as err:
        g.admit(ok, known)
    assert err.value.code == "replay"


def test_a_trial_past_its_deadline_is_rolled_back_at_start(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    record = TrialRecord("set_config", "n" * 16, "devices/d/replies", "abcd", time.time() + 60, time.time())
    trial.begin(record, {config: b"new\n", tmp_path / "model.onnx": b"m"})
    assert config.read_text() == "new\n" and (tmp_path / "model.onnx").exists()
    with pytest.raises(RuntimeError):
        trial.begin(record, {config: b"newer\n"})  # one change on trial at a time
    assert trial.settle_at_start(time.time()).state == "trial"  # deadline not reached: left alone
    settled = trial.settle_at_start(time.time() + 120)
    assert settled.state == "rolled_back" and "not healthy within 60 s" in settled.reason
    assert config.read_text() == "old\n" and not (tmp_path / "model.onnx").exists()
    assert settled.correlation == bytes.fromhex("abcd")
    trial.forget()
    assert trial.load() is None


def test_committing_keeps_the_new_files(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    trial.begin(
        TrialRecord("set_config", "n" * 16, "t", None, time.time() + 60, time.time()), {config: b"new\n"}
    )
    assert trial.commit().state == "committed"
    assert config.read_text() == "new\n" and not (tmp_path / "config.yaml.rollback").exists()


def test_camera_passwords_are_masked():
    assert mask_url("rtsp://admin:s3cret@10.0.0.5:554/s1") == "rtsp://***@10.0.0.5:554/s1"
    assert mask_url("rtsp://10.0.0.5/s1") == "rtsp://10.0.0.5/s1"


class _HealthyDaemon:
    def __init__(self) -> None:
        self.restarts: list[str] = []

    def health(self) -> tuple[bool, list[str]]:
        return True, []

    def request_restart(self, reason: str) -> None:
        self.restarts.append(reason)


def test_a_trial_is_judged_by_the_next_process_not_the_one_that_began_it(tmp_path):
    """The process that accepted a change is still healthy while it shuts down; it must
    not commit the change it never ran with."""
    from edge.remote.service import RemoteService

    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    cfg = RemoteConfig(command_key=pinned_key(new_command_key()), healthy_for_s=0, health_deadline_s=60)
    clock = [1000.0]
    daemon = _HealthyDaemon()
    old = RemoteService(
        cfg, "d", None, trial, daemon, send=lambda r: None, connected=lambda: True, clock=lambda: clock[0]
    )  # type: ignore[arg-type]
    clock[0] += 1
    trial.begin(TrialRecord("set_config", "n" * 16, "t", None, clock[0] + 60, clock[0]), {config: b"new\n"})
    old._watch_trial()
    assert trial.load().state == "trial"
    clock[0] += 5
    new = RemoteService(
        cfg, "d", None, trial, daemon, send=lambda r: None, connected=lambda: True, clock=lambda: clock[0]
    )  # type: ignore[arg-type]
    new._watch_trial()
    new._watch_trial()
    assert trial.load() is None or trial.load().state == "committed"
