"""The fake's calendarList: colours, access roles, incremental changes, a shared
calendar read-only or free/busy only, a calendar deleted or its access lost."""

import fake_fixtures
from fake_fixtures import Api, timed

fake, ctl = fake_fixtures.fake, fake_fixtures.ctl

TEAM = "team-bob.example.com@group.calendar.google.com"


def _team(ctl, role):
    """Bob's team calendar (orange), shared with alice as ``role``."""
    ctl.add_user("bob@example.com", calendars=[{"summary": "Team", "id": TEAM, "color": "#ff7537"}])
    ctl.share_calendar("bob@example.com", TEAM, "alice@example.com", role)


def _entries(api, **params):
    response = api("GET", "users/me/calendarList", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_list_names_roles_and_colours_and_changes_come_incrementally(fake, ctl):
    alice = Api(fake, ctl, "alice@example.com")
    ctl.add_user("alice@example.com", calendars=[{"summary": "Family", "color": "#16a765"}])
    _team(ctl, "reader")
    listing = _entries(alice)
    by_id = {entry["id"]: entry for entry in listing["items"]}
    assert by_id["alice@example.com"]["primary"] is True
    family = next(e for e in listing["items"] if e["summary"] == "Family")
    assert (family["accessRole"], family["backgroundColor"]) == ("owner", "#16a765")
    assert "primary" not in family
    assert (by_id[TEAM]["accessRole"], by_id[TEAM]["backgroundColor"]) == ("reader", "#ff7537")

    token = listing["nextSyncToken"]
    assert _entries(alice, syncToken=token)["items"] == []
    ctl.update_calendar("bob@example.com", TEAM, summary="Team B")
    changed = _entries(alice, syncToken=token)
    assert [(e["id"], e["summary"]) for e in changed["items"]] == [(TEAM, "Team B")]

    ctl.unshare_calendar("bob@example.com", TEAM, "alice@example.com")
    gone = _entries(alice, syncToken=changed["nextSyncToken"])["items"]
    assert gone == [{"kind": "calendar#calendarListEntry", "id": TEAM, "deleted": True}]
    assert alice("GET", f"calendars/{TEAM}/events").status_code == 404


def test_a_reader_lists_but_never_writes(fake, ctl):
    alice = Api(fake, ctl, "alice@example.com")
    _team(ctl, "reader")
    [event_id] = ctl.seed_events("bob@example.com", [timed("Sprint review")], calendar_id=TEAM)
    items = alice.list_all(TEAM)[0]
    assert [item["summary"] for item in items] == ["Sprint review"]
    refused = alice("PATCH", f"calendars/{TEAM}/events/{event_id}", json={"summary": "Mine"})
    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0]["reason"] == "requiredAccessLevel"
    assert alice("POST", f"calendars/{TEAM}/events", json=timed("New")).status_code == 403
    assert ctl.event("bob@example.com", event_id, TEAM)["summary"] == "Sprint review"


def test_a_free_busy_reader_sees_times_only(fake, ctl):
    alice = Api(fake, ctl, "alice@example.com")
    _team(ctl, "freeBusyReader")
    ctl.seed_events(
        "bob@example.com",
        [timed("Secret", description="Board", attendees=[{"email": "x@example.com"}])],
        calendar_id=TEAM,
    )
    [item] = alice.list_all(TEAM)[0]
    assert set(item) <= {"kind", "etag", "id", "status", "start", "end", "transparency"}
    assert "summary" not in item


def test_move_between_own_calendars_and_a_deleted_calendar(fake, ctl):
    alice = Api(fake, ctl, "alice@example.com")
    ctl.add_user("alice@example.com", calendars=[{"summary": "Work", "id": "work@group.x"}])
    event = alice("POST", "calendars/primary/events", json=timed("Plan")).json()
    moved = alice(
        "POST",
        f"calendars/primary/events/{event['id']}/move",
        params={"destination": "work@group.x"},
    )
    assert moved.status_code == 200, moved.text
    assert ctl.event("alice@example.com", event["id"])["status"] == "cancelled"
    assert ctl.event("alice@example.com", event["id"], "work@group.x")["summary"] == "Plan"
    token = _entries(alice)["nextSyncToken"]
    ctl.delete_calendar("alice@example.com", "work@group.x")
    assert _entries(alice, syncToken=token)["items"][0] == {
        "kind": "calendar#calendarListEntry",
        "id": "work@group.x",
        "deleted": True,
    }
    assert alice("GET", "calendars/work@group.x/events").status_code == 404
