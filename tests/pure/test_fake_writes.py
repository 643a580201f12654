"""Writes on the fake: insert ids, patch/update semantics, etags, sendUpdates, deletes."""

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice, bob = (
    fake_fixtures.fake,
    fake_fixtures.ctl,
    fake_fixtures.alice,
    fake_fixtures.bob,
)
EVENTS = "calendars/primary/events"


def test_insert_with_client_id_is_idempotent(ctl, alice):
    chosen = "0123456789abcdefghijklmnopqrstuv"
    created = alice("POST", EVENTS, json=timed("mine", id=chosen))
    assert created.status_code == 200 and created.json()["id"] == chosen
    assert created.json()["iCalUID"] == f"{chosen}@google.com"
    again = alice("POST", EVENTS, json=timed("twin", id=chosen))
    assert again.status_code == 409
    assert again.json()["error"]["errors"][0]["reason"] == "duplicate"
    alice("DELETE", f"{EVENTS}/{chosen}")
    after_delete = alice("POST", EVENTS, json=timed("twin", id=chosen))
    assert after_delete.status_code == 409
    assert [e["summary"] for e in ctl.events("alice@example.com")] == ["mine"]


def test_undetected_id_collision_stores_a_twin_until_reset(ctl, alice):
    chosen = "0123456789abcdefghijklmnopqrstuv"
    assert alice("POST", EVENTS, json=timed("first", id=chosen)).status_code == 200
    ctl.set_detect_id_collisions(False)
    again = alice("POST", EVENTS, json=timed("twin", id=chosen))
    assert again.status_code == 200 and again.json()["id"] == chosen
    stored = ctl.events("alice@example.com")
    assert [(e["id"], e["summary"]) for e in stored] == [(chosen, "first"), (chosen, "twin")]
    # Every call by id reaches the first one; a list shows both.
    assert alice("GET", f"{EVENTS}/{chosen}").json()["summary"] == "first"
    assert len(alice.list_all()[0]) == 2
    ctl.reset()
    ctl.add_user("alice@example.com")
    alice.tokens = ctl.issue_tokens("alice@example.com", fake_fixtures.CLIENT_ID)
    alice.session.headers["Authorization"] = "Bearer " + alice.tokens["access_token"]
    assert alice("POST", EVENTS, json=timed("first", id=chosen)).status_code == 200
    assert alice("POST", EVENTS, json=timed("twin", id=chosen)).status_code == 409


def test_insert_refuses_bad_ids_and_bad_bodies(alice):
    for bad_id in ("abc", "UPPERCASE123", "wxyz12345", "a" * 1025):
        response = alice("POST", EVENTS, json=timed("x", id=bad_id))
        assert response.status_code == 400, bad_id
    mixed = alice(
        "POST",
        EVENTS,
        json={"start": {"date": "2030-01-01"}, "end": {"dateTime": "2030-01-01T10:00:00Z"}},
    )
    assert mixed.status_code == 400
    assert "both be date or both be dateTime" in mixed.json()["error"]["message"]
    no_end = alice("POST", EVENTS, json={"start": {"date": "2030-01-01"}})
    assert no_end.status_code == 400
    backwards = alice(
        "POST", EVENTS, json=timed("x", "2030-01-01T10:00:00Z", "2030-01-01T09:00:00Z")
    )
    assert backwards.json()["error"]["errors"][0]["reason"] == "timeRangeEmpty"
    not_json = alice("POST", EVENTS, data=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.json()["error"]["errors"][0]["reason"] == "parseError"
    bad_reminders = alice(
        "POST",
        EVENTS,
        json=timed(
            "x", reminders={"useDefault": True, "overrides": [{"method": "popup", "minutes": 5}]}
        ),
    )
    assert bad_reminders.status_code == 400
    assert alice.list_all()[0] == []


def test_patch_merges_update_replaces_and_bookkeeping_moves(alice):
    created = alice(
        "POST",
        EVENTS,
        json=timed(
            "first",
            location="Room 1",
            description="d",
            extendedProperties={"private": {"odoo_id": "7"}},
        ),
    ).json()
    patched = alice(
        "PATCH",
        f"{EVENTS}/{created['id']}",
        json={
            "summary": "second",
            "description": None,
            "extendedProperties": {"private": {"x": "1"}},
        },
    ).json()
    assert patched["summary"] == "second" and patched["location"] == "Room 1"
    assert "description" not in patched
    assert patched["extendedProperties"]["private"] == {"odoo_id": "7", "x": "1"}
    assert patched["sequence"] == created["sequence"] + 1
    assert patched["etag"] != created["etag"] and patched["updated"] > created["updated"]
    assert patched["created"] == created["created"]
    updated = alice(
        "PUT",
        f"{EVENTS}/{created['id']}",
        json=timed("third", "2030-02-01T10:00:00Z", "2030-02-01T11:00:00Z"),
    ).json()
    assert updated["summary"] == "third" and "location" not in updated
    assert updated["sequence"] == patched["sequence"] + 1
    missing_times = alice("PUT", f"{EVENTS}/{created['id']}", json={"summary": "x"})
    assert missing_times.status_code == 400
    # Read-only fields sent by a client are ignored.
    ignored = alice(
        "PATCH",
        f"{EVENTS}/{created['id']}",
        json={"organizer": {"email": "evil@example.com"}, "id": "other12345"},
    ).json()
    assert ignored["organizer"]["email"] == "alice@example.com" and ignored["id"] == created["id"]


def test_reminders_only_change_keeps_updated(alice):
    created = alice("POST", EVENTS, json=timed("r")).json()
    changed = alice(
        "PATCH",
        f"{EVENTS}/{created['id']}",
        json={
            "reminders": {"useDefault": False, "overrides": [{"method": "email", "minutes": 30}]}
        },
    ).json()
    assert changed["updated"] == created["updated"] and changed["etag"] != created["etag"]


def test_etag_preconditions(alice):
    created = alice("POST", EVENTS, json=timed("e")).json()
    url = f"{EVENTS}/{created['id']}"
    fresh = alice("GET", url, headers={"If-None-Match": created["etag"]})
    assert fresh.status_code == 304 and fresh.content == b""
    alice("PATCH", url, json={"summary": "changed elsewhere"})
    stale = alice("PATCH", url, json={"summary": "mine"}, headers={"If-Match": created["etag"]})
    assert stale.status_code == 412
    assert stale.json()["error"]["errors"][0]["reason"] == "conditionNotMet"
    assert alice("GET", url).json()["summary"] == "changed elsewhere"
    stale_delete = alice("DELETE", url, headers={"If-Match": created["etag"]})
    assert stale_delete.status_code == 412
    current = alice("GET", url, headers={"If-None-Match": created["etag"]})
    assert current.status_code == 200
    assert alice(
        "PATCH", url, json={"summary": "ok"}, headers={"If-Match": current.json()["etag"]}
    ).ok


def test_send_updates_recorded_with_recipients(ctl, alice):
    body = timed(
        "meeting",
        attendees=[
            {"email": "colleague@example.com"},
            {"email": "guest@other.org", "displayName": "Guest"},
        ],
    )
    alice("POST", EVENTS, json=body, params={"sendUpdates": "externalOnly"})
    created = alice.list_all()[0][0]
    alice(
        "PATCH", f"{EVENTS}/{created['id']}", json={"summary": "m2"}, params={"sendUpdates": "all"}
    )
    alice(
        "PATCH", f"{EVENTS}/{created['id']}", json={"summary": "m3"}, params={"sendUpdates": "none"}
    )
    alice("DELETE", f"{EVENTS}/{created['id']}", params={"sendNotifications": "true"})
    writes = [r for r in ctl.log("alice@example.com") if r["method"] != "GET"]
    assert [(r["operation"], r["send_updates"], r["notified"]) for r in writes] == [
        ("events.insert", "externalOnly", ["guest@other.org"]),
        ("events.patch", "all", ["colleague@example.com", "guest@other.org"]),
        ("events.patch", "none", []),
        ("events.delete", "all", ["colleague@example.com", "guest@other.org"]),
    ]
    assert writes[0]["query"] == {"sendUpdates": "externalOnly"}
    assert ctl.counters("alice@example.com")["by_send_updates"] == {
        "externalOnly": 1,
        "all": 2,
        "none": 1,
    }


def test_send_updates_value_is_checked(ctl, alice):
    refused = alice("POST", EVENTS, json=timed("x"), params={"sendUpdates": "everyone"})
    assert refused.status_code == 400
    assert ctl.events("alice@example.com") == []


def test_conference_data_needs_version_1(alice):
    request = {
        "createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
    }
    ignored = alice("POST", EVENTS, json=timed("no meet", conferenceData=request)).json()
    assert "hangoutLink" not in ignored and "conferenceData" not in ignored
    meet = alice(
        "POST",
        EVENTS,
        json=timed("meet", conferenceData=request),
        params={"conferenceDataVersion": 1},
    ).json()
    assert meet["hangoutLink"].startswith("https://meet.google.com/")
    assert meet["conferenceData"]["entryPoints"][0]["uri"] == meet["hangoutLink"]
    kept = alice("PATCH", f"{EVENTS}/{meet['id']}", json={"summary": "meet 2"}).json()
    assert kept["hangoutLink"] == meet["hangoutLink"]
    same_request = alice(
        "PATCH",
        f"{EVENTS}/{meet['id']}",
        json={"conferenceData": request},
        params={"conferenceDataVersion": 1},
    ).json()
    assert same_request["hangoutLink"] == meet["hangoutLink"]
    removed = alice(
        "PATCH",
        f"{EVENTS}/{meet['id']}",
        json={"conferenceData": None},
        params={"conferenceDataVersion": 1},
    ).json()
    assert "hangoutLink" not in removed and "conferenceData" not in removed


def test_unknown_event_and_method(alice):
    assert alice("GET", f"{EVENTS}/unknown123").status_code == 404
    assert alice("PATCH", f"{EVENTS}/unknown123", json={}).status_code == 404
    assert alice("GET", "nonsense").status_code == 404


def test_move_to_a_secondary_calendar(ctl, alice):
    ctl.add_user(
        "alice@example.com", calendars=[{"summary": "Team", "id": "team@group.calendar.google.com"}]
    )
    created = alice("POST", EVENTS, json=timed("moving")).json()
    _items, token, _pages = alice.list_all()
    moved = alice(
        "POST",
        f"{EVENTS}/{created['id']}/move",
        params={"destination": "team@group.calendar.google.com", "sendUpdates": "none"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["organizer"]["email"] == "team@group.calendar.google.com"
    assert moved.json()["id"] == created["id"]
    changes, _t, _p = alice.list_all(syncToken=token)
    assert [(c["id"], c["status"]) for c in changes] == [(created["id"], "cancelled")]
    team = alice.list_all(calendar="team@group.calendar.google.com")[0]
    assert [e["summary"] for e in team] == ["moving"]
    missing = alice("POST", f"{EVENTS}/{created['id']}/move")
    assert missing.status_code == 400


BAD_FIELDS = [
    ("summary", 5),
    ("start", "2030-01-01"),
    ("end", {"dateTime": 5}),
    ("start", {"dateTime": "2030-01-01T10:00:00", "timeZone": "Mars/Base"}),
    ("attendees", {"email": "a@example.com"}),
    ("attendees", [{"email": "not an address"}]),
    ("attendees", [{"email": "a@example.com", "responseStatus": "maybe"}]),
    ("reminders", {"useDefault": False, "overrides": "x"}),
    ("reminders", {"useDefault": False, "overrides": [{"method": "sms", "minutes": 5}]}),
    ("extendedProperties", {"private": {"a": 1}}),
    ("recurrence", "RRULE:FREQ=DAILY"),
    ("conferenceData", [1]),
    ("visibility", "secret"),
    ("colorId", "99"),
]


def test_malformed_bodies_get_a_400_and_store_nothing(ctl, alice):
    for field, value in BAD_FIELDS:
        body = dict(timed("bad"), **{field: value})
        for params in ({}, {"conferenceDataVersion": 1}):
            response = alice("POST", EVENTS, json=body, params=params)
            assert response.status_code == 400, (field, value, response.text)
            assert response.json()["error"]["code"] == 400
    assert ctl.events("alice@example.com") == []
    created = alice("POST", EVENTS, json=timed("good")).json()
    for field, value in BAD_FIELDS:
        response = alice("PATCH", f"{EVENTS}/{created['id']}", json={field: value})
        assert response.status_code == 400, (field, value, response.text)
    assert alice("GET", f"{EVENTS}/{created['id']}").json()["etag"] == created["etag"]
