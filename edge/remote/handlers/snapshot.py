"""snapshot: one still (JPEG, base64 in the reply) from a camera, only for cameras the
configuration lists in `remote.snapshot_cameras`: a still may show faces and plates,
so by default no camera may be asked (Decree 13/2023: collect the minimum)."""

from __future__ import annotations

import base64

from pydantic import Field

from edge.remote.handlers.base import CommandFailed, Outcome, Params, RemoteContext, Request

STILL_TIMEOUT_S = 5.0


class SnapshotParams(Params):
    camera: str = Field(min_length=1, max_length=64, description="Camera id from the configuration.")


class Snapshot:
    name = "snapshot"
    params = SnapshotParams

    def __init__(self, ctx: RemoteContext) -> None:
        self.ctx = ctx

    def run(self, params: SnapshotParams, request: Request) -> Outcome:
        remote = self.ctx.config.remote
        assert remote is not None
        if params.camera not in remote.snapshot_cameras:
            raise CommandFailed(
                f"snapshots of camera {params.camera!r} are not allowed by this device's configuration "
                "(remote.snapshot_cameras)"
            )
        try:
            jpeg = self.ctx.daemon.still(params.camera, STILL_TIMEOUT_S)
        except (LookupError, TimeoutError) as exc:
            raise CommandFailed(f"no still from camera {params.camera!r}: {exc}") from exc
        return Outcome(
            "ok",
            {
                "camera": params.camera,
                "content_type": "image/jpeg",
                "jpeg_b64": base64.b64encode(jpeg).decode(),
            },
        )
