"""What the Google button tells the user, over real HTTP: a plain message for
each failure, within seconds even when Google cannot be reached, one message
for a revoked access, and the "Reconnect" activity done on reconnecting."""

import socket
import time
from datetime import datetime, timedelta

from odoo.tests import tagged
from odoo.tests.common import _super_send

from .test_connect import PARAMS, FakeGoogleConnectCase

GOOGLE = "ann.g@example.com"


def closed_port_url():
    """A loopback URL where nothing listens: Google unreachable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class GoogleButtonCase(FakeGoogleConnectCase):
    """Connected users, and Google that may be unreachable (``cls.unreachable``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.unreachable = closed_port_url()

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Requests to the closed port really go (and fail), like those to the fake.
        if r.url.startswith(cls.unreachable):
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def connect(self, user, email):
        self.fake_control.add_user(email)
        tokens = self.fake_control.issue_tokens(email, self.client_id)
        return self.env["google.calendar.account"].create(
            {
                "user_id": user.id,
                "state": "connected",
                "google_email": email,
                "access_token": tokens["access_token"],
                "access_token_expiry": datetime.utcnow() + timedelta(seconds=3599),
                "refresh_token": tokens["refresh_token"],
            }
        )

    def click_google(self, login="ann"):
        """The Google button as ``login``: (answer, seconds it took)."""
        self.authenticate(login, login)
        started = time.monotonic()
        answer = self.make_jsonrpc_request("/google_calendar_sync/sync")
        return answer, time.monotonic() - started

    def last_run(self, user):
        return self.env["google.calendar.sync.history"].search([("user_id", "=", user.id)], limit=1)


@tagged("post_install", "-at_install")
class TestSyncMessages(GoogleButtonCase):
    def test_google_unreachable_told_plainly_within_seconds(self):
        account = self.connect(self.ann, GOOGLE)
        self.env["ir.config_parameter"].sudo().set_param(PARAMS + "api_root", self.unreachable)

        answer, seconds = self.click_google()

        self.assertLess(seconds, 8, "no long spinner")
        self.assertEqual(answer["status"], "error")
        self.assertIn("Google Calendar could not be reached", answer["message"])
        self.assertIn("Nothing is lost", answer["message"])
        self.assertNotIn("ConnectionError", answer["message"])
        self.assertEqual(account.state, "error")
        run = self.last_run(self.ann)
        self.assertEqual((run.status, run.trigger), ("error", "button"))
        self.assertEqual(run.message, answer["message"])

    def test_google_unavailable_told_plainly_within_seconds(self):
        self.connect(self.ann, GOOGLE)
        self.fake_control.inject_fault(status=503, method="GET", path=r"/events$", count=20)

        answer, seconds = self.click_google()

        self.assertLess(seconds, 8)
        self.assertEqual(answer["status"], "error")
        self.assertIn("temporarily unavailable (error 503", answer["message"])
        self.assertIn("Nothing is lost", answer["message"])

    def test_success_tells_what_moved(self):
        self.connect(self.ann, GOOGLE)
        answer, _seconds = self.click_google()
        self.assertEqual(answer["status"], "synced")
        self.assertEqual(answer["summary"], "Synchronized: everything was already up to date.")
        status = self.make_jsonrpc_request("/google_calendar_sync/status")
        self.assertEqual(status["last_run"]["id"], answer["history_id"])
        self.assertEqual(status["last_run"]["status"], "synced")

    def test_revoked_access_told_once_and_activity_done_on_reconnect(self):
        account = self.connect(self.ann, GOOGLE)
        self.fake_control.revoke_refresh_tokens(GOOGLE)
        self.fake_control.expire_access_tokens(GOOGLE)

        answer, _seconds = self.click_google()

        self.assertEqual(answer["status"], "error")
        self.assertIn("connect again", answer["message"])
        self.assertIn("Nothing is lost", answer["message"])
        self.assertEqual(account.state, "disconnected")
        notifications = self.env["bus.bus"].search(
            [("message", "like", "Google Calendar disconnected")]
        )
        self.assertFalse(notifications, "the button's answer is the one message")
        reconnect = self.env.ref("google_calendar_sync.mail_activity_type_reconnect")
        activity = self.env["mail.activity"].search([("activity_type_id", "=", reconnect.id)])
        self.assertEqual(activity.user_id, self.ann)
        # On her connection, where the activity menu leads to Reconnect.
        self.assertEqual((activity.res_model, activity.res_id), (account._name, account.id))

        # A second failure (the cron) adds no second activity.
        account.write({"state": "connected", "refresh_token": "1//gone"})
        account._run_sync()
        self.assertEqual(
            self.env["mail.activity"].search_count([("activity_type_id", "=", reconnect.id)]), 1
        )

        response = self.consent(self.start_authorization("ann"), email=GOOGLE)

        self.assertEqual(response.status_code, 303)
        self.assertEqual(account.state, "connected")
        self.assertFalse(
            self.env["mail.activity"].search([("activity_type_id", "=", reconnect.id)]),
            "the activity is done",
        )

    def test_cron_runs_are_recorded(self):
        self.connect(self.ann, GOOGLE)
        self.connect(self.bob, "bob.g@example.com")
        self.env["google.calendar.account"]._cron_sync()
        self.assertEqual(self.last_run(self.ann).trigger, "cron")
        self.assertEqual(self.last_run(self.bob).status, "synced")
