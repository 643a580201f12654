import logging

from odoo import http
from odoo.http import request

from ..engine import oauth

_logger = logging.getLogger(__name__)

# Browser-session key holding the nonce of the authorization under way.
SESSION_NONCE_KEY = "google_calendar_sync_oauth_nonce"


class GoogleCalendarSyncController(http.Controller):
    @http.route("/google_calendar_sync/sync", type="jsonrpc", auth="user")
    def sync(self, return_path=None):
        """The Sync button: sync now, or say what stands in the way."""
        Account = request.env["google.calendar.account"]
        if not Account._is_configured():
            return {"status": "need_config"}
        if Account._get_google_config()["paused"]:
            return {"status": "paused"}
        account = Account._for_user(request.env.user)
        if account.state == "stopped":
            return {"status": "stopped"}
        if not account.refresh_token:
            nonce = oauth.new_nonce()
            request.session[SESSION_NONCE_KEY] = nonce
            return {"status": "need_auth", "url": account._authorization_url(nonce, return_path)}
        return account._run_sync()

    @http.route("/google_calendar_sync/status", type="jsonrpc", auth="user", readonly=True)
    def status(self):
        Account = request.env["google.calendar.account"]
        account = Account.sudo().search([("user_id", "=", request.env.uid)], limit=1)
        return {
            "configured": Account._is_configured(),
            "paused": Account._get_google_config()["paused"],
            "is_admin": request.env.user.has_group("base.group_system"),
            **(account._status() if account else {"state": "not_connected"}),
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
        account = request.env["google.calendar.account"]._for_user(request.env.user)
        # The nonce is spent whatever happens: a state can be used only once.
        nonce = request.session.pop(SESSION_NONCE_KEY, None)
        try:
            payload = account._verify_state(state, nonce)
        except oauth.InvalidState as exc:
            _logger.warning("Refused a Google OAuth answer for user %s: %s", request.env.uid, exc)
            return self._result_page(
                request.env._("This answer from Google cannot be accepted"),
                request.env._(
                    "The link is invalid, has expired, or was started by another user or "
                    "browser session. Click the Google button in Calendar to try again."
                ),
                status=403,
            )
        return_path = payload["return"]
        if error or not code:
            account.write({"pkce_verifier": False, "oauth_nonce": False})
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
        try:
            account._complete_authorization(code)
        except oauth.TokenExchangeError as exc:
            if exc.error == "no_refresh_token":
                message = request.env._(
                    "Google did not grant offline access, which Odoo needs to keep your "
                    "calendar in sync. Remove Odoo from the third-party access of your Google "
                    "account, then click the Google button in Calendar again."
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
