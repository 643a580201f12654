import logging

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import request

from ..engine import oauth
from ..models.google_calendar_account import BUTTON_SECONDS
from ..models.google_calendar_sync_history import SYNC_TRIGGER

_logger = logging.getLogger(__name__)

# Browser-session key holding the authorizations under way in that session:
# nonce -> {"exp": expiry of its state} (engine.oauth.add_authorization).
SESSION_PENDING_KEY = "google_calendar_sync_oauth_pending"


class GoogleCalendarSyncController(http.Controller):
    # Every route is for internal users only: ``auth="user"`` also lets portal
    # users in, so each route refuses them first, before an account is created.

    @http.route("/google_calendar_sync/sync", type="jsonrpc", auth="user")
    def sync(self, return_path=None):
        """The Sync button: sync now, or say what stands in the way."""
        Account = request.env["google.calendar.account"]
        Account._check_user_may_sync(request.env.user)
        if not Account._is_configured():
            return {"status": "need_config"}
        if Account._get_google_config()["paused"]:
            return {"status": "paused"}
        account = Account._for_user(request.env.user)
        if account.state == "stopped":
            return {"status": "stopped"}
        if not account.refresh_token:
            nonce = oauth.new_nonce()
            url, expires = account._authorization_url(nonce, return_path)
            # Other tabs may be waiting for Google too: this one adds its nonce.
            request.session[SESSION_PENDING_KEY] = oauth.add_authorization(
                request.session.get(SESSION_PENDING_KEY), nonce, expires
            )
            return {"status": "need_auth", "url": url}
        # Someone waits for this answer: a bounded run, told once (SYNC_TRIGGER),
        # stopped after a few seconds: a large import goes on in the cron.
        seconds = Account._seconds_param("button_seconds", BUTTON_SECONDS)
        return account.with_context(**{SYNC_TRIGGER: "button"})._run_sync(seconds)

    @http.route("/google_calendar_sync/status", type="jsonrpc", auth="user", readonly=True)
    def status(self):
        Account = request.env["google.calendar.account"]
        Account._check_user_may_sync(request.env.user)
        account = Account.sudo().search([("user_id", "=", request.env.uid)], limit=1)
        return {
            "configured": Account._is_configured(),
            "paused": Account._get_google_config()["paused"],
            "is_admin": request.env.user.has_group("base.group_system"),
            **(account._status() if account else {"state": "not_connected"}),
            "last_run": account._last_run_summary() if account else False,
        }

    @http.route("/google_calendar_sync/stop", type="jsonrpc", auth="user")
    def stop(self):
        request.env["google.calendar.account"]._for_user(request.env.user)._stop()
        return self.status()

    @http.route("/google_calendar_sync/restart", type="jsonrpc", auth="user")
    def restart(self):
        request.env["google.calendar.account"]._for_user(request.env.user)._restart()
        return self.status()

    @http.route("/google_calendar_sync/disconnect", type="jsonrpc", auth="user")
    def disconnect(self):
        request.env["google.calendar.account"]._for_user(request.env.user)._disconnect()
        return self.status()

    @http.route("/google_account/authentication", type="http", auth="user", methods=["GET"])
    def authentication(self, state=None, code=None, error=None, **kwargs):
        """Google's redirect after the consent page."""
        Account = request.env["google.calendar.account"]
        try:
            Account._check_user_may_sync(request.env.user)
        except AccessError as exc:
            return self._result_page(
                request.env._("Google Calendar not connected"), exc.args[0], status=403
            )
        account = Account._for_user(request.env.user)
        session_pending = oauth.live_authorizations(request.session.get(SESSION_PENDING_KEY))
        try:
            payload = account._verify_state(state, session_pending)
        except oauth.InvalidState as exc:
            # Nothing is spent: a forged or stale answer cannot cancel the
            # connection this session has under way.
            _logger.warning("Refused a Google OAuth answer for user %s: %s", request.env.uid, exc)
            return self._result_page(
                request.env._("This answer from Google cannot be accepted"),
                request.env._(
                    "The link is invalid, has expired, or was started by another user or "
                    "browser session. Click the Google button in Calendar to try again."
                ),
                status=403,
            )
        # This answer's authorization is over, whatever follows (a state is
        # good for one answer only); the other tabs' stay under way.
        session_pending.pop(payload["nonce"])
        request.session[SESSION_PENDING_KEY] = session_pending
        verifier = account._spend_authorization(payload["nonce"])
        return_path = payload["return"]
        if error or not code:
            if error == "access_denied":
                message = request.env._(
                    "You did not allow Odoo to access your Google Calendar, so nothing is "
                    "synchronized. Click the Google button in Calendar whenever you change "
                    "your mind."
                )
            else:
                message = request.env._(
                    "Google answered with an error: %(error)s", error=error or "no code"
                )
            return self._result_page(
                request.env._("Google Calendar not connected"),
                message,
                return_path=return_path,
                status=400,
            )
        if account.refresh_token:
            # Another tab answered first. Exchanging this code too would
            # replace the tokens behind the user's back; it is left to expire.
            return self._result_page(
                request.env._("Google Calendar already connected"),
                request.env._(
                    "Your Google Calendar was connected from another tab or window in the "
                    "meantime; this answer from Google changed nothing. To use another Google "
                    "account, disconnect first, then click the Google button again."
                ),
                return_path=return_path,
                status=409,
            )
        try:
            account._complete_authorization(code, verifier)
        except oauth.TokenExchangeError as exc:
            if exc.error == "no_refresh_token":
                message = request.env._(
                    "Google did not grant offline access, which Odoo needs to keep your "
                    "calendar in sync. Remove Odoo from the third-party access of your Google "
                    "account, then click the Google button in Calendar again."
                )
            elif exc.error == "missing_scope":
                message = request.env._(
                    "Odoo needs every permission it asked for: seeing and editing the events "
                    "of your calendars, and seeing the properties of your calendars. Click the "
                    "Google button in Calendar again and leave them all ticked."
                )
            else:
                message = request.env._(
                    "Google refused to complete the connection: %(reason)s",
                    reason=exc.description or exc.error,
                )
            account.write({"last_error": message})
            return self._result_page(
                request.env._("Google Calendar not connected"),
                message,
                return_path=return_path,
                status=400,
            )
        return request.redirect(return_path)

    def _result_page(self, title, message, return_path=oauth.DEFAULT_RETURN_PATH, status=200):
        values = {"title": title, "message": message, "return_path": return_path}
        return request.render("google_calendar_sync.oauth_result_page", values, status=status)
