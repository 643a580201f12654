"""The fake's control API refuses what a web page in the user's browser could send."""

import json

import pytest
import requests

import fake_fixtures
from fake_fixtures import CLIENT_ID, CLIENT_SECRET

fake, ctl = fake_fixtures.fake, fake_fixtures.ctl

EVIL_PAGE = "http://evil.example"


def control_url(fake, path):
    return f"{fake.url}/_fake/{path}"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        # What an HTML form posts.
        ("application/x-www-form-urlencoded", "email=mallory%40example.com"),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="email"'),
        # What fetch(..., {mode: "no-cors"}) may send: a JSON text in disguise.
        ("text/plain", json.dumps({"email": "mallory@example.com"})),
        (None, json.dumps({"email": "mallory@example.com"})),
    ],
)
def test_a_post_a_page_could_send_is_refused_and_changes_nothing(fake, ctl, content_type, body):
    ctl.add_user("alice@example.com")
    headers = {"Content-Type": content_type} if content_type else {}
    answer = requests.post(
        control_url(fake, "users"), data=body.encode(), headers=headers, timeout=10
    )
    assert answer.status_code == 415, answer.text
    assert "application/json" in answer.json()["error"]
    assert [user["email"] for user in ctl.users()] == ["alice@example.com"]


def test_a_form_cannot_reset_the_store_nor_issue_tokens(fake, ctl):
    ctl.add_user("alice@example.com")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reset = requests.post(
        control_url(fake, "reset"), data="keep_clients=false", headers=form, timeout=10
    )
    tokens = requests.post(
        control_url(fake, "tokens"),
        data=json.dumps({"email": "alice@example.com", "client_id": CLIENT_ID}),
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert (reset.status_code, tokens.status_code) == (415, 415)
    assert "access_token" not in tokens.text
    assert [user["email"] for user in ctl.users()] == ["alice@example.com"]
    assert ctl.grants() == []
    assert fake.store.clients.keys() == {CLIENT_ID}


def test_a_delete_without_json_is_refused(fake, ctl):
    ctl.inject_fault(status=500, count=3)
    answer = requests.delete(control_url(fake, "faults"), timeout=10)
    assert answer.status_code == 415
    assert len(ctl.faults()) == 1


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",  # DNS rebinding: the attacker's name, pointing at 127.0.0.1
        "evil.example:{port}",
        "127.0.0.1:1",  # another port: another service's page
        "127.0.0.1",
        "localhost.evil.example:{port}",
    ],
)
def test_a_foreign_host_is_refused_even_to_read(fake, ctl, host):
    ctl.add_user("alice@example.com")
    host = host.format(port=fake.port)
    read = requests.get(control_url(fake, "users"), headers={"Host": host}, timeout=10)
    write = requests.post(
        control_url(fake, "reset"), json={"keep_clients": False}, headers={"Host": host}, timeout=10
    )
    assert (read.status_code, write.status_code) == (403, 403)
    assert "alice@example.com" not in read.text
    assert [user["email"] for user in ctl.users()] == ["alice@example.com"]


def test_a_foreign_origin_is_refused(fake, ctl):
    answer = requests.post(
        control_url(fake, "users"),
        json={"email": "mallory@example.com"},
        headers={"Origin": EVIL_PAGE},
        timeout=10,
    )
    assert answer.status_code == 403
    assert ctl.users() == []


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_the_fake_own_loopback_names_are_accepted(fake, ctl, name):
    host = f"{name}:{fake.port}"
    answer = requests.post(
        control_url(fake, "users"),
        json={"email": "alice@example.com"},
        headers={"Host": host, "Origin": f"http://{host}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert [user["email"] for user in ctl.users()] == ["alice@example.com"]


def test_fake_control_still_drives_everything(fake, ctl):
    ctl.add_user("alice@example.com")
    tokens = ctl.issue_tokens("alice@example.com", CLIENT_ID)
    assert tokens["access_token"].startswith("ya29.")
    [event_id] = ctl.seed_events(
        "alice@example.com",
        [{"summary": "Seeded", "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}}],
    )
    assert ctl.event("alice@example.com", event_id)["summary"] == "Seeded"
    ctl.inject_fault(status=503, count=2)
    assert len(ctl.faults()) == 1
    ctl.clear_faults()
    assert ctl.faults() == []
    ctl.expire_sync_tokens()
    ctl.expire_access_tokens("alice@example.com")
    ctl.set_quota(None)
    assert ctl.counters()["notifications"] == 0
    ctl.reset(keep_clients=True)
    assert ctl.users() == []


def test_the_google_side_still_takes_forms(fake, ctl):
    """Google's own endpoints are not the control API: the token endpoint reads a form."""
    ctl.add_user("alice@example.com")
    tokens = ctl.issue_tokens("alice@example.com", CLIENT_ID)
    refreshed = requests.post(
        f"{fake.url}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
