"""engine.mapping: Google event JSON <-> neutral values (plain pytest, no ORM)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.mapping import (
    InvalidEvent,
    diff_fields,
    fingerprint,
    from_google,
    google_id_is_valid_for_insert,
    is_cancelled,
    normalize_email,
    normalize_values,
    original_start,
    to_google,
    without_lone_organizer,
)
from engine.references import new_google_id


def google_event(**overrides):
    event = {
        "id": "abc123def",
        "status": "confirmed",
        "summary": "Weekly sync",
        "description": "<p>Agenda</p>",
        "location": "Room 1",
        "start": {"dateTime": "2026-03-24T09:00:00+01:00", "timeZone": "Europe/Brussels"},
        "end": {"dateTime": "2026-03-24T10:00:00+01:00", "timeZone": "Europe/Brussels"},
        "organizer": {"email": "Boss@Example.com"},
        "attendees": [
            {"email": "zoe@example.com", "displayName": "Zoé", "responseStatus": "accepted"},
            {"email": " Adam@Example.COM ", "responseStatus": "tentative"},
        ],
        "reminders": {
            "useDefault": False,
            "overrides": [{"method": "popup", "minutes": 30}, {"method": "email", "minutes": 10}],
        },
        "visibility": "private",
        "transparency": "transparent",
        "hangoutLink": "https://meet.google.com/abc-defg-hij",
    }
    event.update(overrides)
    return event


def neutral(**overrides):
    values = {
        "name": "Weekly sync",
        "description": "<p>Agenda</p>",
        "location": "Room 1",
        "allday": False,
        "start": "2026-03-24T08:00:00Z",
        "stop": "2026-03-24T09:00:00Z",
        "timezone": "Europe/Brussels",
        "attendees": [
            {"email": "adam@example.com", "name": "", "status": "tentative"},
            {"email": "zoe@example.com", "name": "Zoé", "status": "accepted"},
        ],
        "organizer": "boss@example.com",
        "alarms": [{"method": "email", "minutes": 10}, {"method": "popup", "minutes": 30}],
        "privacy": "private",
        "show_as": "free",
        "videocall": "https://video.example.com/room/42",
        "recurrence": [],
    }
    values.update(overrides)
    return values


# --- from_google -------------------------------------------------------------------------


def test_from_google_timed_event_maps_every_field():
    values = from_google(google_event())
    assert values == neutral(videocall="https://meet.google.com/abc-defg-hij")


def test_from_google_timed_summer_time_converts_to_utc_and_keeps_zone():
    values = from_google(
        google_event(
            start={"dateTime": "2026-03-31T09:00:00+02:00", "timeZone": "Europe/Brussels"},
            end={"dateTime": "2026-03-31T09:30:00+02:00", "timeZone": "Europe/Brussels"},
        )
    )
    assert (values["start"], values["stop"]) == ("2026-03-31T07:00:00Z", "2026-03-31T07:30:00Z")
    assert values["timezone"] == "Europe/Brussels"


def test_from_google_utc_z_and_fractional_seconds():
    values = from_google(
        google_event(
            start={"dateTime": "2026-01-05T14:00:00.000Z"}, end={"dateTime": "2026-01-05T15:00:00Z"}
        ),
        calendar_tz="America/New_York",
    )
    assert values["start"] == "2026-01-05T14:00:00Z"
    assert values["timezone"] == "America/New_York"  # event names none: the calendar's


def test_from_google_datetime_without_offset_is_read_in_its_zone():
    values = from_google(
        google_event(
            start={"dateTime": "2026-07-01T09:00:00", "timeZone": "Europe/Brussels"},
            end={"dateTime": "2026-07-01T10:00:00", "timeZone": "Europe/Brussels"},
        )
    )
    assert values["start"] == "2026-07-01T07:00:00Z"


def test_from_google_unknown_zone_falls_back_to_calendar_zone_with_a_note():
    notes = []
    values = from_google(
        google_event(
            start={"dateTime": "2026-07-01T09:00:00+02:00", "timeZone": "Mars/Olympus"},
            end={"dateTime": "2026-07-01T10:00:00+02:00", "timeZone": "Mars/Olympus"},
        ),
        calendar_tz="Europe/Paris",
        notes=notes,
    )
    assert values["timezone"] == "Europe/Paris"
    assert values["start"] == "2026-07-01T07:00:00Z"
    assert any("Mars/Olympus" in note for note in notes)


def test_from_google_allday_end_is_exclusive_stop_inclusive():
    values = from_google(google_event(start={"date": "2026-05-01"}, end={"date": "2026-05-02"}))
    assert values["allday"] is True
    assert (values["start"], values["stop"], values["timezone"]) == ("2026-05-01", "2026-05-01", "")


def test_from_google_allday_multi_day_over_month_end():
    values = from_google(google_event(start={"date": "2026-02-27"}, end={"date": "2026-03-02"}))
    assert (values["start"], values["stop"]) == ("2026-02-27", "2026-03-01")


def test_from_google_missing_end_means_instant_or_single_day():
    timed = from_google(google_event(end=None))
    assert timed["stop"] == timed["start"]
    allday = from_google(google_event(start={"date": "2026-05-01"}, end=None))
    assert allday["stop"] == "2026-05-01"


def test_from_google_attendees_normalized_sorted_and_skipped_with_notes():
    notes = []
    values = from_google(
        google_event(
            attendees=[
                {"email": "B@x.org", "responseStatus": "declined"},
                {"displayName": "No Mail", "responseStatus": "accepted"},
                {
                    "email": "room@resource.calendar.google.com",
                    "resource": True,
                    "displayName": "Room 1",
                },
                {"email": "a@x.org", "responseStatus": "weird"},
                {"email": "b@X.org ", "responseStatus": "accepted"},
                "not an object",
            ]
        ),
        notes=notes,
    )
    assert values["attendees"] == [
        {"email": "a@x.org", "name": "", "status": "needsAction"},
        {"email": "b@x.org", "name": "", "status": "declined"},
    ]
    joined = "\n".join(notes)
    assert "No Mail" in joined and "Room 1" in joined and "weird" in joined
    assert "listed twice" in joined and "not an object" in joined
    assert all(note.startswith("Google event abc123def:") for note in notes)


def test_from_google_reminders_use_default_resolved_with_calendar_defaults():
    defaults = [{"method": "popup", "minutes": 10}, {"method": "email", "minutes": 1440}]
    values = from_google(google_event(reminders={"useDefault": True}), default_reminders=defaults)
    assert values["alarms"] == [
        {"method": "popup", "minutes": 10},
        {"method": "email", "minutes": 1440},
    ]
    # No reminders key at all also means the calendar's defaults.
    assert (
        from_google(google_event(reminders=None), default_reminders=defaults)["alarms"]
        == values["alarms"]
    )
    assert from_google(google_event(reminders={"useDefault": True}))["alarms"] == []


def test_from_google_reminder_overrides_sorted_deduplicated_invalid_noted():
    notes = []
    values = from_google(
        google_event(
            reminders={
                "useDefault": False,
                "overrides": [
                    {"method": "popup", "minutes": 60},
                    {"method": "sms", "minutes": 5},
                    {"method": "email", "minutes": "15"},
                    {"method": "popup", "minutes": 60},
                    {"method": "popup", "minutes": 99999},
                    {"method": "popup"},
                ],
            }
        ),
        notes=notes,
    )
    assert values["alarms"] == [
        {"method": "email", "minutes": 15},
        {"method": "popup", "minutes": 60},
    ]
    assert len(notes) == 3


def test_from_google_visibility_transparency_defaults():
    event = google_event()
    for key in ("visibility", "transparency", "hangoutLink"):
        del event[key]
    values = from_google(event)
    assert (values["privacy"], values["show_as"], values["videocall"]) == ("", "busy", "")
    assert from_google(google_event(visibility="default"))["privacy"] == ""
    # Google documents "confidential" as an older name of "private".
    assert from_google(google_event(visibility="confidential"))["privacy"] == "private"
    assert from_google(google_event(transparency="opaque"))["show_as"] == "busy"


def test_from_google_video_entry_point_when_no_hangout_link():
    event = google_event(
        hangoutLink=None,
        conferenceData={
            "entryPoints": [
                {"entryPointType": "phone", "uri": "tel:+3212345"},
                {"entryPointType": "video", "uri": "https://zoom.example/j/1"},
            ]
        },
    )
    assert from_google(event)["videocall"] == "https://zoom.example/j/1"


def test_from_google_malformed_conference_data_is_tolerated():
    notes = []
    event = google_event(hangoutLink=None, conferenceData={"entryPoints": 42})
    assert from_google(event, notes=notes)["videocall"] == ""
    assert "entryPoints" in notes[0]
    event = google_event(hangoutLink=None, conferenceData={"entryPoints": ["x", {"uri": 1}]})
    assert from_google(event)["videocall"] == ""


def test_from_google_recurrence_normalized_rrule_first_exdates_sorted():
    values = from_google(
        google_event(
            recurrence=[
                "EXDATE;TZID=Europe/Brussels:20260414T090000",
                "EXDATE;TZID=Europe/Brussels:20260331T090000,20260407T090000",
                "RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=TU;INTERVAL=1",
            ]
        )
    )
    assert values["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=TU",
        "EXDATE:20260331T070000Z",
        "EXDATE:20260407T070000Z",
        "EXDATE:20260414T070000Z",
    ]


def test_from_google_unknown_fields_are_ignored():
    values = from_google(google_event(colorId="5", eventType="default", futureField={"x": 1}))
    assert values == from_google(google_event())


def test_from_google_huge_description_is_kept_whole():
    text = "<p>" + "x" * 500_000 + "</p>"
    assert from_google(google_event(description=text))["description"] == text


def test_from_google_missing_optional_fields():
    values = from_google(
        {"id": "x1", "start": {"date": "2026-01-01"}, "end": {"date": "2026-01-02"}}
    )
    assert values["name"] == "" and values["attendees"] == [] and values["organizer"] == ""


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (google_event(start={"dateTime": "2026-13-45T09:00:00Z"}), "not an RFC 3339"),
        (google_event(start={"dateTime": None}), "not an RFC 3339"),
        (google_event(start={"date": "2026-02-30"}, end={"date": "2026-03-01"}), "not YYYY-MM-DD"),
        (google_event(start={"date": "2026-03-01"}), "both be dates or both be date-times"),
        (google_event(start=None), "has no start"),
        (google_event(start="tomorrow"), "start must be an object"),
        (google_event(end={"dateTime": "2026-03-24T08:00:00+01:00"}), "before it starts"),
        (google_event(summary=42), "summary must be text"),
        (google_event(attendees={"email": "a@b.c"}), "attendees must be a list"),
        (google_event(recurrence=["RRULE:FREQ=SOMETIMES"]), "recurrence"),
        (google_event(recurrence=["RRULE:FREQ=WEEKLY;BYDAY=XX"]), "not a weekday"),
        (google_event(recurrence=["EXDATE:yesterday", "RRULE:FREQ=DAILY"]), "recurrence"),
        (google_event(status="cancelled"), "cancelled"),
        ("not an event", "JSON object"),
        (
            google_event(
                start={"dateTime": "9999-12-31T18:00:00-05:00"},
                end={"dateTime": "9999-12-31T19:00:00-05:00"},
            ),
            "out of range",
        ),
        (google_event(start={"date": "0001-01-01"}, end={"date": "0001-01-01"}), "out of range"),
    ],
)
def test_from_google_invalid_events_raise_clear_errors(event, message):
    with pytest.raises(InvalidEvent, match=message) as caught:
        from_google(event)
    if isinstance(event, dict):
        assert "abc123def" in str(caught.value)


def test_is_cancelled_and_original_start():
    assert is_cancelled({"id": "x", "status": "cancelled"})
    assert not is_cancelled(google_event())
    tombstone = {
        "id": "s1_20260331T070000Z",
        "status": "cancelled",
        "recurringEventId": "s1",
        "originalStartTime": {
            "dateTime": "2026-03-31T09:00:00+02:00",
            "timeZone": "Europe/Brussels",
        },
    }
    assert original_start(tombstone) == ("s1", "2026-03-31T07:00:00Z")
    allday = {
        "id": "s2_20261225",
        "recurringEventId": "s2",
        "originalStartTime": {"date": "2026-12-25"},
    }
    assert original_start(allday) == ("s2", "2026-12-25")
    assert original_start(google_event()) is None
    with pytest.raises(InvalidEvent, match="originalStartTime"):
        original_start({"id": "s3_x", "recurringEventId": "s3"})


# --- to_google ---------------------------------------------------------------------------


def test_to_google_insert_timed_local_offset_and_zone():
    body = to_google(neutral(), extended_shared={"odoo_id": 7})
    assert body["start"] == {"dateTime": "2026-03-24T09:00:00+01:00", "timeZone": "Europe/Brussels"}
    assert body["end"] == {"dateTime": "2026-03-24T10:00:00+01:00", "timeZone": "Europe/Brussels"}
    assert body["summary"] == "Weekly sync"
    assert body["attendees"] == [
        {"email": "adam@example.com", "responseStatus": "tentative"},
        {"email": "zoe@example.com", "displayName": "Zoé", "responseStatus": "accepted"},
    ]
    assert body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": 10}, {"method": "popup", "minutes": 30}],
    }
    assert body["visibility"] == "private" and body["transparency"] == "transparent"
    assert body["conferenceData"]["entryPoints"][0]["uri"] == "https://video.example.com/room/42"
    assert body["extendedProperties"] == {"shared": {"odoo_id": "7"}}
    assert "recurrence" not in body  # nothing to say on insert


def test_to_google_insert_summer_offset():
    body = to_google(neutral(start="2026-10-24T07:00:00Z", stop="2026-10-26T08:00:00Z"))
    assert body["start"]["dateTime"] == "2026-10-24T09:00:00+02:00"
    assert body["end"]["dateTime"] == "2026-10-26T09:00:00+01:00"  # after the October change


def test_to_google_allday_end_exclusive():
    body = to_google(neutral(allday=True, start="2026-12-31", stop="2026-12-31", timezone=""))
    assert body["start"] == {"date": "2026-12-31"}
    assert body["end"] == {"date": "2027-01-01"}


def test_to_google_privacy_default_and_busy():
    body = to_google(neutral(privacy="", show_as="busy"))
    assert body["visibility"] == "default" and body["transparency"] == "opaque"


def test_confidential_reads_private_on_both_sides():
    """Odoo's "confidential" (internal users only) has no Google counterpart: it
    goes as the narrower "private", and an event Google holds as confidential
    compares equal with one Odoo holds as private, so neither looks changed."""
    odoo_side = normalize_values(neutral(privacy="confidential"))
    assert odoo_side["privacy"] == "private"
    assert to_google(neutral(privacy="confidential"))["visibility"] == "private"
    google_side = from_google(google_event(visibility="confidential"))
    assert diff_fields(google_side, normalize_values(neutral(privacy="private"))) == {"videocall"}
    assert fingerprint(odoo_side) == fingerprint(normalize_values(neutral(privacy="private")))


def test_to_google_meet_link_is_not_written():
    body = to_google(neutral(videocall="https://meet.google.com/abc-defg-hij"))
    assert "conferenceData" not in body


@pytest.mark.parametrize(
    ("changed", "keys"),
    [
        ({"name"}, {"summary"}),
        ({"start"}, {"start", "end"}),
        ({"stop"}, {"start", "end"}),
        ({"allday"}, {"start", "end"}),
        ({"timezone"}, {"start", "end"}),
        ({"attendees"}, {"attendees"}),
        ({"alarms"}, {"reminders"}),
        ({"privacy", "show_as"}, {"visibility", "transparency"}),
        ({"recurrence"}, {"recurrence", "start", "end"}),
        ({"videocall"}, {"conferenceData"}),
        ({"organizer"}, set()),  # read-only on Google: only `move` changes it
        (set(), set()),
    ],
)
def test_to_google_patch_only_changed_fields(changed, keys):
    assert set(to_google(neutral(), changed_fields=changed)) == keys


def test_to_google_patch_clears_values():
    body = to_google(
        neutral(location="", videocall="", recurrence=[]),
        changed_fields={"location", "videocall", "recurrence"},
    )
    assert body["location"] == "" and body["conferenceData"] is None
    assert body["recurrence"] == []


def test_to_google_patch_attendees_sends_whole_list():
    body = to_google(neutral(), changed_fields={"attendees"})
    assert [a["email"] for a in body["attendees"]] == ["adam@example.com", "zoe@example.com"]


def test_to_google_reminders_capped_at_five_with_note():
    notes = []
    alarms = [{"method": "popup", "minutes": m} for m in (5, 10, 15, 30, 60, 120, 1440)]
    body = to_google(neutral(alarms=alarms), changed_fields={"alarms"}, notes=notes)
    assert [o["minutes"] for o in body["reminders"]["overrides"]] == [5, 10, 15, 30, 60]
    assert "at most 5" in notes[0]


def test_to_google_unknown_changed_field_is_refused():
    with pytest.raises(InvalidEvent, match="not neutral fields"):
        to_google(neutral(), changed_fields={"colour"})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": "2026-03-24 08:00"}, "YYYY-MM-DDTHH:MM:SSZ"),
        ({"stop": "2026-03-24T07:00:00Z"}, "before start"),
        ({"timezone": "Nowhere/City"}, "unknown time zone"),
        ({"privacy": "secret"}, "unknown privacy"),
        ({"show_as": "away"}, "unknown show_as"),
        ({"attendees": [{"email": "a@b.c", "status": "maybe"}]}, "unknown status"),
        ({"recurrence": ["RRULE:COUNT=3"]}, "no valid FREQ"),
        (
            {"allday": True, "start": "9999-12-31", "stop": "9999-12-31", "timezone": ""},
            "out of range",
        ),
    ],
)
def test_invalid_neutral_values_raise(overrides, message):
    with pytest.raises(InvalidEvent, match=message):
        to_google(neutral(**overrides))


def test_normalize_values_sorts_and_fills_defaults():
    values = normalize_values(
        {
            "name": "x",
            "start": "2026-01-01T10:00:00Z",
            "stop": "2026-01-01T11:00:00Z",
            "timezone": "UTC",
            "attendees": [
                {"email": "B@x.org"},
                {"email": "a@x.org", "status": "accepted"},
                {"email": "", "name": "ghost"},
            ],
            "alarms": [{"method": "popup", "minutes": 5}, {"method": "email", "minutes": 5}],
        }
    )
    assert values["attendees"] == [
        {"email": "a@x.org", "name": "", "status": "accepted"},
        {"email": "b@x.org", "name": "", "status": "needsAction"},
    ]
    assert values["alarms"] == [
        {"method": "email", "minutes": 5},
        {"method": "popup", "minutes": 5},
    ]
    assert (values["privacy"], values["show_as"], values["recurrence"]) == ("", "busy", [])


def test_normalize_values_time_zone_rules():
    timed = normalize_values(neutral(timezone=""))
    assert timed["timezone"] == "UTC"  # what Google answers for a zone-less event
    allday = normalize_values(neutral(allday=True, start="2026-01-01", stop="2026-01-01"))
    assert allday["timezone"] == ""
    assert from_google(to_google(neutral(timezone=""))) == timed


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        neutral(),
        neutral(privacy="", show_as="busy", videocall="", attendees=[], alarms=[], organizer=""),
        neutral(allday=True, start="2026-03-29", stop="2026-03-29", timezone=""),
        neutral(allday=True, start="2026-10-24", stop="2026-10-26", timezone=""),
        # DST days in Brussels: the last Sunday of March and of October.
        neutral(start="2026-03-29T00:30:00Z", stop="2026-03-29T01:30:00Z"),
        neutral(start="2026-10-25T00:30:00Z", stop="2026-10-25T01:30:00Z"),
        neutral(
            timezone="America/New_York", start="2026-03-08T06:30:00Z", stop="2026-03-08T07:30:00Z"
        ),
        neutral(
            recurrence=[
                "RRULE:FREQ=WEEKLY;UNTIL=20261027T075959Z;BYDAY=TU",
                "EXDATE:20260407T070000Z",
            ]
        ),
        neutral(
            allday=True,
            start="2026-02-14",
            stop="2026-02-14",
            timezone="",
            recurrence=["RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20280214"],
        ),
        neutral(
            description="x" * 100_000,
            alarms=[{"method": "email", "minutes": 0}, {"method": "popup", "minutes": 40320}],
        ),
    ],
)
def test_round_trip_neutral_google_neutral(values):
    assert from_google(to_google(values)) == values


def test_round_trip_google_neutral_google_is_stable():
    first = from_google(google_event(hangoutLink=None))
    assert from_google(to_google(first)) == first
    assert to_google(from_google(to_google(first))) == to_google(first)


# --- helpers -----------------------------------------------------------------------------


def test_fingerprint_is_stable_and_sensitive():
    assert fingerprint(neutral()) == fingerprint(dict(reversed(list(neutral().items()))))
    assert fingerprint(neutral()) == fingerprint({**neutral(), "not_synced": 1})
    assert fingerprint(neutral()) != fingerprint(neutral(name="Other"))
    assert len(fingerprint(neutral())) == 64


def test_diff_fields():
    a = neutral()
    b = neutral(name="Other", attendees=[], recurrence=["RRULE:FREQ=DAILY"])
    assert diff_fields(a, b) == {"name", "attendees", "recurrence"}
    assert diff_fields(a, neutral()) == set()


def test_normalize_email():
    assert normalize_email("  Foo.Bar@Example.COM ") == "foo.bar@example.com"
    assert normalize_email("mailto:A@B.c") == "a@b.c"
    assert normalize_email(None) == "" and normalize_email(42) == ""


def test_google_ids():
    generated = new_google_id()
    assert google_id_is_valid_for_insert(generated)
    assert generated != new_google_id()
    assert google_id_is_valid_for_insert("abcde")
    assert google_id_is_valid_for_insert("a" * 1024)
    for bad in ("abcd", "a" * 1025, "ABCDEF", "abcdw", "abc_def", "", None, 12345):
        assert not google_id_is_valid_for_insert(bad)


_zones = st.sampled_from(["Europe/Brussels", "America/New_York", "Asia/Kolkata", "UTC"])
_instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))


@settings(max_examples=200, deadline=None)
@given(
    zone=_zones,
    start=_instants,
    minutes=st.integers(0, 3000),
    allday=st.booleans(),
    alarms=st.lists(
        st.builds(
            lambda method, minutes: {"method": method, "minutes": minutes},
            st.sampled_from(["email", "popup"]),
            st.integers(0, 40320),
        ),
        max_size=5,
        unique_by=lambda alarm: (alarm["minutes"], alarm["method"]),
    ),
)
def test_round_trip_any_time_zone_and_date(zone, start, minutes, allday, alarms):
    stop = start + timedelta(minutes=minutes)
    if allday:
        values = normalize_values(
            neutral(
                allday=True,
                timezone="",
                start=start.date().isoformat(),
                stop=stop.date().isoformat(),
                alarms=alarms,
            )
        )
    else:
        values = normalize_values(
            neutral(
                timezone=zone,
                start=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                stop=stop.strftime("%Y-%m-%dT%H:%M:%SZ"),
                alarms=alarms,
            )
        )
    assert from_google(to_google(values)) == values


def test_an_accepted_lone_organizer_is_no_guest_list():
    alone = {
        "organizer": "ann@x.example",
        "attendees": [{"email": "ann@x.example", "name": "", "status": "accepted"}],
    }
    assert without_lone_organizer(alone)["attendees"] == []
    undecided = {**alone, "attendees": [{**alone["attendees"][0], "status": "needsAction"}]}
    assert without_lone_organizer(undecided) == undecided
    guest = {**alone, "attendees": [{"email": "bob@x.example", "name": "", "status": "accepted"}]}
    assert without_lone_organizer(guest) == guest
    assert (
        from_google(google_event(attendees=None, organizer={"email": "ann@x.example"}))["attendees"]
        == []
    )
