from odoo import fields, models
from odoo.exceptions import AccessError

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
    google_calendar_pending_changes = fields.Integer(
        string="Changes Waiting for Google",
        compute="_compute_google_calendar_status",
        help="Changes made in Odoo that Google does not know yet.",
    )
    google_calendar_deletion_hold = fields.Boolean(
        string="Deletions Held",
        compute="_compute_google_calendar_status",
        help="The synchronization stopped before deleting many events at once; it resumes "
        "once an administrator confirms the deletions.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [
            *super().SELF_READABLE_FIELDS,
            "google_calendar_state",
            "google_calendar_email",
            "google_calendar_last_sync",
            "google_calendar_last_error",
            "google_calendar_pending_changes",
            "google_calendar_deletion_hold",
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
                user.google_calendar_pending_changes = 0
                user.google_calendar_deletion_hold = False
                continue
            user.google_calendar_state = account.state
            user.google_calendar_email = account.google_email
            user.google_calendar_last_sync = account.last_sync
            user.google_calendar_last_error = account.last_error
            user.google_calendar_pending_changes = account.pending_change_count
            user.google_calendar_deletion_hold = account.deletion_hold

    def action_google_calendar_choose_calendars(self):
        """The user's Google calendars, read from Google now when the grant allows
        it, to choose which to synchronize and how."""
        self.ensure_one()
        if self != self.env.user and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("You can only choose your own Google calendars."))
        account = self.env["google.calendar.account"].sudo().search([("user_id", "=", self.id)])
        if account:
            account._google_refresh_calendars()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "google_calendar_sync.action_google_calendar_calendars"
        )
        action["domain"] = [("user_id", "=", self.id)]
        return action

    def action_google_calendar_confirm_deletions(self):
        """The administrator's confirmation that the held deletions are wanted."""
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only an administrator can confirm deletions held by the safety guard.")
            )
        accounts = self.env["google.calendar.account"].sudo().search([("user_id", "in", self.ids)])
        accounts._confirm_deletions()
        return True
