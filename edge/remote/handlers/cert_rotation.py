"""rotate_cert in two steps. Without a certificate: a new key is made on the device
(beside the current one, as `KEY.next`, encrypted with the same passphrase) and its
CSR (CN = device id) goes back in the reply. With the certificate the central CA made
from that CSR: it is checked like `edge provision --install-cert` checks one (this
key, the CN, the chain to the pinned CA or to the new CA given, the dates), then key
and certificate are swapped in on trial: unless the daemon reconnects to the broker
with them in time, the previous pair is restored by itself."""

from __future__ import annotations

import contextlib
from pathlib import Path

from pydantic import Field

from edge.pki.certcheck import check_certificate
from edge.pki.keys import KeyFileError, generate_key, key_pem, load_key, make_csr
from edge.remote.files import write_atomic
from edge.remote.handlers.base import CommandFailed, Outcome, Params, RemoteContext, Request, start_trial
from firmware_config.secrets import SecretError, read_secret


class RotateCertParams(Params):
    certificate: str | None = Field(
        default=None, max_length=32768, description="PEM certificate for the key sent in the CSR."
    )
    ca: str | None = Field(
        default=None, max_length=32768, description="New pinned CA (PEM), when the central CA changes too."
    )


class RotateCert:
    name = "rotate_cert"
    params = RotateCertParams

    def __init__(self, ctx: RemoteContext) -> None:
        self.ctx = ctx

    def _passphrase(self) -> bytes | None:
        tls = self.ctx.config.mqtt.tls
        assert tls is not None
        if tls.key_passphrase is None:
            return None
        try:
            return read_secret(tls.key_passphrase, self.ctx.credentials_dir)
        except SecretError as exc:
            raise CommandFailed(f"key passphrase: {exc}") from exc

    def run(self, params: RotateCertParams, request: Request) -> Outcome:
        tls = self.ctx.config.mqtt.tls
        if tls is None:
            raise CommandFailed("this device connects without TLS; there is no certificate to rotate")
        next_key = Path(f"{tls.key_file}.next")
        passphrase = self._passphrase()
        if params.certificate is None:
            key = generate_key()
            write_atomic(next_key, key_pem(key, passphrase), mode=0o600)
            csr = make_csr(key, self.ctx.config.device.id).decode()
            return Outcome("ok", {"csr": csr, "common_name": self.ctx.config.device.id})
        try:
            key = load_key(next_key, passphrase)
        except KeyFileError as exc:
            raise CommandFailed(f"{exc}; send rotate_cert without a certificate first") from exc
        ca_pem = params.ca.encode() if params.ca is not None else Path(tls.ca_file).read_bytes()
        report = check_certificate(params.certificate.encode(), key, self.ctx.config.device.id, ca_pem)
        if not report.ok:
            raise CommandFailed("certificate refused: " + "; ".join(report.problems))
        changes = {
            Path(tls.key_file): next_key.read_bytes(),
            Path(tls.cert_file): params.certificate.encode(),
        }
        if params.ca is not None:
            changes[Path(tls.ca_file)] = ca_pem
        outcome = start_trial(
            self.ctx,
            request,
            changes,
            {
                "not_after": report.not_after.isoformat() if report.not_after else None,
                "warnings": report.warnings,
            },
        )
        with contextlib.suppress(FileNotFoundError):
            next_key.unlink()
        return outcome
