"""What a Google series carries beyond the neutral values, on Odoo's
recurrence: its event type (out-of-office and focus-time series are Google's
own) and the rooms and resources booked for it, which every guest list Odoo
sends for the series keeps."""

import json

from odoo import fields, models

from ..engine import event_features as features
from .calendar_event_google_features import GOOGLE_EVENT_TYPES


class CalendarRecurrence(models.Model):
    _inherit = "calendar.recurrence"

    google_event_type = fields.Selection(
        GOOGLE_EVENT_TYPES,
        default="default",
        copy=False,
        readonly=True,
    )
    google_resources = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Rooms and resources booked for this series on Google (JSON).",
    )

    def _google_resources(self):
        self.ensure_one()
        resources = self.sudo().google_resources
        return json.loads(resources) if resources else []

    def _google_read_only(self):
        """Google's own busy blocks: Odoo sends nothing of them."""
        self.ensure_one()
        return self.google_event_type in features.READ_ONLY_TYPES
