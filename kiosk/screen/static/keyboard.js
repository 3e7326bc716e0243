// The on-screen keyboard: the device has a touch screen and nothing else (cage has no
// on-screen keyboard and no input method), so every field staff type into brings this
// up. A field says which keyboard it needs in data-keyboard:
//   text      letters with Vietnamese composition (Telex, or the mark keys), digits and
//             punctuation on a second layer (room, contract, asset, reason)
//   mrz       A-Z, digits, '<' and a new-line key (the MRZ of a card or passport)
//   digits    the digit pad (ID number, CAN)        number  the digit pad with '.'
//   date      the digit pad; dd/mm/yyyy fills in its own separators   datetime  + hh:mm
// The keyboard edits the end of the field's value (where the caret is put), shows what is
// being typed above its keys (on a 800x480 panel little else is left in sight) and closes
// with its "Done" key, after a tap on another control, or when the field leaves the page.
// A USB keyboard keeps working, through the same Telex composition.
import { typeDate } from "./dates.js";
import { el } from "./dom.js";
import { getLang, t } from "./i18n.js";
import { digitKeys, keyButton, labelDigitKeys } from "./keypad.js";
import { applyMark, backspace, typePlain, typeTelex } from "./telex.js";

const LETTERS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
const SYMBOLS = ["1234567890", "-/:;()\"'", "#&+?!%<*@"];
const MARK_KEYS = [
  ["acute", "á"],
  ["grave", "à"],
  ["hook", "ả"],
  ["tilde", "ã"],
  ["dot", "ạ"],
  ["hat", "â ê ô"],
  ["horn", "ă ơ ư"],
  ["stroke", "đ"],
];
const PAD_MODES = new Set(["digits", "number", "date", "datetime"]);
const PLACEHOLDERS = { date: "ui.date_format", datetime: "ui.datetime_format" };

export function setupKeyboard() {
  const sheet = document.getElementById("keyboard");
  const caption = document.getElementById("kb-caption");
  const echo = document.getElementById("kb-value");
  const keys = document.getElementById("kb-keys");
  const state = { target: null, mode: null, layer: "letters", shift: "off", telex: true, built: "" };

  const isField = (node) =>
    (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) && Boolean(node.dataset.keyboard) && !node.disabled;

  function open(target) {
    if (state.target !== target || state.mode !== target.dataset.keyboard) {
      state.layer = "letters";
      state.shift = "off";
    }
    state.target = target;
    state.mode = target.dataset.keyboard;
    sheet.hidden = false;
    document.body.dataset.keyboardOpen = state.mode;
    build();
    target.scrollIntoView({ block: "center" });
  }

  function close() {
    state.target = null;
    state.mode = null;
    sheet.hidden = true;
    delete document.body.dataset.keyboardOpen;
  }

  // What the keys do to the field's text.
  function press(key) {
    const target = state.target;
    if (!target) return;
    if (key === "done") return close();
    if (key === "shift") state.shift = { off: "once", once: "lock", lock: "off" }[state.shift];
    else if (key === "layer") state.layer = state.layer === "letters" ? "symbols" : "letters";
    else if (key === "telex") state.telex = !state.telex;
    else return write(edit(target.value, key));
    build();
  }

  function edit(text, key) {
    if (state.mode === "date" || state.mode === "datetime") return typeDate(state.mode, text, key);
    if (key === "back") return backspace(text);
    if (key === "clear") return "";
    if (key === "space") return typePlain(text, " ");
    if (key === "enter") return typePlain(text, "\n");
    const upper = state.shift !== "off";
    if (state.shift === "once") {
      state.shift = "off";
      build();
    }
    if (key.startsWith("mark:")) return applyMark(text, key.slice(5), upper);
    const ch = upper ? key.toUpperCase() : key;
    return state.mode === "text" && state.telex ? typeTelex(text, ch) : typePlain(text, ch);
  }

  function write(next) {
    const target = state.target;
    const limit = target.maxLength > 0 ? target.maxLength : Infinity;
    if (Array.from(next).length > limit && next.length > target.value.length) return;
    target.value = next;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.setSelectionRange(next.length, next.length);
    showEcho();
  }

  function showEcho() {
    const target = state.target;
    if (!target) return;
    caption.textContent = captionOf(target);
    echo.textContent = target.value;
    echo.dataset.placeholder = PLACEHOLDERS[state.mode] ? t(PLACEHOLDERS[state.mode]) : "";
  }

  // The keys of the current mode, layer and shift, in the current language.
  function build() {
    const rows = PAD_MODES.has(state.mode) ? padRows() : state.mode === "mrz" ? mrzRows() : textRows();
    keys.replaceChildren(...rows);
    state.built = `${getLang()} ${state.mode}`;
    keys.className = `kb-keys kb-${PAD_MODES.has(state.mode) ? "pad" : "full"}`;
    sheet.setAttribute("aria-label", t("ui.keyboard"));
    showEcho();
  }

  function key(name, text, className = "key") {
    const button = keyButton(name, press, className);
    button.textContent = text;
    return button;
  }

  function row(...buttons) {
    return el("div", { class: "kb-row" }, buttons);
  }

  function padRows() {
    const pad = digitKeys(press, { left: state.mode === "number" ? "." : "clear" });
    labelDigitKeys(pad);
    return [el("div", { class: "kb-digits" }, pad), el("div", { class: "kb-side" }, key("done", t("ui.key_done"), "key primary"))];
  }

  function mrzRows() {
    const letters = (chars) => Array.from(chars.toUpperCase(), (c) => key(c, c));
    return [
      row(...letters("1234567890")),
      row(...letters(LETTERS[0])),
      row(...letters(LETTERS[1]), backKey()),
      row(...letters(LETTERS[2]), key("<", "<"), key("enter", t("ui.key_newline"), "key wide")),
      row(key("clear", t("ui.key_clear"), "key wide"), key("done", t("ui.key_done"), "key primary wide")),
    ];
  }

  function textRows() {
    const upper = state.shift !== "off";
    const chars = (s) => Array.from(s, (c) => key(c, upper ? c.toUpperCase() : c));
    const shift = key("shift", state.shift === "lock" ? "⇪" : "⇧", "key");
    shift.setAttribute("aria-pressed", String(state.shift !== "off"));
    shift.setAttribute("aria-label", t("ui.key_shift"));
    const telex = key("telex", t("ui.key_telex"), "key wide");
    telex.setAttribute("aria-pressed", String(state.telex));
    const marks = MARK_KEYS.map(([name, sample]) => {
      const button = key(`mark:${name}`, upper ? sample.toUpperCase() : sample, "key mark");
      button.setAttribute("aria-label", t(`ui.mark_${name}`));
      return button;
    });
    const symbols = state.layer === "symbols";
    return [
      row(...chars(symbols ? SYMBOLS[0] : LETTERS[0])),
      row(...chars(symbols ? SYMBOLS[1] : LETTERS[1]), backKey()),
      symbols ? row(...chars(SYMBOLS[2])) : row(shift, ...chars(LETTERS[2]), ...chars(",.")),
      row(...marks),
      row(
        key("layer", symbols ? "ABC" : "123", "key wide"),
        telex,
        key("space", t("ui.key_space"), "key space"),
        key("done", t("ui.key_done"), "key primary wide"),
      ),
    ];
  }

  function backKey() {
    const button = key("back", "⌫");
    button.setAttribute("aria-label", t("ui.key_back"));
    return button;
  }

  document.addEventListener("focusin", (event) => {
    if (isField(event.target)) open(event.target);
    else if (state.target && !sheet.contains(event.target)) closeAfterTap();
  });
  // Another control took the focus (a button, a choice): close once its tap is over,
  // not during it, or the view would move under the finger and the tap would miss.
  function closeAfterTap() {
    const finish = () => {
      document.removeEventListener("click", onClick, true);
      clearTimeout(timer);
      if (state.target && !isField(document.activeElement)) close();
    };
    const onClick = () => setTimeout(finish, 0);
    document.addEventListener("click", onClick, true);
    const timer = setTimeout(finish, 1000);
  }
  document.addEventListener("click", (event) => {
    if (isField(event.target) && state.target !== event.target) open(event.target);
  });
  // A USB keyboard: letters through the same composition, digits into dates.
  document.addEventListener("keydown", (event) => {
    const target = state.target;
    if (!target || event.target !== target || event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.key === "Escape") return close();
    const date = state.mode === "date" || state.mode === "datetime";
    if (state.mode === "text" && state.telex && /^[a-z]$/i.test(event.key)) {
      event.preventDefault();
      write(typeTelex(target.value, event.key));
    } else if (date && (/^\d$/.test(event.key) || event.key === "Backspace")) {
      event.preventDefault();
      write(typeDate(state.mode, target.value, event.key === "Backspace" ? "back" : event.key));
    }
  });
  document.addEventListener("input", (event) => {
    if (event.target === state.target) showEcho();
  });

  return {
    // After the view was rebuilt (a new snapshot, the language switch): follow the field
    // to its new node, or close when it is gone; texts in the current language.
    sync() {
      if (!state.target) return;
      if (!state.target.isConnected) {
        const again = state.target.id ? document.getElementById(state.target.id) : null;
        if (!isField(again)) return close();
        state.target = again;
        again.focus({ preventScroll: true });
      }
      state.mode = state.target.dataset.keyboard;
      // keys are rebuilt only when they change: a key replaced under a finger loses its tap
      if (state.built !== `${getLang()} ${state.mode}`) build();
      else showEcho();
    },
    close,
  };
}

// The field's name as its label shows it (or its aria-label).
function captionOf(target) {
  const label = target.closest(".field")?.querySelector(".field-label");
  return (label ? label.textContent : target.getAttribute("aria-label")) || "";
}
