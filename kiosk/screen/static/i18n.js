// Every text on the screen comes from messages.json: one table, Vietnamese and English
// side by side, keyed by the message keys the controller sends and the page's own "ui.*".
let table = {};
let lang = "vi";

export async function loadMessages() {
  const response = await fetch("/static/messages.json", { cache: "no-store" });
  table = await response.json();
}

export function setLang(next) {
  lang = next === "en" ? "en" : "vi";
  document.documentElement.lang = lang;
  document.body.dataset.lang = lang;
}

export function getLang() {
  return lang;
}

export function has(key) {
  return typeof key === "string" && Object.hasOwn(table, key);
}

// The table's key for a message: itself, else its family (not_genuine.<code>
// -> not_genuine. : the controller sends a family's codes, the table has its text).
function known(key) {
  if (has(key)) return key;
  const family = typeof key === "string" ? key.slice(0, key.indexOf(".") + 1) : "";
  return family && has(family) ? family : null;
}

// The text of a key in the current language, with {name} placeholders filled in;
// `fallback` (a key) when the table does not know it.
export function t(key, vars = {}, fallback = "ui.unknown_message") {
  const entry = table[known(key) ?? fallback];
  const text = entry ? entry[lang] || entry.vi : "";
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// A label: translated when it is a known key, otherwise `fallback` (the text the device
// is configured with, e.g. an installer's own reason of stay) or the key as given (a stay
// reference).
export function label(key, fallback = null) {
  return has(key) ? t(key) : fallback || String(key);
}

// A preview or receipt value: as it leaves the device, except the few fixed words the
// controller sends as `value.*` keys ("sent" / "not_sent").
export function value(text) {
  return has(`value.${text}`) ? t(`value.${text}`) : String(text);
}
