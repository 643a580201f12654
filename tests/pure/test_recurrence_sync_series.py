"""engine.series: series values from occurrences, occurrence values, the occurrence plan."""

from engine.mapping import normalize_values
from engine.reconcile import Action, reconcile
from engine.series import (
    carry_series_change,
    edited_beyond_dropped_occurrences,
    is_time_change,
    master_patch_keys,
    merge_recurrence,
    merge_split_halves,
    moved_originals,
    occurrence_starts,
    occurrence_values,
    only_drops_occurrences,
    plan_occurrences,
    rewritten_start,
    same_split,
    series_from_occurrences,
    with_cancelled,
)

BRUSSELS = "Europe/Brussels"
# Tuesdays at 09:00 Brussels across the 2026 spring change (Sunday 29 March).
SERIES = normalize_values(
    {
        "name": "Weekly",
        "allday": False,
        "start": "2026-03-17T08:00:00Z",
        "stop": "2026-03-17T09:00:00Z",
        "timezone": BRUSSELS,
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TU"],
    }
)
STARTS = [
    "2026-03-17T08:00:00Z",
    "2026-03-24T08:00:00Z",
    "2026-03-31T07:00:00Z",
    "2026-04-07T07:00:00Z",
]
RULE = ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TU"]


def occurrences(starts=None, **changes):
    return [{**occurrence_values(SERIES, start), **changes} for start in (starts or STARTS)]


def test_occurrences_keep_wall_clock_time_across_dst():
    assert occurrence_starts(SERIES) == STARTS
    third = occurrence_values(SERIES, STARTS[2])
    assert (third["start"], third["stop"], third["recurrence"]) == (
        "2026-03-31T07:00:00Z",
        "2026-03-31T08:00:00Z",
        [],
    )


def test_series_rebuilt_from_its_occurrences_is_the_series():
    assert series_from_occurrences(occurrences(), rule_lines=RULE) == SERIES


def test_one_renamed_occurrence_does_not_rename_the_series():
    values = occurrences()
    values[0] = {**values[0], "name": "Special"}
    assert series_from_occurrences(values, rule_lines=RULE)["name"] == "Weekly"


def test_only_voters_name_the_series():
    values = occurrences(STARTS[:2])
    values[0] = {**values[0], "name": "Renamed on Google"}
    values[1] = {**values[1], "name": "Weekly (new)"}
    series = series_from_occurrences(values, rule_lines=RULE, voters=values[1:])
    assert series["name"] == "Weekly (new)"


def test_missing_occurrences_become_exdates_and_moved_ones_do_not():
    series = series_from_occurrences(
        occurrences([STARTS[0], STARTS[3]]),
        rule_lines=RULE,
        exceptions=[(STARTS[1], occurrences([STARTS[1]], start="2026-03-24T10:00:00Z")[0])],
    )
    assert series["recurrence"] == [*RULE, "EXDATE:20260331T070000Z"]


def test_moved_first_occurrence_still_starts_the_series():
    moved = {**occurrences([STARTS[0]])[0], "start": "2026-03-17T10:00:00Z"}
    series = series_from_occurrences(
        occurrences(STARTS[1:]), rule_lines=RULE, exceptions=[(STARTS[0], moved)]
    )
    assert series == SERIES


def test_only_moved_occurrences_left_are_still_a_series():
    moved = {**occurrences([STARTS[0]])[0], "start": "2026-03-17T10:00:00Z"}
    moved["stop"] = "2026-03-17T11:00:00Z"
    series = series_from_occurrences([], rule_lines=RULE, exceptions=[(STARTS[0], moved)])
    assert (series["start"], series["stop"]) == (STARTS[0], "2026-03-17T09:00:00Z")
    assert series["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20260317T225959Z;BYDAY=TU"]


def test_original_start_of_an_occurrence_moved_before_any_sync():
    moved = {"first": (None, "2026-03-17T10:00:00Z"), "third": (None, "2026-04-01T07:00:00Z")}
    originals = moved_originals(
        [STARTS[1], STARTS[3]],
        moved,
        rule_lines=RULE,
        timezone_name=BRUSSELS,
        allday=False,
    )
    # Same day first; else the nearest start of the rule no occurrence holds.
    assert originals == {"first": STARTS[0], "third": STARTS[2]}


def test_original_start_of_occurrences_moved_past_each_others_days_is_their_rule_start():
    # The first moved into the second's week, the second onto the fourth's day:
    # where Odoo's rule had them (hints) wins over the day they are on.
    moved = {"first": (None, "2026-03-24T15:00:00Z"), "second": (None, "2026-04-07T07:00:00Z")}
    originals = moved_originals(
        [STARTS[2], STARTS[3]],
        moved,
        rule_lines=RULE,
        timezone_name=BRUSSELS,
        allday=False,
        hints={"first": STARTS[0], "second": STARTS[1]},
    )
    assert originals == {"first": STARTS[0], "second": STARTS[1]}


def test_original_start_known_from_the_instance_id_stays():
    originals = moved_originals(
        [STARTS[1]],
        {"first": (STARTS[0], "2026-03-18T10:00:00Z")},
        rule_lines=RULE,
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert originals == {"first": STARTS[0]}


def test_a_moved_occurrence_with_nothing_to_follow_keeps_its_start():
    originals = moved_originals(
        [],
        {"only": (None, "2026-03-17T10:00:00Z")},
        rule_lines=RULE,
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert originals == {"only": "2026-03-17T10:00:00Z"}


def test_deleted_first_occurrence_keeps_the_agreed_start():
    series = series_from_occurrences(occurrences(STARTS[1:]), rule_lines=RULE, agreed=SERIES)
    assert series["start"] == STARTS[0]
    assert series["recurrence"] == [*RULE, "EXDATE:20260317T080000Z"]
    assert occurrence_starts(series) == STARTS[1:]


def test_series_time_change_is_not_taken_for_deletions():
    later = [start.replace("T08:", "T09:").replace("T07:", "T08:") for start in STARTS]
    series = series_from_occurrences(occurrences(later), rule_lines=RULE, agreed=SERIES)
    assert series["start"] == later[0]
    assert series["recurrence"] == RULE


def test_no_occurrence_left_means_no_series():
    assert series_from_occurrences([], rule_lines=RULE) is None


def test_cancelled_instances_written_as_exdates():
    assert with_cancelled(SERIES, [STARTS[2]])["recurrence"] == [*RULE, "EXDATE:20260331T070000Z"]
    allday = normalize_values(
        {
            "name": "Day",
            "allday": True,
            "start": "2026-02-14",
            "stop": "2026-02-14",
            "recurrence": ["RRULE:FREQ=YEARLY;COUNT=3"],
        }
    )
    assert with_cancelled(allday, ["2027-02-14"])["recurrence"] == [
        "RRULE:FREQ=YEARLY;COUNT=3",
        "EXDATE;VALUE=DATE:20270214",
    ]
    assert with_cancelled(SERIES, []) is SERIES


def test_plan_keeps_records_when_the_series_time_moves():
    later = ["2026-03-17T09:00:00Z", "2026-03-24T09:00:00Z", "2026-03-31T08:00:00Z"]
    keep, create, delete = plan_occurrences(
        [*later, "2026-04-14T08:00:00Z"],
        {1: STARTS[0], 2: STARTS[1], 3: STARTS[2], 4: STARTS[3]},
        timezone_name=BRUSSELS,
        allday=False,
    )
    assert keep == {1: later[0], 2: later[1], 3: later[2]}
    assert create == ["2026-04-14T08:00:00Z"]
    assert delete == [4]


def test_plan_matches_exact_starts_first():
    keep, create, delete = plan_occurrences(
        STARTS[:2], {7: STARTS[1], 8: STARTS[0]}, timezone_name=BRUSSELS, allday=False
    )
    assert (keep, create, delete) == ({7: STARTS[1], 8: STARTS[0]}, [], [])


def test_time_change_detection():
    first = occurrence_values(SERIES, STARTS[0])
    assert not is_time_change(first, {**first, "name": "Other"})
    assert is_time_change(first, occurrence_values(SERIES, STARTS[1]))


def test_series_change_carries_only_what_the_series_changed():
    old_plain = occurrence_values(SERIES, STARTS[1])
    renamed_here = {**old_plain, "name": "Just this once"}
    moved_series = {**SERIES, "location": "Room 9"}
    new_plain = occurrence_values(moved_series, STARTS[1])
    assert carry_series_change(renamed_here, old_plain, new_plain) == {
        **renamed_here,
        "location": "Room 9",
    }
    later = occurrence_values(SERIES, "2026-03-24T09:00:00Z")
    carried = carry_series_change(renamed_here, old_plain, later)
    assert (carried["start"], carried["name"]) == ("2026-03-24T09:00:00Z", "Just this once")


def test_series_change_leaves_a_field_the_occurrence_holds_on_its_own():
    old_plain = occurrence_values(SERIES, STARTS[1])
    new_plain = occurrence_values({**SERIES, "location": "Room 3"}, STARTS[1])
    here = {**old_plain, "location": "Room 4"}
    assert carry_series_change(here, old_plain, new_plain) == here
    # Odoo changed the location of all events (``held``): the occurrence holds
    # nothing of its own, and takes the series' location.
    held = occurrence_values({**SERIES, "location": "Room 4"}, STARTS[1])
    assert carry_series_change(here, old_plain, new_plain, held=held) == {
        **here,
        "location": "Room 3",
    }


def test_series_change_leaves_the_times_of_an_occurrence_moved_on_its_own():
    old_plain = occurrence_values(SERIES, STARTS[1])
    moved_here = {**old_plain, "start": "2026-03-24T11:00:00Z", "stop": "2026-03-24T12:00:00Z"}
    new_plain = occurrence_values({**SERIES, "name": "Renamed"}, "2026-03-24T09:00:00Z")
    assert carry_series_change(moved_here, old_plain, new_plain, times=False) == {
        **moved_here,
        "name": "Renamed",
    }


def test_rewritten_start_is_the_original_where_odoo_kept_the_rule():
    # Deleted in Odoo (an EXDATE) or not: the rule still has that start.
    without_second = with_cancelled(SERIES, [STARTS[1]])
    assert rewritten_start(SERIES, without_second, STARTS[1]) == STARTS[1]
    assert rewritten_start(SERIES, SERIES, STARTS[2]) == STARTS[2]


def test_rewritten_start_follows_a_time_change_within_the_day():
    later = {**SERIES, "start": "2026-03-17T10:00:00Z", "stop": "2026-03-17T11:00:00Z"}
    assert rewritten_start(SERIES, later, STARTS[1]) == "2026-03-24T10:00:00Z"
    # Across the DST change: the same local day, at the new local time.
    assert rewritten_start(SERIES, later, STARTS[3]) == "2026-04-07T09:00:00Z"


def test_rewritten_start_keeps_the_rank_when_the_days_change():
    wednesdays = normalize_values(
        {
            **SERIES,
            "start": "2026-03-18T08:00:00Z",
            "stop": "2026-03-18T09:00:00Z",
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=WE"],
        }
    )
    assert rewritten_start(SERIES, wednesdays, STARTS[1]) == "2026-03-25T08:00:00Z"


def test_rewritten_start_is_none_past_the_end_odoo_gave_the_rule():
    # Odoo's "this and following" from the third: the old series ends before it.
    ended = series_from_occurrences(occurrences(STARTS[:2]), rule_lines=RULE)
    assert rewritten_start(SERIES, ended, STARTS[3]) is None
    assert rewritten_start(SERIES, ended, STARTS[1]) == STARTS[1]


def test_an_occurrence_an_hour_off_still_holds_its_day():
    # Odoo's pytz arithmetic is an hour off past 2037: not a deleted occurrence.
    drifted = occurrences()
    drifted[3] = {**drifted[3], "start": "2026-04-07T08:00:00Z", "stop": "2026-04-07T09:00:00Z"}
    assert series_from_occurrences(drifted, rule_lines=RULE)["recurrence"] == RULE


def test_deleted_tail_ends_the_rule_instead_of_exdates():
    series = series_from_occurrences(occurrences(STARTS[:2]), rule_lines=RULE)
    # Until the local day of the last occurrence kept, as Odoo stores "until".
    assert series["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20260324T225959Z;BYDAY=TU"]
    assert occurrence_starts(series) == STARTS[:2]
    holes_and_tail = series_from_occurrences(occurrences([STARTS[0], STARTS[2]]), rule_lines=RULE)
    assert holes_and_tail["recurrence"] == [
        "RRULE:FREQ=WEEKLY;UNTIL=20260331T215959Z;BYDAY=TU",
        "EXDATE:20260324T080000Z",
    ]


def test_no_occurrence_ends_past_year_9999():
    # A two-day meeting every day from 29 December 9999: the third would end in 10000,
    # which neither Python nor Odoo can hold (and the import crashed on it).
    series = normalize_values(
        {
            "name": "End of time",
            "allday": False,
            "start": "9999-12-29T08:00:00Z",
            "stop": "9999-12-30T20:00:00Z",
            "timezone": "UTC",
            "recurrence": ["RRULE:FREQ=DAILY"],
        }
    )
    starts = occurrence_starts(series)
    assert starts == ["9999-12-29T08:00:00Z", "9999-12-30T08:00:00Z"]
    assert [occurrence_values(series, start)["stop"] for start in starts] == [
        "9999-12-30T20:00:00Z",
        "9999-12-31T20:00:00Z",
    ]


def test_split_on_google_and_occurrence_deleted_in_odoo_merge_at_the_rule():
    # Google ends the series before the third occurrence; Odoo deletes the first.
    google = {**SERIES, "recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20260330T215959Z;BYDAY=TU"]}
    odoo = with_cancelled(SERIES, [STARTS[0]])
    merged = merge_recurrence(SERIES, odoo, google)
    assert merged == [google["recurrence"][0], "EXDATE:20260317T080000Z"]
    assert occurrence_starts({**SERIES, "recurrence": merged}) == [STARTS[1]]
    decision = reconcile(SERIES, odoo, google, merge_rules=merge_recurrence)
    assert decision.action is Action.MERGE
    assert decision.values["recurrence"] == merged
    assert decision.push_fields == decision.pull_fields == {"recurrence"}


def test_occurrences_either_side_added_stay():
    longer = {**SERIES, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=TU"]}
    odoo = with_cancelled(longer, [STARTS[1]])
    google = with_cancelled(SERIES, [STARTS[3]])
    merged = merge_recurrence(SERIES, odoo, google)
    kept = occurrence_starts({**SERIES, "recurrence": merged})
    assert kept == [STARTS[0], STARTS[2], "2026-04-14T07:00:00Z"]


def test_rules_of_series_whose_times_differ_do_not_merge():
    odoo = with_cancelled(SERIES, [STARTS[0]])
    google = {
        **SERIES,
        "start": "2026-03-17T09:00:00Z",
        "stop": "2026-03-17T10:00:00Z",
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=TU"],
    }
    assert merge_recurrence(SERIES, odoo, google) is None
    decision = reconcile(SERIES, odoo, google, merge_rules=merge_recurrence)
    assert decision.lost


def test_a_split_or_an_exclusion_only_drops_occurrences():
    """P: Google's first half of a split, or an excluded date, edits no occurrence
    that a deletion of the whole series would undo."""
    split = {**SERIES, "recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20260330T235959Z;BYDAY=TU"]}
    excluded = {**SERIES, "recurrence": [*RULE, "EXDATE:20260324T080000Z"]}
    assert only_drops_occurrences(SERIES, split)
    assert only_drops_occurrences(SERIES, excluded)
    # An EXDATE lifted brings back an occurrence the series had dropped.
    assert only_drops_occurrences(excluded, SERIES)


def test_a_split_of_a_series_with_guests_only_drops_occurrences_whatever_their_names():
    """Z: Odoo holds its partners' names, Google's copy often none: no edit."""
    agreed = {
        **SERIES,
        "attendees": [{"email": "ann@example.com", "name": "Ann", "status": "needsAction"}],
    }
    split = {
        **agreed,
        "attendees": [{"email": "ann@example.com", "name": "", "status": "needsAction"}],
        "recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20260330T235959Z;BYDAY=TU"],
    }
    answered = {
        **split,
        "attendees": [{"email": "ann@example.com", "name": "", "status": "accepted"}],
    }
    assert only_drops_occurrences(agreed, split)
    assert not only_drops_occurrences(agreed, answered)


def test_odoo_dropping_occurrences_of_a_series_agreed_without_names_is_no_edit():
    """S5: the series agreed from a guest's copy (no names), Odoo's with its partners'
    names and an occurrence deleted: nothing that outlives Google's deletion of the
    series. A longer rule, a move or an answer do."""
    agreed = {
        **SERIES,
        "attendees": [{"email": "ann@example.com", "name": "", "status": "needsAction"}],
    }
    odoo = {
        **agreed,
        "attendees": [{"email": "ann@example.com", "name": "Ann", "status": "needsAction"}],
        "recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20260330T235959Z;BYDAY=TU"],
    }
    assert not edited_beyond_dropped_occurrences(agreed, odoo)
    assert not edited_beyond_dropped_occurrences(agreed, {**odoo, "recurrence": RULE})
    longer = {**odoo, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=TU"]}
    later = {**odoo, "start": "2026-03-17T09:00:00Z", "stop": "2026-03-17T10:00:00Z"}
    answered = {
        **odoo,
        "attendees": [{"email": "ann@example.com", "name": "Ann", "status": "accepted"}],
    }
    for edited in (longer, later, answered):
        assert edited_beyond_dropped_occurrences(agreed, edited)


def test_a_longer_rule_a_move_or_a_rename_is_an_edit():
    longer = {**SERIES, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=TU"]}
    later = {**SERIES, "start": "2026-03-17T09:00:00Z", "stop": "2026-03-17T10:00:00Z"}
    split_renamed = {
        **SERIES,
        "name": "Renamed",
        "recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20260330T235959Z;BYDAY=TU"],
    }
    assert not only_drops_occurrences(SERIES, longer)
    assert not only_drops_occurrences(SERIES, later)
    assert not only_drops_occurrences(SERIES, split_renamed)


def test_new_times_of_a_master_send_its_rule_too():
    # The old half of a split ends one second before the new half: moved
    # earlier, its last day's occurrence would come back on Google only.
    assert master_patch_keys({"start", "stop"}) == {"start", "stop", "recurrence"}
    assert master_patch_keys({"name"}) == {"name"}
    assert master_patch_keys(None) is None


def test_halves_of_one_split_are_told_by_their_times_alone():
    """U: both sides split a series at one occurrence, each editing its half."""
    mine = occurrences(STARTS[2:], name="Weekly renamed")
    theirs = occurrences(STARTS[2:], location="Room 2")
    assert same_split(mine, theirs)
    assert not same_split(mine, theirs[:1])
    assert not same_split(mine, occurrences(STARTS[1:3]))


def test_halves_of_one_split_merge_each_side_s_change():
    """U: the title Odoo gave its half and the room Google gave its own both stay;
    a value both changed is Odoo's, the one replaced told; the times and rule
    are Google's, an organizer listed by Odoo alone is no guest change."""
    before = {**SERIES, "organizer": "ann@example.com"}
    half = {**SERIES, "start": STARTS[2], "stop": "2026-03-31T08:00:00Z"}
    ann = [{"email": "ann@example.com", "name": "Ann", "status": "needsAction"}]
    mine = {**half, "name": "Weekly renamed", "organizer": "ann@example.com", "attendees": ann}
    mine["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=TU"]
    theirs = {**half, "location": "Room 2", "organizer": "ann@example.com"}
    theirs["recurrence"] = ["RRULE:FREQ=WEEKLY;UNTIL=20260407T235959Z;BYDAY=TU"]
    merged, lost = merge_split_halves(before, mine, theirs)
    assert merged == {**theirs, "name": "Weekly renamed"}
    assert lost == ()
    merged, lost = merge_split_halves(before, mine, {**theirs, "name": "Weekly moved"})
    assert merged["name"] == "Weekly renamed"
    assert [(value.field, value.lost_side, value.lost) for value in lost] == [
        ("name", "google", "Weekly moved")
    ]
