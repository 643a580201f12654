"""The fake's optional JSON persistence and its command line."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from fake_google import FakeControl, FakeGoogle

from fake_fixtures import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SCOPE, Api, timed

CLIENTS = {CLIENT_ID: {"secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI]}}


def test_state_survives_a_restart(tmp_path):
    path = str(tmp_path / "fake.json")
    with FakeGoogle(port=0, persist_path=path, clients=CLIENTS) as fake:
        control = FakeControl(fake.url)
        alice = Api(fake, control, "alice@example.com")
        first = alice("POST", "calendars/primary/events", json=timed("kept")).json()
        gone = alice("POST", "calendars/primary/events", json=timed("gone")).json()
        alice("DELETE", f"calendars/primary/events/{gone['id']}")
        _items, token, _pages = alice.list_all()
    assert os.path.exists(path)
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle)["users"][0]["email"] == "alice@example.com"

    with FakeGoogle(port=0, persist_path=path, clients=CLIENTS) as fake:
        alice.root = fake.url
        # Same tokens, same sync token, same events, same etags.
        assert (
            alice("GET", "calendars/primary/events", params={"syncToken": token}).json()["items"]
            == []
        )
        again = alice("GET", f"calendars/primary/events/{first['id']}").json()
        assert again["etag"] == first["etag"] and again["summary"] == "kept"
        assert (
            alice("GET", f"calendars/primary/events/{gone['id']}").json()["status"] == "cancelled"
        )
        newer = alice("POST", "calendars/primary/events", json=timed("new")).json()
        assert newer["etag"] != first["etag"]
        changes, _token, _pages = alice.list_all(syncToken=token)
        assert [c["id"] for c in changes] == [newer["id"]]
        assert FakeControl(fake.url).grants() == [
            {"email": "alice@example.com", "client_id": CLIENT_ID, "scopes": [SCOPE]}
        ]


def test_a_state_saved_before_grants_kept_scopes_still_loads(tmp_path):
    path = str(tmp_path / "fake.json")
    with FakeGoogle(port=0, persist_path=path, clients=CLIENTS) as fake:
        alice = Api(fake, FakeControl(fake.url), "alice@example.com")
    with open(path, encoding="utf-8") as handle:
        saved = json.load(handle)
    saved["grants"] = [["alice@example.com", CLIENT_ID]]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(saved, handle)
    with FakeGoogle(port=0, persist_path=path, clients=CLIENTS) as fake:
        alice.root = fake.url
        assert alice("GET", "calendars/primary/events").status_code == 200
        [grant] = FakeControl(fake.url).grants()
        assert (grant["email"], grant["scopes"]) == ("alice@example.com", [])


def test_in_memory_by_default(tmp_path):
    with FakeGoogle(port=0, clients=CLIENTS) as fake:
        Api(fake, FakeControl(fake.url), "alice@example.com")
    with FakeGoogle(port=0, clients=CLIENTS) as fake:
        assert FakeControl(fake.url).users() == []


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_command_line_serves_on_loopback():
    port = _free_port()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fake_google",
            "--port",
            str(port),
            "--client-id",
            "cli-client",
            "--client-secret",
            "cli-secret",
        ],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/o/oauth2/v2/auth?client_id=cli-client"
                    "&redirect_uri=http://localhost:8069/cb&response_type=code"
                    "&scope=https://www.googleapis.com/auth/calendar",
                    timeout=2,
                ) as response:
                    assert response.status == 200
                    assert b"Allow" in response.read()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=False
        ).stdout
        local_addresses = [line.split()[3] for line in listening.splitlines()]
        assert local_addresses == [f"127.0.0.1:{port}"]
    finally:
        process.terminate()
        process.wait(timeout=10)
