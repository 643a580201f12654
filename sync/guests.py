"""Meetings organized in Odoo by a colleague who does not sync: a connected
guest's calendar keeps them, so that they reach the guest's Google calendar
(``engine.ownership.guest_keeper``)."""

from ..engine import ownership
from ..engine.ownership import SYNCING_STATES


def keep_in_guest_calendars(events):
    """Give each of ``events`` (no Google id yet, an organizer who does not sync)
    the calendar of one of its connected guests to be sent from and kept in;
    returns those left without any."""
    if not events:
        return events
    events = events.sudo()
    accounts = (
        events.env["google.calendar.account"]
        .sudo()
        .search_fetch(
            [
                ("state", "in", SYNCING_STATES),
                ("user_may_sync", "=", True),
                ("user_id.partner_id", "in", events.partner_ids.ids),
            ],
            ["user_id"],
        )
    )
    accounts_of = {}
    for account in accounts:
        accounts_of.setdefault(account.user_id.partner_id.id, []).append(account.id)
    keepers = {}
    for event in events:
        keeper = ownership.guest_keeper(
            account_id
            for partner_id in event.partner_ids.ids
            for account_id in accounts_of.get(partner_id, ())
            if account_id
        )
        if keeper:
            keepers[event.id] = keeper
    if keepers:
        kept = events.browse(list(keepers))
        kept.flush_recordset(["google_account_id"])
        # Plain SQL, as the dirty flag: no calendar.event.write (and its mails)
        # for a field of the sync's own.
        events.env.cr.execute(
            """UPDATE calendar_event AS event SET google_account_id = kept.account_id
                 FROM unnest(%s::int[], %s::int[]) AS kept(id, account_id)
                WHERE event.id = kept.id""",
            [list(keepers), list(keepers.values())],
        )
        kept.invalidate_recordset(["google_account_id"])
    return events.filtered(lambda event: event.id not in keepers)
