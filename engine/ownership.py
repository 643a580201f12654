"""Which Google calendar keeps a meeting in step, and which one deletes it.

One Odoo meeting is one Google event, held in the calendar of its organizer and
copied by Google into each guest's calendar. The sync reads and writes it
through one calendar only (its *keeper*), so that two users' syncs never
write the same meeting twice. These rules are the same for single events and
for recurring series; the models pass account ids (or None) in.
"""

# Account states in which a user's events are in the sync's scope. Paused and
# stopped users keep their changes marked, pushed when the sync resumes.
SYNCING_STATES = ("connected", "stopped", "error")


def keeper(kept_by, organizer_account):
    """The account a meeting is read from and written to: the one both sides
    agreed with (``kept_by``), else its organizer's when the organizer syncs
    (a meeting whose insert Google stored before the organizer's sync lost its
    transaction has no agreed account yet). None: no syncing account."""
    return kept_by or organizer_account or None


def deletion_sender(kept_by, organizer_account):
    """The account whose calendar deletes a meeting deleted in Odoo: the
    organizer's when the organizer syncs (the organizer's deletion removes it
    for everyone; a guest's calendar that happened to keep it would only
    decline it, and the meeting would come back), else its keeper."""
    return organizer_account or kept_by or None


def deletion_etag(sender, kept_by, etag):
    """The etag to send with the deletion: an etag is only valid in the
    calendar it was read from."""
    return etag if etag and sender == kept_by else None


def pushed_domain(account_id, user_id, organizer_field="user_id"):
    """Odoo domain of the records ``account_id`` pushes: the ones it keeps, and
    the ones no account keeps yet that its user organizes (``organizer_field``
    names the organizer from the record's model)."""
    return [
        "|",
        ("google_account_id", "=", account_id),
        "&",
        ("google_account_id", "=", False),
        (organizer_field, "=", user_id),
    ]


def guest_keeper(guest_accounts):
    """The account that keeps a meeting organized in Odoo by a user who does
    not sync: one of its connected guests' (the oldest account, so that two
    guests never both send it), which holds it as a copy of its own. None
    without any."""
    return min(guest_accounts, default=None)
