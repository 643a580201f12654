"""The control API acts as any Google user: create, edit, delete, answer.

What a person does in Google Calendar's own pages, for demos and tests: the
same rules as that user's API calls (attendee copies, what a guest may
change), but not in the request log nor subject to faults.
"""

import json

import pytest
import requests

from fake_google.control import FakeControlError

import fake_fixtures
from fake_fixtures import timed

fake, ctl = fake_fixtures.fake, fake_fixtures.ctl
alice, bob = fake_fixtures.alice, fake_fixtures.bob


def attendee(event, email):
    return next(a for a in event["attendees"] if a["email"] == email)


def test_create_as_a_user_reaches_the_guests_copy_and_stays_out_of_the_log(ctl, alice, bob):
    body = timed("Planning", attendees=[{"email": "bob@example.com"}])
    created = ctl.create_event("alice@example.com", body, send_updates="all")
    assert created["organizer"]["email"] == "alice@example.com"
    assert created["summary"] == "Planning"
    copy = ctl.event("bob@example.com", created["id"])
    assert copy["summary"] == "Planning"
    assert attendee(copy, "bob@example.com")["responseStatus"] == "needsAction"
    # Seen by Alice's own client as any event of hers.
    listed = alice("GET", f"calendars/primary/events/{created['id']}")
    assert listed.status_code == 200
    assert [r["operation"] for r in ctl.log()] == ["events.get"]


def test_create_says_who_google_would_email(fake, ctl, alice, bob):
    body = timed("Planning", attendees=[{"email": "bob@example.com"}])
    answer = requests.post(
        f"{fake.url}/_fake/events/create",
        json={"email": "alice@example.com", "event": body, "send_updates": "all"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["notified"] == ["bob@example.com"]


def test_create_refuses_what_google_refuses_and_stores_nothing(ctl, alice):
    with pytest.raises(FakeControlError, match="400"):
        ctl.create_event("alice@example.com", {"summary": "No dates"})
    assert ctl.events("alice@example.com") == []


def test_create_for_an_unknown_user_is_a_404(ctl):
    with pytest.raises(FakeControlError, match=r"404.*unknown user"):
        ctl.create_event("nobody@example.com", timed("Ghost"))


def test_edit_as_the_organizer_reaches_the_guests(ctl, alice, bob):
    body = timed("Planning", attendees=[{"email": "bob@example.com"}])
    event_id = ctl.create_event("alice@example.com", body)["id"]
    edited = ctl.edit_event("alice@example.com", event_id, {"summary": "Planning (moved)"})
    assert edited["summary"] == "Planning (moved)"
    assert edited["sequence"] == 1
    assert ctl.event("bob@example.com", event_id)["summary"] == "Planning (moved)"


def test_edit_as_a_guest_follows_googles_rules(ctl, alice, bob):
    body = timed("Planning", attendees=[{"email": "bob@example.com"}])
    event_id = ctl.create_event("alice@example.com", body)["id"]
    with pytest.raises(FakeControlError, match=r"403.*forbiddenForNonOrganizer"):
        ctl.edit_event("bob@example.com", event_id, {"summary": "Mine now"})
    assert ctl.event("alice@example.com", event_id)["summary"] == "Planning"


def test_edit_an_unknown_event_is_a_404(ctl, alice):
    with pytest.raises(FakeControlError, match="404"):
        ctl.edit_event("alice@example.com", "nosuchevent", {"summary": "x"})


def test_delete_as_the_organizer_cancels_every_copy(ctl, alice, bob):
    body = timed("Planning", attendees=[{"email": "bob@example.com"}])
    event_id = ctl.create_event("alice@example.com", body)["id"]
    ctl.delete_event("alice@example.com", event_id)
    assert ctl.event("alice@example.com", event_id)["status"] == "cancelled"
    assert ctl.event("bob@example.com", event_id)["status"] == "cancelled"


def test_delete_as_a_guest_declines(ctl, alice, bob):
    body = timed("Planning", attendees=[{"email": "bob@example.com"}])
    event_id = ctl.create_event("alice@example.com", body)["id"]
    ctl.delete_event("bob@example.com", event_id)
    organizers = ctl.event("alice@example.com", event_id)
    assert organizers["status"] == "confirmed"
    assert attendee(organizers, "bob@example.com")["responseStatus"] == "declined"


def test_respond_reaches_the_organizer(ctl, alice, bob):
    body = timed("Planning", attendees=[{"email": "bob@example.com"}])
    event_id = ctl.create_event("alice@example.com", body)["id"]
    answered = ctl.respond("bob@example.com", event_id, "tentative", comment="If I can")
    own = attendee(answered, "bob@example.com")
    assert (own["responseStatus"], own["comment"]) == ("tentative", "If I can")
    organizers = attendee(ctl.event("alice@example.com", event_id), "bob@example.com")
    assert organizers["responseStatus"] == "tentative"


def test_respond_to_one_occurrence_of_a_series(ctl, alice, bob):
    body = timed(
        "Weekly",
        attendees=[{"email": "bob@example.com"}],
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    body["start"]["timeZone"] = body["end"]["timeZone"] = "UTC"
    master_id = ctl.create_event("alice@example.com", body)["id"]
    instance_id = f"{master_id}_20300114T100000Z"
    ctl.respond("bob@example.com", instance_id, "declined")
    organizers = ctl.event("alice@example.com", instance_id)
    assert attendee(organizers, "bob@example.com")["responseStatus"] == "declined"
    master = ctl.event("alice@example.com", master_id)
    assert attendee(master, "bob@example.com")["responseStatus"] == "needsAction"


def test_respond_by_someone_not_invited_is_refused(ctl, alice, bob):
    event_id = ctl.create_event("alice@example.com", timed("Alone"))["id"]
    with pytest.raises(FakeControlError, match="404"):
        ctl.respond("bob@example.com", event_id, "accepted")
    with pytest.raises(FakeControlError, match=r"400.*response must be one of"):
        ctl.respond("alice@example.com", event_id, "maybe")


def test_respond_by_the_organizer_not_among_guests_is_refused(ctl, alice):
    event_id = ctl.create_event("alice@example.com", timed("Alone"))["id"]
    with pytest.raises(FakeControlError, match=r"400.*not a guest"):
        ctl.respond("alice@example.com", event_id, "accepted")


@pytest.mark.parametrize("route", ["create", "edit", "delete", "respond"])
def test_acting_keeps_the_control_api_protections(fake, ctl, alice, route):
    event_id = ctl.create_event("alice@example.com", timed("Kept"))["id"]
    payload = {
        "email": "alice@example.com",
        "event_id": event_id,
        "event": timed("Injected"),
        "changes": {"summary": "Injected"},
        "response": "declined",
    }
    url = f"{fake.url}/_fake/events/{route}"
    as_text = requests.post(
        url, data=json.dumps(payload), headers={"Content-Type": "text/plain"}, timeout=10
    )
    cross_site = requests.post(
        url, json=payload, headers={"Origin": "http://evil.example"}, timeout=10
    )
    rebound = requests.post(
        url, json=payload, headers={"Host": f"evil.example:{fake.port}"}, timeout=10
    )
    assert (as_text.status_code, cross_site.status_code, rebound.status_code) == (415, 403, 403)
    assert [(e["summary"], e["status"]) for e in ctl.events("alice@example.com")] == [
        ("Kept", "confirmed")
    ]
