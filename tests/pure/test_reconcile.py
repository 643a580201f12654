"""engine.reconcile: the decision table, field merges, attendee merges, ties, safety check."""

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.mapping import NEUTRAL_KEYS
from engine.reconcile import (
    CANCELLED,
    Action,
    Decision,
    LostValue,
    base_after_own_write,
    base_from_digest,
    deletion_ratio_exceeds,
    describe,
    digest_matches,
    reconcile,
    sent_digest,
)

ALL = frozenset(NEUTRAL_KEYS)


def values(**overrides):
    base = {
        "name": "Planning",
        "description": "",
        "location": "",
        "allday": False,
        "start": "2026-04-01T08:00:00Z",
        "stop": "2026-04-01T09:00:00Z",
        "timezone": "Europe/Brussels",
        "attendees": [
            {"email": "ann@x.org", "name": "Ann", "status": "accepted"},
            {"email": "bob@x.org", "name": "Bob", "status": "needsAction"},
        ],
        "organizer": "ann@x.org",
        "alarms": [],
        "privacy": "",
        "show_as": "busy",
        "videocall": "",
        "recurrence": [],
    }
    base.update(overrides)
    return base


def attendee(email, status="needsAction", name=""):
    return {"email": email, "name": name, "status": status}


AGREED = values()

# --- the decision table ------------------------------------------------------------------


def test_nothing_anywhere_is_forgotten():
    assert reconcile(None, None, None) == Decision(Action.FORGET, None)


def test_new_in_odoo_is_created_on_google():
    decision = reconcile(None, values(), None)
    assert decision.action == Action.CREATE_ON_GOOGLE
    assert decision.values == values() and decision.push_fields == ALL


def test_new_on_google_is_created_in_odoo():
    for gone in (None, CANCELLED):
        decision = reconcile(None, None, values())
        assert decision.action == Action.CREATE_IN_ODOO
        assert decision.pull_fields == ALL
        assert reconcile(None, values(), gone).action == Action.CREATE_ON_GOOGLE


def test_unchanged_on_both_sides_is_noop():
    decision = reconcile(AGREED, values(), values())
    assert decision.action == Action.NOOP
    assert decision.values == AGREED
    assert not decision.push_fields and not decision.pull_fields and not decision.lost


def test_changed_in_odoo_only_is_pushed():
    decision = reconcile(AGREED, values(name="New title", location="Room 2"), values())
    assert decision.action == Action.PUSH
    assert decision.push_fields == {"name", "location"}
    assert not decision.pull_fields
    assert decision.values["name"] == "New title"


def test_changed_on_google_only_is_pulled():
    decision = reconcile(AGREED, values(), values(description="<p>notes</p>"))
    assert decision.action == Action.PULL
    assert decision.pull_fields == {"description"}
    assert decision.values["description"] == "<p>notes</p>"


def test_disjoint_changes_are_merged_both_ways():
    decision = reconcile(AGREED, values(name="Odoo title"), values(location="Google room"))
    assert decision.action == Action.MERGE
    assert decision.values == values(name="Odoo title", location="Google room")
    assert decision.push_fields == {"name"}
    assert decision.pull_fields == {"location"}
    assert not decision.lost


def test_same_change_on_both_sides_is_noop_with_new_agreed_values():
    decision = reconcile(AGREED, values(name="Same"), values(name="Same"))
    assert decision.action == Action.NOOP
    assert decision.values["name"] == "Same"  # stored as the new agreed state


@pytest.mark.parametrize(
    ("odoo_at", "google_at", "winner"),
    [
        (datetime(2026, 4, 1, 10, 0), "2026-04-01T10:05:00.000Z", "google"),
        (datetime(2026, 4, 1, 10, 10), "2026-04-01T10:05:00Z", "odoo"),
        # Google's time is RFC 3339 with an offset; Odoo's write_date is naive UTC.
        (datetime(2026, 4, 1, 10, 0), "2026-04-01T12:05:00+02:00", "google"),
        (datetime(2026, 4, 1, 10, 0), "2026-04-01T10:00:00Z", "odoo"),  # a tie keeps Odoo's
        (None, "2026-04-01T10:00:00Z", "odoo"),  # unknown time: Odoo's
    ],
)
def test_same_field_changed_on_both_sides_most_recent_wins(odoo_at, google_at, winner):
    decision = reconcile(
        AGREED,
        values(name="Odoo title"),
        values(name="Google title"),
        odoo_changed_at=odoo_at,
        google_changed_at=google_at,
    )
    assert decision.action == Action.CONFLICT
    kept, lost = (
        ("Google title", "Odoo title") if winner == "google" else ("Odoo title", "Google title")
    )
    assert decision.values["name"] == kept
    assert decision.lost == (
        LostValue("name", "odoo" if winner == "google" else "google", lost, kept),
    )
    if winner == "google":
        assert decision.pull_fields == {"name"} and not decision.push_fields
        assert decision.lost[0].message() == "name: In Odoo: Odoo title; kept Google title"
    else:
        assert decision.push_fields == {"name"} and not decision.pull_fields
        assert decision.lost[0].message() == "name: On Google: Google title; kept Odoo title"


def test_conflict_still_merges_other_fields():
    decision = reconcile(
        AGREED,
        values(name="Odoo title", privacy="private"),
        values(name="Google title", show_as="free"),
        odoo_changed_at=datetime(2026, 4, 1, 11),
        google_changed_at="2026-04-01T10:00:00Z",
    )
    assert decision.action == Action.CONFLICT
    assert decision.values == values(name="Odoo title", privacy="private", show_as="free")
    assert decision.push_fields == {"name", "privacy"}
    assert decision.pull_fields == {"show_as"}


def test_timing_moves_as_one_block():
    # Odoo moved the start, Google the stop: taking one from each could invert the event.
    odoo = values(start="2026-04-01T10:00:00Z", stop="2026-04-01T11:00:00Z")
    google = values(stop="2026-04-01T08:30:00Z")
    decision = reconcile(
        AGREED,
        odoo,
        google,
        odoo_changed_at=datetime(2026, 4, 2),
        google_changed_at="2026-04-01T00:00:00Z",
    )
    assert decision.action == Action.CONFLICT
    assert (decision.values["start"], decision.values["stop"]) == (
        "2026-04-01T10:00:00Z",
        "2026-04-01T11:00:00Z",
    )
    # Google's whole timing loses (its start and stop), not just the field it touched.
    assert {lost.field for lost in decision.lost} == {"start", "stop"}
    assert decision.push_fields == {"start", "stop"}


def test_timing_change_on_one_side_goes_whole():
    odoo = values(allday=True, start="2026-04-01", stop="2026-04-01", timezone="")
    decision = reconcile(AGREED, odoo, values())
    assert decision.action == Action.PUSH
    assert decision.push_fields == {"allday", "start", "stop", "timezone"}


def test_unparsable_change_time_is_a_clear_error():
    with pytest.raises(ValueError, match="not an RFC 3339"):
        reconcile(AGREED, values(name="A"), values(name="B"), google_changed_at="yesterday")


# --- deletions ---------------------------------------------------------------------------


def test_deleted_in_odoo_unchanged_on_google_is_deleted_on_google():
    assert reconcile(AGREED, None, values()) == Decision(Action.DELETE_ON_GOOGLE, None)


def test_deleted_on_google_unchanged_in_odoo_is_deleted_in_odoo():
    for gone in (None, CANCELLED):
        assert reconcile(AGREED, values(), gone) == Decision(Action.DELETE_IN_ODOO, None)


def test_deleted_in_odoo_but_edited_on_google_is_recreated_in_odoo():
    decision = reconcile(AGREED, None, values(name="Still on"))
    assert decision.action == Action.CREATE_IN_ODOO
    assert decision.values["name"] == "Still on" and decision.pull_fields == ALL


def test_deleted_on_google_but_edited_in_odoo_is_recreated_on_google():
    decision = reconcile(AGREED, values(location="Moved"), CANCELLED)
    assert decision.action == Action.CREATE_ON_GOOGLE
    assert decision.values["location"] == "Moved" and decision.push_fields == ALL


def test_deleted_on_both_sides_is_forgotten():
    assert reconcile(AGREED, None, CANCELLED).action == Action.FORGET
    assert reconcile(AGREED, None, None).action == Action.FORGET


# --- first meeting (e.g. after a 410 full resync) ----------------------------------------


def test_first_meeting_equal_is_noop():
    decision = reconcile(None, values(), values())
    assert decision.action == Action.NOOP and decision.values == values()


def test_first_meeting_different_fields_are_ties():
    decision = reconcile(
        None,
        values(name="A"),
        values(name="B"),
        odoo_changed_at=datetime(2026, 1, 1),
        google_changed_at="2026-02-01T00:00:00Z",
    )
    assert decision.action == Action.CONFLICT
    assert decision.values["name"] == "B"
    assert decision.lost[0].message() == "name: In Odoo: A; kept B"


def test_first_meeting_attendees_union():
    decision = reconcile(
        None,
        values(attendees=[attendee("ann@x.org", "accepted", "Ann")]),
        values(attendees=[attendee("cat@x.org")]),
    )
    assert [a["email"] for a in decision.values["attendees"]] == ["ann@x.org", "cat@x.org"]
    assert decision.action == Action.MERGE


# --- attendees ---------------------------------------------------------------------------


def test_answer_on_google_and_attendee_added_in_odoo_are_both_kept():
    odoo = values(attendees=[*AGREED["attendees"], attendee("cat@x.org")])
    google = values(attendees=[AGREED["attendees"][0], attendee("bob@x.org", "declined", "Bob")])
    decision = reconcile(AGREED, odoo, google)
    assert decision.action == Action.MERGE
    assert decision.values["attendees"] == [
        attendee("ann@x.org", "accepted", "Ann"),
        attendee("bob@x.org", "declined", "Bob"),
        attendee("cat@x.org"),
    ]
    assert decision.push_fields == {"attendees"} and decision.pull_fields == {"attendees"}
    assert not decision.lost


def test_attendee_removed_on_one_side_added_on_other():
    odoo = values(attendees=[AGREED["attendees"][0]])  # Bob removed in Odoo
    google = values(attendees=[*AGREED["attendees"], attendee("dan@x.org")])
    decision = reconcile(AGREED, odoo, google)
    assert [a["email"] for a in decision.values["attendees"]] == ["ann@x.org", "dan@x.org"]


def test_attendee_removed_in_odoo_but_answered_on_google_is_kept():
    odoo = values(attendees=[AGREED["attendees"][0]])
    google = values(attendees=[AGREED["attendees"][0], attendee("bob@x.org", "accepted", "Bob")])
    decision = reconcile(AGREED, odoo, google)
    assert decision.values["attendees"][1] == attendee("bob@x.org", "accepted", "Bob")
    assert decision.action == Action.PULL  # Google already has it; Odoo gets it back
    assert decision.pull_fields == {"attendees"} and not decision.push_fields


def test_attendee_different_attributes_changed_merge_without_loss():
    odoo = values(
        attendees=[AGREED["attendees"][0], attendee("bob@x.org", "needsAction", "Robert")]
    )
    google = values(attendees=[AGREED["attendees"][0], attendee("bob@x.org", "tentative", "Bob")])
    decision = reconcile(AGREED, odoo, google)
    assert decision.values["attendees"][1] == attendee("bob@x.org", "tentative", "Robert")
    assert decision.action == Action.MERGE and not decision.lost


def test_attendee_same_answer_changed_both_sides_tie():
    odoo = values(attendees=[AGREED["attendees"][0], attendee("bob@x.org", "accepted", "Bob")])
    google = values(attendees=[AGREED["attendees"][0], attendee("bob@x.org", "declined", "Bob")])
    decision = reconcile(
        AGREED,
        odoo,
        google,
        odoo_changed_at=datetime(2026, 4, 1, 9),
        google_changed_at="2026-04-01T09:30:00Z",
    )
    assert decision.action == Action.CONFLICT
    assert decision.values["attendees"][1]["status"] == "declined"
    (lost,) = decision.lost
    assert lost.field == "attendees" and lost.lost_side == "odoo"
    assert lost.message() == (
        "attendees: In Odoo: Bob <bob@x.org> (accepted); kept Bob <bob@x.org> (declined)"
    )


# --- helpers -----------------------------------------------------------------------------


def test_describe():
    assert describe("") == "(empty)" and describe(None) == "(empty)"
    assert describe(True) == "yes" and describe([]) == "(none)"
    assert (
        describe([{"method": "popup", "minutes": 5}, {"method": "email", "minutes": 60}])
        == "popup 5 min before, email 60 min before"
    )
    assert (
        describe({"email": "a@x.org", "name": "", "status": "declined"}) == "<a@x.org> (declined)"
    )
    assert describe(["RRULE:FREQ=DAILY"]) == "RRULE:FREQ=DAILY"


@pytest.mark.parametrize(
    ("total", "to_delete", "threshold", "expected"),
    [
        (100, 10, 0.5, False),
        (100, 50, 0.5, False),
        (100, 51, 0.5, True),
        (100, 0, 0.0, False),
        (0, 0, 0.5, False),
        (0, 3, 0.5, True),
        (10, 10, 1.0, False),
    ],
)
def test_deletion_ratio_exceeds(total, to_delete, threshold, expected):
    assert deletion_ratio_exceeds(total, to_delete, threshold) is expected


def test_deletion_ratio_threshold_must_be_a_fraction():
    with pytest.raises(ValueError, match="fraction"):
        deletion_ratio_exceeds(10, 1, 50)


# --- convergence, for any combination of edits ---------------------------------------------

_people = st.sampled_from(["ann@x.org", "bob@x.org", "cat@x.org"])
_attendee_lists = st.dictionaries(
    _people,
    st.tuples(st.sampled_from(["", "Name"]), st.sampled_from(["needsAction", "accepted"])),
    max_size=3,
).map(
    lambda by_email: [
        {"email": email, "name": name, "status": status}
        for email, (name, status) in sorted(by_email.items())
    ]
)
_event_values = st.builds(
    values,
    name=st.sampled_from(["A", "B", "C"]),
    location=st.sampled_from(["", "Room"]),
    start=st.sampled_from(["2026-04-01T08:00:00Z", "2026-04-01T09:00:00Z"]),
    attendees=_attendee_lists,
)
_times = st.one_of(st.none(), st.sampled_from(["2026-04-01T10:00:00Z", "2026-04-01T11:00:00Z"]))


@settings(max_examples=300, deadline=None)
@given(
    agreed=st.one_of(st.none(), _event_values),
    odoo=st.one_of(st.none(), _event_values),
    google=st.one_of(st.none(), _event_values),
    odoo_at=_times,
    google_at=_times,
)
def test_applying_any_decision_leaves_both_sides_equal(agreed, odoo, google, odoo_at, google_at):
    decision = reconcile(
        agreed,
        odoo,
        google,
        odoo_changed_at=odoo_at and datetime.fromisoformat(odoo_at[:-1]),
        google_changed_at=google_at,
    )
    if decision.values is None:
        assert decision.action in (Action.FORGET, Action.DELETE_IN_ODOO, Action.DELETE_ON_GOOGLE)
        return
    on_google = dict(google or {}) | {k: decision.values[k] for k in decision.push_fields}
    in_odoo = dict(odoo or {}) | {k: decision.values[k] for k in decision.pull_fields}
    assert on_google == in_odoo == decision.values
    # Nothing is lost silently: every overwritten value of a change is reported.
    if decision.action != Action.CONFLICT:
        assert not decision.lost
    # Once applied, the next sync has nothing left to do.
    assert reconcile(decision.values, in_odoo, on_google).action == Action.NOOP


# --- the base of an insert whose answer was lost ------------------------------------------


def _with_status(vals, email, status):
    return values(
        **{
            **vals,
            "attendees": [
                {**a, "status": status} if a["email"] == email else a for a in vals["attendees"]
            ],
        }
    )


def test_digest_rebuilds_the_base_so_an_answer_on_google_and_an_edit_in_odoo_both_stay():
    sent = values()
    digest = sent_digest(sent)
    odoo = values(name="Planning (moved room)", location="Room 2")
    google = _with_status(sent, "bob@x.org", "accepted")
    base = base_from_digest(digest, odoo, google)
    assert base == sent
    decision = reconcile(base, odoo, google)
    assert decision.action == Action.MERGE
    assert decision.values["name"] == "Planning (moved room)"
    assert decision.values["attendees"][1]["status"] == "accepted"
    assert decision.push_fields == {"name", "location"}
    assert decision.pull_fields == {"attendees"}


def test_digest_makes_a_field_changed_on_both_sides_a_tie_decided_by_the_clock():
    digest = sent_digest(values())
    odoo, google = values(name="Odoo's"), values(name="Google's")
    base = base_from_digest(digest, odoo, google)
    decision = reconcile(
        base,
        odoo,
        google,
        odoo_changed_at=datetime(2026, 4, 1, 8),
        google_changed_at="2026-04-01T09:00:00Z",
    )
    assert decision.action == Action.CONFLICT
    assert decision.values["name"] == "Google's"
    assert decision.lost == (LostValue("name", "odoo", "Odoo's", "Google's"),)


def test_digest_keeps_an_attendee_added_on_one_side_and_drops_one_removed():
    sent = values()
    digest = sent_digest(sent)
    carol = attendee("carol@x.org")
    odoo = values(attendees=[*sent["attendees"], carol])
    google = values(attendees=sent["attendees"][:1])
    decision = reconcile(base_from_digest(digest, odoo, google), odoo, google)
    assert [a["email"] for a in decision.values["attendees"]] == ["ann@x.org", "carol@x.org"]


@pytest.mark.parametrize("text", [None, "", "not json", "[]", '{"name": "x"}', '{"attendees": 3}'])
def test_a_missing_or_damaged_digest_gives_no_base(text):
    assert base_from_digest(text, values(), values()) is None


def test_a_digest_too_long_for_google_is_not_written():
    crowd = [attendee(f"guest{n}@x.org") for n in range(200)]
    assert sent_digest(values(attendees=crowd)) is None
    assert len(sent_digest(values(attendees=crowd[:60]))) <= 1024


def test_a_patch_digest_covers_the_fields_it_sent_only():
    sent = values(name="Planning v2")
    digest = sent_digest(sent, keys={"name"})
    answered = _with_status(sent, "bob@x.org", "accepted")
    assert digest_matches(digest, answered), "an answer is not a field the patch sent"
    assert not digest_matches(digest, values(name="Planning v3"))
    assert base_from_digest(digest, sent, sent) is None, "no base from a patch's digest"


def test_an_insert_digest_matches_what_was_sent_only():
    sent = values()
    digest = sent_digest(sent)
    assert digest_matches(digest, sent)
    assert not digest_matches(digest, _with_status(sent, "bob@x.org", "declined"))
    assert not digest_matches("{}", sent)


# --- a patch whose answer was lost while Odoo saved again --------------------------------


def test_own_patch_counted_in_makes_a_save_during_its_upload_no_conflict():
    agreed = values(name="v1")
    digest = sent_digest(values(name="v2"), keys={"name"})
    google = _with_status(values(name="v2"), "bob@x.org", "accepted")
    odoo = values(name="v3")
    base = base_after_own_write(digest, agreed, google)
    assert base == values(name="v2"), "the answer of a guest stays Google's change"
    decision = reconcile(base, odoo, google, google_changed_at="2099-01-01T00:00:00Z")
    assert not decision.lost
    assert decision.values["name"] == "v3"
    assert decision.values["attendees"][1]["status"] == "accepted"
    assert decision.push_fields == {"name"}


def test_own_patch_counted_in_leaves_a_later_google_edit_of_its_field_a_change():
    agreed = values(name="v1")
    digest = sent_digest(values(name="v2"), keys={"name"})
    google = values(name="renamed on Google")
    assert base_after_own_write(digest, agreed, google) == agreed


def test_own_patch_counted_in_drops_the_attendee_it_removed():
    agreed = values()
    kept = agreed["attendees"][:1]
    digest = sent_digest(values(attendees=kept), keys={"attendees"})
    google = values(attendees=kept)
    assert base_after_own_write(digest, agreed, google)["attendees"] == kept
    assert base_after_own_write("not json", agreed, google) is None
