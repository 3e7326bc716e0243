"""The kiosk page in real headless Chromium (Debian's, driven by Playwright) against the
screen server and the development controller: every state's view, the staff PIN and
form with its validation messages, consent, Vietnamese text in a font that covers it,
the language switch, action errors, reconnection after a server restart, receipt times
as people read them, an installer's own reason of stay.

Screenshots of every view: var/test-artifacts/kiosk-screen/ (see kiosk_screen_fixtures)."""

from __future__ import annotations

import time
import unicodedata

import pytest

from devkit.kiosk_screen import ScreenController
from devkit.kiosk_screen_samples import OPEN_STAYS, sample_fields
from kiosk.screen.protocol import FAILURE_STATES, ActionResult, FormField, PreviewItem, ScreenState
from kiosk.screen.server import ScreenServer
from tests.kiosk_screen_fixtures import PIN, artifact, en, vi
from tests.kiosk_screen_fixtures import shown as shown_value

RETRYABLE = {"wrong_key", "timeout", "camera_missing", "read_error", "not_genuine", "storage_error"}


def show(
    controller: ScreenController, browser, state: ScreenState, workflow: str = "stay_notification", **extra
):
    snap = controller.show(state, **{**sample_fields(state, workflow), **extra})
    browser.wait_for_seq(snap.seq)
    return snap


def text(browser, selector: str) -> str:
    return browser.page.locator(selector).inner_text().strip()


def wait_text(page, element_id: str, expected: str) -> None:
    """Until the element with this id shows exactly this text."""
    page.wait_for_function(
        "([id, t]) => document.getElementById(id).textContent === t", arg=[element_id, expected]
    )


def press(page, key: str) -> None:
    """Touch the button labelled with this message's Vietnamese text."""
    page.get_by_role("button", name=vi(key), exact=True).click()


def unlock(browser, pin: str = PIN) -> None:
    page = browser.page
    page.click("#staff-button")
    for digit in pin:
        page.click(f'#pin-pad [data-key="{digit}"]')
    page.click("#pin-ok")


@pytest.mark.parametrize("workflow", ["stay_notification", "identity_verification"])
def test_every_state_has_its_own_view_with_its_message(screen, screen_controller, screen_browser, workflow):
    b, page = screen_browser, screen_browser.page
    screen_controller.update(workflow=workflow)
    for state in ScreenState:
        snap = show(screen_controller, b, state, workflow)
        assert page.get_attribute("body", "data-state") == state.value
        assert text(b, "h1") == vi(f"title.{state.value}")
        assert text(b, "#message") == vi(snap.message)
        assert text(b, ".next") == vi(f"next.{state.value}")
        view = page.locator("section.view")
        assert ("failure" in view.get_attribute("class")) == (state in FAILURE_STATES)
        assert page.locator("button", has_text=vi("ui.retry")).count() == (state.value in RETRYABLE)
        assert text(b, "#workflow") == vi(f"ui.workflow.{workflow}")
        b.screenshot(artifact(workflow, f"{state.value}.png"))

    show(screen_controller, b, ScreenState.READING, workflow, progress=0.42)
    assert page.get_attribute('[role="progressbar"]', "aria-valuenow") == "42"
    assert text(b, ".progress-text") == vi("ui.progress").replace("{n}", "42")
    show(screen_controller, b, ScreenState.READING, workflow, progress=0.9)  # moves in place
    assert page.get_attribute('[role="progressbar"]', "aria-valuenow") == "90"

    show(screen_controller, b, ScreenState.PERSON_CHECK, workflow)
    assert text(b, "#guidance") == vi("face.move_closer")
    assert vi("ui.attempts_left").replace("{n}", "2") in text(b, ".status")
    screen_controller.update(guidance="face.hold_still")
    page.wait_for_function(
        "t => document.getElementById('guidance').textContent === t", arg=vi("face.hold_still")
    )

    # a family's code ("not_genuine." + a reason of the genuineness policy) gets the family's text
    show(screen_controller, b, ScreenState.NOT_GENUINE, workflow, message="not_genuine.hashes_mismatch")
    assert text(b, "#message") == vi("not_genuine.")
    show(screen_controller, b, ScreenState.PERSON_CHECK, workflow, guidance="face.some_later_key")
    assert text(b, "#guidance") == vi("face.")

    for state, items in ((ScreenState.CONSENT, "preview"), (ScreenState.RECEIPT, "receipt")):
        snap = show(screen_controller, b, state, workflow)
        sent = getattr(snap, items)
        rows = page.locator(f"#{items} .item")
        assert rows.count() == len(sent)  # exactly what will be sent, nothing more
        for i, item in enumerate(sent):
            assert rows.nth(i).locator("dt").inner_text() == vi(item.label)
            shown = rows.nth(i).locator("dd").inner_text()
            assert shown.startswith(
                vi(f"value.{item.value}") if item.value in ("sent", "not_sent") else shown_value(item.value)
            )


def test_staff_pin_then_form_with_validation_messages_next_to_each_field(
    screen, screen_controller, screen_browser
):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, ScreenState.STAFF_DETAILS)
    assert text(b, ".staff-wait p") == vi("ui.staff_wait")  # locked: no form
    assert page.locator("#staff-form").count() == 0

    unlock(b, "1111")
    page.wait_for_function(
        "t => document.getElementById('pin-error').textContent === t", arg=vi("staff.pin_wrong")
    )
    page.click("#pin-close")
    unlock(b)
    page.wait_for_selector('body[data-staff="true"]')
    page.wait_for_selector("#pin-dialog", state="hidden")
    assert screen_controller.wait_for_action("staff_unlock")["pin"] == "1111"

    press(page, "ui.submit")
    page.wait_for_selector("#error-room:not(:empty)")
    assert text(b, "#error-room") == vi("form.required")
    assert text(b, "#error-expected_departure") == vi("form.required")
    assert text(b, "#error-reason") == vi("form.required")
    assert text(b, "#error-reason_text") == ""  # optional
    assert page.get_attribute("#field-room", "aria-invalid") == "true"
    wait_text(page, "notice", vi("form.check"))
    b.screenshot(artifact("staff_form_errors.png"))

    page.fill("#field-room", "204")
    screen_controller.update(deadline_s=250.0)  # a snapshot arriving while staff type keeps what they typed
    page.wait_for_function("() => document.querySelector('.countdown').textContent.includes('250')")
    assert page.input_value("#field-room") == "204"
    page.fill("#field-expected_departure", "31/02/2026")  # typed day first, sent ISO: not a date
    press(page, "ui.submit")
    page.wait_for_function(
        "t => document.getElementById('error-expected_departure').textContent === t",
        arg=vi("form.date_invalid"),
    )
    assert text(b, "#error-room") == ""
    assert page.get_attribute("#field-expected_departure", "placeholder") == vi("ui.date_format")
    page.fill("#field-expected_departure", "27/11/2026")
    page.click(f"label.choice:has-text('{vi('reason.20')}')")
    page.fill("#field-reason_text", "Dự hội nghị")
    press(page, "ui.submit")
    page.wait_for_selector("#error-expected_departure:empty")  # the controller's answer: no errors left
    sent = [a for a in screen_controller.actions if a["type"] == "staff_details"][-1]
    assert sent["values"] == {
        "room": "204",
        "expected_departure": "2026-11-27",
        "reason": "20",
        "reason_text": "Dự hội nghị",
    }
    assert page.get_attribute("#field-room", "aria-invalid") == "false"
    assert page.input_value("#field-expected_departure") == "27/11/2026"  # the controller's ISO, day first

    # an error the controller puts in the form itself (FormField.error) is shown as well
    form = tuple(
        f if f.name != "expected_departure" else type(f)(**{**f.__dict__, "error": "form.departure_in_past"})
        for f in screen_controller.snapshot().form
    )
    screen_controller.update(form=form)
    page.wait_for_function(
        "t => document.getElementById('error-expected_departure').textContent === t",
        arg=vi("form.departure_in_past"),
    )


def test_vietnamese_text_renders_in_a_font_that_covers_every_letter(
    screen, screen_controller, screen_browser
):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, ScreenState.CONSENT)
    name = "Nguyễn Thị Hồng Nhung"
    assert page.locator("#preview dd").first.inner_text() == name
    for selector in ("h1", "#message", "#preview dd", "#preview dt", ".next"):
        shown = page.locator(selector).first.inner_text()
        assert unicodedata.is_normalized("NFC", shown), selector
    # Chromium's own account of the fonts it drew each node with: all of it in the
    # font the page asks for (Noto Sans, fonts-noto-core), no fallback to another font
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    for selector in ("h1", "#message", "#preview dd", "#preview dt", ".next", "#view button.primary"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert [f["familyName"] for f in fonts] in (["Noto Sans"], ["Noto Sans", "Noto Sans"]), (
            selector,
            fonts,
        )
        assert all(f["glyphCount"] > 0 for f in fonts)
    cdp.detach()
    all_text = page.locator("body").inner_text()
    assert page.evaluate("t => document.fonts.check('22px \"Noto Sans\"', t)", all_text)
    b.screenshot(artifact("vietnamese_consent.png"))
    page.set_viewport_size({"width": 800, "height": 480})  # the 7-inch panel
    b.screenshot(artifact("vietnamese_consent_800x480.png"), full_page=False)


def test_language_switch_and_back_to_vietnamese_for_the_next_citizen(
    screen, screen_controller, screen_browser
):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, ScreenState.CARD_PLACED)
    assert text(b, "#lang-button") == "English"
    page.click("#lang-button")
    page.wait_for_selector('body[data-lang="en"]')
    assert page.get_attribute("html", "lang") == "en"
    assert text(b, "h1") == en("title.card_placed")
    assert text(b, "#lang-button") == "Tiếng Việt"
    show(screen_controller, b, ScreenState.WRONG_KEY)
    assert text(b, "h1") == en("title.wrong_key")
    assert text(b, "#message") == en("wrong_key.try_again")
    assert text(b, "#view button.primary") == en("ui.retry")
    b.screenshot(artifact("english_wrong_key.png"))
    show(screen_controller, b, ScreenState.IDLE)  # the next citizen starts in Vietnamese
    assert page.get_attribute("body", "data-lang") == "vi"
    assert text(b, "h1") == vi("title.idle")


def test_typed_values_survive_a_language_switch(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    screen_controller.update(staff_unlocked=True)
    show(screen_controller, b, ScreenState.STAFF_DETAILS)
    page.fill("#field-room", "305")
    page.click(f"label.choice:has-text('{vi('reason.2')}')")
    page.click("#lang-button")
    page.wait_for_selector('body[data-lang="en"]')
    assert text(b, "[data-field=room] .field-label") == en("field.room")
    assert page.input_value("#field-room") == "305"
    assert page.is_checked('input[name="reason"][value="2"]')


def test_consent_retry_cancel_and_lock_reach_the_controller(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, ScreenState.CONSENT)
    press(page, "ui.decline")
    assert screen_controller.wait_for_action("consent") == {"type": "consent", "accept": False}
    press(page, "ui.accept")
    deadline = time.monotonic() + 10
    while len([a for a in screen_controller.actions if a["type"] == "consent"]) < 2:
        assert time.monotonic() < deadline, "the page sent no second consent action"
        time.sleep(0.05)
    show(screen_controller, b, ScreenState.TIMEOUT)
    press(page, "ui.retry")
    assert screen_controller.wait_for_action("retry") == {"type": "retry"}
    screen_controller.update(staff_unlocked=True)
    show(screen_controller, b, ScreenState.PERSON_CHECK)
    page.click("#cancel-button")
    assert screen_controller.wait_for_action("cancel") == {"type": "cancel"}
    page.click("#staff-button")
    assert screen_controller.wait_for_action("staff_lock") == {"type": "staff_lock"}
    page.wait_for_selector('body[data-staff="false"]')
    consents = [a for a in screen_controller.actions if a["type"] == "consent"]
    assert consents == [{"type": "consent", "accept": False}, {"type": "consent", "accept": True}]


def test_action_errors_are_shown_in_plain_language(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    screen_controller.answer("consent", ActionResult(ok=False, error="action.not_allowed"))
    show(screen_controller, b, ScreenState.CONSENT)
    press(page, "ui.accept")
    page.wait_for_selector("#notice:not([hidden])")
    assert text(b, "#notice") == vi("action.not_allowed")
    b.screenshot(artifact("action_error.png"))

    def broken(action):
        raise RuntimeError("controller bug")

    screen_controller.act = broken  # type: ignore[method-assign]
    press(page, "ui.decline")
    page.wait_for_function(
        "t => document.getElementById('notice').textContent === t", arg=vi("action.failed")
    )
    show(screen_controller, b, ScreenState.IDLE)  # a new state clears the notice
    assert page.locator("#notice").is_hidden()


def test_staff_type_an_access_key_and_see_why_it_was_refused(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    screen_controller.update(staff_unlocked=True)
    show(screen_controller, b, ScreenState.ACCESS_KEY)
    press(page, "access_kind.can")
    page.fill("#access-value", "12345")
    screen_controller.answer("access_key", ActionResult(ok=False, error="access_key.can_invalid"))
    press(page, "ui.access_send")
    page.wait_for_selector("#access-error:not(:empty)")
    assert text(b, "#access-error") == vi("access_key.can_invalid")
    assert screen_controller.wait_for_action("access_key") == {
        "type": "access_key",
        "kind": "can",
        "value": "12345",
    }
    b.screenshot(artifact("access_key_refused.png"))


def test_guesthouse_staff_check_out_and_extend_open_stays(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, ScreenState.IDLE)
    assert page.locator("#open-stays").count() == 0  # staff only
    screen_controller.update(staff_unlocked=True)
    page.wait_for_selector("#open-stays")
    assert page.locator(".stay").count() == len(OPEN_STAYS)
    first, second = OPEN_STAYS[0].label, OPEN_STAYS[1].label
    page.click(f'[data-stay="{first}"] button:has-text("{vi("ui.checkout")}")')
    assert screen_controller.wait_for_action("stay_checkout") == {"type": "stay_checkout", "stay": first}
    page.wait_for_function(
        "t => document.getElementById('notice').textContent === t", arg=vi("stay.checked_out")
    )
    row = page.locator(f'[data-stay="{second}"]')
    row.locator(f'button:has-text("{vi("ui.extend")}")').first.click()
    row.locator(".extend input").fill("30/11/2026")
    row.locator(".extend button").click()
    assert screen_controller.wait_for_action("stay_extend") == {
        "type": "stay_extend",
        "stay": second,
        "expected_departure": "2026-11-30",
    }
    refused = ActionResult(
        ok=False, error="form.invalid", field_errors={"expected_departure": "form.departure_in_past"}
    )
    screen_controller.answer("stay_extend", refused)
    row.locator(".extend button").click()
    row.locator(".extend .field-error:not(:empty)").wait_for()
    assert row.locator(".extend .field-error").inner_text() == vi("form.departure_in_past")
    assert text(b, "#notice") == vi("form.invalid")
    b.screenshot(artifact("open_stays.png"))


def test_the_page_reconnects_after_the_server_restarts(screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    first = ScreenServer("127.0.0.1", 0, screen_controller)
    first.start()
    port = first.port
    try:
        b.goto(first.url)
        show(screen_controller, b, ScreenState.CONSENT)
    finally:
        first.stop()
    page.wait_for_selector('body[data-connected="false"]')
    page.wait_for_selector("#offline:not([hidden])")  # nothing stale (the preview) stays readable
    assert text(b, "#offline") == vi("ui.reconnecting")
    b.screenshot(artifact("reconnecting.png"))
    restarted = ScreenController("stay_notification")  # a new daemon: its seq starts again
    restarted.show(ScreenState.READING, progress=0.2)
    with ScreenServer("127.0.0.1", port, restarted):
        b.wait_for_state("reading", timeout_s=15)
        assert page.locator("#offline").is_hidden()
        restarted.show(ScreenState.PERSON_CHECK, guidance="face.look_at_camera")
        b.wait_for_state("person_check")
        page.goto("about:blank")


def test_the_render_clock_tells_when_a_state_was_first_shown(screen, screen_controller, screen_browser):
    """What bench/ uses to time "card placed -> the screen shows reading" (no timing asserted here)."""
    b = screen_browser
    show(screen_controller, b, ScreenState.CARD_PLACED)
    b.start_render_clock()
    before = time.time()
    screen_controller.show(ScreenState.READING, progress=0.1)
    last = screen_controller.update(progress=0.5)  # the stream may skip straight to this one
    dom, frame = b.state_shown_at("reading")
    assert before <= dom <= frame
    assert b.rendered_at(last.seq)[0] >= dom  # first shown, not overwritten by later progress
    b.start_render_clock()  # a fresh record for the next check-in
    show(screen_controller, b, ScreenState.IDLE)
    assert b.state_shown_at("idle")[0] >= dom


def items(page, kind: str) -> dict[str, str]:
    """The consent preview's or the receipt's lines as shown: label -> value."""
    labels = page.locator(f"#{kind} dt").all_inner_texts()
    return dict(zip(labels, page.locator(f"#{kind} dd").all_inner_texts(), strict=True))


def test_receipt_times_are_shown_as_people_read_them(screen, screen_controller, screen_browser):
    b, page = screen_browser, screen_browser.page
    show(screen_controller, b, ScreenState.RECEIPT)  # times sent in ISO 8601 with the device's offset
    shown = items(page, "receipt")
    assert shown[vi("receipt.time")] == "25/11/2026 14:32"  # 2026-11-25T14:32:05+07:00, as sent
    assert shown[vi("receipt.due_by")] == "25/11/2026 23:00"
    assert shown[vi("receipt.reference")] == "01J9Z7K2Q4XW"  # not a time: as sent
    show(
        screen_controller, b, ScreenState.RECEIPT, receipt=(PreviewItem("receipt.time", "25/11/2026 14:32"),)
    )
    assert page.locator("#receipt dd").inner_text() == "25/11/2026 14:32"  # already readable: unchanged
    show(screen_controller, b, ScreenState.CONSENT)
    assert items(page, "preview")[vi("field.date_of_birth")] == "21/07/1994"
    b.screenshot(artifact("receipt_times.png"))


def test_an_installers_own_reason_of_stay_shows_its_configured_label(
    screen, screen_controller, screen_browser
):
    b, page = screen_browser, screen_browser.page
    screen_controller.update(staff_unlocked=True)
    reasons = (("1", "reason.1"), ("31", "reason.31"))
    texts = (("1", "Du lịch (cấu hình)"), ("31", "Lao động thời vụ"))
    form = (FormField("reason", "choice", choices=reasons, choice_texts=texts),)
    show(screen_controller, b, ScreenState.STAFF_DETAILS, form=form)
    labels = page.locator("label.choice").all_inner_texts()
    assert [label.strip() for label in labels] == [vi("reason.1"), "Lao động thời vụ"]  # translation first
    page.click("label.choice:has-text('Lao động thời vụ')")
    press(page, "ui.submit")
    assert screen_controller.wait_for_action("staff_details")["values"] == {"reason": "31"}
    preview = (
        PreviewItem("field.reason_code", "31", meaning="Lao động thời vụ"),
        PreviewItem("field.room", "204"),
    )
    show(screen_controller, b, ScreenState.CONSENT, preview=preview)
    assert page.locator("#preview dd").first.inner_text() == "31 · Lao động thời vụ"
    show(
        screen_controller,
        b,
        ScreenState.CONSENT,
        preview=(PreviewItem("field.reason_code", "1", meaning="X"),),
    )
    assert page.locator("#preview dd").first.inner_text() == f"1 · {vi('reason.1')}"
    b.screenshot(artifact("installer_reason.png"))
