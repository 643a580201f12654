"""What the sync keeps of a Google calendar's own settings."""

import json

from odoo import fields, models


class GoogleCalendarAccount(models.Model):
    _inherit = "google.calendar.account"

    google_default_reminders = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="The calendar's default reminders as Google last listed them (JSON): an "
        "event whose reminders are exactly these is sent as using the defaults.",
    )

    def _google_default_reminders(self):
        self.ensure_one()
        return json.loads(self.google_default_reminders) if self.google_default_reminders else []
