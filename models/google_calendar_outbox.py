from odoo import fields, models


class GoogleCalendarOutbox(models.Model):
    """Deletions Google has not acknowledged yet.

    Written in the transaction that deletes the Odoo event, so that a
    deletion survives a failed push, a crash or a paused sync; removed once
    Google confirmed it (or said the event was already gone).
    """

    _name = "google.calendar.outbox"
    _description = "Google Calendar pending deletion"
    _order = "id"

    account_id = fields.Many2one(
        "google.calendar.account", required=True, index=True, ondelete="cascade"
    )
    google_id = fields.Char(required=True)
    calendar_google_id = fields.Char(
        help="The Google calendar to delete it from; empty: the primary calendar."
    )
    google_etag = fields.Char(
        help="Etag both sides agreed on: a deletion never overwrites a newer Google edit."
    )
    google_agreed_values = fields.Text(
        help="For a series: the values both sides agreed on, so that a Google edit that "
        "only drops occurrences does not undo the deletion."
    )
    event_name = fields.Char(help="Name of the deleted event, for the logs.")
    event_over = fields.Boolean(
        help="The event had ended when deleted: attendees need no cancellation mail."
    )
    attempts = fields.Integer(default=0)
    last_error = fields.Char()
