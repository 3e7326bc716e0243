// Building DOM nodes without innerHTML: every value from a snapshot goes in as text.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, val] of Object.entries(props)) {
    if (val === undefined || val === null || val === false) continue;
    if (key === "class") node.className = val;
    else if (key === "text") node.textContent = val;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), val);
    else node.setAttribute(key, val === true ? "" : String(val));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

// A big touch button that is disabled while its action is on its way.
export function actionButton(text, kind, onPress) {
  const button = el("button", { type: "button", class: kind, text });
  button.addEventListener("click", async () => {
    if (button.disabled) return;
    button.disabled = true;
    try {
      await onPress();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
