// Big keys for touch, shared by the staff PIN dialog and the on-screen keyboard: one key
// button and one digit pad (PIN, ID number, CAN, dates, numbers). A key never takes the
// focus from the field it types into, so the field keeps its caret and its keyboard.
import { el } from "./dom.js";
import { t } from "./i18n.js";

// A key: `onKey(key)` on every tap (or click); `key` is also its data-key.
export function keyButton(key, onKey, className = "key") {
  const button = el("button", { type: "button", class: className, "data-key": key, tabindex: "-1" });
  const keepFocus = (event) => event.preventDefault();
  button.addEventListener("pointerdown", keepFocus);
  button.addEventListener("mousedown", keepFocus);
  button.addEventListener("click", () => onKey(key));
  return button;
}

// The digit pad's keys, in rows of three: 1-9, then `left` 0 `right`
// (the PIN and the ID: clear 0 back; a number: . 0 back).
export function digitKeys(onKey, { left = "clear", right = "back" } = {}) {
  return ["1", "2", "3", "4", "5", "6", "7", "8", "9", left, "0", right].map((key) => keyButton(key, onKey));
}

// Texts of the pad's keys in the current language.
export function labelDigitKeys(keys) {
  for (const key of keys) {
    const name = key.dataset.key;
    key.textContent = name === "clear" ? t("ui.key_clear") : name === "back" ? "⌫" : name;
    if (name === "back") key.setAttribute("aria-label", t("ui.key_back"));
  }
}
