// Dates as Vietnamese write them (dd/mm/yyyy, time as hh:mm) on screen, ISO 8601 to and
// from the controller. Only the order of the parts changes here; whether a date is valid
// (31/02, a departure in the past) is the controller's answer, shown next to the field.
// The browser's own date picker is not used: it follows Chromium's UI locale, which on
// the device is US English unless a further 120 MB of browser translations is installed.

const DAY_FIRST = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:h.](\d{2}))?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/;

const pad = (n) => String(n).padStart(2, "0");

// What staff typed -> what the controller gets ("27/11/2026" -> "2026-11-27").
export function toIso(kind, typed) {
  const text = typed.trim();
  const m = DAY_FIRST.exec(text);
  if (!m) return text; // sent as typed; the controller says what is wrong with it
  const day = `${m[3]}-${pad(m[2])}-${pad(m[1])}`;
  if (kind !== "datetime") return m[4] === undefined ? day : text;
  return m[4] === undefined ? text : `${day}T${pad(m[4])}:${m[5]}`;
}

// The controller's value -> what the field shows ("2026-11-27" -> "27/11/2026").
export function fromIso(kind, value) {
  const m = ISO.exec(value || "");
  if (!m) return value || "";
  const day = `${m[3]}/${m[2]}/${m[1]}`;
  return kind === "datetime" && m[4] !== undefined ? `${day} ${m[4]}:${m[5]}` : day;
}

// Typing a date on the digit pad: staff type only the digits (27112026) and the
// separators appear by themselves (27/11/2026; a time as 27/11/2026 14:30).
const DATE_PARTS = [[0, 2, ""], [2, 4, "/"], [4, 8, "/"], [8, 10, " "], [10, 12, ":"]];

export function typeDate(kind, text, key) {
  let digits = text.replace(/\D/g, "");
  if (key === "back") digits = digits.slice(0, -1);
  else if (key === "clear") digits = "";
  else if (/^\d$/.test(key) && digits.length < (kind === "datetime" ? 12 : 8)) digits += key;
  let out = "";
  for (const [from, to, separator] of DATE_PARTS) {
    if (digits.length > from) out += separator + digits.slice(from, to);
  }
  return out;
}

// A value of the consent preview or the receipt as people read it: a timestamp the
// controller sends in ISO 8601 ("2026-11-25T14:32:05+07:00") as dd/mm/yyyy HH:MM in the
// time zone it was sent in (the device's), a date as dd/mm/yyyy; anything else as sent.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function readable(value) {
  const text = String(value);
  let m = TIMESTAMP.exec(text);
  if (m) return `${m[3]}/${m[2]}/${m[1]} ${m[4]}:${m[5]}`;
  m = DATE_ONLY.exec(text);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : text;
}
