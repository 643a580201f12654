"""Push channels on the fake: watch, notifications with X-Goog-* headers, stop."""

import http.server
import threading
import time

import pytest

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice = fake_fixtures.fake, fake_fixtures.ctl, fake_fixtures.alice
EVENTS = "calendars/primary/events"


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    # Polled often: shutdown() waits for the loop to look up (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _watch(alice, receiver, channel_id="chan-1", **extra):
    body = {
        "id": channel_id,
        "type": "web_hook",
        "address": f"http://127.0.0.1:{receiver.server_address[1]}/google/push",
        "token": "secret-token",
        **extra,
    }
    return alice("POST", f"{EVENTS}/watch", json=body)


def test_watch_sync_then_exists_on_changes(ctl, alice, receiver):
    response = _watch(alice, receiver, params={"ttl": "3600"})
    assert response.status_code == 200
    channel = response.json()
    assert channel["kind"] == "api#channel" and channel["id"] == "chan-1"
    assert channel["token"] == "secret-token" and channel["resourceId"]
    assert channel["resourceUri"].endswith("/calendars/alice%40example.com/events?alt=json")
    assert isinstance(channel["expiration"], str) and int(channel["expiration"]) > 0
    delivered = ctl.wait_notifications(1)
    assert [n["state"] for n in delivered] == ["sync"]

    alice("POST", EVENTS, json=timed("one"))
    delivered = ctl.wait_notifications(2)
    assert [n["state"] for n in delivered][:2] == ["sync", "exists"]
    assert delivered[1]["status"] == 200
    headers, body = receiver.received[1]
    assert body == b""
    assert headers["x-goog-channel-id"] == "chan-1"
    assert headers["x-goog-channel-token"] == "secret-token"
    assert headers["x-goog-resource-id"] == channel["resourceId"]
    assert headers["x-goog-resource-uri"] == channel["resourceUri"]
    assert headers["x-goog-resource-state"] == "exists"
    assert headers["x-goog-message-number"] == "2"
    assert headers["x-goog-channel-expiration"].endswith("GMT")

    stopped = alice(
        "POST", "channels/stop", json={"id": "chan-1", "resourceId": channel["resourceId"]}
    )
    assert stopped.status_code == 204
    alice("POST", EVENTS, json=timed("two"))
    # The next channel's sync proves the queue drained without a message for chan-1.
    _watch(alice, receiver, channel_id="chan-2")
    delivered = ctl.wait_notifications(3)
    assert [(n["channel_id"], n["state"]) for n in delivered] == [
        ("chan-1", "sync"),
        ("chan-1", "exists"),
        ("chan-2", "sync"),
    ]
    again = alice("POST", "channels/stop", json={"id": "chan-1", "resourceId": "x"})
    assert again.status_code == 404


def test_watch_refusals(alice, receiver):
    assert _watch(alice, receiver).status_code == 200
    assert _watch(alice, receiver).status_code == 400  # channel id not unique
    not_https = alice(
        "POST",
        f"{EVENTS}/watch",
        json={"id": "c2", "type": "web_hook", "address": "http://example.com/hook"},
    )
    assert not_https.status_code == 400
    wrong_type = alice(
        "POST",
        f"{EVENTS}/watch",
        json={"id": "c3", "type": "email", "address": "https://example.com/hook"},
    )
    assert wrong_type.status_code == 400


def test_changes_by_another_path_notify_too(ctl, alice, receiver):
    _watch(alice, receiver)
    ctl.wait_notifications(1)
    ctl.seed_events("alice@example.com", [timed(f"e{i}") for i in range(50)])
    delivered = ctl.wait_notifications(2)
    assert delivered[1]["state"] == "exists"
    # Changes coalesce: fifty inserts do not mean fifty notifications.
    assert len(ctl.notifications()) < 50


def test_expired_channel_gets_nothing(ctl, alice, receiver):
    assert _watch(alice, receiver, params={"ttl": "1"}).status_code == 200
    ctl.wait_notifications(1)
    time.sleep(1.1)
    alice("POST", EVENTS, json=timed("after expiry"))
    _watch(alice, receiver, channel_id="chan-2")
    delivered = ctl.wait_notifications(2)
    assert [(n["channel_id"], n["state"]) for n in delivered] == [
        ("chan-1", "sync"),
        ("chan-2", "sync"),
    ]
