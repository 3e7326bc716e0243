"""The remote-command parts without a broker: the wire format against its JSON
schemas, the gate's order of checks, the trial marker's rollback at start (what
`edge run` does before it reads a configuration), and masked camera passwords."""

from __future__ import annotations

import json

import jsonschema
import pytest

from devkit.central import new_command_key, pinned_key, signed_command
from edge.boottime import BootInstant
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


BOOT = "6f1c2e0a-boot-one"


def record(deadline_s: float = 60, at: BootInstant | None = None, corr: str | None = None) -> TrialRecord:
    at = at or BootInstant(BOOT, 100.0)
    return TrialRecord("set_config", "n" * 16, "devices/d/replies", corr, at.boot_id, at.seconds, deadline_s)


def test_a_trial_past_its_deadline_is_rolled_back_at_start(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    rec = record(corr="abcd")
    trial.begin(rec, {config: b"new\n", tmp_path / "model.onnx": b"m"})
    assert config.read_text() == "new\n" and (tmp_path / "model.onnx").exists()
    with pytest.raises(RuntimeError):
        trial.begin(rec, {config: b"newer\n"})  # one change on trial at a time
    assert trial.settle_at_start(BootInstant(BOOT, 150.0)).state == "trial"  # deadline not reached
    settled = trial.settle_at_start(BootInstant(BOOT, 220.0))
    assert settled.state == "rolled_back" and "not healthy within 60 s" in settled.reason
    assert config.read_text() == "old\n" and not (tmp_path / "model.onnx").exists()
    assert settled.correlation == bytes.fromhex("abcd")
    trial.forget()
    assert trial.load() is None


def test_a_trial_that_began_before_a_reboot_is_rolled_back_at_start(tmp_path):
    """Boot time starts again at zero: 30 s into the next boot says nothing about how
    long the device was off, and the change never proved itself."""
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    trial.begin(record(deadline_s=120, at=BootInstant(BOOT, 5000.0)), {config: b"new\n"})
    settled = trial.settle_at_start(BootInstant("9a7d-boot-two", 30.0))
    assert settled.state == "rolled_back" and "rebooted" in settled.reason
    assert config.read_text() == "old\n"


def test_committing_keeps_the_new_files(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    trial.begin(record(), {config: b"new\n"})
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


class _Clocks:
    """The wall clock and boot time of one boot, moved by hand: `advance` is time
    passing (both move), `step` is NTP or an operator setting the wall clock."""

    def __init__(self) -> None:
        self.wall_s = 1_000_000.0
        self.boot_s = 1000.0

    def wall(self) -> float:
        return self.wall_s

    def boot(self) -> BootInstant:
        return BootInstant(BOOT, self.boot_s)

    def advance(self, seconds: float) -> None:
        self.wall_s += seconds
        self.boot_s += seconds

    def step(self, seconds: float) -> None:
        self.wall_s += seconds


class _Daemon(_HealthyDaemon):
    def __init__(self, healthy: bool = True) -> None:
        super().__init__()
        self.healthy = healthy

    def health(self) -> tuple[bool, list[str]]:
        return self.healthy, [] if self.healthy else ["publisher"]


def _service(trial: Trial, daemon: _HealthyDaemon, clocks: _Clocks, **cfg: float):
    from edge.remote.service import RemoteService

    config = RemoteConfig(command_key=pinned_key(new_command_key()), **cfg)
    return RemoteService(
        config, "d", None, trial, daemon, send=lambda r: None, connected=lambda: False,  # type: ignore[arg-type]
        clock=clocks.wall, boot=clocks.boot,
    )  # fmt: skip


def _trial_begun_by_an_earlier_process(tmp_path, clocks: _Clocks, deadline_s: float = 60) -> Trial:
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    trial.begin(record(deadline_s, at=clocks.boot()), {config: b"new\n"})
    clocks.advance(2)  # the restart
    return trial


def test_a_trial_is_judged_by_the_next_process_not_the_one_that_began_it(tmp_path):
    """The process that accepted a change is still healthy while it shuts down; it must
    not commit the change it never ran with."""
    clocks = _Clocks()
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    daemon = _HealthyDaemon()
    old = _service(trial, daemon, clocks, healthy_for_s=0, health_deadline_s=60)
    clocks.advance(1)
    trial.begin(record(60, at=clocks.boot()), {config: b"new\n"})
    old._watch_trial()
    assert trial.load().state == "trial"
    clocks.advance(5)
    new = _service(trial, daemon, clocks, healthy_for_s=0, health_deadline_s=60)
    new._watch_trial()
    new._watch_trial()
    assert trial.load() is None or trial.load().state == "committed"


def test_a_wall_clock_step_forward_does_not_roll_back_a_healthy_trial(tmp_path):
    """A Pi without RTC boots hours behind; NTP's first sync steps the clock forward in
    the middle of the trial. The change is judged by the time that really passed."""
    clocks = _Clocks()
    trial = _trial_begun_by_an_earlier_process(tmp_path, clocks)
    service = _service(trial, _Daemon(), clocks, healthy_for_s=5, health_deadline_s=60)
    service._watch_trial()  # healthy from now on
    clocks.step(9 * 3600)
    clocks.advance(1)
    service._watch_trial()
    assert trial.load().state == "trial"  # 3 s into a 60 s deadline: nothing decided yet
    clocks.advance(5)
    service._watch_trial()
    assert trial.load().state == "committed"
    assert (tmp_path / "config.yaml").read_text() == "new\n"


def test_a_wall_clock_step_back_does_not_keep_an_unhealthy_trial_past_its_deadline(tmp_path):
    clocks = _Clocks()
    trial = _trial_begun_by_an_earlier_process(tmp_path, clocks)
    daemon = _Daemon(healthy=False)
    service = _service(trial, daemon, clocks, healthy_for_s=5, health_deadline_s=60)
    clocks.step(-3600)
    clocks.advance(61)
    service._watch_trial()
    rolled = trial.load()
    assert rolled.state == "rolled_back" and "not healthy within 60 s" in rolled.reason, rolled
    assert daemon.restarts and (tmp_path / "config.yaml").read_text() == "old\n"
    # and at the next start nothing is rolled back twice, whatever the wall clock says
    assert trial.settle_at_start(clocks.boot()).state == "rolled_back"


def test_a_marker_from_a_release_that_kept_wall_clock_deadlines_is_rolled_back_at_start(tmp_path):
    """An upgrade in the middle of a trial: the old marker's deadline cannot be placed
    in boot time, so the change is treated as not proven and the previous files return."""
    config = tmp_path / "config.yaml"
    config.write_text("old\n")
    trial = Trial(marker_for(config))
    trial.begin(record(), {config: b"new\n"})
    data = json.loads(trial.marker.read_text())
    for key in ("boot_id", "started_boot_s", "deadline_s"):
        del data[key]
    data.update(deadline=1_800_000_060.0, started_at=1_800_000_000.0)
    trial.marker.write_text(json.dumps(data))
    settled = trial.settle_at_start(BootInstant(BOOT, 101.0))
    assert settled.state == "rolled_back" and config.read_text() == "old\n"


def test_ping_uptime_ignores_a_wall_clock_step(tmp_path, monkeypatch):
    """A device whose clock NTP steps forward by hours right after boot (no RTC on a Pi)
    must not report hours of uptime to the central server."""
    import time

    from edge.remote.handlers.base import RemoteContext
    from edge.remote.handlers.basic import NoParams, Ping

    ctx = RemoteContext(config=None, config_path=tmp_path / "c.yaml", daemon=_Daemon(), trial=None)  # type: ignore[arg-type]
    stepped = time.time() + 9 * 3600
    monkeypatch.setattr(time, "time", lambda: stepped)
    outcome = Ping(ctx).run(NoParams(), None)  # type: ignore[arg-type]
    assert outcome.result["uptime_s"] < 60
