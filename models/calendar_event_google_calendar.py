"""The Google calendar a meeting belongs to (one of its organizer's calendars),
the edits a calendar refuses, and a meeting moved to another calendar."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import calendars as rules
from .calendar_event import FROM_GOOGLE, SYNCED_FIELDS


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    google_calendar_id = fields.Many2one(
        "google.calendar.calendar",
        "Synced Google Calendar",
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        domain="[('user_id', '=', user_id), ('selected', '=', True), ('removed', '=', False)]",
        help="The organizer's Google calendar this meeting is kept in. Empty: the "
        "primary calendar.",
    )
    google_calendar_color = fields.Char(
        related="google_calendar_id.color", string="Google Calendar Colour"
    )
    google_moved_from = fields.Char(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Google id of the calendar Google still holds this meeting in, until the "
        "next push moves it to its new calendar.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(FROM_GOOGLE):
            for vals in vals_list:
                if vals.get("google_calendar_id"):
                    self._google_check_calendar(
                        vals["google_calendar_id"], vals.get("user_id", self.env.uid)
                    )
            self._google_default_calendars(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        moved = self.browse()
        if not self.env.context.get(FROM_GOOGLE):
            self._google_check_calendar_allows(vals)
            if "google_calendar_id" in vals:
                moved = self._google_prepare_move(vals)
        result = super().write(vals)
        if moved:
            moved.sudo()._google_mark_dirty()
        return result

    def _google_mark_dirty(self):
        # An event of a calendar that takes no Odoo change (read-only, Google to
        # Odoo, no longer synced) has nothing to send: it never waits.
        held = self.sudo().filtered(
            lambda event: event.google_calendar_id
            and not event.google_calendar_id._takes_odoo_changes
        )
        return super(CalendarEvent, self - held.with_env(self.env))._google_mark_dirty()

    def _google_default_calendars(self, vals_list):
        """A new meeting goes to its organizer's default calendar (when chosen)."""
        organizer_ids = {
            vals.get("user_id", self.env.uid)
            for vals in vals_list
            if "google_calendar_id" not in vals and not vals.get("recurrency")
        }
        if not organizer_ids:
            return
        defaults = (
            self.env["google.calendar.calendar"]
            .sudo()
            .search([("user_id", "in", list(organizer_ids)), ("is_default", "=", True)])
        )
        chosen = {}
        for calendar in defaults:
            picked = rules.calendar_for_new_meeting([calendar._rules()])
            if picked and not calendar.primary:
                chosen[calendar.user_id.id] = picked
        for vals in vals_list:
            organizer = vals.get("user_id", self.env.uid)
            if "google_calendar_id" not in vals and organizer in chosen:
                vals["google_calendar_id"] = chosen[organizer]

    def _google_check_calendar(self, calendar_id, organizer_id):
        """Refuse a calendar that is not the organizer's, not the acting user's
        (unless an administrator acts), or that takes no writes from Odoo."""
        calendar = self.env["google.calendar.calendar"].sudo().browse(calendar_id).exists()
        if not calendar:
            raise UserError(self.env._("This Google calendar no longer exists."))
        if organizer_id and calendar.user_id.id != organizer_id:
            raise AccessError(
                self.env._("A meeting can only go to a Google calendar of its organizer.")
            )
        if not (
            self.env.su
            or calendar.user_id == self.env.user
            or self.env.user.has_group("base.group_system")
        ):
            raise AccessError(self.env._("You cannot use another user's Google calendar."))
        if not calendar._pushes or not calendar.selected or calendar.removed:
            raise UserError(
                self.env._(
                    "The Google calendar “%(name)s” does not take meetings from Odoo.",
                    name=calendar.name,
                )
            )
        return calendar

    def _google_check_calendar_allows(self, vals):
        """Refuse, with a message, an edit the event's calendar cannot take."""
        if not (SYNCED_FIELDS.intersection(vals) or "google_calendar_id" in vals):
            return
        for event in self:
            calendar = event.sudo().google_calendar_id
            if not calendar or not calendar.selected or calendar.removed:
                continue
            refusal = rules.edit_refusal(calendar.access_role, calendar.direction)
            if refusal == "read_only":
                raise UserError(
                    self.env._(
                        "“%(name)s” belongs to the Google calendar “%(calendar)s”, which "
                        "you can only read: change it in Google Calendar.",
                        name=event.name,
                        calendar=calendar.name,
                    )
                )
            if refusal == "from_google":
                raise UserError(
                    self.env._(
                        "“%(name)s” belongs to the Google calendar “%(calendar)s”, which "
                        "syncs from Google to Odoo only: change it in Google Calendar.",
                        name=event.name,
                        calendar=calendar.name,
                    )
                )

    def _google_prepare_move(self, vals):
        """A meeting moved to another calendar: checked now, moved on Google by the
        next push (``events.move``: same event, no new invitation). Returns the
        events that change calendar (marked dirty once written)."""
        target_id = vals["google_calendar_id"]
        moved = self.browse()
        for event in self:
            source = event.sudo().google_calendar_id
            if source.id == (target_id or False):
                continue
            moved |= event
            organizer_id = vals.get("user_id", event.user_id.id)
            target = self._google_check_calendar(target_id, organizer_id) if target_id else None
            if target is None:
                target = (
                    self.env["google.calendar.calendar"]
                    .sudo()
                    .search([("user_id", "=", organizer_id), ("primary", "=", True)], limit=1)
                    or None
                )
            if not rules.may_move(
                source._rules() if source else _primary_rules(),
                target._rules() if target else _primary_rules(),
            ):
                raise UserError(
                    self.env._(
                        "“%(name)s” cannot move between these Google calendars: both must "
                        "take meetings from Odoo.",
                        name=event.name,
                    )
                )
            held = event.sudo()
            if held.google_etag and not held.google_moved_from:
                held.with_context(**{FROM_GOOGLE: True}).google_moved_from = (
                    source.google_id if source and not source.primary else "primary"
                )
        return moved

    def _google_calendar_gid(self):
        """The Google id of the secondary calendar that holds this event, else False."""
        calendar = self.sudo().google_calendar_id
        return calendar.google_id if calendar and not calendar.primary else False

    def _google_forget_calendar(self):
        """Leave the sync, kept in Odoo: Google's copy is no longer followed."""
        self.write(
            {
                "google_etag": False,
                "google_agreed_values": False,
                "google_push_pending": False,
                "google_moved_from": False,
            }
        )


def _primary_rules():
    """The primary calendar before the calendar list was read: it takes everything."""
    return {"role": "owner", "direction": rules.TWO_WAY}
