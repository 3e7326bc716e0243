"""The device's TLS identity: the key opens (with the passphrase credential), the
certificate is for that key, its CN is `device.id`, it chains to the pinned CA and is
valid (warning under 30 days)."""

from __future__ import annotations

from pathlib import Path

from edge.checks.findings import Finding, fail, ok, skipped, warn
from edge.pki.certcheck import check_certificate
from edge.pki.keys import KeyFileError, load_key
from firmware_config import EdgeConfig
from firmware_config.secrets import SecretError, read_secret

ROTATE = "edge provision (new CSR) and --install-cert, or the rotate_cert command"


def identity_findings(cfg: EdgeConfig, credentials_dir: str | None = None) -> list[Finding]:
    tls = cfg.mqtt.tls
    if tls is None:
        return [warn("tls", "no TLS: the device connects in plain text", "add mqtt.tls (lab brokers only)")]
    passphrase = None
    if tls.key_passphrase is not None:
        try:
            passphrase = read_secret(tls.key_passphrase, credentials_dir)
        except SecretError as exc:
            return [
                fail("tls.key", f"key passphrase: {exc}", "run under systemd, or set $CREDENTIALS_DIRECTORY")
            ]
    try:
        key = load_key(tls.key_file, passphrase)
    except KeyFileError as exc:
        return [fail("tls.key", str(exc), "edge provision (a new key needs a new certificate)")]
    try:
        cert_pem, ca_pem = Path(tls.cert_file).read_bytes(), Path(tls.ca_file).read_bytes()
    except OSError as exc:
        return [
            ok("tls.key", "key opens"),
            fail("tls.cert", f"{exc.filename}: {exc.strerror}", "edge provision --install-cert"),
        ]
    report = check_certificate(cert_pem, key, cfg.device.id, ca_pem)
    out = [ok("tls.key", f"{tls.key_file} opens")]
    key_problem = [p for p in report.problems if "this device's key" in p]
    cn_problem = [p for p in report.problems if p.startswith("CN is")]
    date_problem = [p for p in report.problems if "expired" in p or "not valid before" in p]
    chain_problem = [p for p in report.problems if "pinned CA" in p or "holds no PEM" in p]
    out.append(
        fail("tls.key_matches_cert", key_problem[0], ROTATE)
        if key_problem
        else ok("tls.key_matches_cert", "certificate is for the device key")
    )
    out.append(
        fail("tls.cn", cn_problem[0], "the certificate must be issued for CN = device.id")
        if cn_problem
        else ok("tls.cn", f"CN = {cfg.device.id}")
    )
    out.append(
        fail(
            "tls.chain",
            chain_problem[0],
            "install the central CA's certificate as mqtt.tls.ca_file, or a certificate it issued",
        )
        if chain_problem
        else ok("tls.chain", "issued by the pinned CA")
    )
    if date_problem:
        out.append(fail("tls.expiry", date_problem[0], ROTATE + " (and check the clock)"))
    elif report.warnings:
        out.append(warn("tls.expiry", report.warnings[0], ROTATE))
    elif report.not_after is not None:
        out.append(ok("tls.expiry", f"valid until {report.not_after:%Y-%m-%d}"))
    else:
        out.append(skipped("tls.expiry", "no certificate"))
    return out
