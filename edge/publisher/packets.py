"""Sizes and socket options of what the link writes: the PUBLISH size as a broker's
Maximum Packet Size counts it, and TCP corking for bursts."""

from __future__ import annotations

import socket

from paho.mqtt.properties import Properties, VariableByteIntegers


def set_cork(sock: socket.socket, on: bool) -> bool:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, int(on))
    except (AttributeError, OSError):  # not Linux, or the socket just closed
        return False
    return True


def packet_size(topic: str, payload: bytes, qos: int, props: Properties | None) -> int:
    """Size of the PUBLISH packet on the wire, as the broker's Maximum Packet Size counts it."""
    remaining = (
        2 + len(topic.encode()) + (2 if qos else 0) + len(props.pack() if props else b"\0") + len(payload)
    )
    return 1 + len(VariableByteIntegers.encode(remaining)) + remaining
