// The staff PIN pad: a dialog over the current view, digits on large keys. The PIN goes
// to the controller (staff_unlock) and is never kept by the page.
import { t } from "./i18n.js";
import { digitKeys, labelDigitKeys } from "./keypad.js";

const MAX_DIGITS = 12;

export function setupPin(act) {
  const dialog = document.getElementById("pin-dialog");
  const dots = document.getElementById("pin-dots");
  const error = document.getElementById("pin-error");
  const pad = document.getElementById("pin-pad");
  let pin = "";

  const show = () => {
    dots.textContent = "•".repeat(pin.length) || "\u00a0";
  };
  const press = (digit) => {
    if (pin.length < MAX_DIGITS) pin += digit;
    error.textContent = "";
    show();
  };
  const close = () => {
    pin = "";
    dialog.hidden = true;
  };
  const submit = async () => {
    const result = await act({ type: "staff_unlock", pin }, { quiet: true });
    pin = "";
    show();
    if (result.ok) close();
    else error.textContent = t(result.error, {}, "staff.pin_wrong");
  };

  pad.append(
    ...digitKeys((key) => {
      if (key === "clear") pin = "";
      else if (key === "back") pin = pin.slice(0, -1);
      else press(key);
      show();
    }),
  );
  document.getElementById("pin-close").addEventListener("click", close);
  document.getElementById("pin-ok").addEventListener("click", submit);
  dialog.addEventListener("keydown", (event) => {
    if (/^[0-9]$/.test(event.key)) press(event.key);
    else if (event.key === "Backspace") pin = pin.slice(0, -1);
    else if (event.key === "Enter") submit();
    else if (event.key === "Escape") close();
    show();
  });

  return {
    open() {
      pin = "";
      error.textContent = "";
      show();
      dialog.hidden = false;
      document.getElementById("pin-ok").focus();
    },
    close,
    // Texts in the current language.
    label() {
      document.getElementById("pin-title").textContent = t("ui.pin_title");
      document.getElementById("pin-close").textContent = t("ui.close");
      document.getElementById("pin-ok").textContent = t("ui.pin_ok");
      labelDigitKeys(pad.children);
    },
  };
}
