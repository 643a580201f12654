"""events.list on the fake: paging, sync tokens, filters, 410 fullSyncRequired."""

import threading

import fake_fixtures
from fake_fixtures import timed

fake, ctl, alice, bob = (
    fake_fixtures.fake,
    fake_fixtures.ctl,
    fake_fixtures.alice,
    fake_fixtures.bob,
)


def _seed(ctl, count, email="alice@example.com"):
    return ctl.seed_events(email, [timed(f"e{i}") for i in range(count)])


def test_paging_default_and_max(ctl, alice):
    ids = _seed(ctl, 600)
    items, sync_token, pages = alice.list_all()
    assert pages == 3  # 250 per page by default
    assert sorted(i["id"] for i in items) == sorted(ids)
    assert sync_token
    first = alice("GET", "calendars/primary/events", params={"maxResults": 2500}).json()
    assert len(first["items"]) == 600 and "nextPageToken" not in first
    too_many = alice("GET", "calendars/primary/events", params={"maxResults": 2501})
    assert too_many.status_code == 400


def test_next_sync_token_only_on_last_page(ctl, alice):
    _seed(ctl, 5)
    page = alice("GET", "calendars/primary/events", params={"maxResults": 2}).json()
    assert "nextPageToken" in page and "nextSyncToken" not in page
    page = alice(
        "GET",
        "calendars/primary/events",
        params={"maxResults": 2, "pageToken": page["nextPageToken"]},
    ).json()
    assert "nextPageToken" in page and "nextSyncToken" not in page


def test_incremental_sync_returns_only_changes_and_tombstones(ctl, alice):
    first, second, third = _seed(ctl, 3)
    _items, token, _pages = alice.list_all()
    assert alice("PATCH", f"calendars/primary/events/{first}", json={"summary": "new"}).ok
    assert alice("DELETE", f"calendars/primary/events/{second}").status_code == 204
    created = alice("POST", "calendars/primary/events", json=timed("late")).json()
    changes, token2, _pages = alice.list_all(syncToken=token)
    by_id = {i["id"]: i for i in changes}
    assert set(by_id) == {first, second, created["id"]}
    assert by_id[first]["summary"] == "new"
    assert by_id[second] == {
        "kind": "calendar#event",
        "etag": by_id[second]["etag"],
        "id": second,
        "status": "cancelled",
    }
    nothing, token3, _pages = alice.list_all(syncToken=token2)
    assert nothing == [] and token3
    # The untouched third event never reappears incrementally.
    assert third not in by_id


def test_changes_during_paging_are_not_lost(ctl, alice):
    ids = _seed(ctl, 6)
    page = alice("GET", "calendars/primary/events", params={"maxResults": 3}).json()
    seen = {i["id"] for i in page["items"]}
    # An event of the first page changes, and one of the second page is deleted.
    changed = page["items"][0]["id"]
    alice("PATCH", f"calendars/primary/events/{changed}", json={"summary": "moved on"})
    remaining = [i for i in ids if i not in seen]
    alice("DELETE", f"calendars/primary/events/{remaining[0]}")
    rest, token, _pages = alice.list_all(pageToken=page["nextPageToken"], maxResults=3)
    seen |= {i["id"] for i in rest}
    changes, _token, _pages = alice.list_all(syncToken=token)
    assert changed in {c["id"] for c in changes}
    assert remaining[0] in {c["id"] for c in changes}
    assert set(ids) - {remaining[0]} <= seen


def test_sync_token_refusals(ctl, alice):
    _seed(ctl, 1)
    _items, token, _pages = alice.list_all()
    for name, value in (("timeMin", "2030-01-01T00:00:00Z"), ("q", "x"), ("orderBy", "updated")):
        response = alice(
            "GET", "calendars/primary/events", params={"syncToken": token, name: value}
        )
        assert response.status_code == 400, name
    bogus = alice("GET", "calendars/primary/events", params={"syncToken": "garbage"})
    assert bogus.status_code == 410
    error = bogus.json()["error"]
    assert error["errors"][0] == {
        "domain": "calendar",
        "reason": "fullSyncRequired",
        "message": "Sync token is no longer valid, a full sync is required.",
        "locationType": "parameter",
        "location": "syncToken",
    }
    ctl.expire_sync_tokens("alice@example.com")
    expired = alice("GET", "calendars/primary/events", params={"syncToken": token})
    assert expired.status_code == 410


def test_sync_token_belongs_to_its_calendar(ctl, fake, alice, bob):
    _items, token, _pages = alice.list_all()
    response = bob("GET", "calendars/primary/events", params={"syncToken": token})
    assert response.status_code == 410


def test_show_deleted_time_range_updated_min(ctl, alice):
    early, late, gone = ctl.seed_events(
        "alice@example.com",
        [
            timed("early", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
            timed("late", "2030-03-01T10:00:00Z", "2030-03-01T11:00:00Z"),
            timed("gone"),
        ],
    )
    alice("DELETE", f"calendars/primary/events/{gone}")
    visible, _t, _p = alice.list_all()
    assert {i["id"] for i in visible} == {early, late}
    with_deleted, _t, _p = alice.list_all(showDeleted="true")
    assert {i["id"] for i in with_deleted} == {early, late, gone}
    window, _t, _p = alice.list_all(
        timeMin="2030-02-01T00:00:00Z", timeMax="2030-04-01T00:00:00+02:00"
    )
    assert [i["id"] for i in window] == [late]
    empty = alice(
        "GET",
        "calendars/primary/events",
        params={"timeMin": "2030-02-01T00:00:00Z", "timeMax": "2030-01-01T00:00:00Z"},
    )
    assert empty.status_code == 400
    assert empty.json()["error"]["errors"][0]["reason"] == "timeRangeEmpty"
    stamp = alice("GET", f"calendars/primary/events/{late}").json()["updated"]
    alice("PATCH", f"calendars/primary/events/{late}", json={"summary": "late2"})
    recent, _t, _p = alice.list_all(updatedMin=stamp)
    assert {i["id"] for i in recent} == {late, gone}


def test_order_by_start_time_needs_single_events(ctl, alice):
    ctl.seed_events(
        "alice@example.com",
        [
            timed("b", "2030-01-02T10:00:00Z", "2030-01-02T11:00:00Z"),
            timed("a", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
        ],
    )
    refused = alice("GET", "calendars/primary/events", params={"orderBy": "startTime"})
    assert refused.status_code == 400
    items, _t, _p = alice.list_all(orderBy="startTime", singleEvents="true")
    assert [i["summary"] for i in items] == ["a", "b"]


def test_calendar_list_and_secondary_calendars(ctl, alice):
    ctl.add_user(
        "alice@example.com",
        time_zone="Europe/Brussels",
        default_reminders=[{"method": "popup", "minutes": 10}],
        calendars=[{"summary": "Team", "id": "team@group.calendar.google.com"}],
    )
    body = alice("GET", "users/me/calendarList").json()
    assert body["kind"] == "calendar#calendarList"
    primary, team = body["items"]
    assert primary["id"] == "alice@example.com" and primary["primary"] is True
    assert primary["timeZone"] == "Europe/Brussels" and primary["accessRole"] == "owner"
    assert primary["defaultReminders"] == [{"method": "popup", "minutes": 10}]
    assert team["id"] == "team@group.calendar.google.com" and "primary" not in team
    created = alice(
        "POST", "calendars/team@group.calendar.google.com/events", json=timed("t")
    ).json()
    assert created["organizer"] == {
        "email": "team@group.calendar.google.com",
        "displayName": "Team",
        "self": True,
    }
    assert alice.list_all()[0] == []
    assert [e["id"] for e in ctl.events("alice@example.com", "team@group.calendar.google.com")] == [
        created["id"]
    ]
    listed = alice("GET", "calendars/primary/events").json()
    assert listed["defaultReminders"] == [{"method": "popup", "minutes": 10}]
    assert alice("GET", "calendars/nobody@example.com/events").status_code == 404


def test_parallel_writers_lose_nothing(ctl, fake, alice):
    _items, token, _pages = alice.list_all()
    errors = []

    def writer(worker):
        api = fake_fixtures.Api(fake, ctl, "alice@example.com")
        for index in range(25):
            response = api("POST", "calendars/primary/events", json=timed(f"w{worker}-{index}"))
            if response.status_code != 200:
                errors.append(response.text)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    changes, _token, _pages = alice.list_all(syncToken=token, maxResults=7)
    assert len({c["id"] for c in changes}) == 150
    etags = [e["etag"] for e in ctl.events("alice@example.com")]
    assert len(set(etags)) == 150
