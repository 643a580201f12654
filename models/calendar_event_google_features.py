"""What Google's events carry beyond the neutral values, on the Odoo event:
its Google event type (and the edits Google refuses on it), rooms and
resources, the reminder limit, guest permissions, the Meet link opt-out.

The sync reads and writes these through ``sync/event_features.py``.
"""

import json

from odoo import fields, models
from odoo.exceptions import UserError

from ..engine import event_features as features
from .calendar_event import FROM_GOOGLE, SYNCED_FIELDS

# Fields whose change must reach Google, beyond the neutral values.
PERMISSION_FIELDS = {
    "guests_can_modify": "google_guests_can_modify",
    "guests_can_invite_others": "google_guests_can_invite_others",
    "guests_can_see_other_guests": "google_guests_can_see_other_guests",
}
# What an Odoo user may still change of an event Gmail made (Google refuses
# the rest): its reminders, privacy and free/busy, and Odoo's own fields.
_FROM_GMAIL_WRITABLE = frozenset({"alarm_ids", "privacy", "show_as"})
# The Google event types Odoo holds (events and series).
GOOGLE_EVENT_TYPES = [
    ("default", "Event"),
    ("focusTime", "Focus time"),
    ("outOfOffice", "Out of office"),
    ("fromGmail", "From Gmail"),
]


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    google_event_type = fields.Selection(
        GOOGLE_EVENT_TYPES,
        default="default",
        copy=False,
        readonly=True,
        help="Out-of-office and focus-time blocks are Google's own: Odoo shows them as "
        "busy time and leaves them to Google Calendar. Of an event Gmail made, Google "
        "lets only the reminders, privacy and free/busy be changed.",
    )
    google_resources = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Rooms and resources booked for this event on Google (JSON). They are no "
        "contacts; every guest list Odoo sends keeps them.",
    )
    google_resource_names = fields.Char(
        "Rooms and Resources",
        compute="_compute_google_resource_names",
        help="Rooms and resources booked for this event in Google Calendar.",
    )
    google_guests_can_modify = fields.Boolean(
        "Guests Can Modify",
        help="On Google, the guests may change this event (its connected guests' edits "
        "in Odoo then go to Google too).",
    )
    google_guests_can_invite_others = fields.Boolean("Guests Can Invite Others", default=True)
    google_guests_can_see_other_guests = fields.Boolean("Guests Can See Other Guests", default=True)
    google_agreed_permissions = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="The guest permissions both sides last agreed on (JSON).",
    )
    google_no_meet = fields.Boolean(
        "No Google Meet Link",
        copy=False,
        help="Do not ask Google for a Meet link when this meeting is first sent.",
    )
    google_reminders_told = fields.Boolean(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="The user was told that Google keeps only five of this event's reminders.",
    )

    def _compute_google_resource_names(self):
        for event in self:
            kept = event.sudo()._google_resources()
            event.google_resource_names = ", ".join(
                resource["name"] or resource["email"] for resource in kept
            )

    def _google_resources(self):
        self.ensure_one()
        return json.loads(self.google_resources) if self.google_resources else []

    def _google_permissions(self):
        """{neutral key: bool}: the guest permissions Odoo holds."""
        self.ensure_one()
        return {key: bool(self[name]) for key, name in PERMISSION_FIELDS.items()}

    def _google_agreed_permissions(self):
        self.ensure_one()
        agreed = self.sudo().google_agreed_permissions
        return json.loads(agreed) if agreed else None

    def write(self, vals):
        if not self.env.context.get(FROM_GOOGLE):
            self._google_check_type_allows(vals)
        result = super().write(vals)
        if not self.env.context.get(FROM_GOOGLE) and set(PERMISSION_FIELDS.values()) & set(vals):
            self._google_mark_dirty()
        return result

    def _google_check_type_allows(self, vals):
        """Refuse, with a message, the edits Google refuses on its own event types."""
        synced = SYNCED_FIELDS.intersection(vals) | set(PERMISSION_FIELDS.values()).intersection(
            vals
        )
        if not synced:
            return
        for event in self:
            kind = event.google_event_type
            if kind == features.DEFAULT_TYPE and event.recurrence_id:
                # An occurrence is of its series' type.
                kind = event.recurrence_id.google_event_type
            if kind in features.READ_ONLY_TYPES:
                raise UserError(
                    self.env._(
                        "“%(name)s” is an out-of-office or focus-time block of Google "
                        "Calendar: change it in Google Calendar.",
                        name=event.name,
                    )
                )
            refused = synced - _FROM_GMAIL_WRITABLE
            if kind == "fromGmail" and refused:
                raise UserError(
                    self.env._(
                        "“%(name)s” was made by Gmail: Google lets only its reminders, "
                        "privacy and free/busy status be changed (not: %(fields)s).",
                        name=event.name,
                        fields=", ".join(
                            self._fields[name].get_description(self.env)["string"]
                            for name in sorted(refused)
                        ),
                    )
                )
