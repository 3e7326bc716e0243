"""Mutual TLS context for the broker connection.

Built once at start-up, before the first connection attempt, so a missing key file or
a wrong passphrase stops the daemon with a clear message instead of turning into an
endless reconnect loop. Only the configured CA is trusted (pinned): the system trust
store is never loaded, so a certificate from any public CA for the broker's name is
still refused."""

from __future__ import annotations

import ssl

from edge.publisher.errors import TlsSetupError
from firmware_config.mqtt import TlsConfig
from firmware_config.secrets import SecretError, read_secret


class _FixedNameContext(ssl.SSLContext):
    """Verifies the broker certificate against a configured name rather than the host
    we dial (e.g. dialling 127.0.0.1 through a tunnel to `mqtt.central.example`)."""

    verify_name: str | None = None

    def wrap_socket(self, sock, *args, server_hostname=None, **kwargs):  # type: ignore[override]
        return super().wrap_socket(sock, *args, server_hostname=self.verify_name or server_hostname, **kwargs)


def build_tls_context(tls: TlsConfig, credentials_dir: str | None = None) -> ssl.SSLContext:
    """A TLS >= 1.2 client context with the pinned CA, hostname checking and the device's
    own certificate and key; raises TlsSetupError naming the file at fault."""
    ctx = _FixedNameContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_name = tls.server_hostname
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    try:
        ctx.load_verify_locations(cafile=str(tls.ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"cannot load the pinned CA {tls.ca_file}: {_why(exc)}") from exc
    password: bytes | None = None
    if tls.key_passphrase is not None:
        try:
            password = read_secret(tls.key_passphrase, credentials_dir)
        except SecretError as exc:
            raise TlsSetupError(f"key passphrase for {tls.key_file}: {exc}") from exc
    try:
        # An encrypted key without a passphrase must fail here, not prompt on a TTY.
        ctx.load_cert_chain(str(tls.cert_file), str(tls.key_file), password=password or (lambda: b""))
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(
            f"cannot load device certificate {tls.cert_file} with key {tls.key_file}: {_why(exc)} "
            "(wrong passphrase, or key and certificate do not match?)"
        ) from exc
    return ctx


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
