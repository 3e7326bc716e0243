"""Faults the emulated card can be told to commit, so tests exercise every
failure path of the reader through the real PC/SC stack."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Faults:
    """All off by default. Counts are of command APDUs since power-on."""

    wrong_key: bool = False
    """The chip holds other access data than printed on the card: every BAC/PACE key fails."""
    remove_after: int | None = None
    """Drop the vpcd connection (the card leaves the field) after this many APDUs."""
    corrupt_files: set[int] = field(default_factory=set)
    """FIDs whose last byte is flipped as the card serves them (after SOD signing)."""
    status_overrides: dict[int, int] = field(default_factory=dict)
    """INS -> status word answered instead of processing the command."""
    status_overrides_from: int = 0
    """APDU number from which `status_overrides` apply (e.g. only inside secure messaging)."""
    delay_s: float = 0.0
    """Extra latency before every answer (a slow chip or a weak field)."""
    bad_mac_after: int | None = None
    """From this APDU on, secure-messaging answers carry a wrong MAC."""
    truncate_after: int | None = None
    """From this APDU on, answers are cut short (last 5 bytes lost)."""

    def one_shot_removal_done(self) -> None:
        """After the card was pulled once, a re-presented card behaves."""
        self.remove_after = None
