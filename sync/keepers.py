"""A guest removed from a colleague's meeting that their calendar keeps.

A connected guest's calendar inserts the meetings (single events and series)
of a colleague who does not sync as its own (``sync.guests``): Google makes it
their organizer. Once its user is no longer invited in Odoo, that calendar
must not hold the meeting any more: it deletes it on Google (Google's
organizer's deletion, the only one that removes it from every calendar), and
the meeting passes to the organizer's calendar when the organizer syncs, else
to another connected guest's, which inserts it anew under a new id. The Odoo
meeting itself, its guests and answers and its occurrences, stays as it is.
"""

from functools import partial

from ..engine.client import ApiCall
from ..engine.outcomes import Outcome, classify
from . import odoo_writer
from .guests import keep_in_guest_calendars


def release_removed(run, records):
    """The pending ``records`` (events or series, ``SyncRun._pending``) without
    the ones this calendar keeps for a colleague although its user is no longer
    invited: those are deleted from this calendar and handed on (or, when
    Google's answer leaves the deletion in doubt, kept pending for the next
    push)."""
    # The flag is a column read with the others: the user's partner is read
    # only when this calendar inserted some of them for a colleague.
    records_kept = records.filtered(
        lambda record: record.google_kept_for_organizer and record.google_account_id == run.account
    )
    if not records_kept:
        return records
    partner = run.user.partner_id
    series = records._name == "calendar.recurrence"

    def removed(record):
        if series:
            organizer, guests = record.base_event_id.user_id, record.calendar_event_ids.partner_ids
        else:
            organizer, guests = record.user_id, record.partner_ids
        return organizer != run.user and partner not in guests and (series or record.active)

    gone = records_kept.filtered(removed)
    if not gone:
        return records
    calls, handlers = [], []
    for record in gone:
        if record.google_etag or record.google_unanswered_id:
            calls.append(ApiCall.delete(run.calendar_gid, record.google_id, send_updates="none"))
            handlers.append(partial(_after_delete, run, record))
        else:
            # Never stored on Google: only its keeper changes.
            _hand_on(run, record)
    run.execute(calls, handlers)
    return records - gone


def _after_delete(run, record, outcome):
    kind = classify(outcome)
    if kind is Outcome.AGREED:
        run.counts["google_deleted"] += 1
    if kind in (Outcome.AGREED, Outcome.GONE, Outcome.REFUSED):
        # Deleted, already gone, or not this calendar's to delete: either way
        # it holds the meeting no more as the one keeping it.
        _hand_on(run, record)
    # Otherwise it stays pending here, and the next push deletes it again.


def _hand_on(run, record):
    """Give ``record`` (now on no Google calendar of this sync's) the calendar
    to be inserted from anew: its organizer's when the organizer syncs, else
    another connected guest's, else none (it stays in Odoo only)."""
    series = record._name == "calendar.recurrence"
    organizer = record.base_event_id.user_id if series else record.user_id
    organizer_account = run._organizer_accounts(organizer).get(organizer.id)
    new_id = (
        record._google_next_id()
        if series
        else run.references.stable_id("event", str(record.id), record.google_id)
    )
    state = {
        "google_id": new_id,
        "google_etag": False,
        "google_agreed_values": False,
        "google_account_id": False,
        "google_kept_for_organizer": False,
        "google_unanswered_id": False,
        "google_push_pending": True,
    }
    if not series:
        # Another calendar's pull must not take the deleted copy's tombstone
        # for this meeting.
        state["google_ical_uid"] = False
    odoo_writer.quiet(record).write(state)
    if series:
        # The new series has no instance on Google yet; its insert names them.
        odoo_writer.quiet(record.calendar_event_ids).write(
            {"google_id": False, "google_etag": False, "google_agreed_values": False}
        )
    synchronizer = run.env["google.calendar.synchronizer"]
    if organizer_account:
        synchronizer._schedule_push(account_ids={organizer_account.id})
    elif keep_in_guest_calendars(record):
        # No guest's calendar left to keep it: nobody syncs it.
        odoo_writer.quiet(record).write({"google_id": False, "google_push_pending": False})
    else:
        synchronizer._schedule_push(account_ids={record.google_account_id.id})
