"""The fake plays Google's rules for what events carry: event types and their
write restrictions, Meet links created asynchronously, guests who may modify."""

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice, bob = (
    fake_fixtures.fake,
    fake_fixtures.ctl,
    fake_fixtures.alice,
    fake_fixtures.bob,
)
EVENTS = "calendars/primary/events"
ALICE = "alice@example.com"
MEET = {"createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
PROPERTIES = {"private": {"odoo": "1"}}


def test_extended_properties_refused_on_birthday_and_gmail_events(ctl, alice):
    birthday, gmail = ctl.seed_events(
        ALICE,
        [
            {
                "summary": "Ann's birthday",
                "eventType": "birthday",
                "start": {"date": "2030-01-07"},
                "end": {"date": "2030-01-08"},
                "recurrence": ["RRULE:FREQ=YEARLY"],
            },
            timed("Flight", eventType="fromGmail"),
        ],
    )
    for event_id in (birthday, gmail):
        refused = alice("PATCH", f"{EVENTS}/{event_id}", json={"extendedProperties": PROPERTIES})
        assert refused.status_code == 400, refused.text
        assert "extendedProperties" not in ctl.event(ALICE, event_id)
    inserted = alice(
        "POST", EVENTS, json=timed("bd", eventType="birthday", extendedProperties=PROPERTIES)
    )
    assert inserted.status_code == 400


def test_gmail_event_takes_only_personal_fields(ctl, alice):
    [gmail] = ctl.seed_events(ALICE, [timed("Flight", eventType="fromGmail")])
    renamed = alice("PATCH", f"{EVENTS}/{gmail}", json={"summary": "Trip"})
    assert renamed.status_code == 400
    reminded = alice(
        "PATCH",
        f"{EVENTS}/{gmail}",
        json={
            "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]},
            "visibility": "private",
            "transparency": "transparent",
        },
    )
    assert reminded.status_code == 200, reminded.text
    stored = ctl.event(ALICE, gmail)
    assert stored["summary"] == "Flight" and stored["visibility"] == "private"
    assert alice("POST", EVENTS, json=timed("x", eventType="fromGmail")).status_code == 400
    assert alice("PATCH", f"{EVENTS}/{gmail}", json={"eventType": "default"}).status_code == 400


def test_list_asks_for_event_types(ctl, alice):
    ctl.seed_events(
        ALICE,
        [
            timed("meeting"),
            timed("office", eventType="workingLocation"),
            timed("away", eventType="outOfOffice"),
        ],
    )
    items, _token, _pages = alice.list_all(eventTypes=["default", "outOfOffice"])
    assert sorted(item["summary"] for item in items) == ["away", "meeting"]


def test_out_of_office_takes_no_guests(ctl, alice):
    [away] = ctl.seed_events(ALICE, [timed("away", eventType="outOfOffice")])
    refused = alice("PATCH", f"{EVENTS}/{away}", json={"attendees": [{"email": "bob@example.com"}]})
    assert refused.status_code == 400
    assert "attendees" not in ctl.event(ALICE, away)


def test_pending_meet_link_is_created_by_the_next_read(ctl, alice):
    ctl.set_conference_pending(True)
    created = alice(
        "POST", EVENTS, json=timed("meet", conferenceData=MEET), params={"conferenceDataVersion": 1}
    ).json()
    assert created["conferenceData"]["createRequest"]["status"]["statusCode"] == "pending"
    assert "hangoutLink" not in created
    # The link came a moment later, before the next listing: a new version.
    [listed], _token, _pages = alice.list_all()
    stored = ctl.event(ALICE, created["id"])
    assert listed["hangoutLink"] == stored["hangoutLink"]
    assert stored["hangoutLink"].startswith("https://meet.google.com/")
    assert stored["conferenceData"]["createRequest"]["status"]["statusCode"] == "success"
    assert stored["etag"] != created["etag"]
    ctl.set_conference_pending(False)
    assert (
        alice(
            "POST",
            EVENTS,
            json=timed("now", conferenceData=MEET),
            params={"conferenceDataVersion": 1},
        )
        .json()["hangoutLink"]
        .startswith("https://meet.google.com/")
    )


def test_guest_edit_needs_guests_can_modify(ctl, alice, bob):
    shared = alice(
        "POST",
        EVENTS,
        json=timed("plan", attendees=[{"email": "bob@example.com"}]),
    ).json()
    refused = bob("PATCH", f"{EVENTS}/{shared['id']}", json={"summary": "bob's plan"})
    assert refused.status_code == 403
    alice("PATCH", f"{EVENTS}/{shared['id']}", json={"guestsCanModify": True})
    renamed = bob("PATCH", f"{EVENTS}/{shared['id']}", json={"summary": "bob's plan"})
    assert renamed.status_code == 200, renamed.text
    assert ctl.event(ALICE, shared["id"])["summary"] == "bob's plan"
    assert ctl.event("bob@example.com", shared["id"])["summary"] == "bob's plan"
    # What guests may do stays the organizer's to say.
    locked = bob("PATCH", f"{EVENTS}/{shared['id']}", json={"guestsCanModify": False})
    assert locked.status_code == 403
