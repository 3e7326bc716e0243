"""Reusable frame buffers for decoders that can write into a given array.

A 720p BGR frame is 2.7 MB. Decoding every frame into a freshly allocated array means
the kernel maps and zeroes 675 new pages per frame (a third of a capture thread's CPU
was page faults and page clearing, measured with `perf`), and the churn of large
blocks across threads keeps the heap from settling. OpenCV's `VideoCapture.read`
writes into an array of the right size and type instead, so each source keeps a
few buffers and decodes into one that nobody uses any more.

"Nobody uses it" is read from the buffer's reference count: a `Frame` in a queue, a
frame being analysed, a crop view (views keep their base array alive) or a
tracker holding a frame all count, so a buffer is reused only once every one of them
is gone. This is safe by construction, whatever downstream code keeps: at worst the
pool finds nothing free and the decoder allocates a new array as before."""

from __future__ import annotations

import sys

import numpy as np


class FramePool:
    """At most `max_buffers` frame arrays of one shape, owned by one capture thread."""

    def __init__(self, max_buffers: int) -> None:
        if max_buffers < 0:
            raise ValueError("max_buffers must be >= 0")
        self.max_buffers = max_buffers
        self._buffers: list[np.ndarray] = []
        self._idle_refs = 0
        self.reused = 0
        """Frames decoded into a recycled buffer (for tests and stats)."""

    def _refs(self, i: int) -> int:
        # The same expression measures the idle baseline and the current count, so
        # the comparison holds whatever the interpreter's own counting details are.
        return sys.getrefcount(self._buffers[i])

    def free_buffer(self) -> np.ndarray | None:
        """A pooled array no one else references, or None (decode into a new one)."""
        for i in range(len(self._buffers)):
            if self._refs(i) <= self._idle_refs:
                self.reused += 1
                return self._buffers[i]
        return None

    def adopt(self, image: np.ndarray) -> None:
        """Offer a freshly decoded frame to the pool: kept for reuse once released, if
        there is room and it has the pool's shape (a new shape empties the pool)."""
        if self._buffers and (self._buffers[0].shape != image.shape or self._buffers[0].dtype != image.dtype):
            self._buffers.clear()
        if len(self._buffers) >= self.max_buffers or not image.flags.c_contiguous or image.base is not None:
            return
        if any(b is image for b in self._buffers):
            return
        self._buffers.append(np.empty(1, np.uint8))  # referenced by the list alone
        idle = self._refs(len(self._buffers) - 1)
        self._buffers[-1] = image
        if not self._idle_refs:
            self._idle_refs = idle

    def __len__(self) -> int:
        return len(self._buffers)
