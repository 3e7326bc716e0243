"""The kiosk page typed on by touch alone, as on the device (a touch screen, no keyboard,
no input method): real headless Chromium with touch events (Playwright ``tap``) against
the screen server and the development controller. Vietnamese names and addresses with
every diacritic (Telex and the mark keys), the digit pad for the ID number and the CAN
(the PIN's own pad), an MRZ with '<', a date; 64 px keys at 1280x800 and 800x480.
Screenshots: var/test-artifacts/kiosk-screen/keyboard/."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest

from devkit.browser import ScreenBrowser, chromium_executable
from devkit.kiosk_screen import ScreenController
from devkit.kiosk_screen_samples import PAWN_FORM, STAY_FORM, sample_fields
from edge.kiosk.access import from_typed
from kiosk.screen.protocol import FormField, ScreenState
from tests.kiosk_screen_fixtures import PIN, artifact, en, vi

SYMBOL_KEYS = set("1234567890-/:;()'#&+?!%<*@")
SMALL, LARGE = (800, 480), (1280, 800)
# keystrokes -> what the field must hold (NFC)
TELEX = {
    "Nguyeenx Thij Hoongf Nhung": "Nguyễn Thị Hồng Nhung",
    "Nguyenex": "Nguyễn",
    "Soos 12 dduwowngf Lee Lowij, phuwowngf Beens Nghes": "Số 12 đường Lê Lợi, phường Bến Nghé",
    "quaanj 1, TP. Hoof Chis Minh": "quận 1, TP. Hồ Chí Minh",
    "hoaf": "hòa",
    "hoafn": "hoàn",  # the tone moves as the word grows
    "hoangf": "hoàng",
    "thuys": "thúy",
    "nguoiwf": "người",
    "hoawcj": "hoặc",
    "muaw": "mưa",
    "quoocs": "quốc",
    "giuwowngf": "giường",
    "gif": "gì",
    "tieengs": "tiếng",
    "tiengse": "tiếng",  # marks may come at the end of the word
    "khoer": "khỏe",
    "cuar": "của",
    "thw": "thư",
    "DDaf Nawngx": "Đà Nẵng",
    "HDD-2026/0457": "HĐ-2026/0457",
    "ass": "as",  # the same key again undoes the mark
    "aaa": "aa",
    "ddd": "dd",
    "Honda": "Honda",
}


@pytest.fixture(scope="module")
def screen_browser() -> Iterator[ScreenBrowser]:
    """This module's Chromium has a touch screen, as the device has."""
    if chromium_executable() is None:
        pytest.skip("Chromium not installed: scripts/setup.sh installs it (apt-get install chromium)")
    pytest.importorskip("playwright", reason="playwright (dev extra) not installed: run scripts/setup.sh")
    with ScreenBrowser(timeout_s=15, touch=True) as b:
        yield b


def show(controller: ScreenController, browser, state: ScreenState, workflow="stay_notification", **extra):
    snap = controller.show(state, **{**sample_fields(state, workflow), **extra})
    browser.wait_for_seq(snap.seq)
    return snap


def tap(page, selector: str) -> None:
    page.locator(selector).tap()


def tap_key(page, key: str) -> None:
    tap(page, f'#keyboard [data-key="{key}"]')


def touch_type(page, keystrokes: str) -> None:
    """Tap the keys of the text keyboard for these keystrokes (capitals with shift,
    digits and symbols on the second layer)."""
    for ch in keystrokes:
        if ch == " ":
            tap_key(page, "space")
        elif ch in SYMBOL_KEYS:
            tap_key(page, "layer")
            tap_key(page, ch)
            tap_key(page, "layer")
        else:
            if ch.isupper():
                tap_key(page, "shift")
            tap_key(page, ch.lower())


def unlock_by_touch(page) -> None:
    tap(page, "#staff-button")
    for digit in PIN:
        tap(page, f'#pin-pad [data-key="{digit}"]')
    tap(page, "#pin-ok")
    page.wait_for_selector('body[data-staff="true"]')


def keys_too_small(page) -> list[tuple[str, float, float]]:
    """Every visible key of the on-screen keyboard smaller than 64 x 64 CSS px."""
    sizes = page.eval_on_selector_all(
        "#keyboard .key",
        "keys => keys.map(k => { const r = k.getBoundingClientRect(); return [k.dataset.key, r.width, r.height]; })",
    )
    return [(k, w, h) for k, w, h in sizes if w < 64 or h < 64]


def keyboard_fits(page) -> bool:
    return page.evaluate(
        "() => { const r = document.getElementById('keyboard').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5; }"
    )


def test_telex_composition_gives_every_vietnamese_letter_in_nfc(screen, screen_browser):
    """The composition rules themselves, run in the page's own module."""
    got = screen_browser.page.evaluate(
        """async (cases) => {
          const { typeTelex } = await import('/static/telex.js');
          return cases.map((keys) => Array.from(keys).reduce((text, ch) => typeTelex(text, ch), ''));
        }""",
        list(TELEX),
    )
    assert dict(zip(TELEX, got, strict=True)) == TELEX
    assert all(unicodedata.is_normalized("NFC", text) for text in got)
    marks = screen_browser.page.evaluate(
        """async () => {
          const { applyMark } = await import('/static/telex.js');
          return [applyMark(applyMark('Hue', 'hat'), 'acute'), applyMark('duong', 'horn'),
                  applyMark(applyMark('duong', 'horn'), 'stroke'), applyMark('', 'stroke', true),
                  applyMark(applyMark('Nguyên', 'tilde'), 'tilde'), applyMark('12 ', 'acute')];
        }"""
    )
    assert marks == ["Huế", "dương", "đương", "Đ", "Nguyên", "12 "]


def test_a_vietnamese_name_and_address_typed_by_touch_only(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    form = (FormField("full_name", "text"), FormField("place_of_residence", "text"))
    show(screen_controller, b, ScreenState.STAFF_DETAILS, form=form)
    unlock_by_touch(page)
    page.wait_for_selector("#field-full_name")
    assert page.locator("#keyboard").is_hidden()

    tap(page, "#field-full_name")
    page.wait_for_selector('body[data-keyboard-open="text"]')
    assert page.get_attribute("#field-full_name", "inputmode") == "none"  # never the system's keyboard
    assert page.inner_text("#kb-caption") == vi("field.full_name")
    touch_type(page, "Nguyeenx Thij Hoongf Nhung")
    name = "Nguyễn Thị Hồng Nhung"
    assert page.input_value("#field-full_name") == name
    assert page.inner_text("#kb-value") == name  # echoed above the keys
    assert page.evaluate("() => document.activeElement.id") == "field-full_name"  # keys keep the caret there
    b.screenshot(artifact("keyboard", "name_telex_1280x800.png"), full_page=False)

    # the address: Telex for most of it, the mark keys for "Huế" (no Telex needed)
    tap(page, "#field-place_of_residence")
    page.wait_for_function(
        "t => document.getElementById('kb-caption').textContent === t", arg=vi("field.place_of_residence")
    )
    touch_type(page, "Soos 12 dduwowngf Lee Lowij, phuwowngf Vix Daj, TP. ")
    touch_type(page, "Hue")
    tap_key(page, "mark:hat")
    tap_key(page, "mark:acute")
    address = "Số 12 đường Lê Lợi, phường Vĩ Dạ, TP. Huế"
    assert page.input_value("#field-place_of_residence") == address
    assert not keys_too_small(page) and keyboard_fits(page)
    page.set_viewport_size({"width": SMALL[0], "height": SMALL[1]})  # the 7-inch panel
    assert not keys_too_small(page) and keyboard_fits(page)
    b.screenshot(artifact("keyboard", "address_800x480.png"), full_page=False)
    tap_key(page, "layer")
    b.screenshot(artifact("keyboard", "symbols_800x480.png"), full_page=False)
    tap_key(page, "layer")
    tap_key(page, "done")
    page.wait_for_selector("#keyboard", state="hidden")
    page.set_viewport_size({"width": LARGE[0], "height": LARGE[1]})

    tap(page, f"#view button.primary:has-text('{vi('ui.submit')}')")
    sent = screen_controller.wait_for_action("staff_details")["values"]
    assert sent == {"full_name": name, "place_of_residence": address}
    assert all(unicodedata.is_normalized("NFC", v) for v in sent.values())


def test_telex_can_be_turned_off_for_codes_and_the_keyboard_follows_the_language(
    screen, screen_controller, screen_browser
):
    b, page = screen_browser, screen_browser.page
    screen_controller.update(staff_unlocked=True)
    show(screen_controller, b, ScreenState.STAFF_DETAILS, "identity_verification", form=PAWN_FORM)
    tap(page, "#field-contract_reference")
    page.wait_for_selector('body[data-keyboard-open="text"]')
    assert page.get_attribute('#keyboard [data-key="telex"]', "aria-pressed") == "true"
    tap_key(page, "telex")  # off: "AS" stays "AS" (Telex would make it "Á")
    assert page.get_attribute('#keyboard [data-key="telex"]', "aria-pressed") == "false"
    touch_type(page, "AS-2026/0457")
    assert page.input_value("#field-contract_reference") == "AS-2026/0457"
    tap_key(page, "telex")
    tap(page, "#lang-button")  # English: the view is rebuilt, the keyboard stays with the field
    page.wait_for_selector('body[data-lang="en"]')
    page.wait_for_function("() => document.querySelector('#keyboard [data-key=done]').textContent === 'Done'")
    assert page.inner_text("#kb-caption") == en("field.contract_reference")
    assert page.input_value("#field-contract_reference") == "AS-2026/0457"  # kept through the switch
    screen_controller.update(deadline_s=200.0)  # a snapshot while typing: same field, same keys
    page.wait_for_function("() => document.querySelector('.countdown').textContent.includes('200')")
    touch_type(page, "/1")
    assert page.input_value("#field-contract_reference") == "AS-2026/0457/1"
    tap(page, "#field-asset_description")
    touch_type(page, "Xe mays Honda ")
    assert page.input_value("#field-asset_description") == "Xe máy Honda "
    tap_key(page, "telex")  # a brand name: Telex would make "Vis" "Ví"
    touch_type(page, "Vision")
    assert page.input_value("#field-asset_description") == "Xe máy Honda Vision"
    b.screenshot(artifact("keyboard", "contract_english.png"), full_page=False)
    tap_key(page, "telex")
    page.keyboard.type(" cuar Nguyeenx Vawn A")  # a USB keyboard composes the same way
    assert page.input_value("#field-asset_description") == "Xe máy Honda Vision của Nguyễn Văn A"


def test_the_id_number_and_the_can_on_the_pins_digit_pad(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, ScreenState.ACCESS_KEY)
    unlock_by_touch(page)
    pin_keys = page.eval_on_selector_all("#pin-pad .key", "keys => keys.map(k => k.dataset.key)")
    tap(page, f"#view button:has-text('{vi('access_kind.id12')}')")
    page.wait_for_selector('body[data-keyboard-open="digits"]')
    pad_keys = page.eval_on_selector_all("#keyboard .kb-digits .key", "keys => keys.map(k => k.dataset.key)")
    assert pad_keys == pin_keys == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]
    for digit in "0791940012345":  # one digit too many: the ID has 12
        tap_key(page, digit)
    assert page.input_value("#access-value") == "079194001234"
    assert not keys_too_small(page) and keyboard_fits(page)
    b.screenshot(artifact("keyboard", "id12_pad.png"), full_page=False)
    tap_key(page, "done")  # the keyboard steps aside: the send button is behind it
    tap(page, f"#view button.primary:has-text('{vi('ui.access_send')}')")
    assert screen_controller.wait_for_action("access_key") == {
        "type": "access_key",
        "kind": "id12",
        "value": "079194001234",
    }

    tap(page, f"#view button:has-text('{vi('access_kind.can')}')")
    page.wait_for_selector('body[data-keyboard-open="digits"]')
    tap_key(page, "clear")
    for digit in "0012349":  # one digit too many: the CAN has 6
        tap_key(page, digit)
    tap_key(page, "back")
    tap_key(page, "4")
    assert page.input_value("#access-value") == "001234"
    page.set_viewport_size({"width": SMALL[0], "height": SMALL[1]})
    assert not keys_too_small(page) and keyboard_fits(page)
    b.screenshot(artifact("keyboard", "can_pad_800x480.png"), full_page=False)
    tap_key(page, "done")
    page.set_viewport_size({"width": LARGE[0], "height": LARGE[1]})
    tap(page, f"#view button.primary:has-text('{vi('ui.access_send')}')")
    sent = _wait_actions(screen_controller, "access_key", 2)
    assert sent[1] == {"type": "access_key", "kind": "can", "value": "001234"}


def _wait_actions(controller: ScreenController, kind: str, count: int, timeout_s: float = 10.0) -> list[dict]:
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        found = [a for a in controller.actions if a["type"] == kind]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"fewer than {count} {kind!r} actions arrived"
        time.sleep(0.05)


def test_an_mrz_with_its_chevrons_typed_by_touch(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    screen_controller.update(staff_unlocked=True)
    show(screen_controller, b, ScreenState.ACCESS_KEY)
    tap(page, f"#view button:has-text('{vi('access_kind.mrz')}')")
    page.wait_for_selector('body[data-keyboard-open="mrz"]')
    mrz = (  # ICAO 9303 part 5 TD1 specimen
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    )
    for i, line in enumerate(mrz):
        if i:
            tap_key(page, "enter")
        for ch in line:
            tap_key(page, ch)  # capitals and '<' only: nothing composes here
    typed = page.input_value("#access-value")
    assert typed == "\n".join(mrz)
    assert not keys_too_small(page) and keyboard_fits(page)
    b.screenshot(artifact("keyboard", "mrz.png"), full_page=False)
    page.set_viewport_size({"width": SMALL[0], "height": SMALL[1]})
    assert not keys_too_small(page) and keyboard_fits(page)  # three lines echoed, every key in sight
    b.screenshot(artifact("keyboard", "mrz_800x480.png"), full_page=False)
    page.set_viewport_size({"width": LARGE[0], "height": LARGE[1]})
    tap_key(page, "done")
    tap(page, f"#view button.primary:has-text('{vi('ui.access_send')}')")
    sent = screen_controller.wait_for_action("access_key")
    assert sent["kind"] == "mrz" and sent["value"] == typed
    assert from_typed("mrz", sent["value"]).method == "mrz"  # the daemon reads it as typed


def test_a_date_typed_on_the_digit_pad(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    screen_controller.update(staff_unlocked=True)
    show(screen_controller, b, ScreenState.STAFF_DETAILS, form=STAY_FORM)
    tap(page, "#field-expected_departure")
    page.wait_for_selector('body[data-keyboard-open="date"]')
    assert page.get_attribute("#kb-value", "data-placeholder") == vi("ui.date_format")
    for digit in "2711":
        tap_key(page, digit)
    assert page.input_value("#field-expected_departure") == "27/11"  # separators come by themselves
    for digit in "20267":  # one digit too many
        tap_key(page, digit)
    assert page.input_value("#field-expected_departure") == "27/11/2026"
    tap_key(page, "back")
    tap_key(page, "5")
    assert page.input_value("#field-expected_departure") == "27/11/2025"
    tap_key(page, "back")
    tap_key(page, "6")
    b.screenshot(artifact("keyboard", "date_pad.png"), full_page=False)
    tap(page, "#field-room")  # straight to another field: its own keyboard
    page.wait_for_selector('body[data-keyboard-open="text"]')
    touch_type(page, "204")
    tap_key(page, "done")
    tap(page, f"label.choice:has-text('{vi('reason.2')}')")
    tap(page, f"#view button.primary:has-text('{vi('ui.submit')}')")
    sent = screen_controller.wait_for_action("staff_details")["values"]
    assert sent["expected_departure"] == "2026-11-27" and sent["room"] == "204" and sent["reason"] == "2"

    # an open stay's new departure date, by touch as well
    show(screen_controller, b, ScreenState.IDLE)
    row = page.locator(".stay").nth(1)
    row.locator(f'button:has-text("{vi("ui.extend")}")').first.tap()
    row.locator(".extend input").tap()
    page.wait_for_selector('body[data-keyboard-open="date"]')
    for digit in "30112026":
        tap_key(page, digit)
    tap_key(page, "done")
    row.locator(".extend button").tap()
    assert screen_controller.wait_for_action("stay_extend")["expected_departure"] == "2026-11-30"
