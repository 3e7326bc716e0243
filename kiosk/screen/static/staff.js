// What staff use: the details form (built from the controller's FormFields), the typed
// access key, and the guesthouse's open stays. All of it needs the staff PIN first; the
// controller decides what is valid, the page shows its answers next to each field.
import { fromIso, toIso } from "./dates.js";
import { actionButton, el } from "./dom.js";
import { label, t } from "./i18n.js";

// Which on-screen keyboard each kind of field brings up (keyboard.js); the system's own
// keyboard is never asked for (inputmode "none"): there is none on the device.
const KEYBOARDS = { text: "text", date: "date", datetime: "datetime", number: "number" };
const ACCESS_KEYBOARDS = { id12: "digits", can: "digits", mrz: "mrz" };
const ACCESS_LENGTHS = { id12: 12, can: 6, mrz: 92 }; // MRZ: three lines of 30 (TD1) with breaks
const PLACEHOLDERS = { date: "ui.date_format", datetime: "ui.datetime_format" };

export function staffForm(snap, ctx) {
  if (!snap.staff_unlocked) return staffWait(ctx);
  const rows = snap.form.map((field) => formRow(field, ctx));
  const form = el("form", { class: "staff-form", id: "staff-form", novalidate: true }, rows);
  const send = async () => {
    const values = {};
    for (const field of snap.form) values[field.name] = readField(form, field);
    const result = await ctx.act({ type: "staff_details", values });
    ctx.showFieldErrors(result.field_errors || {});
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  return el("div", {}, form, el("div", { class: "row sticky" }, actionButton(t("ui.submit"), "primary", send)));
}

function formRow(field, ctx) {
  const id = `field-${field.name}`;
  const error = el("p", { class: "field-error", id: `error-${field.name}`, role: "alert" });
  const caption = el(
    "span",
    { class: "field-label" },
    label(`field.${field.name}`),
    field.required ? null : el("span", { class: "optional", text: ` ${t("ui.optional")}` }),
  );
  let input;
  if (field.kind === "choice") {
    const texts = new Map(field.choice_texts || []); // the device's own labels, for codes the page cannot translate
    input = el(
      "div",
      { class: "choices", role: "radiogroup", id, "aria-describedby": error.id },
      field.choices.map(([code, key]) =>
        el(
          "label",
          { class: "choice" },
          el("input", { type: "radio", name: field.name, value: code }),
          label(key, texts.get(code)),
        ),
      ),
    );
  } else {
    input = el("input", {
      id,
      name: field.name,
      type: "text",
      inputmode: "none",
      "data-keyboard": KEYBOARDS[field.kind] || "text",
      placeholder: PLACEHOLDERS[field.kind] ? t(PLACEHOLDERS[field.kind]) : null,
      autocomplete: "off",
      "aria-describedby": error.id,
    });
  }
  let shown = null; // the controller's value last put into the input
  ctx.onUpdate((s) => {
    const current = s.form.find((f) => f.name === field.name) || field;
    if (current.value !== shown) {
      writeField(input, field, current.value);
      shown = current.value;
    }
    ctx.setFieldError(field.name, current.error);
  });
  ctx.registerField(field.name, error, input);
  const tag = field.kind === "choice" ? "fieldset" : "label";
  return el(tag, { class: "field", "data-field": field.name }, caption, input, error);
}

function readField(form, field) {
  if (field.kind === "choice") {
    const checked = form.querySelector(`input[name="${CSS.escape(field.name)}"]:checked`);
    return checked ? checked.value : "";
  }
  return toIso(field.kind, form.querySelector(`#field-${CSS.escape(field.name)}`).value);
}

function writeField(input, field, text) {
  if (field.kind === "choice") {
    for (const radio of input.querySelectorAll("input")) radio.checked = radio.value === text;
  } else {
    input.value = fromIso(field.kind, text);
  }
}

function staffWait(ctx) {
  return el(
    "div",
    { class: "staff-wait" },
    el("p", { text: t("ui.staff_wait") }),
    actionButton(t("ui.staff"), "primary", async () => ctx.openPin()),
  );
}

export function accessEntry(snap, ctx) {
  if (!snap.access_kinds.length) return null;
  if (!snap.staff_unlocked) {
    return el("p", { class: "small" }, t("ui.access_type"), " ", snap.access_kinds.map((k) => t(`access_kind.${k}`)).join(" · "));
  }
  let kind = snap.access_kinds[0];
  const error = el("p", { class: "field-error", id: "access-error", role: "alert" });
  const input = el("textarea", {
    id: "access-value",
    rows: 1,
    autocomplete: "off",
    spellcheck: "false",
    inputmode: "none",
    "aria-describedby": error.id,
  });
  const setKind = (next, { focus = false } = {}) => {
    kind = next;
    input.rows = kind === "mrz" ? 3 : 1;
    input.dataset.keyboard = ACCESS_KEYBOARDS[kind] || "text";
    input.maxLength = ACCESS_LENGTHS[kind] || 100;
    input.setAttribute("aria-label", t(`access_kind.${kind}`));
    for (const b of tabs.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.value === kind));
    if (focus) input.focus(); // brings up the keyboard for this kind
  };
  const tabs = el(
    "div",
    { class: "row tabs" },
    snap.access_kinds.map((k) =>
      el("button", {
        type: "button",
        class: "secondary",
        value: k,
        text: t(`access_kind.${k}`),
        onclick: () => setKind(k, { focus: true }),
      }),
    ),
  );
  setKind(kind);
  const send = async () => {
    error.textContent = "";
    const result = await ctx.act({ type: "access_key", kind, value: input.value }, { quiet: true });
    if (!result.ok) error.textContent = t(result.error, {}, "action.failed");
  };
  return el(
    "div",
    { class: "access-entry" },
    el("p", { text: t("ui.access_type") }),
    tabs,
    input,
    error,
    el("div", { class: "row" }, actionButton(t("ui.access_send"), "primary", send)),
  );
}

export function openStays(snap, ctx) {
  if (!snap.staff_unlocked || snap.workflow !== "stay_notification") return null;
  const rows = snap.open_stays.map((stay) => stayRow(stay, ctx));
  return el(
    "section",
    { class: "stays", id: "open-stays" },
    el("h2", { text: t("ui.open_stays") }),
    rows.length ? rows : el("p", { text: t("ui.no_open_stays") }),
  );
}

function stayRow(stay, ctx) {
  const date = el("input", {
    type: "text",
    id: `extend-${stay.label}`,
    placeholder: t("ui.date_format"),
    "aria-label": t("ui.new_departure"),
    inputmode: "none",
    "data-keyboard": "date",
    autocomplete: "off",
  });
  const error = el("p", { class: "field-error", role: "alert" });
  const extend = async () => {
    const action = { type: "stay_extend", stay: stay.label, expected_departure: toIso("date", date.value) };
    const result = await ctx.act(action, { success: "stay.extended" });
    error.textContent = result.field_errors?.expected_departure ? t(result.field_errors.expected_departure) : "";
  };
  const extendRow = el("div", { class: "extend", hidden: true }, el("div", { class: "row" }, date, actionButton(t("ui.extend"), "primary", extend)), error);
  return el(
    "div",
    { class: "stay", "data-stay": stay.label },
    el("div", { class: "stay-text" }, el("strong", { text: stay.label }), el("span", { text: ` ${stay.value}` })),
    el(
      "div",
      { class: "row" },
      actionButton(t("ui.checkout"), "secondary", () =>
        ctx.act({ type: "stay_checkout", stay: stay.label }, { success: "stay.checked_out" }),
      ),
      el("button", { type: "button", class: "secondary", text: t("ui.extend"), onclick: () => (extendRow.hidden = !extendRow.hidden) }),
    ),
    extendRow,
  );
}
