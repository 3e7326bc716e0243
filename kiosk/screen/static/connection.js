// The live link to the kiosk: server-sent events in, JSON actions out.
// EventSource reconnects by itself and sends the last event id it saw; when the browser
// gives up (readyState CLOSED), a new EventSource is opened with that id in the query.

const RETRY_MS = 1000;

export function connect({ onSnapshot, onUp, onDown }) {
  let lastId = null;
  let source = null;

  function open() {
    source = new EventSource(lastId ? `/events?last=${encodeURIComponent(lastId)}` : "/events");
    source.onopen = onUp;
    source.addEventListener("snapshot", (event) => {
      lastId = event.lastEventId || lastId;
      onUp();
      onSnapshot(JSON.parse(event.data));
    });
    source.onerror = () => {
      onDown();
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(open, RETRY_MS);
      }
    };
  }
  open();
}

// POST one action; always resolves to an ActionResult-shaped object.
export async function act(action) {
  try {
    const response = await fetch("/action", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(action),
      cache: "no-store",
    });
    const type = response.headers.get("Content-Type") || "";
    if (!type.startsWith("application/json")) {
      return { ok: false, error: "action.failed", field_errors: {} };
    }
    const result = await response.json();
    return { ok: Boolean(result.ok), error: result.error || null, field_errors: result.field_errors || {} };
  } catch {
    return { ok: false, error: "action.network", field_errors: {} };
  }
}
