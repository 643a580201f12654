import json
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .test_connect import ConnectCase, FakeGoogleConnectCase
from .test_sync_messages import GoogleButtonCase

# Answers the fake's consent page in the tour's own browser: that page lives
# on the fake's origin, where no Odoo tour step can run.
CONSENT_SCRIPT = """
if (location.origin === %(origin)s && location.pathname === "/o/oauth2/v2/auth") {
    window.addEventListener("DOMContentLoaded", () => {
        document.querySelector("input[name=email]").value = %(email)s;
        document.getElementById("allow").click();
    });
}
"""
# A public address long enough that a cut Redirect URI would show it.
LONG_BASE_URL = "https://calendar-synchronization.a-rather-long-company-name.example.com"


@tagged("post_install", "-at_install")
class TestTourNeedConfig(HttpCase):
    def test_admin_is_offered_the_settings(self):
        self.start_tour("/odoo/calendar", "google_calendar_sync_need_config", login="admin")

    def test_user_is_told_to_ask_an_administrator(self):
        new_test_user(self.env, "ann", groups="base.group_user")
        self.start_tour("/odoo/calendar", "google_calendar_sync_need_config_user", login="ann")


@tagged("post_install", "-at_install")
class TestTourConnect(FakeGoogleConnectCase):
    client_id = "odoo-tour-client"

    def test_settings_to_synced_calendar(self):
        set_param = self.env["ir.config_parameter"].sudo().set_param
        # Endpoints point at the fake; the tour enters the client itself.
        set_param("google_calendar_sync.client_id", False)
        set_param("google_calendar_sync.client_secret", False)
        self.fake_control.add_client(self.client_id, "odoo-tour-secret", [self.redirect_uri])
        script = CONSENT_SCRIPT % {
            "origin": json.dumps(self.fake.url),
            "email": json.dumps("admin.g@example.com"),
        }
        navigate_to = ChromeBrowser.navigate_to

        def navigate_with_consent(browser, url, wait_stop=False):
            browser._websocket_request(
                "Page.addScriptToEvaluateOnNewDocument", params={"source": script}
            )
            return navigate_to(browser, url, wait_stop)

        with patch.object(ChromeBrowser, "navigate_to", navigate_with_consent):
            self.start_tour("/odoo/settings", "google_calendar_sync_connect", login="admin")

        admin = self.env.ref("base.user_admin")
        account = self.account_of(admin)
        self.assertEqual(account.state, "connected")
        self.assertEqual(account.google_email, "admin.g@example.com")
        self.assertTrue(account.last_sync)
        self.assertTrue(account.refresh_token)
        operations = [record["operation"] for record in self.fake_control.log()]
        self.assertIn("calendars.get", operations)


@tagged("post_install", "-at_install")
class TestTourSyncJourney(GoogleButtonCase):
    """The Google button, its messages, the history and the meeting's state, in
    a browser, as a connected user."""

    def setUp(self):
        super().setUp()
        self.account = self.connect(self.ann, "ann@example.com")
        # The first sync is behind: the button does not start one on loading.
        self.account._run_sync()

    def test_split_button_menu_and_history(self):
        self.start_tour("/odoo/calendar", "google_calendar_sync_split_button", login="ann")

    def test_success_notification_tells_what_moved(self):
        today = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0)
        self.fake_control.seed_events(
            "ann@example.com",
            [
                {
                    "summary": "From Google",
                    "start": {"dateTime": today.isoformat() + "Z"},
                    "end": {"dateTime": (today + timedelta(hours=1)).isoformat() + "Z"},
                }
            ],
        )
        self.env["calendar.event"].with_user(self.ann).create(
            {"name": "From Odoo", "start": today, "stop": today + timedelta(hours=1)}
        )
        self.start_tour("/odoo/calendar", "google_calendar_sync_success", login="ann")
        run = self.last_run(self.ann)
        self.assertEqual((run.trigger, run.received_count, run.sent_count), ("button", 1, 1))

    def test_google_unreachable_message(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "google_calendar_sync.api_root", self.unreachable
        )
        self.start_tour("/odoo/calendar", "google_calendar_sync_unreachable", login="ann")
        self.assertEqual(self.last_run(self.ann).status, "error")

    def test_meeting_state_and_synchronize_now(self):
        start = datetime.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "Send me", "start": start, "stop": start + timedelta(hours=1)})
        )
        self.start_tour(
            f"/odoo/calendar/{event.id}", "google_calendar_sync_meeting_state", login="ann"
        )
        self.assertIn(
            event.sudo().google_id, [e["id"] for e in self.fake_control.events("ann@example.com")]
        )


@tagged("post_install", "-at_install")
class TestTourSettings(ConnectCase):
    """The settings block as `make run` leaves it: the demo client of the
    stand-in on this machine, behind a long public address."""

    def test_redirect_uri_whole_demo_note_and_unticking_warning(self):
        self.configure(
            root="http://127.0.0.1:8765", client_id="demo-client.apps.googleusercontent.com"
        )
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param("web.base.url", LONG_BASE_URL)
        set_param("web.base.url.freeze", "True")
        self.start_tour("/odoo/settings", "google_calendar_sync_settings", login="admin")
        # Discarded: nothing was cleared.
        config = self.env["google.calendar.account"]._get_google_config()
        self.assertEqual(config["client_id"], "demo-client.apps.googleusercontent.com")
        self.assertEqual(config["client_secret"], "odoo-secret")
