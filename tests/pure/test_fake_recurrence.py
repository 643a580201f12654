"""Recurring series on the fake: expansion, EXDATE, exceptions, instances, DST."""

from dateutil import rrule as dateutil_rrule

import fake_fixtures

fake, ctl, alice = fake_fixtures.fake, fake_fixtures.ctl, fake_fixtures.alice
EVENTS = "calendars/primary/events"
TZ = "Europe/Brussels"


def _weekly(rules=None):
    """Mondays 09:00 Brussels from 2030-03-18; summer time starts on 2030-03-31."""
    return {
        "summary": "weekly",
        "start": {"dateTime": "2030-03-18T09:00:00", "timeZone": TZ},
        "end": {"dateTime": "2030-03-18T10:00:00", "timeZone": TZ},
        "recurrence": rules or ["RRULE:FREQ=WEEKLY;COUNT=4"],
    }


def test_timed_series_expands_in_local_time_across_dst(alice):
    master = alice("POST", EVENTS, json=_weekly()).json()
    assert master["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4"]
    items, _t, _p = alice.list_all(singleEvents="true", orderBy="startTime")
    assert [i["id"] for i in items] == [
        f"{master['id']}_20300318T080000Z",
        f"{master['id']}_20300325T080000Z",
        f"{master['id']}_20300401T070000Z",  # summer time: still 09:00 local
        f"{master['id']}_20300408T070000Z",
    ]
    first = items[0]
    assert first["recurringEventId"] == master["id"] and "recurrence" not in first
    assert first["originalStartTime"] == {"dateTime": "2030-03-18T09:00:00+01:00", "timeZone": TZ}
    assert items[2]["start"] == {"dateTime": "2030-04-01T09:00:00+02:00", "timeZone": TZ}
    assert {i["iCalUID"] for i in items} == {master["iCalUID"]}
    plain, _t, _p = alice.list_all()
    assert [i["id"] for i in plain] == [master["id"]]


def test_exdate_and_all_day_series(alice):
    timed = alice(
        "POST",
        EVENTS,
        json=_weekly(
            [
                "RRULE:FREQ=WEEKLY;COUNT=3",
                "EXDATE;TZID=Europe/Brussels:20300325T090000",
            ]
        ),
    ).json()
    allday = alice(
        "POST",
        EVENTS,
        json={
            "summary": "daily",
            "start": {"date": "2030-05-01"},
            "end": {"date": "2030-05-02"},
            "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20300503", "EXDATE;VALUE=DATE:20300502"],
        },
    ).json()
    items, _t, _p = alice.list_all(singleEvents="true")
    ids = {i["id"] for i in items}
    assert ids == {
        f"{timed['id']}_20300318T080000Z",
        f"{timed['id']}_20300401T070000Z",
        f"{allday['id']}_20300501",
        f"{allday['id']}_20300503",
    }
    day = next(i for i in items if i["id"] == f"{allday['id']}_20300503")
    assert day["start"] == {"date": "2030-05-03"} and day["end"] == {"date": "2030-05-04"}
    assert day["originalStartTime"] == {"date": "2030-05-03"}


def test_recurring_needs_time_zone_and_valid_rule(alice):
    no_zone = alice(
        "POST",
        EVENTS,
        json={
            "start": {"dateTime": "2030-01-01T10:00:00Z"},
            "end": {"dateTime": "2030-01-01T11:00:00Z"},
            "recurrence": ["RRULE:FREQ=DAILY"],
        },
    )
    assert no_zone.status_code == 400
    bad_rule = alice("POST", EVENTS, json=_weekly(["RRULE:FREQ=SOMETIMES"]))
    assert bad_rule.status_code == 400
    assert "recurrence" in bad_rule.json()["error"]["message"]
    assert alice.list_all()[0] == []


def test_modified_and_cancelled_occurrences(alice):
    master = alice("POST", EVENTS, json=_weekly()).json()
    _items, token, _p = alice.list_all()
    second = f"{master['id']}_20300325T080000Z"
    third = f"{master['id']}_20300401T070000Z"
    fetched = alice("GET", f"{EVENTS}/{second}").json()
    assert fetched["recurringEventId"] == master["id"]
    moved = alice(
        "PATCH",
        f"{EVENTS}/{second}",
        json={
            "summary": "moved",
            "start": {"dateTime": "2030-03-26T14:00:00+01:00"},
            "end": {"dateTime": "2030-03-26T15:00:00+01:00"},
        },
    ).json()
    assert moved["id"] == second and moved["summary"] == "moved"
    assert moved["originalStartTime"] == {"dateTime": "2030-03-25T09:00:00+01:00", "timeZone": TZ}
    assert alice("DELETE", f"{EVENTS}/{third}").status_code == 204
    assert alice("DELETE", f"{EVENTS}/{third}").status_code == 410

    changes, _t, _p = alice.list_all(syncToken=token)
    by_id = {c["id"]: c for c in changes}
    assert set(by_id) == {second, third}
    assert by_id[third] == {
        "kind": "calendar#event",
        "etag": by_id[third]["etag"],
        "id": third,
        "status": "cancelled",
        "recurringEventId": master["id"],
        "originalStartTime": {"dateTime": "2030-04-01T09:00:00+02:00", "timeZone": TZ},
    }
    single, _t, _p = alice.list_all(singleEvents="true")
    assert [i.get("summary") for i in single] == ["weekly", "moved", "weekly"]
    plain, _t, _p = alice.list_all()
    assert {i["id"] for i in plain} == {master["id"], second}
    instances = alice("GET", f"{EVENTS}/{master['id']}/instances").json()
    assert [i["id"] for i in instances["items"]] == [
        f"{master['id']}_20300318T080000Z",
        second,
        f"{master['id']}_20300408T070000Z",
    ]
    assert "nextSyncToken" not in instances
    assert alice("GET", f"{EVENTS}/{master['id']}_20300319T080000Z").status_code == 404


def test_deleting_the_series_cancels_its_exceptions(alice):
    master = alice("POST", EVENTS, json=_weekly()).json()
    second = f"{master['id']}_20300325T080000Z"
    alice("PATCH", f"{EVENTS}/{second}", json={"summary": "special"})
    _items, token, _p = alice.list_all()
    assert alice("DELETE", f"{EVENTS}/{master['id']}").status_code == 204
    changes, _t, _p = alice.list_all(syncToken=token)
    assert {(c["id"], c["status"]) for c in changes} == {
        (master["id"], "cancelled"),
        (second, "cancelled"),
    }
    assert alice.list_all(singleEvents="true")[0] == []


def test_until_ends_series_and_time_window(alice):
    master = alice(
        "POST",
        EVENTS,
        json=_weekly(["RRULE:FREQ=WEEKLY;UNTIL=20300401T065959Z"]),
    ).json()
    items, _t, _p = alice.list_all(singleEvents="true")
    assert len(items) == 2
    window, _t, _p = alice.list_all(
        singleEvents="true", timeMin="2030-03-20T00:00:00Z", timeMax="2030-12-31T00:00:00Z"
    )
    assert [i["id"] for i in window] == [f"{master['id']}_20300325T080000Z"]
    outside, _t, _p = alice.list_all(timeMin="2030-06-01T00:00:00Z")
    assert outside == []


def test_instances_original_start_and_max_attendees(alice):
    master = alice(
        "POST",
        EVENTS,
        json=_weekly() | {"attendees": [{"email": f"guest{n}@example.org"} for n in range(4)]},
    ).json()
    picked = alice(
        "GET",
        f"{EVENTS}/{master['id']}/instances",
        params={"originalStart": "2030-04-01T09:00:00+02:00", "maxAttendees": 2},
    ).json()["items"]
    assert [i["id"] for i in picked] == [f"{master['id']}_20300401T070000Z"]
    assert len(picked[0]["attendees"]) == 2 and picked[0]["attendeesOmitted"] is True
    full = alice("GET", f"{EVENTS}/{master['id']}").json()
    assert len(full["attendees"]) == 4 and "attendeesOmitted" not in full


def test_rule_that_can_never_match_is_stored_but_never_searched(alice, monkeypatch):
    # dateutil accepts these and, asked for occurrences, searches until the year 9999.
    periods_searched = []
    rebuild = dateutil_rrule._iterinfo.rebuild

    def counting_rebuild(info, year, month):
        periods_searched.append((year, month))
        return rebuild(info, year, month)

    monkeypatch.setattr(dateutil_rrule._iterinfo, "rebuild", counting_rebuild)
    rules = [
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=32",
        "RRULE:FREQ=DAILY;BYMONTH=13",
        "RRULE:FREQ=YEARLY;BYMONTH=2,4;BYMONTHDAY=31",
    ]
    masters = [alice("POST", EVENTS, json=_weekly([rule])).json() for rule in rules]
    assert [master["recurrence"] for master in masters] == [[rule] for rule in rules]
    window = {"timeMin": "2030-01-01T00:00:00Z", "timeMax": "2031-01-01T00:00:00Z"}
    assert alice.list_all(singleEvents="true", **window)[0] == []
    assert alice.list_all(**window)[0] == []
    for master in masters:
        response = alice("GET", f"{EVENTS}/{master['id']}/instances")
        assert response.json()["items"] == []
        assert alice("GET", f"{EVENTS}/{master['id']}_20300318T080000Z").status_code == 404
    assert periods_searched == []
