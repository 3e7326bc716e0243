// One view per screen state. A view is built from a snapshot; its live parts (progress,
// guidance, countdown, form errors) register updaters so later snapshots of the same view
// change them in place, without rebuilding what staff are typing into.
import { readable } from "./dates.js";
import { actionButton, el } from "./dom.js";
import { has, label, t, value } from "./i18n.js";
import { accessEntry, openStays, staffForm } from "./staff.js";

// Failures after which "try again" means something to the controller.
const RETRYABLE = new Set(["wrong_key", "timeout", "camera_missing", "read_error", "not_genuine", "storage_error"]);

const BODIES = {
  idle: (snap, ctx) => [art("card"), openStays(snap, ctx)],
  card_placed: () => [art("card")],
  access_key: (snap, ctx) => [art("qr"), accessEntry(snap, ctx)],
  reading: (snap, ctx) => [progressBar(ctx)],
  person_check: (snap, ctx) => [art("face"), challenge(ctx), guidance(ctx)],
  staff_details: (snap, ctx) => [staffForm(snap, ctx)],
  consent: (snap, ctx) => [itemList(snap.preview, "preview"), consentButtons(ctx)],
  committed: () => [art("done")],
  receipt: (snap) => [itemList(snap.receipt, "receipt"), el("p", { class: "small", text: t("ui.receipt_note") })],
  card_removed: () => [art("done")],
};

export function buildView(snap, ctx) {
  const body = BODIES[snap.state] ? BODIES[snap.state](snap, ctx) : [];
  const retry = snap.failure && RETRYABLE.has(snap.state)
    ? el("div", { class: "row" }, actionButton(t("ui.retry"), "primary", () => ctx.act({ type: "retry" })))
    : null;
  const message = el("p", { class: "message", id: "message" });
  ctx.onUpdate((s) => {
    message.textContent = t(s.message, {}, s.state);
  });
  return el(
    "section",
    { class: snap.failure ? "view failure" : "view", "data-view": snap.state },
    el("h1", { text: t(`title.${snap.state}`) }),
    message,
    body,
    status(ctx),
    el("p", { class: "next", text: t(`next.${snap.state}`) }),
    retry,
  );
}

function status(ctx) {
  const attempts = el("span", { class: "attempts" });
  const countdown = el("span", { class: "countdown" });
  ctx.onUpdate((s) => {
    attempts.textContent = s.attempts_left == null ? "" : t("ui.attempts_left", { n: s.attempts_left });
    ctx.countdown(countdown, s.deadline_s);
  });
  return el("p", { class: "status" }, attempts, countdown);
}

function progressBar(ctx) {
  const fill = el("div", { class: "progress-fill" });
  const text = el("p", { class: "progress-text" });
  const bar = el("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 }, fill);
  ctx.onUpdate((s) => {
    const percent = Math.round(Math.min(1, Math.max(0, s.progress ?? 0)) * 100);
    fill.style.width = `${percent}%`;
    bar.setAttribute("aria-valuenow", String(percent));
    text.textContent = t("ui.progress", { n: percent });
  });
  return el("div", { class: "progress-block" }, bar, text);
}

// The liveness challenge (blink, turn the head) while it runs, above the guidance, which
// then says only what is in the way of it (move closer, one person only).
function challenge(ctx) {
  const text = el("p", { class: "challenge-text", id: "challenge" });
  const box = el("div", { class: "challenge", role: "status" }, el("p", { class: "challenge-label", text: t("ui.challenge") }), text);
  ctx.onUpdate((s) => {
    box.hidden = !s.challenge;
    text.textContent = s.challenge ? t(s.challenge, {}, "face.") : "";
  });
  return box;
}

function guidance(ctx) {
  const node = el("p", { class: "guidance", id: "guidance", role: "status" });
  ctx.onUpdate((s) => {
    node.textContent = s.guidance ? t(s.guidance, {}, "next.person_check") : "";
  });
  return node;
}

// Label/value lines of the consent preview or the receipt, exactly as the controller sent them.
function itemList(items, kind) {
  return el(
    "dl",
    { class: `items ${kind}`, id: kind },
    items.map((item) =>
      el("div", { class: "item" }, el("dt", { text: label(item.label) }), el("dd", {}, readable(value(item.value)), meaning(item))),
    ),
  );
}

// A coded value (a reason of stay) is sent as its code; its name is shown beside it: the
// page's translation, else the text the device is configured with (item.meaning).
function meaning(item) {
  const key = `reason.${item.value}`;
  const text = item.label === "field.reason_code" && has(key) ? t(key) : item.meaning;
  return text ? el("span", { class: "meaning", text: ` · ${text}` }) : null;
}

function consentButtons(ctx) {
  return el(
    "div",
    { class: "row consent sticky" },
    actionButton(t("ui.decline"), "secondary", () => ctx.act({ type: "consent", accept: false })),
    actionButton(t("ui.accept"), "primary", () => ctx.act({ type: "consent", accept: true })),
  );
}

// Simple drawings in CSS: nothing is loaded from anywhere.
function art(kind) {
  return el("div", { class: `art art-${kind}`, "aria-hidden": "true" }, el("div", { class: "art-inner" }));
}
