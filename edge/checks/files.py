"""Every file and directory a configuration refers to: present, of the right kind and,
when a service user is given, readable by it. Needs no network, so `edge validate`
runs it (and with it the unit's ExecStartPre), as do `edge doctor` and the remote
set_config / update_model commands before they accept a configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from edge.checks.access import readable_by, user_ids
from edge.checks.findings import Finding, fail, ok, warn
from firmware_config import EdgeConfig
from firmware_config.secrets import SecretRef


@dataclass(frozen=True)
class Reference:
    key: str  # config key path, e.g. mqtt.tls.ca_file
    path: Path
    kind: str  # "file" or "dir"


def _secret(key: str, ref: SecretRef | None, credentials_dir: str | None) -> Iterator[Reference]:
    if ref is None:
        return
    if ref.file is not None:
        yield Reference(key, ref.file, "file")
    elif credentials_dir:
        yield Reference(
            f"{key} (credential {ref.credential})", Path(credentials_dir) / str(ref.credential), "file"
        )


def references(cfg: EdgeConfig, credentials_dir: str | None = None) -> list[Reference]:
    """The paths named by `cfg` that must exist before the daemon starts. Credentials are
    only checkable where $CREDENTIALS_DIRECTORY is set (under systemd)."""
    refs: list[Reference] = []
    tls = cfg.mqtt.tls
    if tls is not None:
        refs += [
            Reference("mqtt.tls.ca_file", tls.ca_file, "file"),
            Reference("mqtt.tls.cert_file", tls.cert_file, "file"),
            Reference("mqtt.tls.key_file", tls.key_file, "file"),
        ]
        refs += _secret("mqtt.tls.key_passphrase", tls.key_passphrase, credentials_dir)
    refs.append(Reference("storage.path (its directory)", Path(cfg.storage.path).parent, "dir"))
    refs += _secret("storage.encryption_key", cfg.storage.encryption_key, credentials_dir)
    if cfg.kiosk is not None:
        if cfg.kiosk.csca_dir is not None:
            refs.append(Reference("kiosk.csca_dir", cfg.kiosk.csca_dir, "dir"))
        refs += _secret("kiosk.staff_pin", cfg.kiosk.staff_pin, credentials_dir)
    for i, cam in enumerate(cfg.cameras):
        if cam.kind == "file":
            refs.append(Reference(f"cameras[{i}].url", Path(cam.url), "any"))
    refs += _model_paths(cfg)
    return refs


def _model_paths(cfg: EdgeConfig) -> list[Reference]:
    """`.onnx` paths anywhere under `vision` (manifest names are checked by the doctor's
    model check, which also verifies their sha256)."""
    out: list[Reference] = []

    def walk(node: object, key: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{key}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{key}[{i}]")
        elif isinstance(node, str) and key.endswith(".model") and node.endswith(".onnx"):
            out.append(Reference(key, Path(node), "file"))

    if cfg.vision is not None:
        walk(cfg.vision.model_dump(mode="json"), "vision")
    if cfg.kiosk is not None:
        walk(cfg.kiosk.model_dump(mode="json"), "kiosk")
    return out


def file_findings(
    cfg: EdgeConfig, *, user: str | None = None, credentials_dir: str | None = None
) -> list[Finding]:
    creds = credentials_dir if credentials_dir is not None else os.environ.get("CREDENTIALS_DIRECTORY")
    ids = user_ids(user) if user else None
    out: list[Finding] = []
    if user and ids is None:
        out.append(fail("files.user", f"service user {user!r} does not exist", "run `edge provision` again"))
    missing = 0
    for ref in references(cfg, creds):
        check = f"files.{ref.key.split(' ')[0]}"
        path = ref.path
        if not path.exists():
            missing += 1
            out.append(fail(check, f"{ref.key}: {path} does not exist", f"create {path} or fix {ref.key}"))
            continue
        if ref.kind == "file" and not path.is_file():
            out.append(fail(check, f"{ref.key}: {path} is not a file", f"point {ref.key} at a file"))
            continue
        if ref.kind == "dir" and not path.is_dir():
            out.append(
                fail(check, f"{ref.key}: {path} is not a directory", f"point {ref.key} at a directory")
            )
            continue
        if not os.access(path, os.R_OK):
            out.append(fail(check, f"{ref.key}: {path} is not readable", f"fix the mode of {path}"))
            continue
        if ids is not None and not readable_by(path, *ids):
            out.append(
                fail(
                    check,
                    f"{ref.key}: {path} is not readable by the service user {user}",
                    f"chgrp {user} {path} && chmod g+r {path} (and g+x on its directories)",
                )
            )
            continue
        if ref.kind == "file" and path.stat().st_mode & 0o004 and "key" in ref.key:
            out.append(warn(check, f"{ref.key}: {path} is world-readable", f"chmod o-rwx {path}"))
            continue
        out.append(ok(check, f"{path}"))
    return out
