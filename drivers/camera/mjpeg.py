"""HTTP multipart MJPEG cameras (`multipart/x-mixed-replace`), read part by part.

OpenCV's FFmpeg backend can open such URLs, but it silently hands back half-grey
images for truncated JPEGs and ends the stream on the first undecodable part, so
corrupt frames can be neither counted nor skipped. Reading the multipart body here and
decoding each JPEG with `cv2.imdecode` lets the camera count a damaged frame, drop
it, and keep the connection; a socket timeout detects a stalled camera."""

from __future__ import annotations

import base64
import http.client
import urllib.parse

import cv2
import numpy as np

from drivers.camera.source_base import (
    CorruptFrame,
    SourceUnavailable,
    StreamEnded,
    StreamStalled,
    check_frame,
    describe_url,
)

MAX_PART_BYTES = 16 * 1024 * 1024  # a 4K JPEG is well under this; more means a broken stream
MAX_HEADER_LINES = 32


class MjpegHttpSource:
    """One HTTP connection to an MJPEG camera; each part is one JPEG frame."""

    def __init__(self, url: str, *, open_timeout_s: float = 10.0, read_timeout_s: float = 5.0) -> None:
        self.url = url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceUnavailable(f"not an http(s) URL: {describe_url(url)}")
        conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._conn = conn_cls(parts.hostname, parts.port, timeout=open_timeout_s)
        headers = {"Accept": "multipart/x-mixed-replace, image/jpeg"}
        if parts.username is not None:
            token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        try:
            self._conn.request("GET", path, headers=headers)
            # From here on silence means a stalled camera. Set it on the socket now:
            # http.client hands the socket to the response and forgets it for
            # HTTP/1.0-style streams, so it cannot be reached after getresponse().
            if self._conn.sock is not None:
                self._conn.sock.settimeout(read_timeout_s)
            resp = self._conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            self._conn.close()
            raise SourceUnavailable(f"cannot connect to {describe_url(url)}: {exc}") from None
        if resp.status != 200:
            self._conn.close()
            raise SourceUnavailable(f"{describe_url(url)} answered HTTP {resp.status}")
        ctype = resp.getheader("Content-Type", "")
        boundary = _boundary(ctype)
        if boundary is None:
            self._conn.close()
            raise SourceUnavailable(f"{describe_url(url)} is not a multipart MJPEG stream ({ctype!r})")
        self._resp = resp
        self._delimiter = b"--" + boundary.encode("latin-1")
        self._shape: tuple[int, ...] | None = None
        self._pending: bytes | None = None  # a boundary line read ahead of its part

    def read(self) -> np.ndarray:
        data = self._next_part()
        body = data.rstrip(b"\r\n")
        if not (body.startswith(b"\xff\xd8") and body.endswith(b"\xff\xd9")):
            raise CorruptFrame(f"part of {len(data)} bytes is not a complete JPEG")
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        image = check_frame(image, self._shape)
        self._shape = image.shape
        return image

    def _io(self, op, *args) -> bytes:
        """Run one socket read, translating failures into the stream's typed errors."""
        try:
            data = op(*args)
        except TimeoutError:
            raise StreamStalled(f"no data from {describe_url(self.url)} within the read timeout") from None
        except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:
            raise StreamEnded(f"connection to {describe_url(self.url)} lost: {exc}") from None
        if not data:
            raise StreamEnded(f"{describe_url(self.url)} closed the stream")
        return data

    def _readline(self) -> bytes:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return self._io(self._resp.fp.readline, 65537)

    def _read_exact(self, n: int) -> bytes:
        chunks, remaining = [], n
        while remaining:
            chunk = self._io(self._resp.fp.read, remaining)
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _next_part(self) -> bytes:
        """Skip to the next boundary, parse the part headers, return the part body."""
        while not self._readline().startswith(self._delimiter):
            pass
        length = None
        for _ in range(MAX_HEADER_LINES):
            line = self._readline().strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    raise CorruptFrame("unparseable Content-Length") from None
        else:
            raise CorruptFrame("part headers never ended")
        if length is not None:
            if not 0 < length <= MAX_PART_BYTES:
                raise CorruptFrame(f"implausible part length {length}")
            return self._read_exact(length)
        return self._read_until_boundary()

    def _read_until_boundary(self) -> bytes:
        """Body of a part without Content-Length: everything up to the next boundary.
        The boundary line read to find the end is kept for `_next_part`."""
        chunks: list[bytes] = []
        size = 0
        while True:
            line = self._readline()
            if line.startswith(self._delimiter):
                self._pending = line
                return b"".join(chunks)
            chunks.append(line)
            size += len(line)
            if size > MAX_PART_BYTES:
                raise CorruptFrame("part exceeds the size limit without a boundary")

    def close(self) -> None:
        self._conn.close()


def _boundary(content_type: str) -> str | None:
    main, _, params = content_type.partition(";")
    if not main.strip().lower().startswith("multipart/"):
        return None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            value = value.strip('"')
            return value[2:] if value.startswith("--") else value
    return None
