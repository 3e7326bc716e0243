"""Fixtures for the real PC/SC stack (loaded from conftest via pytest_plugins).

One pcscd for the whole session (started as root in the foreground with only
the vpcd driver configured, stopped at the end), one test PKI, one test
citizen. Tests present cards with `devkit.emulator.stack.presented`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported lazily: every test session loads this plugin
    from devkit.cccd.testcard import TestPerson, TestPki
    from devkit.emulator.profile import CardProfile
    from devkit.emulator.stack import PcscdProcess

READER_NAME = "Virtual PCD 00 00"


def _pem(key: object) -> bytes | None:
    if key is None:
        return None
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class CardKit:
    """Everything a card test needs: the person, the PKI and a profile maker."""

    person: TestPerson
    pki: TestPki
    reader: str = READER_NAME

    def profile(self, person: TestPerson | None = None, **build_options: object) -> CardProfile:
        from devkit.cccd.testcard import build_card_files
        from devkit.emulator.profile import CardProfile

        who = person or self.person
        pace = build_options.pop("pace", True)
        extended = build_options.pop("extended_length", True)
        if not pace:
            build_options["pace_parameter_id"] = None
        card_aa_key = build_options.pop("card_aa_key", None)  # what the chip holds (clone test)
        ca_key = build_options.pop("ca_key", None)  # adds DG14 and Chip Authentication
        files = build_card_files(who, self.pki, **build_options)  # type: ignore[arg-type]
        if ca_key is not None:
            from devkit.emulator.card_ca import with_chip_authentication

            files = with_chip_authentication(files, self.pki, ca_key.public_key())  # type: ignore[attr-defined]
        aa_key = card_aa_key or build_options.get("aa_key")
        return CardProfile(
            files=files,
            document_number=who.document_number,
            birth=who.birth_yymmdd,
            expiry=who.expiry_yymmdd,
            can=who.can,
            pace=bool(pace),
            extended_length=bool(extended),
            aa_key_pem=_pem(aa_key),
            ca_key_pem=_pem(ca_key),
        )

    @property
    def trust_dir(self) -> Path:
        return self.pki.trust_dir


@pytest.fixture(scope="session")
def pcsc_stack() -> Iterator[PcscdProcess]:
    from devkit.emulator.stack import PcscdProcess, StackUnavailable

    try:
        process = PcscdProcess()
    except StackUnavailable as exc:
        pytest.fail(f"PC/SC test stack unavailable: {exc}", pytrace=False)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def card_kit(tmp_path_factory: pytest.TempPathFactory) -> CardKit:
    from devkit.cccd.testcard import TestPerson, TestPki

    return CardKit(TestPerson.default(), TestPki.generate(tmp_path_factory.mktemp("pki")))
