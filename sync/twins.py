"""Twins an older version left: one meeting imported twice into Odoo.

Before imports claimed the meetings they create (``google.calendar.claim``),
two users' syncs running at the same moment could each import the same
Google meeting, single event or recurring series. The next sync that lists
it merges the copies its user may reach into one.
"""

from collections import defaultdict

from odoo import Command

from . import odoo_writer


def merge_twins(run, events):
    """``events`` (within ``run``'s reach) without the twins merged away.

    Twins are copies of one meeting: the same iCalUID, the same organizer in
    Odoo (user, else the address Google named), single events, active. The one
    kept is the copy the organizer's own calendar keeps, else the oldest; the
    others give it the guests and answers it lacks (and their Google state
    when it has none), then are deleted in Odoo only: the meeting stays on
    Google, in every calendar."""
    groups = defaultdict(lambda: events.browse())
    for event in events:
        if event.google_ical_uid and event.active and not event.recurrence_id:
            key = (
                event.google_ical_uid,
                event.user_id.id,
                (event.google_organizer_email or "").lower(),
            )
            groups[key] |= event
    merged = events.browse()
    for twins in groups.values():
        if len(twins) < 2:
            continue
        kept = min(
            twins, key=lambda event: (event.google_account_id.user_id != event.user_id, event.id)
        )
        for twin in twins - kept:
            _merge_into(kept, twin)
        merged |= twins - kept
    if merged:
        odoo_writer.quiet(merged).unlink()
    return events - merged


def _merge_into(kept, twin):
    quiet = odoo_writer.quiet(kept)
    answers = {attendee.partner_id: attendee.state for attendee in kept.attendee_ids}
    missing = twin.attendee_ids.partner_id - kept.attendee_ids.partner_id
    vals = {}
    if missing:
        vals["partner_ids"] = [Command.link(partner.id) for partner in missing]
    if not kept.google_id and twin.google_id:
        vals.update(
            google_id=twin.google_id,
            google_etag=twin.google_etag,
            google_agreed_values=twin.google_agreed_values,
            google_account_id=twin.google_account_id.id,
        )
    if twin.google_push_pending:
        # An Odoo change of the twin not sent yet goes out from the kept copy.
        vals["google_push_pending"] = True
    if vals:
        quiet.write(vals)
    # Both copies were imported from the same meeting: an answer only one of
    # them knows is the newer one, and so is the twin's own user's answer given
    # in Odoo and not sent yet.
    own_partner = twin.google_account_id.user_id.partner_id
    for attendee in twin.attendee_ids:
        mine = kept.attendee_ids.filtered(lambda one, a=attendee: one.partner_id == a.partner_id)
        if not mine or attendee.state == mine.state:
            continue
        unknown = answers.get(attendee.partner_id, "needsAction") == "needsAction"
        own_unsent = twin.google_push_pending and attendee.partner_id == own_partner
        if unknown or own_unsent:
            odoo_writer.quiet(mine).write({"state": attendee.state})


def merge_series_twins(recurrences):
    """``recurrences`` (within a run's reach) without the twins merged away.

    Series twins are two Odoo series of one Google series: the same Google
    id, the same organizer in Odoo (user, else the address Google named). The
    one kept is the series its organizer's own calendar keeps, else the
    oldest. Each occurrence of the other gives the kept series' occurrence of
    the same Google instance the guests and answers it lacks (as
    ``merge_twins`` does for single events); an occurrence the kept series
    does not hold (one deleted there, not yet on Google) is not brought back.
    Then the other series is deleted in Odoo only: the series stays on Google,
    in every calendar."""
    groups = defaultdict(lambda: recurrences.browse())
    for recurrence in recurrences:
        base = recurrence.base_event_id
        if recurrence.google_id and base:
            key = (
                recurrence.google_id,
                base.user_id.id,
                (base.google_organizer_email or "").lower(),
            )
            groups[key] |= recurrence
    merged = recurrences.browse()
    for twins in groups.values():
        if len(twins) < 2:
            continue
        kept = min(
            twins,
            key=lambda rec: (
                rec.google_account_id.user_id != rec.base_event_id.user_id,
                rec.id,
            ),
        )
        for twin in twins - kept:
            _merge_series_into(kept, twin)
        merged |= twins - kept
    if merged:
        occurrences = merged.with_context(active_test=False).calendar_event_ids
        odoo_writer.quiet(occurrences).unlink()
        odoo_writer.quiet(merged.exists()).unlink()
    return recurrences - merged


def _merge_series_into(kept, twin):
    quiet = odoo_writer.quiet(kept)
    if not kept.google_etag and twin.google_etag:
        quiet.write(
            {
                "google_etag": twin.google_etag,
                "google_agreed_values": twin.google_agreed_values,
                "google_account_id": twin.google_account_id.id,
            }
        )
    if twin.google_push_pending and not kept.google_push_pending:
        # An Odoo change of the twin not sent yet goes out from the kept series.
        quiet.google_push_pending = True
    occurrences = kept.with_context(active_test=False).calendar_event_ids
    by_instance = {event.google_id: event for event in occurrences if event.google_id}
    for event in twin.with_context(active_test=False).calendar_event_ids:
        counterpart = by_instance.get(event.google_id)
        if counterpart:
            _merge_into(counterpart, event)
