"""Camera sources (owned by the vision work; extended there)."""

from typing import Literal

from pydantic import Field

from firmware_config.base import Section


class CameraConfig(Section):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Camera id used in events and stats.")
    kind: Literal["rtsp", "mjpeg", "usb", "file"] = Field(description="Source type.")
    url: str = Field(description="Stream URL, V4L2 device index/path, or file/directory to replay.")
