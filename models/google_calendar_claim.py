from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Long enough for any transaction that could still be importing the meeting.
CLAIM_LIFETIME = timedelta(days=1)


class GoogleCalendarClaim(models.Model):
    """Meetings an import is creating in Odoo, one row per meeting identity.

    Two syncs (two users invited to the same meeting, two cron workers) may
    list the same Google meeting at the same moment, each in a REPEATABLE READ
    transaction whose snapshot does not show the other's new event: each
    would create it. Before creating, an import inserts the meeting's key
    here. PostgreSQL makes a second insert of the same key wait for the first
    transaction, then fails it with a serialization failure once the first
    committed: that sync runs again (Odoo's RPC retry, the next cron run) and
    finds the event. A lock taken after the snapshot could not do that: it
    would only delay the second import, not make the first one's event
    visible to it.
    """

    _name = "google.calendar.claim"
    _description = "Google Calendar meeting being imported"
    _log_access = False

    key = fields.Char(required=True)
    claimed_at = fields.Datetime(required=True, default=fields.Datetime.now)

    _key_unique = models.Constraint("UNIQUE(key)", "A meeting is claimed once.")

    @api.model
    def _claim(self, keys):
        """Claim ``keys`` for this transaction; raises PostgreSQL's
        serialization failure when a concurrent transaction created them."""
        keys = sorted(set(keys))
        if not keys:
            return
        # Sorted: two imports claiming the same meetings queue up instead of
        # locking each other.
        self.env.cr.execute(
            SQL(
                """INSERT INTO google_calendar_claim (key, claimed_at)
                   SELECT key, %s FROM unnest(%s::varchar[]) AS key
                   ON CONFLICT (key) DO NOTHING""",
                fields.Datetime.now(),
                keys,
            )
        )

    @api.autovacuum
    def _gc_claims(self):
        """A claim only matters while the import that took it may be running."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM google_calendar_claim WHERE claimed_at < %s",
                fields.Datetime.now() - CLAIM_LIFETIME,
            )
        )
