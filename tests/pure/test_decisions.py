"""The sync's decisions that events and series share, each defined once in the
engine: signed references and stable ids, ownership, write outcomes, and what
a pull does with one item."""

import pytest

from engine import errors, ownership
from engine.outcomes import Outcome, classify
from engine.reconcile import PullAction, pull_action
from engine.references import (
    EXT_DB,
    EXT_EVENT_ID,
    EXT_SENT,
    EXT_SENT_OVER,
    EXT_SENT_SIGNATURE,
    EXT_SERIES_ID,
    EXT_SIGNATURE,
    References,
    new_google_id,
)

REFS = References("secret-of-the-database", "db-uuid")


def event(google_id="abcdef1234", shared=None, private=None):
    return {
        "id": google_id,
        "extendedProperties": {"shared": shared or {}, "private": private or {}},
    }


# -- references ---------------------------------------------------------------------


def test_signed_reference_verifies_for_its_event_only():
    shared = REFS.shared_properties(EXT_EVENT_ID, 42, "abcdef1234")
    assert shared[EXT_DB] == "db-uuid" and shared[EXT_EVENT_ID] == "42"
    assert REFS.record_id(event(shared=shared), EXT_EVENT_ID) == 42
    # Copied onto another event, read under another key, or by another database.
    assert REFS.record_id(event("other12345", shared=shared), EXT_EVENT_ID) is None
    assert REFS.record_id(event(shared=shared), EXT_SERIES_ID) is None
    other_db = References("another-secret", "db-uuid")
    assert other_db.record_id(event(shared=shared), EXT_EVENT_ID) is None


@pytest.mark.parametrize(
    "shared",
    [
        {EXT_DB: "db-uuid", EXT_EVENT_ID: "42"},  # unsigned: what an attacker writes
        {EXT_DB: "db-uuid", EXT_EVENT_ID: "42", EXT_SIGNATURE: "0" * 32},
        {EXT_DB: "db-uuid", EXT_EVENT_ID: "43", EXT_SIGNATURE: None},
        {EXT_DB: "db-uuid", EXT_EVENT_ID: "-1", EXT_SIGNATURE: "x"},
        {EXT_DB: ["db-uuid"], EXT_EVENT_ID: 42},
    ],
)
def test_forged_or_damaged_references_read_as_absent(shared):
    assert REFS.record_id(event(shared=shared), EXT_EVENT_ID) is None


def test_a_signature_made_for_one_record_does_not_name_another():
    shared = REFS.shared_properties(EXT_EVENT_ID, 42, "abcdef1234")
    assert REFS.record_id(event(shared={**shared, EXT_EVENT_ID: "43"}), EXT_EVENT_ID) is None


def test_without_a_secret_nothing_verifies():
    blind = References("", "db-uuid")
    shared = blind.shared_properties(EXT_EVENT_ID, 42, "abcdef1234")
    assert blind.record_id(event(shared=shared), EXT_EVENT_ID) is None


def test_sent_digest_is_signed_for_its_event():
    private = REFS.private_properties('{"name":"1234abcd"}', "abcdef1234")
    assert REFS.sent_digest(event(private=private)) == '{"name":"1234abcd"}'
    assert REFS.sent_digest(event("other12345", private=private)) is None
    forged = {EXT_SENT: '{"name":"1234abcd"}', EXT_SENT_SIGNATURE: "0" * 32}
    assert REFS.sent_digest(event(private=forged)) is None
    assert REFS.private_properties(None, "abcdef1234") is None


def test_sent_write_names_the_etag_it_was_sent_over_signed():
    private = REFS.private_properties('{"name":"1234abcd"}', "abcdef1234", over='"etag-7"')
    assert REFS.sent_write(event(private=private)) == ('{"name":"1234abcd"}', '"etag-7"')
    moved = {**private, EXT_SENT_OVER: '"etag-8"'}
    assert REFS.sent_write(event(private=moved)) == (None, "")
    insert = REFS.private_properties('{"name":"1234abcd"}', "abcdef1234")
    assert REFS.sent_write(event(private=insert)) == ('{"name":"1234abcd"}', "")


def test_stable_ids_are_valid_repeatable_and_keyed_on_the_secret():
    first = REFS.stable_id("event", "42")
    assert first == REFS.stable_id("event", "42")
    assert first != REFS.stable_id("event", "43") != REFS.stable_id("recurrence", "42")
    assert first != References("another-secret", "db-uuid").stable_id("event", "42")
    assert set(first) <= set("0123456789abcdefghijklmnopqrstuv") and len(first) == 32
    fresh = new_google_id()
    assert fresh != new_google_id() and set(fresh) <= set("0123456789abcdef")


# -- ownership ------------------------------------------------------------------------


def test_keeper_is_the_agreed_account_else_the_organizer():
    assert ownership.keeper(3, 7) == 3
    assert ownership.keeper(None, 7) == 7
    assert ownership.keeper(False, None) is None


def test_deletion_goes_through_the_organizer_with_an_etag_only_from_its_calendar():
    assert ownership.deletion_sender(kept_by=3, organizer_account=7) == 7
    assert ownership.deletion_sender(kept_by=3, organizer_account=None) == 3
    assert ownership.deletion_sender(kept_by=None, organizer_account=None) is None
    assert ownership.deletion_etag(7, 3, '"etag"') is None
    assert ownership.deletion_etag(3, 3, '"etag"') == '"etag"'


def test_pushed_domain_names_the_kept_and_the_organized_not_kept_yet():
    assert ownership.pushed_domain(3, 9, "base_event_id.user_id") == [
        "|",
        ("google_account_id", "=", 3),
        "&",
        ("google_account_id", "=", False),
        ("base_event_id.user_id", "=", 9),
    ]


# -- outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        ({"id": "x"}, Outcome.AGREED),
        (None, Outcome.AGREED),
        (errors.Duplicate("exists", status=409, reason="duplicate"), Outcome.DUPLICATE),
        (
            errors.PreconditionFailed("changed", status=412, reason="conditionNotMet"),
            Outcome.CHANGED,
        ),
        (errors.NotFound("gone", status=404, reason="notFound"), Outcome.GONE),
        (errors.EventGone("gone", status=410, reason="deleted"), Outcome.GONE),
        (errors.QuotaExceeded("limits", status=403, reason="quotaExceeded"), Outcome.PAUSE),
        (errors.Forbidden("no", status=403, reason="forbiddenForNonOrganizer"), Outcome.REFUSED),
        (errors.BadRequest("bad", status=400, reason="invalid"), Outcome.REFUSED),
        (errors.GoogleApiError("limit", status=403, reason="somethingElse"), Outcome.RETRY),
        (errors.TransientError("later", status=503, reason="backendError"), Outcome.RETRY),
        (errors.AuthError("token", status=401, reason="authError"), Outcome.RETRY),
    ],
)
def test_every_result_has_one_outcome(result, outcome):
    assert classify(result) is outcome


# -- the pull's decision per item ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "action"),
    [
        ({"cancelled": False, "known": False, "kept_here": False}, PullAction.CREATE),
        ({"cancelled": False, "known": True, "kept_here": True}, PullAction.MERGE),
        ({"cancelled": False, "known": True, "kept_here": False}, PullAction.SKIP),
        ({"cancelled": True, "known": False, "kept_here": False}, PullAction.SKIP),
        ({"cancelled": True, "known": True, "kept_here": False}, PullAction.SKIP),
        ({"cancelled": True, "known": True, "kept_here": True}, PullAction.DECLINE),
        (
            {"cancelled": True, "known": True, "kept_here": True, "may_delete": True},
            PullAction.DELETE,
        ),
        (
            {
                "cancelled": True,
                "known": True,
                "kept_here": True,
                "may_delete": True,
                "edited_in_odoo": True,
            },
            PullAction.RECREATE,
        ),
    ],
)
def test_pull_action(args, action):
    assert pull_action(**args) is action
