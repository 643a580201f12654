from odoo import fields, models

from .google_calendar_account import ACCOUNT_STATES


class ResUsers(models.Model):
    _inherit = "res.users"

    # Read from the token-holding account with sudo, and only for the user
    # themselves or a settings administrator: colleagues need not know which
    # Google account someone uses. No token ever appears here.
    google_calendar_state = fields.Selection(
        ACCOUNT_STATES,
        string="Google Calendar",
        compute="_compute_google_calendar_status",
    )
    google_calendar_email = fields.Char(
        string="Google Account", compute="_compute_google_calendar_status"
    )
    google_calendar_last_sync = fields.Datetime(
        string="Last Synchronization", compute="_compute_google_calendar_status"
    )
    google_calendar_last_error = fields.Text(
        string="Last Synchronization Error", compute="_compute_google_calendar_status"
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [
            *super().SELF_READABLE_FIELDS,
            "google_calendar_state",
            "google_calendar_email",
            "google_calendar_last_sync",
            "google_calendar_last_error",
        ]

    def _compute_google_calendar_status(self):
        is_admin = self.env.user.has_group("base.group_system")
        accounts = (
            self.env["google.calendar.account"]
            .sudo()
            .with_context(active_test=False)
            .search([("user_id", "in", self.ids)])
        )
        account_by_user = {account.user_id.id: account for account in accounts}
        for user in self:
            account = account_by_user.get(user.id)
            if not account or not (is_admin or user == self.env.user):
                user.google_calendar_state = "not_connected"
                user.google_calendar_email = False
                user.google_calendar_last_sync = False
                user.google_calendar_last_error = False
                continue
            user.google_calendar_state = account.state
            user.google_calendar_email = account.google_email
            user.google_calendar_last_sync = account.last_sync
            user.google_calendar_last_error = account.last_error
