"""The kiosk screen server over real HTTP on loopback: what it serves, what it refuses,
how its event stream behaves, and that it stops cleanly. No browser here (see
test_kiosk_screen_page.py); requests are made with http.client as a page would."""

from __future__ import annotations

import ast
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.kiosk_screen import ScreenController
from kiosk.screen.guard import Limits, NotLoopbackError
from kiosk.screen.protocol import ScreenState
from kiosk.screen.server import ScreenServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def controller() -> ScreenController:
    return ScreenController("stay_notification", pin="2468")


@pytest.fixture
def server(controller: ScreenController) -> Iterator[ScreenServer]:
    with ScreenServer("127.0.0.1", 0, controller, limits=Limits(keepalive_s=0.5)) as srv:
        yield srv


def request(
    server: ScreenServer, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        headers.setdefault("Host", f"127.0.0.1:{server.port}")
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
        if body is not None and "Content-Length" not in headers:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def post_action(server: ScreenServer, action: object, **headers: str) -> tuple[int, dict]:
    headers.setdefault("Origin", f"http://127.0.0.1:{server.port}")
    headers.setdefault("Content_Type", "application/json")
    status, _, body = request(server, "POST", "/action", json.dumps(action).encode(), **headers)
    return status, json.loads(body)


# --- where it listens ------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "localhost", "kiosk.local"])
def test_refuses_to_listen_anywhere_but_loopback(controller, host):
    with pytest.raises(NotLoopbackError, match="loopback"):
        ScreenServer(host, 0, controller)


def test_a_busy_port_is_reported_when_wired(controller, server):
    with pytest.raises(OSError, match=f"kiosk screen cannot listen on 127.0.0.1 port {server.port}"):
        ScreenServer("127.0.0.1", server.port, controller)


def test_listens_on_ipv6_loopback_too(controller):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    with ScreenServer("::1", 0, controller) as srv:
        assert srv.url == f"http://[::1]:{srv.port}/"
        conn = http.client.HTTPConnection("::1", srv.port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()


# --- what it serves ----------------------------------------------------------------
def test_serves_the_page_and_its_files_with_no_store_and_a_strict_policy(server):
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b'src="/static/app.js"' in body
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    for name in ("app.js", "style.css", "messages.json", "i18n.js"):
        status, headers, _ = request(server, "GET", f"/static/{name}")
        assert status == 200 and headers["cache-control"] == "no-store", name


@pytest.mark.parametrize(
    "path", ["/static/../server.py", "/static/", "/etc/passwd", "/static/missing.js", "/index.html"]
)
def test_nothing_but_the_page_files_is_served(server, path):
    assert request(server, "GET", path)[0] == 404


def test_the_page_loads_nothing_from_elsewhere():
    static = REPO / "kiosk" / "screen" / "static"
    for path in static.iterdir():
        text = path.read_text(encoding="utf-8")
        for needle in ("http://", "https://", "//fonts.", "@import", "url("):
            assert needle not in text, f"{path.name} refers to {needle!r}"


# --- who may talk to it ------------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "10.0.0.5:{port}", ""]
)
def test_refuses_a_host_that_is_not_this_server(server, host):
    status, _, _ = request(server, "GET", "/", Host=host.format(port=server.port))
    assert status == 403
    status, _, _ = request(server, "GET", "/events", Host=host.format(port=server.port))
    assert status == 403


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_accepts_every_loopback_name_of_this_port(server, name):
    assert request(server, "GET", "/", Host=f"{name}:{server.port}")[0] == 200


@pytest.mark.parametrize(
    "origin", [None, "http://evil.example", "http://127.0.0.1:1", "null", "https://127.0.0.1:{port}"]
)
def test_actions_need_this_servers_origin(server, controller, origin):
    headers = {} if origin is None else {"Origin": origin.format(port=server.port)}
    status, _, body = request(
        server, "POST", "/action", b'{"type":"cancel"}', Content_Type="application/json", **headers
    )
    assert status == 403 and json.loads(body)["error"] == "action.forbidden"
    assert controller.actions == []


def test_a_cross_origin_page_cannot_read_the_event_stream(server):
    status, _, _ = request(server, "GET", "/events", Origin="http://evil.example")
    assert status == 403


# --- actions -------------------------------------------------------------------------
def test_an_action_reaches_the_controller_and_its_answer_comes_back(server, controller):
    assert post_action(server, {"type": "staff_unlock", "pin": "2468"}) == (
        200,
        {"ok": True, "error": None, "field_errors": {}},
    )
    assert controller.snapshot().staff_unlocked
    assert post_action(server, {"type": "staff_unlock", "pin": "0000"})[1]["error"] == "staff.pin_wrong"
    assert [a["type"] for a in controller.actions] == ["staff_unlock", "staff_unlock"]


def test_field_errors_come_back_per_field(server, controller):
    from devkit.kiosk_screen_samples import sample_fields

    controller.update(staff_unlocked=True)
    controller.show(
        ScreenState.STAFF_DETAILS, **sample_fields(ScreenState.STAFF_DETAILS, "stay_notification")
    )
    status, result = post_action(
        server,
        {"type": "staff_details", "values": {"room": "", "expected_departure": "27/11", "reason": "9"}},
    )
    assert status == 200 and not result["ok"]
    assert result["field_errors"] == {
        "room": "form.required",
        "expected_departure": "form.date_invalid",
        "reason": "form.choice_invalid",
    }


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_an_action_must_be_json(server, controller, content_type):
    headers = {"Origin": f"http://127.0.0.1:{server.port}"}
    if content_type:
        headers["Content_Type"] = content_type
    status, _, body = request(server, "POST", "/action", b'{"type":"cancel"}', **headers)
    assert status == 415 and json.loads(body)["error"] == "action.malformed"
    assert controller.actions == []


def test_an_oversized_action_is_refused_unread(server, controller):
    big = json.dumps({"type": "staff_details", "values": {"room": "x" * 9000}}).encode()
    status, body = post_action(server, json.loads(big))
    assert status == 413 and body["error"] == "action.too_large"
    # a huge declared length is refused before a byte is read: the answer comes at once
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    conn.sendall(
        f"POST /action HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nOrigin: http://127.0.0.1:{server.port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n".encode()
    )
    assert conn.recv(64).startswith(b"HTTP/1.0 413")
    conn.close()
    assert controller.actions == []


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[1,2]", b'{"kind":"cancel"}', b'{"type":3}', b"\xff\xfe"]
)
def test_a_malformed_action_gets_a_plain_refusal(server, controller, body):
    headers = {"Origin": f"http://127.0.0.1:{server.port}", "Content_Type": "application/json"}
    status, _, answer = request(server, "POST", "/action", body, **headers)
    assert status in (400, 411) and json.loads(answer) == {
        "ok": False,
        "error": "action.malformed",
        "field_errors": {},
    }
    assert controller.actions == []


def test_a_controller_that_fails_leaves_the_server_serving(server, controller, caplog):
    def broken(action):
        raise RuntimeError("079194001234 secret detail")

    controller.act = broken  # type: ignore[method-assign]
    status, result = post_action(server, {"type": "consent", "accept": True})
    assert status == 500 and result["error"] == "action.failed"
    assert "079194001234" not in caplog.text and "RuntimeError" in caplog.text
    assert request(server, "GET", "/")[0] == 200


# --- the event stream ----------------------------------------------------------------
class EventReader:
    """Reads server-sent events from a raw connection, as an EventSource would."""

    def __init__(self, server: ScreenServer, last_event_id: str | None = None, query: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self.conn.request("GET", "/events" + query, headers=headers)
        self.sock = self.conn.sock  # http.client lets go of it once it sees HTTP/1.0
        self.response = self.conn.getresponse()

    def next(self, timeout_s: float = 5.0) -> dict[str, str]:
        """The next event or comment block as {field: value}."""
        self.sock.settimeout(timeout_s)
        block: dict[str, str] = {}
        while True:
            line = self.response.fp.readline().decode()
            if line == "" and not block:
                return {}  # the server closed the stream
            if line in ("\n", ""):
                if block or line == "":
                    return block
                continue
            name, _, value = line.rstrip("\n").partition(":")
            block[name] = value.strip()

    def next_snapshot(self, timeout_s: float = 5.0) -> tuple[str, dict]:
        while True:
            block = self.next(timeout_s)
            assert block, "the stream ended"
            if block.get("event") == "snapshot":
                return block["id"], json.loads(block["data"])

    def close(self) -> None:
        self.response.close()
        self.sock.close()


def test_the_stream_sends_the_current_snapshot_then_every_change(server, controller):
    reader = EventReader(server)
    try:
        assert reader.response.status == 200
        assert reader.response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        assert reader.response.getheader("Cache-Control") == "no-store"
        assert reader.next() == {"retry": "1000"}
        event_id, snap = reader.next_snapshot()
        assert snap["state"] == "idle" and event_id.endswith(f"-{snap['seq']}")
        controller.show(ScreenState.READING, progress=0.5)
        _, snap = reader.next_snapshot()
        assert (snap["state"], snap["progress"], snap["failure"]) == ("reading", 0.5, False)
        controller.show(ScreenState.WRONG_KEY, message="wrong_key.try_again")
        _, snap = reader.next_snapshot()
        assert (snap["state"], snap["message"], snap["failure"]) == ("wrong_key", "wrong_key.try_again", True)
    finally:
        reader.close()


def test_the_stream_keeps_the_connection_alive_when_nothing_changes(server):
    reader = EventReader(server)
    try:
        reader.next_snapshot()
        assert reader.next(timeout_s=3) == {"": "keep-alive"}  # a comment line, ignored by EventSource
    finally:
        reader.close()


def test_a_reconnecting_page_is_not_sent_what_it_has(server, controller):
    first = EventReader(server)
    event_id, _ = first.next_snapshot()
    first.close()
    again = EventReader(server, last_event_id=event_id)
    try:
        again.next()  # retry
        assert again.next(timeout_s=3) == {"": "keep-alive"}  # nothing resent
        controller.show(ScreenState.CARD_PLACED)
        assert again.next_snapshot()[1]["state"] == "card_placed"
    finally:
        again.close()
    # a page that missed a change gets the current snapshot at once (header or query)
    controller.show(ScreenState.READING, progress=0.1)
    for kwargs in ({"last_event_id": event_id}, {"query": f"?last={event_id}"}):
        reader = EventReader(server, **kwargs)
        try:
            assert reader.next_snapshot()[1]["state"] == "reading"
        finally:
            reader.close()


def test_an_id_from_another_server_instance_never_hides_the_current_snapshot(server, controller):
    reader = EventReader(server, last_event_id=f"0badc0de-{controller.snapshot().seq}")
    try:
        assert reader.next_snapshot()[1]["state"] == "idle"
    finally:
        reader.close()


def test_too_many_streams_are_refused_and_a_closed_one_frees_its_place(controller):
    with ScreenServer("127.0.0.1", 0, controller, limits=Limits(max_streams=2)) as server:
        readers = [EventReader(server), EventReader(server)]
        for r in readers:
            r.next_snapshot()
        extra = EventReader(server)
        assert extra.response.status == 503
        extra.close()
        readers.pop().close()
        deadline = time.monotonic() + 5
        while True:  # the closed stream's loop notices within a poll (Limits.stop_poll_s)
            again = EventReader(server)
            if again.response.status == 200 or time.monotonic() > deadline:
                break
            again.close()
            time.sleep(0.1)
        assert again.response.status == 200
        again.close()
        readers[0].close()


def test_stop_ends_every_stream_and_joins_every_thread(controller):
    srv = ScreenServer("127.0.0.1", 0, controller)
    assert not srv.healthy()
    srv.start()
    assert srv.healthy()
    readers = [EventReader(srv) for _ in range(2)]
    for r in readers:
        r.next_snapshot()
    before = threading.active_count()
    srv.stop()
    assert not srv.healthy()
    for r in readers:
        assert r.next(timeout_s=5) == {}  # the server closed the stream
        r.close()
    assert threading.active_count() <= before - 3  # the serve loop and both stream threads are gone
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


# --- dependencies --------------------------------------------------------------------
def test_the_screen_never_imports_the_daemon_or_the_devkit():
    for path in (REPO / "kiosk" / "screen").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("edge", "devkit"), f"{path.name} imports {name}"
