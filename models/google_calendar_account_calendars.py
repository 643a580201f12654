"""The Google calendars of an account (its calendarList), kept in step with
Google, and which of them the sync runs over."""

import logging

from odoo import fields, models
from odoo.exceptions import UserError

from ..engine import calendars as rules
from ..engine import oauth
from ..engine.errors import GoogleApiError, SyncTokenExpired

_logger = logging.getLogger(__name__)

# System parameter (set from the settings): users may sync several calendars.
SEVERAL_CALENDARS_PARAM = "google_calendar_sync.several_calendars"


class GoogleCalendarAccount(models.Model):
    _inherit = "google.calendar.account"

    calendar_ids = fields.One2many("google.calendar.calendar", "account_id")
    calendars_listed = fields.Boolean(
        help="The user's calendar list was read from Google: it is followed at every sync."
    )
    several_calendars = fields.Boolean(
        help="A calendar other than the primary one is synchronized."
    )
    calendar_list_token = fields.Char(copy=False)

    def _requested_scope(self):
        """The scopes a connection asks for: the calendar list's too when the
        administrator lets users sync several calendars."""
        scopes = list(oauth.CALENDAR_SCOPES)
        if self.env["ir.config_parameter"].sudo()._google_param(SEVERAL_CALENDARS_PARAM):
            scopes.append(oauth.CALENDAR_LIST_SCOPE)
        return " ".join(scopes)

    def _may_list_calendars(self):
        """Whether the grant lets the module read the user's calendar list: the
        calendar list scope, or the broad scope of an older connection."""
        self.ensure_one()
        granted = set((self.granted_scope or "").split())
        return not granted or bool(
            granted & {oauth.CALENDAR_LIST_SCOPE, oauth.LEGACY_CALENDAR_SCOPE}
        )

    def _google_update_several_calendars(self):
        for account in self:
            several = bool(
                account.calendar_ids.filtered(
                    lambda cal: cal.selected and not cal.removed and not cal.primary
                )
            )
            if account.several_calendars != several:
                account.several_calendars = several

    def _google_calendars_to_sync(self):
        """(primary calendar, the other selected calendars); the primary is an
        empty recordset when the list names none (its run is then the one
        without a calendar, as before the list was read)."""
        self.ensure_one()
        calendars = self.calendar_ids.filtered(lambda cal: not cal.removed)
        primary = calendars.filtered("primary")[:1]
        return primary, (calendars - primary).filtered("selected")

    def _google_list_calendars(self, client):
        """Bring the calendar list in step with Google (incrementally after the
        first time): new calendars are listed (the primary selected), renamed or
        recoloured ones follow, and those deleted on Google or no longer
        accessible leave the sync (``google.calendar.calendar._google_leave_sync``)."""
        self.ensure_one()
        try:
            entries, token = client.calendar_list_changes(self.calendar_list_token or None)
            full = not self.calendar_list_token
        except SyncTokenExpired:
            entries, token = client.calendar_list_changes()
            full = True
        Calendar = self.env["google.calendar.calendar"].sudo()
        known = {calendar.google_id: calendar for calendar in self.calendar_ids}
        seen = set()
        for entry in entries:
            values = rules.list_entry(entry)
            if values is None:
                _logger.warning("Google Calendar: unreadable calendar list entry ignored")
                continue
            seen.add(values["google_id"])
            calendar = known.get(values["google_id"])
            if values["deleted"]:
                if calendar and not calendar.removed:
                    self._google_calendar_gone(calendar)
                continue
            changes = {key: values[key] for key in ("name", "color", "access_role", "primary")}
            if calendar:
                changes["removed"] = False
                calendar.write(
                    {key: value for key, value in changes.items() if calendar[key] != value}
                )
            else:
                Calendar.create(
                    {
                        **changes,
                        "account_id": self.id,
                        "user_id": self.user_id.id,
                        "google_id": values["google_id"],
                        "selected": values["primary"],
                    }
                )
        if full:
            # A whole list names every calendar still there.
            for google_id, calendar in known.items():
                if google_id not in seen and not calendar.removed:
                    self._google_calendar_gone(calendar)
        self.write({"calendar_list_token": token or False, "calendars_listed": True})
        self._google_update_several_calendars()

    def _google_calendar_gone(self, calendar):
        """Deleted on Google, or the user lost access: it leaves the sync
        (``google.calendar.calendar.write`` applies its rule to Odoo's copies)."""
        calendar.write({"removed": True, "selected": False, "is_default": False})

    def _google_follows_calendars(self):
        """Whether this sync reads the calendar list: once it was read, or on the
        first sync of a connection that granted the calendar list scope."""
        self.ensure_one()
        if self.calendars_listed:
            return self._may_list_calendars()
        granted = (self.granted_scope or "").split()
        return not self.last_sync and oauth.CALENDAR_LIST_SCOPE in granted

    def _google_refresh_calendars(self):
        """The user asked to see their calendars: read the list now."""
        self.ensure_one()
        if self.state != "connected":
            raise UserError(self.env._("Connect your Google account first."))
        if not self._may_list_calendars():
            raise UserError(
                self.env._(
                    "Odoo may not read your list of Google calendars yet: reconnect your "
                    "Google account and allow it."
                )
            )
        try:
            self._google_list_calendars(self._get_client())
        except GoogleApiError as error:
            raise UserError(
                self.env._("Google did not give your calendar list: %(error)s", error=error)
            ) from error
