"""Shared meetings on the fake: attendee copies, responses, organizer-only changes."""

import pytest

from fake_google.control import FakeControlError

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice, bob = (
    fake_fixtures.fake,
    fake_fixtures.ctl,
    fake_fixtures.alice,
    fake_fixtures.bob,
)
EVENTS = "calendars/primary/events"
BOB = "bob@example.com"


def _meeting(alice, **extra):
    body = timed(
        "sync-up",
        attendees=[{"email": BOB}, {"email": "outsider@other.org"}],
        **extra,
    )
    return alice("POST", EVENTS, json=body).json()


def test_attendee_gets_a_copy_with_self(alice, bob):
    meeting = _meeting(alice)
    copy = bob("GET", f"{EVENTS}/{meeting['id']}").json()
    assert copy["iCalUID"] == meeting["iCalUID"]
    assert copy["organizer"] == {"email": "alice@example.com"}
    assert copy["summary"] == "sync-up"
    own = next(a for a in copy["attendees"] if a["email"] == BOB)
    assert own["self"] is True and own["responseStatus"] == "needsAction"
    listed, _t, _p = bob.list_all()
    assert [i["id"] for i in listed] == [meeting["id"]]


def test_organizer_changes_reach_the_copy(alice, bob):
    meeting = _meeting(alice)
    _items, token, _p = bob.list_all()
    alice("PATCH", f"{EVENTS}/{meeting['id']}", json={"summary": "moved", "location": "R2"})
    changes, token, _p = bob.list_all(syncToken=token)
    assert [(c["summary"], c["location"]) for c in changes] == [("moved", "R2")]
    alice("DELETE", f"{EVENTS}/{meeting['id']}")
    changes, _t, _p = bob.list_all(syncToken=token)
    assert [(c["id"], c["status"]) for c in changes] == [(meeting["id"], "cancelled")]


def test_removed_attendee_loses_the_copy(alice, bob):
    meeting = _meeting(alice)
    alice(
        "PATCH",
        f"{EVENTS}/{meeting['id']}",
        json={"attendees": [{"email": "outsider@other.org"}]},
    )
    assert bob("GET", f"{EVENTS}/{meeting['id']}").json()["status"] == "cancelled"


def test_attendee_answers_and_organizer_sees_it(alice, bob):
    meeting = _meeting(alice)
    copy = bob("GET", f"{EVENTS}/{meeting['id']}").json()
    attendees = [
        dict(a, responseStatus="accepted") if a["email"] == BOB else a for a in copy["attendees"]
    ]
    answered = bob(
        "PATCH",
        f"{EVENTS}/{meeting['id']}",
        json={"attendees": attendees, "reminders": {"useDefault": False, "overrides": []}},
    )
    assert answered.status_code == 200, answered.text
    organizer_view = alice("GET", f"{EVENTS}/{meeting['id']}").json()
    statuses = {a["email"]: a["responseStatus"] for a in organizer_view["attendees"]}
    assert statuses == {BOB: "accepted", "outsider@other.org": "needsAction"}
    bob_view = bob("GET", f"{EVENTS}/{meeting['id']}").json()
    assert bob_view["reminders"] == {"useDefault": False, "overrides": []}
    assert "reminders" not in organizer_view or organizer_view["reminders"] == {"useDefault": True}


def test_attendee_cannot_change_shared_fields(alice, bob):
    meeting = _meeting(alice)
    for change in (
        {"summary": "hijack"},
        {"attendees": [{"email": BOB, "responseStatus": "accepted"}]},
        {"extendedProperties": {"shared": {"k": "v"}}},
    ):
        refused = bob("PATCH", f"{EVENTS}/{meeting['id']}", json=change)
        assert refused.status_code == 403, change
        error = refused.json()["error"]["errors"][0]
        assert error["reason"] == "forbiddenForNonOrganizer"
    assert alice("GET", f"{EVENTS}/{meeting['id']}").json()["summary"] == "sync-up"
    private = bob(
        "PATCH", f"{EVENTS}/{meeting['id']}", json={"extendedProperties": {"private": {"o": "1"}}}
    )
    assert private.status_code == 200


def test_attendee_delete_declines(alice, bob):
    meeting = _meeting(alice)
    assert bob("DELETE", f"{EVENTS}/{meeting['id']}").status_code == 204
    organizer_view = alice("GET", f"{EVENTS}/{meeting['id']}").json()
    assert {a["email"]: a["responseStatus"] for a in organizer_view["attendees"]}[BOB] == "declined"
    assert organizer_view["status"] == "confirmed"
    alice("PATCH", f"{EVENTS}/{meeting['id']}", json={"summary": "still on"})
    assert bob("GET", f"{EVENTS}/{meeting['id']}").json()["status"] == "cancelled"


def test_recurring_meeting_occurrence_answer(alice, bob):
    series = alice(
        "POST",
        EVENTS,
        json={
            "summary": "weekly",
            "start": {"dateTime": "2030-01-07T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-01-07T11:00:00", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            "attendees": [{"email": BOB}],
        },
    ).json()
    occurrence = f"{series['id']}_20300114T100000Z"
    answered = bob(
        "PATCH",
        f"{EVENTS}/{occurrence}",
        json={"attendees": [{"email": BOB, "responseStatus": "declined"}]},
    )
    assert answered.status_code == 200, answered.text
    organizer_view = alice("GET", f"{EVENTS}/{occurrence}").json()
    assert organizer_view["attendees"][0]["responseStatus"] == "declined"
    other = alice("GET", f"{EVENTS}/{series['id']}_20300121T100000Z").json()
    assert other["attendees"][0]["responseStatus"] == "needsAction"


def test_seeded_invitation_from_outside(ctl, bob):
    [invitation] = ctl.seed_events(
        BOB,
        [
            timed(
                "outside",
                organizer={"email": "Boss@Other.org", "displayName": "Boss"},
                attendees=[{"email": "boss@other.org"}, {"email": BOB}],
                hangoutLink="https://meet.google.com/abc-defg-hij",
            )
        ],
    )
    seen = bob("GET", f"{EVENTS}/{invitation}").json()
    assert seen["organizer"] == {"email": "boss@other.org", "displayName": "Boss"}
    assert seen["hangoutLink"] == "https://meet.google.com/abc-defg-hij"
    assert bob("PATCH", f"{EVENTS}/{invitation}", json={"summary": "mine"}).status_code == 403
    answered = bob(
        "PATCH",
        f"{EVENTS}/{invitation}",
        params={"sendUpdates": "all"},
        json={
            "attendees": [
                {"email": "boss@other.org"},
                {"email": BOB, "responseStatus": "tentative"},
            ]
        },
    )
    assert answered.status_code == 200, answered.text
    statuses = {a["email"]: a["responseStatus"] for a in answered.json()["attendees"]}
    assert statuses == {"boss@other.org": "needsAction", BOB: "tentative"}
    assert ctl.log(BOB)[-1]["notified"] == ["boss@other.org"]
    assert bob("DELETE", f"{EVENTS}/{invitation}").status_code == 204
    gone = bob("GET", f"{EVENTS}/{invitation}").json()
    assert gone["status"] == "cancelled"
    assert {a["email"]: a["responseStatus"] for a in gone["attendees"]}[BOB] == "declined"


def test_seeding_a_fake_users_meeting_in_an_attendee_calendar_is_refused(ctl, alice, bob):
    with pytest.raises(FakeControlError):
        ctl.seed_events(BOB, [timed("x", organizer={"email": "alice@example.com"})])
