"""One Google calendar of a connected account (its calendarList entry), and
how the user wants it synchronized. The rules are ``engine.calendars``'."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import calendars as rules
from .calendar_event import FROM_GOOGLE

# What a user may change of their own calendars; the rest comes from Google
# (name, colour, access role) or belongs to the sync (tokens).
USER_FIELDS = frozenset({"selected", "direction", "share", "on_leave", "is_default"})


class GoogleCalendarCalendar(models.Model):
    _name = "google.calendar.calendar"
    _description = "Google calendar"
    _order = "primary desc, name, id"

    account_id = fields.Many2one(
        "google.calendar.account",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
        groups="base.group_system",
    )
    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="cascade", readonly=True
    )
    google_id = fields.Char("Google Calendar ID", required=True, readonly=True)
    name = fields.Char(required=True, readonly=True)
    color = fields.Char(readonly=True, help="The calendar's colour in Google Calendar.")
    access_role = fields.Selection(
        [
            ("freeBusyReader", "Free/busy only"),
            ("reader", "Read only"),
            ("writer", "Can edit"),
            ("owner", "Owner"),
        ],
        readonly=True,
        required=True,
        default="freeBusyReader",
    )
    primary = fields.Boolean(readonly=True)
    removed = fields.Boolean(
        readonly=True,
        help="Deleted on Google, or your access to it was removed: it no longer syncs.",
    )
    selected = fields.Boolean(
        "Synchronize", help="Synchronize this calendar's events with Odoo's Calendar."
    )
    direction = fields.Selection(
        [
            (rules.TWO_WAY, "Both ways"),
            (rules.GOOGLE_TO_ODOO, "Google to Odoo only"),
            (rules.ODOO_TO_GOOGLE, "Odoo to Google only"),
        ],
        required=True,
        default=rules.TWO_WAY,
        help="A read-only calendar syncs from Google to Odoo only, whatever is chosen.",
    )
    share = fields.Selection(
        [(rules.EVERYTHING, "Everything"), (rules.BUSY_ONLY, "Busy only")],
        "Shares",
        required=True,
        default=rules.EVERYTHING,
        help="Busy only: Odoo shows this calendar's events as private busy blocks, and "
        "sends Odoo's meetings to it as busy blocks, without title, description or guests.",
    )
    on_leave = fields.Selection(
        [(rules.KEEP, "Keep in Odoo, unsynced"), (rules.REMOVE, "Remove from Odoo")],
        "When No Longer Synced",
        required=True,
        default=rules.KEEP,
        help="What becomes of Odoo's copies of this calendar's events when it is no longer "
        "synchronized (unticked, deleted on Google, access lost). Nothing is ever deleted "
        "on Google.",
    )
    is_default = fields.Boolean(
        "Default for New Meetings",
        help="Meetings you create in Odoo go to this calendar (else to your primary one).",
    )
    read_only = fields.Boolean(compute="_compute_read_only")
    sync_token = fields.Char(groups="base.group_system", copy=False, readonly=True)
    sync_progress = fields.Json(groups="base.group_system", copy=False, readonly=True)

    _google_id_unique = models.Constraint(
        "UNIQUE(account_id, google_id)", "A Google calendar is listed once per account."
    )

    @api.depends("access_role")
    def _compute_read_only(self):
        for calendar in self:
            calendar.read_only = rules.read_only(calendar.access_role)

    def _rules(self):
        """This calendar as ``engine.calendars`` takes it."""
        self.ensure_one()
        return {
            "id": self.id,
            "primary": self.primary,
            "selected": self.selected and not self.removed,
            "default": self.is_default,
            "role": self.access_role,
            "direction": self.direction,
        }

    @property
    def _pulls(self):
        return rules.pulls(self.access_role, self.direction)

    @property
    def _pushes(self):
        return rules.pushes(self.access_role, self.direction)

    @property
    def _takes_odoo_changes(self):
        """Whether Odoo's changes of this calendar's events are sent to it now."""
        return self.selected and not self.removed and self._pushes

    @property
    def _busy_only(self):
        return rules.share(self.access_role, self.share) == rules.BUSY_ONLY

    def write(self, vals):
        if not (self.env.su or self.env.user.has_group("base.group_system")):
            refused = set(vals) - USER_FIELDS
            if refused:
                raise AccessError(
                    self.env._(
                        "Only the synchronization changes these of a Google calendar: %s",
                        ", ".join(sorted(refused)),
                    )
                )
        if vals.get("selected") is False and self.filtered("primary") and not self.env.su:
            raise UserError(self.env._("The primary Google calendar is always synchronized."))
        leaving = self.filtered("selected") if vals.get("selected") is False else self.browse()
        if vals.get("is_default"):
            # One default per user.
            others = (
                self.sudo().search([("user_id", "in", self.user_id.ids), ("is_default", "=", True)])
                - self
            )
            others.write({"is_default": False})
        result = super().write(vals)
        if "selected" in vals:
            self.sudo().account_id._google_update_several_calendars()
        if leaving:
            leaving.sudo()._google_leave_sync()
        return result

    def _google_leave_sync(self):
        """These calendars no longer sync: their events leave the sync, kept in
        Odoo unsynced or removed as each calendar says. Nothing is sent to
        Google (no deletion there), and their listing starts over if they
        come back."""
        Event = self.env["calendar.event"].sudo().with_context(active_test=False)
        # Google stops notifying its changes (push channels).
        self.account_id.channel_ids.filtered(
            lambda channel: channel.calendar_google_id in self.mapped("google_id")
        )._close()
        for calendar in self:
            events = Event.search([("google_calendar_id", "=", calendar.id)])
            if calendar.on_leave == rules.REMOVE:
                # Removed in Odoo only: the hooks must not send a deletion.
                events.with_context(**{FROM_GOOGLE: True}).unlink()
            else:
                events.with_context(**{FROM_GOOGLE: True})._google_forget_calendar()
            calendar.write({"sync_token": False, "sync_progress": False})
