"""Meetings and series a connected guest's calendar inserted into Google for
an organizer who does not synchronize (``sync.guests``)."""

from odoo import fields, models

_HELP = (
    "Inserted into Google by the calendar of a connected guest, for an organizer "
    "who did not synchronize: that calendar is its organizer on Google and keeps it "
    "in step, even once the organizer connects."
)


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    google_kept_for_organizer = fields.Boolean(
        groups="base.group_system", copy=False, readonly=True, help=_HELP
    )


class CalendarRecurrence(models.Model):
    _inherit = "calendar.recurrence"

    google_kept_for_organizer = fields.Boolean(
        groups="base.group_system", copy=False, readonly=True, help=_HELP
    )
