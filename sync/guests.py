"""Meetings organized in Odoo by a colleague who does not sync: a connected
guest's calendar keeps them, so that they reach the guest's Google calendar
(``engine.ownership.guest_keeper``). It inserts them as its own (Google makes
it their organizer), so it keeps them even once the organizer connects
(``google_kept_for_organizer``). Single events and series alike."""

from ..engine import ownership
from ..engine.ownership import SYNCING_STATES


def _guests(record):
    """The partners invited to ``record`` (an event, or a series by its first event)."""
    if record._name == "calendar.recurrence":
        return record.base_event_id.partner_ids
    return record.partner_ids


def _organizer(record):
    if record._name == "calendar.recurrence":
        return record.base_event_id.user_id
    return record.user_id


def keep_in_guest_calendars(records):
    """Give each of ``records`` (events or series with no Google id yet, an
    organizer who does not sync) the calendar of one of its connected guests
    to be sent from and kept in; returns those left without any."""
    if not records:
        return records
    records = records.sudo()
    guests = records.env["res.partner"].union(*map(_guests, records))
    accounts = (
        records.env["google.calendar.account"]
        .sudo()
        .search_fetch(
            [
                ("state", "in", SYNCING_STATES),
                ("user_may_sync", "=", True),
                ("user_id.partner_id", "in", guests.ids),
            ],
            ["user_id"],
        )
    )
    accounts_of = {}
    for account in accounts:
        accounts_of.setdefault(account.user_id.partner_id.id, []).append(account.id)
    keepers = {}
    for record in records:
        keeper = ownership.guest_keeper(
            account_id
            for partner_id in _guests(record).ids
            for account_id in accounts_of.get(partner_id, ())
            if account_id
        )
        if keeper:
            keepers[record.id] = keeper
    if keepers:
        kept = records.browse(list(keepers))
        fields = ["google_account_id", "google_kept_for_organizer"]
        kept.flush_recordset(fields)
        # Plain SQL, as the dirty flag: no calendar.event.write (and its mails)
        # for fields of the sync's own.
        records.env.cr.execute(
            f"""UPDATE {records._table} AS record
                   SET google_account_id = kept.account_id, google_kept_for_organizer = TRUE
                  FROM unnest(%s::int[], %s::int[]) AS kept(id, account_id)
                 WHERE record.id = kept.id""",  # noqa: S608 - the model's own table
            [list(keepers), list(keepers.values())],
        )
        kept.invalidate_recordset(fields)
    return records.filtered(lambda record: record.id not in keepers)


def adopt_colleague_series(run, recurrences):
    """On a first sync: of ``recurrences`` (series with an occurrence in the
    window that its user attends, organized by a colleague), those no
    calendar keeps yet whose organizer does not sync, when this calendar is
    the one to keep them (the series counterpart of
    ``SyncRun._adopt_unsynced_events``)."""
    found = recurrences.sudo().filtered(
        lambda series: not series.google_id and not series.google_account_id
    )
    if not found:
        return
    organizers = run._organizer_accounts(found.base_event_id.user_id)
    keep_in_guest_calendars(
        found.filtered(lambda series: series.base_event_id.user_id.id not in organizers)
    )
    found.filtered(lambda series: series.google_account_id == run.account)._google_mark_dirty()


def quiet_series(run, recurrences):
    """Ids of ``recurrences`` this calendar keeps for a colleague who does not
    sync: Google tells nobody of their changes (Odoo's own mails do), as for
    single events (``SyncRun.kept_for_colleagues``)."""
    kept = recurrences.filtered(
        lambda series: series.google_kept_for_organizer
        and series.google_account_id == run.account
        and _organizer(series) != run.user
    )
    organizers = run._organizer_accounts(kept.base_event_id.user_id)
    return {series.id for series in kept if _organizer(series).id not in organizers}
