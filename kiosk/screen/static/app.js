// The kiosk page: renders each snapshot the kiosk pushes and sends the citizen's and
// the staff's actions back. It holds no rules of the check-in: the controller decides.
import { act as post, connect } from "./connection.js";
import { getLang, loadMessages, setLang, t } from "./i18n.js";
import { setupKeyboard } from "./keyboard.js";
import { setupPin } from "./pin.js";
import { buildView } from "./views.js";

const IN_PROGRESS = new Set(["idle", "no_reader", "card_removed", "receipt"]);
const NOTICE_MS = 8000;
const OFFLINE_GRACE_MS = 1000;

const page = { snap: null, key: null, updaters: [], fields: new Map(), countdowns: new Map() };
let pin;
let keyboard;
let noticeTimer = null;
let offlineTimer = null;

// What decides the view's structure; everything else is updated in place.
function viewKey(s) {
  const form = s.form.map((f) => [f.name, f.kind, f.required, f.choices]);
  return JSON.stringify([getLang(), s.state, s.workflow, s.staff_unlocked, s.access_kinds, form, s.preview, s.receipt, s.open_stays]);
}

async function act(action, { quiet = false, success = null } = {}) {
  const result = await post(action);
  if (!result.ok && !quiet) notice(t(result.error, {}, "action.failed"), "error");
  if (result.ok && success) notice(t(success), "info");
  return result;
}

const ctx = {
  act,
  openPin: () => pin.open(),
  onUpdate: (fn) => page.updaters.push(fn),
  registerField: (name, errorNode, input) => page.fields.set(name, { errorNode, input }),
  setFieldError(name, key) {
    const field = page.fields.get(name);
    if (!field) return;
    field.errorNode.textContent = key ? t(key, {}, "form.not_text") : "";
    field.input.setAttribute("aria-invalid", String(Boolean(key)));
  },
  showFieldErrors(errors) {
    for (const name of page.fields.keys()) ctx.setFieldError(name, errors[name] || null);
  },
  countdown(node, seconds) {
    if (seconds == null) page.countdowns.delete(node);
    else if (!page.countdowns.has(node) || page.countdowns.get(node).seconds !== seconds) {
      page.countdowns.set(node, { seconds, endsAt: performance.now() + seconds * 1000 });
    }
    tick();
  },
};

function tick() {
  for (const [node, { endsAt }] of page.countdowns) {
    node.textContent = t("ui.seconds_left", { n: Math.max(0, Math.ceil((endsAt - performance.now()) / 1000)) });
  }
}

function render(snap) {
  const previous = page.snap;
  if (previous && previous.state !== "idle" && snap.state === "idle") setLang("vi"); // next citizen: Vietnamese
  if (!previous || previous.state !== snap.state) hideNotice();
  page.snap = snap;
  const key = viewKey(snap);
  if (key !== page.key) {
    const typed = page.key && sameExceptLang(page.key, key) ? typedValues() : null;
    page.updaters = [];
    page.fields = new Map();
    page.countdowns = new Map();
    document.getElementById("view").replaceChildren(buildView(snap, ctx));
    page.key = key;
    for (const fn of page.updaters) fn(snap);
    if (typed) restoreTyped(typed);
  } else {
    for (const fn of page.updaters) fn(snap);
  }
  chrome(snap);
  keyboard.sync();
  const body = document.body.dataset;
  body.state = snap.state;
  body.seq = String(snap.seq);
  body.staff = String(snap.staff_unlocked);
}

function chrome(snap) {
  document.getElementById("workflow").textContent = t(`ui.workflow.${snap.workflow}`);
  document.title = t(`ui.workflow.${snap.workflow}`);
  document.getElementById("lang-button").textContent = t("ui.lang_switch");
  document.getElementById("lang-button").lang = getLang() === "vi" ? "en" : "vi";
  const staff = document.getElementById("staff-button");
  staff.textContent = snap.staff_unlocked ? t("ui.staff_lock") : t("ui.staff");
  let cancel = document.getElementById("cancel-button");
  const showCancel = snap.staff_unlocked && !IN_PROGRESS.has(snap.state);
  if (showCancel && !cancel) {
    cancel = Object.assign(document.createElement("button"), { id: "cancel-button", type: "button", className: "danger" });
    cancel.addEventListener("click", () => act({ type: "cancel" }));
    staff.before(cancel);
  }
  if (cancel) {
    cancel.hidden = !showCancel;
    cancel.textContent = t("ui.cancel");
  }
  pin.label();
  document.getElementById("offline-text").textContent = t("ui.reconnecting");
}

function sameExceptLang(a, b) {
  return JSON.stringify(JSON.parse(a).slice(1)) === JSON.stringify(JSON.parse(b).slice(1));
}

function typedValues() {
  const view = document.getElementById("view");
  return Array.from(view.querySelectorAll("input, textarea"), (n) => [n.id || `${n.name}=${n.value}`, n.type === "radio" ? n.checked : n.value]);
}

function restoreTyped(typed) {
  const view = document.getElementById("view");
  for (const [key, val] of typed) {
    if (key.includes("=")) {
      const [name, v] = key.split("=");
      const radio = view.querySelector(`input[name="${CSS.escape(name)}"][value="${CSS.escape(v)}"]`);
      if (radio) radio.checked = val;
    } else {
      const node = view.querySelector(`#${CSS.escape(key)}`);
      if (node) node.value = val;
    }
  }
}

function notice(text, kind) {
  const node = document.getElementById("notice");
  node.textContent = text;
  node.className = `notice ${kind}`;
  node.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(hideNotice, NOTICE_MS);
}

function hideNotice() {
  document.getElementById("notice").hidden = true;
}

function online() {
  clearTimeout(offlineTimer);
  offlineTimer = null;
  document.getElementById("offline").hidden = true;
  document.body.dataset.connected = "true";
}

function offline() {
  document.body.dataset.connected = "false";
  if (offlineTimer === null) {
    offlineTimer = setTimeout(() => {
      document.getElementById("offline").hidden = false; // opaque: nothing stale stays readable
    }, OFFLINE_GRACE_MS);
  }
}

async function main() {
  await loadMessages();
  setLang("vi");
  pin = setupPin(act);
  keyboard = setupKeyboard();
  document.getElementById("lang-button").addEventListener("click", () => {
    setLang(getLang() === "vi" ? "en" : "vi");
    if (page.snap) render(page.snap);
  });
  document.getElementById("staff-button").addEventListener("click", () => {
    if (page.snap && page.snap.staff_unlocked) act({ type: "staff_lock" });
    else pin.open();
  });
  setInterval(tick, 1000);
  offline();
  connect({ onSnapshot: render, onUp: online, onDown: offline });
}

main();
