"""The user's own Google Calendar connection, as the user sees it: the record
the "Reconnect Google Calendar" activity of a revoked access sits on, with a
small form telling the connection's state and a Reconnect button.

The owner reads their account (record rule), never its tokens: those fields
are ``fields.NO_ACCESS`` here, for the sync code only (sudo). Nobody writes
it outside the sync code.
"""

from odoo import api, fields, models

from .google_calendar_sync_history import SYNC_TRIGGER

RECONNECT_ACTIVITY = "google_calendar_sync.mail_activity_type_reconnect"


class GoogleCalendarAccount(models.Model):
    _name = "google.calendar.account"
    _inherit = ["google.calendar.account", "mail.thread", "mail.activity.mixin"]
    # Its owner may log a note on it (a colleague cannot even read it).
    _mail_post_access = "read"

    # Now that its owner reads the account, what must never leave the server
    # is closed to everyone, the owner and administrators included.
    access_token = fields.Char(groups=fields.NO_ACCESS)
    access_token_expiry = fields.Datetime(groups=fields.NO_ACCESS)
    refresh_token = fields.Char(groups=fields.NO_ACCESS)
    sync_token = fields.Char(groups=fields.NO_ACCESS)
    sync_progress = fields.Json(groups=fields.NO_ACCESS)
    oauth_pending = fields.Json(groups=fields.NO_ACCESS)
    granted_scope = fields.Char(groups=fields.NO_ACCESS)
    calendar_list_token = fields.Char(groups=fields.NO_ACCESS)

    @api.model_create_multi
    def create(self, vals_list):
        # Created on first use by the sync code: no "created" note, no follower.
        accounts = self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
        return super(GoogleCalendarAccount, accounts).create(vals_list)

    def write(self, vals):
        # The sync writes the account on every run: nothing of it is tracked
        # or followed, so no mail bookkeeping either (the queries stay counted).
        return super(GoogleCalendarAccount, self.with_context(tracking_disable=True)).write(vals)

    @api.depends("google_email", "user_id")
    def _compute_display_name(self):
        for account in self:
            account.display_name = account.env._(
                "Google Calendar of %(who)s", who=account.google_email or account.user_id.name
            )

    @api.model
    def _action_open_mine(self):
        """The current user's connection in its form (the systray's "Reconnect
        Google Calendar" activity opens it)."""
        account = self._for_user(self.env.user)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Google Calendar"),
            "res_model": self._name,
            "res_id": account.id,
            "views": [[False, "form"]],
            "target": "current",
        }

    # -- revoked access -----------------------------------------------------------

    def _handle_invalid_grant(self):
        """Google no longer honours the refresh token: disconnect and tell the user
        once: in the button's answer when they clicked it, else by a notification;
        and leave a "Reconnect" activity on this account, done when they reconnect."""
        self.ensure_one()
        user = self.user_id
        # Written for the user to read: in their language, whoever runs the sync.
        env = self.with_context(lang=user.lang).env
        message = env._(
            "Google refused the access of Odoo to the calendar of %(email)s (access revoked "
            "or expired). Nothing is lost: your changes stay in Odoo. Click the Google "
            "button in Calendar to connect again; they are sent then.",
            email=self.google_email or self.user_id.email or self.user_id.name,
        )
        self.write(
            {
                "state": "disconnected",
                "access_token": False,
                "access_token_expiry": False,
                "refresh_token": False,
                "granted_scope": False,
                "last_error": message,
            }
        )
        if self.env.context.get(SYNC_TRIGGER) != "button":
            user._bus_send(
                "simple_notification",
                {
                    "type": "warning",
                    "title": env._("Google Calendar disconnected"),
                    "message": message,
                    "sticky": True,
                },
            )
        if not self._reconnect_activities():
            self.sudo().with_context(lang=user.lang).activity_schedule(
                RECONNECT_ACTIVITY,
                summary=env._("Reconnect Google Calendar"),
                note=env._(
                    "Google refused the access of Odoo to your calendar. Nothing is lost: "
                    "click Reconnect in this form (or the Google button in Calendar) and "
                    "allow the access again; your changes are sent then."
                ),
                user_id=user.id,
            )

    def _reconnect_activities(self):
        """The open "Reconnect" activities of this account's user, wherever an
        older version left them."""
        self.ensure_one()
        activity_type = self.env.ref(RECONNECT_ACTIVITY, raise_if_not_found=False)
        if not activity_type:
            return self.env["mail.activity"]
        # Open ones only: done activities are archived, and the account often
        # comes with active_test off (_for_user).
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(active_test=True)
            .search(
                [
                    ("activity_type_id", "=", activity_type.id),
                    ("user_id", "=", self.user_id.id),
                ]
            )
        )

    def _complete_authorization(self, code, verifier):
        result = super()._complete_authorization(code, verifier)
        activities = self._reconnect_activities()
        if activities:
            activities.with_context(lang=self.user_id.lang).action_feedback(
                feedback=self.env._("Google Calendar connected again.")
            )
        return result
