// Vietnamese letters from a Latin keyboard, the way receptionists already type them on
// their phones and PCs (Unikey, Laban Key, Gboard): Telex. A keystroke changes the word
// being typed: aa ee oo -> â ê ô, aw ow uw (uow) -> ă ơ ư (ươ), w alone -> ư, dd -> đ,
// s f r x j -> the tones sắc huyền hỏi ngã nặng, z -> no tone; the same key again undoes
// it ("ass" -> "as"). Modifiers and tones may come anywhere in the word ("nguyenex",
// "tieengs"), and the tone moves to its place as the word grows ("hoaf" + "n" -> "hoàn").
// Tones sit where Unikey puts them by default (hòa, thúy, hoàng, người). The on-screen
// keyboard's mark keys (á à ả ã ạ, â ê ô, ă ơ ư, đ) apply the same rules to the last word,
// for anyone who does not type Telex. Text is returned in NFC.

const TONES = { s: "\u0301", f: "\u0300", r: "\u0309", x: "\u0303", j: "\u0323" };
const TONE_MARKS = new Set(Object.values(TONES));
const HAT = "\u0302"; // â ê ô
const BREVE = "\u0306"; // ă
const HORN = "\u031b"; // ơ ư
const STROKE = "stroke"; // đ (not a combining mark: U+0111 has no decomposition)
const VOWELS = new Set(["a", "e", "i", "o", "u", "y"]);
const WORD_AT_END = /[\p{L}\p{M}]+$/u;

export const MARKS = { acute: TONES.s, grave: TONES.f, hook: TONES.r, tilde: TONES.x, dot: TONES.j };

// A word as letters ({ base: "a".."z", mod, upper }) and one tone; null when it is not
// made of Vietnamese letters (then keys are typed as they are).
function parse(text) {
  const letters = [];
  let tone = "";
  for (const ch of text.normalize("NFD")) {
    const lower = ch.toLowerCase();
    if (lower === "đ") letters.push({ base: "d", mod: STROKE, upper: ch !== lower });
    else if (lower >= "a" && lower <= "z") letters.push({ base: lower, mod: "", upper: ch !== lower });
    else if (TONE_MARKS.has(ch) && !tone && letters.length) tone = ch;
    else if ([HAT, BREVE, HORN].includes(ch) && letters.length && !letters.at(-1).mod) letters.at(-1).mod = ch;
    else return null;
  }
  return { letters, tone };
}

function render({ letters, tone }) {
  const at = tone ? tonePlace(letters) : -1;
  const text = letters
    .map((l, i) => {
      const base = l.mod === STROKE ? "đ" : l.base + l.mod;
      return (l.upper ? base.toUpperCase() : base) + (i === at ? tone : "");
    })
    .join("");
  return text.normalize("NFC");
}

// Indexes of the word's vowel nucleus: the first run of vowels, without the u of "qu"
// and the i of "gi" when another vowel follows (quốc, giường).
function nucleus(letters) {
  const vowel = (i) => i < letters.length && letters[i].mod !== STROKE && VOWELS.has(letters[i].base);
  let start = letters.findIndex((_, i) => vowel(i));
  if (start < 0) return [];
  const onset = (start === 1 && letters[0].base === "q" && letters[1].base === "u") ||
    (start === 1 && letters[0].base === "g" && letters[1].base === "i");
  if (onset && vowel(start + 1)) start += 1;
  const out = [];
  for (let i = start; vowel(i); i += 1) out.push(i);
  return out;
}

// Where the tone goes: on the vowel with a hat or a horn (the ơ of ươ), else on the only
// vowel, else on the middle of three, else on the second of two when a consonant follows
// (hoàng) and on the first otherwise (hòa, mùa, thúy).
function tonePlace(letters) {
  const v = nucleus(letters);
  if (!v.length) return -1;
  const marked = v.filter((i) => [HAT, BREVE, HORN].includes(letters[i].mod));
  if (marked.length) return marked.at(-1);
  if (v.length === 1) return v[0];
  if (v.length >= 3) return v[1];
  return v[1] < letters.length - 1 ? v[1] : v[0];
}

function letterOf(ch) {
  const lower = ch.toLowerCase();
  return { base: lower, mod: "", upper: ch !== lower };
}

// Each edit returns the changed word, or null when the key does not apply to this word.
function setTone(word, tone) {
  if (tonePlace(word.letters) < 0) return null;
  return { ...word, tone: word.tone === tone ? "" : tone };
}

function hat(word, base) {
  const target = nucleus(word.letters).findLast((i) => word.letters[i].base === base);
  if (target === undefined) return null;
  return withMod(word, [target], HAT);
}

function horn(word) {
  const v = nucleus(word.letters);
  const base = (k) => word.letters[v[k]].base;
  let targets = [];
  for (let k = 0; k + 1 < v.length && !targets.length; k += 1) {
    if (base(k) === "u" && base(k + 1) === "o") targets = [v[k], v[k + 1]]; // ươ
    else if (base(k) === "o" && base(k + 1) === "a") targets = [v[k + 1]]; // oă (hoặc)
  }
  if (!targets.length) {
    const first = v.find((i) => ["a", "o", "u"].includes(word.letters[i].base));
    if (first !== undefined) targets = [first];
  }
  if (!targets.length) return null;
  return withMod(word, targets, null);
}

// Put `mod` (null: the horn family, ă for a, ơ ư for o u) on the targets, or take it off
// when every target has it already.
function withMod(word, targets, mod) {
  const modFor = (l) => mod ?? (l.base === "a" ? BREVE : HORN);
  const undo = targets.every((i) => word.letters[i].mod === modFor(word.letters[i]));
  const letters = word.letters.map((l, i) => (targets.includes(i) ? { ...l, mod: undo ? "" : modFor(l) } : l));
  return { word: { ...word, letters }, undone: undo };
}

// đ is the first letter of a syllable ("dinhd" -> "đinh"), or right after a letter
// that is not ("HDD" -> "HĐ", a contract's "hợp đồng").
function stroke(word) {
  const letters = word.letters;
  const at = letters[0]?.base === "d" ? 0 : letters.at(-1)?.base === "d" ? letters.length - 1 : -1;
  if (at < 0) return null;
  const undo = letters[at].mod === STROKE;
  const changed = letters.map((l, i) => (i === at ? { ...l, mod: undo ? "" : STROKE } : l));
  return { word: { ...word, letters: changed }, undone: undo };
}

function split(text) {
  const m = WORD_AT_END.exec(text);
  const word = m ? parse(m[0]) : null;
  return word ? { head: text.slice(0, m.index), word } : { head: text, word: null };
}

// `text` with one more key typed the Telex way.
export function typeTelex(text, ch) {
  const key = ch.toLowerCase();
  if (!(key.length === 1 && key >= "a" && key <= "z")) return typePlain(text, ch);
  const { head, word } = split(text.normalize("NFC"));
  if (!word) return (text + (key === "w" ? letterText("ư", ch) : ch)).normalize("NFC");
  let edit = null;
  if (Object.hasOwn(TONES, key)) {
    const next = setTone(word, TONES[key]);
    edit = next && { word: next, undone: !next.tone };
  } else if (key === "z") edit = word.tone ? { word: { ...word, tone: "" }, undone: false } : null;
  else if (key === "a" || key === "e" || key === "o") edit = hat(word, key);
  else if (key === "w") edit = horn(word) ?? { word: appendLetter(word, { base: "u", mod: HORN, upper: ch !== key }), undone: false };
  else if (key === "d") edit = stroke(word);
  if (!edit) return head + render(appendLetter(word, ch));
  return head + render(edit.undone ? appendLetter(edit.word, ch) : edit.word);
}

function appendLetter(word, ch) {
  return { ...word, letters: [...word.letters, typeof ch === "string" ? letterOf(ch) : ch] };
}

function letterText(lower, ch) {
  return ch === ch.toLowerCase() ? lower : lower.toUpperCase();
}

// `text` with a plain key (no composition): letters, digits, punctuation, space.
export function typePlain(text, ch) {
  return (text + ch).normalize("NFC");
}

// The on-screen mark keys: a tone ("acute" …), "hat" (â ê ô), "horn" (ă ơ ư) or "stroke"
// (đ) on the last word; a mark that does not fit the word changes nothing, and the same
// mark again takes it off. "stroke" with no d to change types đ.
export function applyMark(text, mark, upper = false) {
  const { head, word } = split(text.normalize("NFC"));
  let edit = null;
  if (word && Object.hasOwn(MARKS, mark)) edit = setTone(word, MARKS[mark]);
  else if (word && mark === "hat") {
    const v = nucleus(word.letters);
    const last = v.findLast((i) => ["a", "e", "o"].includes(word.letters[i].base));
    edit = last === undefined ? null : withMod(word, [last], HAT).word;
  } else if (word && mark === "horn") edit = horn(word)?.word ?? null;
  else if (word && mark === "stroke") edit = stroke(word)?.word ?? null;
  if (edit) return head + render(edit);
  if (mark === "stroke") return (text + (upper ? "Đ" : "đ")).normalize("NFC");
  return text.normalize("NFC");
}

// `text` without its last character (a whole letter with its marks).
export function backspace(text) {
  return Array.from(text.normalize("NFC")).slice(0, -1).join("");
}
