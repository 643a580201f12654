"""engine.recurrence: canonical lines, Odoo <-> Google rules, DST-safe expansion, ids, splits."""

from calendar import isleap
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as dateutil_rrule

from engine.recurrence import (
    HORIZON_YEARS,
    MAX_OCCURRENCES,
    InvalidRecurrence,
    OdooRule,
    expand,
    google_to_odoo,
    horizon,
    instance_id,
    neutral_occurrences,
    normalize_lines,
    odoo_to_google,
    parse_instance_id,
    split,
)

BRUSSELS = "Europe/Brussels"
# 2026: summer time starts on Sunday 29 March, ends on Sunday 25 October.
WEEKLY_TUESDAY_9 = {"start": "2026-03-17T08:00:00Z", "timezone_name": BRUSSELS, "allday": False}


def local(moment):
    return moment.astimezone(ZoneInfo(BRUSSELS)).strftime("%Y-%m-%d %H:%M %Z")


# --- expansion across DST ----------------------------------------------------------------


def test_weekly_brussels_meeting_stays_at_nine_across_march_change():
    starts = expand(["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"], **WEEKLY_TUESDAY_9)
    assert [local(s) for s in starts] == [
        "2026-03-17 09:00 CET",
        "2026-03-24 09:00 CET",
        "2026-03-31 09:00 CEST",
        "2026-04-07 09:00 CEST",
    ]
    assert neutral_occurrences(["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"], **WEEKLY_TUESDAY_9) == [
        "2026-03-17T08:00:00Z",
        "2026-03-24T08:00:00Z",
        "2026-03-31T07:00:00Z",
        "2026-04-07T07:00:00Z",
    ]


def test_weekly_brussels_meeting_stays_at_nine_across_october_change():
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261104T000000Z"]
    starts = neutral_occurrences(
        lines, start="2026-10-13T07:00:00Z", timezone_name=BRUSSELS, allday=False
    )
    assert starts == [
        "2026-10-13T07:00:00Z",
        "2026-10-20T07:00:00Z",
        "2026-10-27T08:00:00Z",
        "2026-11-03T08:00:00Z",
    ]


def test_daily_series_on_the_change_days_themselves():
    # Sunday 09:00 on both change days stays 09:00 local.
    march = neutral_occurrences(
        ["RRULE:FREQ=DAILY;COUNT=3"],
        start="2026-03-28T08:00:00Z",
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert march == ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"]
    october = neutral_occurrences(
        ["RRULE:FREQ=DAILY;COUNT=3"],
        start="2026-10-24T07:00:00Z",
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert october == ["2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z"]


def test_wall_time_inside_the_spring_gap_gets_the_offset_before_the_gap():
    # 02:30 does not exist on 29 March in Brussels: RFC 5545 reads it as 03:30 CEST.
    starts = expand(
        ["RRULE:FREQ=DAILY;COUNT=3"],
        start="2026-03-28T01:30:00Z",
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert [local(s) for s in starts] == [
        "2026-03-28 02:30 CET",
        "2026-03-29 03:30 CEST",
        "2026-03-30 02:30 CEST",
    ]


def test_new_york_series_keeps_local_time():
    starts = neutral_occurrences(
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3"],
        start="2026-02-01T11:00:00Z",
        timezone_name="America/New_York",
        allday=False,
    )
    assert starts == ["2026-02-01T11:00:00Z", "2026-03-01T11:00:00Z", "2026-04-01T10:00:00Z"]


# --- rule kinds --------------------------------------------------------------------------


def test_monthly_last_friday():
    starts = expand(
        ["RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=4"],
        start="2026-01-30T14:00:00Z",
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert [local(s) for s in starts] == [
        "2026-01-30 15:00 CET",
        "2026-02-27 15:00 CET",
        "2026-03-27 15:00 CET",
        "2026-04-24 15:00 CEST",
    ]


def test_monthly_first_monday_with_interval():
    starts = neutral_occurrences(
        ["RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO;COUNT=3"],
        start="2026-01-05",
        timezone_name="",
        allday=True,
    )
    assert starts == ["2026-01-05", "2026-03-02", "2026-05-04"]


def test_monthly_by_date_skips_short_months():
    starts = neutral_occurrences(
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3"],
        start="2026-01-31",
        timezone_name="",
        allday=True,
    )
    assert starts == ["2026-01-31", "2026-03-31", "2026-05-31"]


def test_yearly_allday_with_until_and_exdate():
    lines = ["RRULE:FREQ=YEARLY;UNTIL=20300214", "EXDATE;VALUE=DATE:20280214"]
    assert expand(lines, start="2026-02-14", timezone_name="", allday=True) == [
        date(2026, 2, 14),
        date(2027, 2, 14),
        date(2029, 2, 14),
        date(2030, 2, 14),
    ]


def test_weekly_several_days_interval():
    starts = neutral_occurrences(
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4"],
        start="2026-01-05",
        timezone_name="",
        allday=True,
    )
    assert starts == ["2026-01-05", "2026-01-07", "2026-01-19", "2026-01-21"]


def test_exdates_in_every_google_form_are_honoured():
    lines = [
        "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6",
        "EXDATE;TZID=Europe/Brussels:20260324T090000",
        "EXDATE:20260331T070000Z",
        "EXDATE:20260407T090000",
    ]  # floating: read in the series' zone
    assert neutral_occurrences(lines, **WEEKLY_TUESDAY_9) == [
        "2026-03-17T08:00:00Z",
        "2026-04-14T07:00:00Z",
        "2026-04-21T07:00:00Z",
    ]


def test_endless_series_are_capped_and_bounded():
    lines = ["RRULE:FREQ=DAILY"]
    assert len(expand(lines, **WEEKLY_TUESDAY_9)) == MAX_OCCURRENCES
    assert len(expand(lines, **WEEKLY_TUESDAY_9, limit=10)) == 10
    bounded = expand(lines, **WEEKLY_TUESDAY_9, until=datetime(2026, 3, 20, 8, tzinfo=UTC))
    assert len(bounded) == 4  # 17, 18, 19, 20 March (the 20th at 08:00 UTC exactly)


def test_rdate_adds_an_occurrence():
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2", "RDATE:20260319T080000Z"]
    assert neutral_occurrences(lines, **WEEKLY_TUESDAY_9) == [
        "2026-03-17T08:00:00Z",
        "2026-03-19T08:00:00Z",
        "2026-03-24T08:00:00Z",
    ]


# --- canonical lines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "allday", "expected"),
    [
        (["RRULE:FREQ=WEEKLY;INTERVAL=1;WKST=SU;BYDAY=TU"], False, ["RRULE:FREQ=WEEKLY;BYDAY=TU"]),
        (
            ["RRULE:BYDAY=TU;FREQ=WEEKLY;INTERVAL=2;WKST=SU"],
            False,
            ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU"],
        ),
        (
            ["rrule:freq=daily;x-evolution-enddate=20200120;count=3"],
            False,
            ["RRULE:FREQ=DAILY;COUNT=3"],
        ),
        # A DATE UNTIL on a timed series includes that whole local day.
        (["RRULE:FREQ=DAILY;UNTIL=20260701"], False, ["RRULE:FREQ=DAILY;UNTIL=20260701T215959Z"]),
        (
            ["RRULE:FREQ=DAILY;UNTIL=20260701T235959"],
            False,
            ["RRULE:FREQ=DAILY;UNTIL=20260701T215959Z"],
        ),
        (["RRULE:FREQ=DAILY;UNTIL=20260701T235959Z"], True, ["RRULE:FREQ=DAILY;UNTIL=20260702"]),
        (
            ["EXDATE;VALUE=DATE:20260103,20260102", "RRULE:FREQ=DAILY", "DTSTART:20260101"],
            True,
            ["RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:20260102", "EXDATE;VALUE=DATE:20260103"],
        ),
        (
            ["EXDATE:20260102T080000Z", "EXDATE:20260102T080000Z", "RRULE:FREQ=DAILY"],
            False,
            ["RRULE:FREQ=DAILY", "EXDATE:20260102T080000Z"],
        ),
        ([], False, []),
    ],
)
def test_normalize_lines(lines, allday, expected):
    assert normalize_lines(lines, timezone_name=BRUSSELS, allday=allday) == expected


def test_normalize_lines_spells_out_the_implicit_day_in_local_time():
    # 00:30 on Tuesday in Brussels is still Monday in UTC: the local day counts.
    late = {"timezone_name": BRUSSELS, "allday": False, "start": "2026-03-16T23:30:00Z"}
    assert normalize_lines(["RRULE:FREQ=WEEKLY;COUNT=3"], **late) == [
        "RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=TU"
    ]
    assert normalize_lines(["RRULE:FREQ=MONTHLY"], **late) == ["RRULE:FREQ=MONTHLY;BYMONTHDAY=17"]
    assert normalize_lines(["RRULE:FREQ=MONTHLY;BYDAY=+1MO"], **late) == [
        "RRULE:FREQ=MONTHLY;BYDAY=1MO"
    ]
    assert normalize_lines(["RRULE:FREQ=YEARLY"], **late) == ["RRULE:FREQ=YEARLY"]
    # Same occurrences either way.
    assert neutral_occurrences(["RRULE:FREQ=WEEKLY;COUNT=3"], **late) == neutral_occurrences(
        normalize_lines(["RRULE:FREQ=WEEKLY;COUNT=3"], **late), **late
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["RRULE:FREQ=FORTNIGHTLY"], "no valid FREQ"),
        (["RRULE:COUNT=2"], "no valid FREQ"),
        (["RRULE:FREQ=DAILY;COUNT=0"], "positive integer"),
        (["RRULE:FREQ=DAILY;INTERVAL=x"], "positive integer"),
        (["RRULE:FREQ=DAILY;COUNT=2;UNTIL=20260101T000000Z"], "both COUNT and UNTIL"),
        (["RRULE:FREQ=WEEKLY;BYDAY=MONDAY"], "not a weekday"),
        (["RRULE:FREQ=DAILY;BYEASTER=1"], "unknown rule part"),
        (["RRULE:FREQ=DAILY;COUNT"], "has no value"),
        (["RRULE:FREQ=DAILY;UNTIL=2026-01-01"], "neither a DATE nor a DATE-TIME"),
        (["EXDATE:tomorrow", "RRULE:FREQ=DAILY"], "neither a DATE nor a DATE-TIME"),
        (["EXDATE;TZID=Atlantis/Capital:20260101T090000", "RRULE:FREQ=DAILY"], "unknown time zone"),
        (["VEVENT:nonsense"], "unknown recurrence line"),
        ("RRULE:FREQ=DAILY", "must be a list of strings"),
        ([None], "must be a list of strings"),
    ],
)
def test_malformed_lines_raise_clear_errors(lines, message):
    with pytest.raises(InvalidRecurrence, match=message):
        normalize_lines(lines, timezone_name=BRUSSELS, allday=False)


def test_expand_without_rrule_or_with_bad_start():
    with pytest.raises(InvalidRecurrence, match="no RRULE"):
        expand(["EXDATE:20260101T000000Z"], **WEEKLY_TUESDAY_9)
    with pytest.raises(InvalidRecurrence, match="YYYY-MM-DDTHH:MM:SSZ"):
        expand(["RRULE:FREQ=DAILY"], start="2026-03-17 09:00", timezone_name=BRUSSELS, allday=False)
    with pytest.raises(InvalidRecurrence, match="unknown time zone"):
        expand(
            ["RRULE:FREQ=DAILY"],
            start="2026-03-17T08:00:00Z",
            timezone_name="Mars/Base",
            allday=False,
        )
    with pytest.raises(InvalidRecurrence, match="more often than daily"):
        expand(["RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"], **WEEKLY_TUESDAY_9)


# --- Odoo <-> Google ---------------------------------------------------------------------


def test_odoo_rule_with_dtstart_and_local_until_to_google():
    # What calendar.recurrence.rrule holds: DTSTART plus an UNTIL at the local day's end.
    odoo = "DTSTART:20260317T090000\nRRULE:FREQ=WEEKLY;UNTIL=20261027T235959;BYDAY=TU;WKST=SU"
    assert odoo_to_google(odoo, timezone_name=BRUSSELS, allday=False) == [
        "RRULE:FREQ=WEEKLY;UNTIL=20261027T225959Z;BYDAY=TU"
    ]


def test_odoo_forever_count_becomes_endless_on_google():
    odoo = "RRULE:FREQ=MONTHLY;COUNT=720;BYDAY=-1FR"
    assert odoo_to_google(odoo, timezone_name=BRUSSELS, allday=False, endless=True) == [
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR"
    ]
    assert odoo_to_google(odoo, timezone_name=BRUSSELS, allday=False) == [
        "RRULE:FREQ=MONTHLY;COUNT=720;BYDAY=-1FR"
    ]


def test_odoo_allday_rule_with_deleted_occurrences_to_google():
    odoo = "DTSTART:20260101T000000\nRRULE:FREQ=YEARLY;INTERVAL=1;UNTIL=20301231T235959"
    assert odoo_to_google(odoo, timezone_name="", allday=True, excluded=["2027-01-01"]) == [
        "RRULE:FREQ=YEARLY;UNTIL=20301231",
        "EXDATE;VALUE=DATE:20270101",
    ]


def test_odoo_rule_refuses_several_rules():
    with pytest.raises(InvalidRecurrence, match="exactly one rule"):
        odoo_to_google("RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY", timezone_name="", allday=True)


def test_google_until_becomes_date_of_last_occurrence_for_odoo():
    # UNTIL one second before the 31 March occurrence (a split): Odoo's "until" is a day
    # that includes all of it, so it must be 24 March, not 31 March.
    rule = google_to_odoo(["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260331T065959Z"], **WEEKLY_TUESDAY_9)
    assert rule == OdooRule(rrule="FREQ=WEEKLY;UNTIL=20260324;BYDAY=TU", endless=False, excluded=())


def test_google_count_endless_and_exdates_for_odoo():
    counted = google_to_odoo(
        ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5", "EXDATE;TZID=Europe/Brussels:20260331T090000"],
        **WEEKLY_TUESDAY_9,
    )
    assert counted == OdooRule(
        rrule="FREQ=WEEKLY;COUNT=5;BYDAY=TU", endless=False, excluded=("2026-03-31T07:00:00Z",)
    )
    endless = google_to_odoo(["RRULE:FREQ=MONTHLY;BYDAY=1MO"], **WEEKLY_TUESDAY_9)
    assert endless.endless and endless.rrule == "FREQ=MONTHLY;BYDAY=1MO"


def test_google_rule_for_odoo_is_parsable_like_odoo_does():
    rule = google_to_odoo(
        ["RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231T235959Z"],
        start="2026-01-30T14:00:00Z",
        timezone_name=BRUSSELS,
        allday=False,
    )
    # Odoo's _rrule_parse hands the rule to dateutil with its naive UTC dtstart.
    parsed = dateutil_rrule.rrulestr(rule.rrule, dtstart=datetime(2026, 1, 30, 14))
    assert parsed._until == datetime(2026, 12, 25)
    assert list(parsed._bynweekday) == [(4, -1)]


def test_google_to_odoo_refuses_what_odoo_cannot_store():
    with pytest.raises(InvalidRecurrence, match="exactly one RRULE"):
        google_to_odoo(["RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"], **WEEKLY_TUESDAY_9)
    with pytest.raises(InvalidRecurrence, match="exactly one RRULE"):
        google_to_odoo(["RRULE:FREQ=DAILY", "RDATE:20260319T080000Z"], **WEEKLY_TUESDAY_9)
    with pytest.raises(InvalidRecurrence, match="no occurrence"):
        google_to_odoo(["RRULE:FREQ=DAILY;UNTIL=20260101T000000Z"], **WEEKLY_TUESDAY_9)


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=HOURLY;COUNT=3",
        "RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1",
        "RRULE:FREQ=MONTHLY;BYDAY=1MO,3MO",
        "RRULE:FREQ=MONTHLY;BYDAY=MO",
        "RRULE:FREQ=MONTHLY;BYDAY=5FR",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15",
        "RRULE:FREQ=WEEKLY;BYDAY=1MO",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "RRULE:FREQ=DAILY;BYMONTH=7",
    ],
)
def test_google_to_odoo_refuses_rules_odoo_would_change(rule):
    with pytest.raises(InvalidRecurrence, match="Odoo"):
        google_to_odoo([rule], **WEEKLY_TUESDAY_9)


def test_google_to_odoo_bare_weekly_gets_the_local_weekday():
    rule = google_to_odoo(
        ["RRULE:FREQ=WEEKLY;COUNT=3"],
        start="2026-03-16T23:30:00Z",
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert rule.rrule == "FREQ=WEEKLY;COUNT=3;BYDAY=TU"


@pytest.mark.parametrize(
    ("lines", "series"),
    [
        (["RRULE:FREQ=WEEKLY;UNTIL=20261027T075959Z;BYDAY=TU"], WEEKLY_TUESDAY_9),
        (["RRULE:FREQ=MONTHLY;COUNT=12;BYDAY=-1FR"], WEEKLY_TUESDAY_9),
        (
            ["RRULE:FREQ=YEARLY;UNTIL=20300214", "EXDATE;VALUE=DATE:20280214"],
            {"start": "2026-02-14", "timezone_name": "", "allday": True},
        ),
        (["RRULE:FREQ=DAILY;INTERVAL=3"], WEEKLY_TUESDAY_9),
    ],
)
def test_google_odoo_google_round_trip_keeps_the_occurrences(lines, series):
    rule = google_to_odoo(lines, **series)
    back = odoo_to_google(
        rule.rrule,
        timezone_name=series["timezone_name"],
        allday=series["allday"],
        endless=rule.endless,
        excluded=rule.excluded,
    )
    assert neutral_occurrences(back, **series) == neutral_occurrences(lines, **series)
    # And a second trip is exactly stable (no endless ping-pong between the sides).
    again = google_to_odoo(back, **series)
    assert (
        odoo_to_google(
            again.rrule,
            timezone_name=series["timezone_name"],
            allday=series["allday"],
            endless=again.endless,
            excluded=again.excluded,
        )
        == back
    )


# --- bounded expansion: rules are untrusted input ------------------------------------------

FEBRUARY_10 = {"start": "2026-02-10T08:00:00Z", "timezone_name": BRUSSELS, "allday": False}


@pytest.mark.parametrize(
    ("lines", "series", "message"),
    [
        # Values no calendar has: old dateutil searched to year 9999 and found nothing.
        (["RRULE:FREQ=MONTHLY;BYMONTHDAY=32"], WEEKLY_TUESDAY_9, "BYMONTHDAY value '32'"),
        (["RRULE:FREQ=MONTHLY;BYMONTHDAY=0"], WEEKLY_TUESDAY_9, "BYMONTHDAY value '0'"),
        (["RRULE:FREQ=DAILY;BYMONTH=13"], WEEKLY_TUESDAY_9, "BYMONTH value '13' .* 1 to 12"),
        (["RRULE:FREQ=YEARLY;BYYEARDAY=367"], WEEKLY_TUESDAY_9, "BYYEARDAY value '367'"),
        (["RRULE:FREQ=MONTHLY;BYDAY=0MO"], WEEKLY_TUESDAY_9, "no such week"),
        (
            ["RRULE:FREQ=MONTHLY;UNTIL=99991231T000000Z;BYMONTHDAY=32"],
            WEEKLY_TUESDAY_9,
            "BYMONTHDAY value '32'",
        ),
        # Valid values that never meet: refused before any search.
        (["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"], WEEKLY_TUESDAY_9, "could run for years"),
        (["RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"], WEEKLY_TUESDAY_9, "could run for years"),
        (["RRULE:FREQ=MONTHLY;BYDAY=5FR"], WEEKLY_TUESDAY_9, "fifth weekday"),
        # Every 12 months from February: only ever Februaries, which have no 30th...
        (
            ["RRULE:FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30"],
            FEBRUARY_10,
            "no occurrence within 730 years .* no month it visits has a day 30",
        ),
        # ... and every 4 years from 2025, a February 29 never comes.
        (
            ["RRULE:FREQ=MONTHLY;INTERVAL=48;BYMONTHDAY=29"],
            {**FEBRUARY_10, "start": "2025-02-10T08:00:00Z"},
            "no occurrence within 730 years",
        ),
        # Intervals that leave the horizon (or make dateutil walk months to year 9999).
        (["RRULE:FREQ=DAILY;INTERVAL=100000"], WEEKLY_TUESDAY_9, "less often than once a year"),
        (["RRULE:FREQ=WEEKLY;INTERVAL=53;BYDAY=TU"], WEEKLY_TUESDAY_9, "once a year"),
        (["RRULE:FREQ=YEARLY;INTERVAL=5000"], WEEKLY_TUESDAY_9, "once in 730 years"),
        # An EXRULE excluding every occurrence kept dateutil's rule set searching.
        (["RRULE:FREQ=YEARLY", "EXRULE:FREQ=YEARLY"], WEEKLY_TUESDAY_9, "EXRULE"),
    ],
)
def test_expansion_refuses_rules_whose_search_could_run_for_years(lines, series, message):
    with pytest.raises(InvalidRecurrence, match=message):
        expand(lines, **series)


@pytest.mark.parametrize(
    ("rule", "series", "message"),
    [
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=32", WEEKLY_TUESDAY_9, "BYMONTHDAY value '32'"),
        # Every 12 months from April: only ever Aprils, which have no 31st.
        (
            "RRULE:FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31",
            {**WEEKLY_TUESDAY_9, "start": "2026-04-14T07:00:00Z"},
            "no occurrence",
        ),
        ("RRULE:FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30", FEBRUARY_10, "no occurrence"),
        ("RRULE:FREQ=DAILY;INTERVAL=100000", WEEKLY_TUESDAY_9, "once a year"),
        ("RRULE:FREQ=YEARLY;INTERVAL=1000", WEEKLY_TUESDAY_9, "once in 730 years"),
        # Odoo's parser drops a day counted from the month's end (it would store the 1st),
        # and keeps COUNT and INTERVAL in integer columns.
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", WEEKLY_TUESDAY_9, "from 1 to 31"),
        ("RRULE:FREQ=DAILY;COUNT=3000000000", WEEKLY_TUESDAY_9, "COUNT above 2147483647"),
        ("RRULE:FREQ=DAILY;INTERVAL=3000000000", WEEKLY_TUESDAY_9, "once a year"),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=x", WEEKLY_TUESDAY_9, "BYMONTHDAY value 'X'"),
        ("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=XX", WEEKLY_TUESDAY_9, "WKST"),
    ],
)
def test_google_to_odoo_refuses_rules_odoo_would_search_or_misread(rule, series, message):
    # What reaches calendar.recurrence is expanded by Odoo too, without any horizon.
    with pytest.raises(InvalidRecurrence, match=message):
        google_to_odoo([rule], **series)


@pytest.fixture
def scanned_years(monkeypatch):
    """The years dateutil's search looked at, one entry per period (month or year) it
    built: what a rule with (almost) empty periods spends its time on."""
    years = []
    rebuild = dateutil_rrule._iterinfo.rebuild

    def counting_rebuild(info, year, month):
        years.append(year)
        return rebuild(info, year, month)

    monkeypatch.setattr(dateutil_rrule._iterinfo, "rebuild", counting_rebuild)
    return years


@pytest.mark.parametrize(
    ("lines", "start"),
    [
        # Every year from a February 29 (leap years only), every 12 months on the 29th
        # from February 2025: Odoo holds them, but 720 of them reach the year 4992.
        (["RRULE:FREQ=YEARLY"], "2028-02-29T08:00:00Z"),
        (["RRULE:FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=29"], "2025-02-10T08:00:00Z"),
    ],
)
def test_sparse_series_stops_at_the_horizon_and_searches_no_further(scanned_years, lines, start):
    starts = expand(lines, start=start, timezone_name=BRUSSELS, allday=False)
    leap_years = [y for y in range(2028, int(start[:4]) + HORIZON_YEARS + 1) if isleap(y)]
    assert [moment.year for moment in starts] == leap_years
    assert {(moment.month, moment.day) for moment in starts} == {(2, 29)}
    # dateutil stopped one period past the horizon: the next candidate was past it.
    assert scanned_years
    assert max(scanned_years) <= int(start[:4]) + HORIZON_YEARS + 8


def test_horizon_is_the_first_start_plus_730_years():
    assert horizon(date(2028, 2, 29)) == date(2758, 2, 28)
    assert horizon(datetime(2026, 3, 17, 8, tzinfo=UTC)) == datetime(2756, 3, 17, 8, tzinfo=UTC)
    assert horizon(date(9500, 1, 1)) == date.max
    # Every "forever" series Odoo's form makes is held whole: a yearly one too.
    assert len(expand(["RRULE:FREQ=YEARLY"], **WEEKLY_TUESDAY_9)) == MAX_OCCURRENCES


def test_expansion_near_year_9999_stops_instead_of_overflowing():
    # 20:00 New York on 31 December 9999 would be in the year 10000 in UTC.
    starts = neutral_occurrences(
        ["RRULE:FREQ=DAILY"],
        start="9999-12-30T01:00:00Z",
        timezone_name="America/New_York",
        allday=False,
    )
    assert starts == ["9999-12-30T01:00:00Z", "9999-12-31T01:00:00Z"]


# --- instance ids ------------------------------------------------------------------------


def test_instance_ids_timed_and_allday():
    assert instance_id("abc123", "2026-03-31T07:00:00Z") == "abc123_20260331T070000Z"
    assert instance_id("abc123", "2026-12-25") == "abc123_20261225"
    moment = datetime(2026, 3, 31, 9, tzinfo=ZoneInfo(BRUSSELS))
    assert instance_id("abc123", moment) == "abc123_20260331T070000Z"
    assert instance_id("abc123", date(2026, 12, 25)) == "abc123_20261225"


def test_parse_instance_ids():
    assert parse_instance_id("abc123_20260331T070000Z") == ("abc123", "2026-03-31T07:00:00Z")
    assert parse_instance_id("abc123_20261225") == ("abc123", "2026-12-25")
    # A split series' id has its own suffix; an instance of it still parses.
    assert parse_instance_id("abc123_R20260331T070000_20260407T070000Z") == (
        "abc123_R20260331T070000",
        "2026-04-07T07:00:00Z",
    )
    for not_instance in (
        "abc123",
        "abc123_R20260331",
        "abc123_20261345",
        "",
        None,
        "abc_20260331T070000",
    ):
        assert parse_instance_id(not_instance) is None


def test_instance_id_round_trip_over_a_series():
    for start in neutral_occurrences(["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"], **WEEKLY_TUESDAY_9):
        assert parse_instance_id(instance_id("series1", start)) == ("series1", start)


# --- this and following ------------------------------------------------------------------


def test_split_counted_series_after_the_dst_change():
    old, new = split(
        ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10"], **WEEKLY_TUESDAY_9, split_at="2026-03-31T07:00:00Z"
    )
    assert old == ["RRULE:FREQ=WEEKLY;UNTIL=20260331T065959Z;BYDAY=TU"]
    assert new == ["RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=TU"]
    before = neutral_occurrences(old, **WEEKLY_TUESDAY_9)
    after = neutral_occurrences(
        new, start="2026-03-31T07:00:00Z", timezone_name=BRUSSELS, allday=False
    )
    whole = neutral_occurrences(["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10"], **WEEKLY_TUESDAY_9)
    assert before + after == whole


def test_split_until_series_keeps_until_and_distributes_exdates():
    lines = [
        "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260505T070000Z",
        "EXDATE:20260324T080000Z",
        "EXDATE:20260414T070000Z",
    ]
    old, new = split(lines, **WEEKLY_TUESDAY_9, split_at="2026-04-07T07:00:00Z")
    assert old == ["RRULE:FREQ=WEEKLY;UNTIL=20260407T065959Z;BYDAY=TU", "EXDATE:20260324T080000Z"]
    assert new == ["RRULE:FREQ=WEEKLY;UNTIL=20260505T070000Z;BYDAY=TU", "EXDATE:20260414T070000Z"]


def test_split_allday_series():
    series = {"start": "2026-01-05", "timezone_name": "", "allday": True}
    old, new = split(
        ["RRULE:FREQ=DAILY;COUNT=5", "EXDATE;VALUE=DATE:20260106"], **series, split_at="2026-01-08"
    )
    assert old == ["RRULE:FREQ=DAILY;UNTIL=20260107", "EXDATE;VALUE=DATE:20260106"]
    assert new == ["RRULE:FREQ=DAILY;COUNT=2"]  # COUNT counts excluded occurrences too


def test_split_errors():
    with pytest.raises(InvalidRecurrence, match="not an occurrence"):
        split(
            ["RRULE:FREQ=WEEKLY;BYDAY=TU"], **WEEKLY_TUESDAY_9, split_at="2026-03-31T08:00:00Z"
        )  # 10:00 local: no occurrence then
    with pytest.raises(InvalidRecurrence, match="first occurrence"):
        split(["RRULE:FREQ=WEEKLY;BYDAY=TU"], **WEEKLY_TUESDAY_9, split_at="2026-03-17T08:00:00Z")
    with pytest.raises(InvalidRecurrence, match="single-RRULE"):
        split(
            ["RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"],
            **WEEKLY_TUESDAY_9,
            split_at="2026-03-18T08:00:00Z",
        )
