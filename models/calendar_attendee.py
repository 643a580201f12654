from odoo import models

from .calendar_event import FROM_GOOGLE


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    def write(self, vals):
        result = super().write(vals)
        # An answer (accept, decline...) is part of the synced attendee list.
        if "state" in vals and not self.env.context.get(FROM_GOOGLE):
            self.event_id._google_mark_dirty()
        return result
