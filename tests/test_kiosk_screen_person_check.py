"""The person check with face verification on the kiosk page, in real headless
Chromium: the liveness challenge (blink, turn left / right) in its own box above the
quality gate's guidance, the tries left and the seconds left, in Vietnamese and in
English; the box goes away when the challenge is done. Every key the face verifier
can send is in the contract and the message table.

Screenshots: var/test-artifacts/kiosk-screen/person_check/."""

from __future__ import annotations

import pytest

from edge.vision.faceid.check import GUIDANCE_DONE
from edge.vision.faceid.liveness import Challenge
from edge.vision.faceid.quality import Guidance
from kiosk.screen.protocol import MESSAGE_KEYS, ScreenState
from tests.kiosk_screen_fixtures import MESSAGES, artifact, en, vi


def face_keys() -> set[str]:
    return {g.value for g in Guidance} | {c.guidance for c in Challenge} | {GUIDANCE_DONE}


def test_every_key_the_face_verifier_sends_is_in_the_contract_and_translated() -> None:
    """A key missing here would show only the family's general text ("follow the instructions")."""
    assert face_keys() - MESSAGE_KEYS == set()
    assert face_keys() - MESSAGES.keys() == set()


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def show(controller, browser, **fields):
    snap = controller.show(ScreenState.PERSON_CHECK, workflow="identity_verification", **fields)
    browser.wait_for_seq(snap.seq)
    return snap


@pytest.mark.parametrize("challenge", [c.guidance for c in Challenge])
def test_challenge_with_guidance_tries_and_time_left_in_both_languages(
    screen, screen_controller, screen_browser, challenge
):
    b, page = screen_browser, screen_browser.page
    show(
        screen_controller,
        b,
        challenge=challenge,
        guidance="face.move_closer",
        attempts_left=2,
        deadline_s=6.0,
    )
    assert page.is_visible("#challenge")
    assert text(page, "#challenge") == vi(challenge)
    assert text(page, ".challenge-label") == vi("ui.challenge")
    assert text(page, "#guidance") == vi("face.move_closer")
    status = text(page, ".status")
    assert vi("ui.attempts_left").replace("{n}", "2") in status
    assert any(vi("ui.seconds_left").replace("{n}", str(n)) in status for n in (6, 5))
    b.screenshot(artifact("person_check", f"{challenge.split('.')[1]}_vi.png"))

    page.click("#lang-button")
    page.wait_for_selector('body[data-lang="en"]')
    assert text(page, "#challenge") == en(challenge)
    assert text(page, ".challenge-label") == en("ui.challenge")
    assert text(page, "#guidance") == en("face.move_closer")
    assert en("ui.attempts_left").replace("{n}", "2") in text(page, ".status")
    b.screenshot(artifact("person_check", f"{challenge.split('.')[1]}_en.png"))
    page.click("#lang-button")
    page.wait_for_selector('body[data-lang="vi"]')


def test_challenge_box_goes_when_the_challenge_is_done(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, challenge="face.blink", guidance=None, attempts_left=3, deadline_s=6.0)
    assert text(page, "#challenge") == vi("face.blink")
    assert text(page, "#guidance") == ""  # nothing in the way of the challenge
    for key in ("face.look_straight", "face.blurred", "face.more_light", "face.one_person", "face.ok"):
        snap = screen_controller.update(challenge=None, guidance=key, deadline_s=20.0)
        b.wait_for_seq(snap.seq)
        assert not page.is_visible("#challenge")
        assert text(page, "#guidance") == vi(key)
    snap = screen_controller.update(guidance="face.done")
    b.wait_for_seq(snap.seq)
    assert text(page, "#guidance") == vi("face.done")
    # a challenge this page does not know yet gets the family's text, not a blank
    snap = screen_controller.update(challenge="face.smile", guidance=None)
    b.wait_for_seq(snap.seq)
    assert text(page, "#challenge") == vi("face.")
