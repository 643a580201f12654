import json
from contextlib import contextmanager
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


@contextmanager
def consent_answered(fake_url, email):
    """Every page the tour's browser opens answers the fake's consent page as
    ``email`` (allowing every scope)."""
    script = CONSENT_SCRIPT % {"origin": json.dumps(fake_url), "email": json.dumps(email)}
    navigate_to = ChromeBrowser.navigate_to

    def navigate_with_consent(browser, url, wait_stop=False):
        browser._websocket_request(
            "Page.addScriptToEvaluateOnNewDocument", params={"source": script}
        )
        return navigate_to(browser, url, wait_stop)

    with patch.object(ChromeBrowser, "navigate_to", navigate_with_consent):
        yield


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
        with consent_answered(self.fake.url, "admin.g@example.com"):
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

    def test_revoked_access_activity_leads_to_reconnect(self):
        self.fake_control.revoke_refresh_tokens("ann@example.com")
        self.fake_control.expire_access_tokens("ann@example.com")
        with consent_answered(self.fake.url, "ann@example.com"):
            self.start_tour("/odoo/calendar", "google_calendar_sync_reconnect", login="ann")
        self.assertEqual(self.account.state, "connected")
        self.assertTrue(self.account.last_sync)
        reconnect = self.env.ref("google_calendar_sync.mail_activity_type_reconnect")
        self.assertFalse(
            self.env["mail.activity"].search([("activity_type_id", "=", reconnect.id)]),
            "done on reconnecting",
        )
        done = self.account.message_ids.filtered(lambda m: m.mail_activity_type_id == reconnect)
        self.assertIn("connected again", done.body)

    def test_long_sync_continues_in_the_background(self):
        set_param = self.env["ir.config_parameter"].sudo().set_param
        # One page of two meetings per click: the click's budget is spent at once.
        set_param("google_calendar_sync.button_seconds", "0")
        set_param("google_calendar_sync.page_size", "2")
        first = datetime.now().replace(hour=8, minute=0, second=0, microsecond=0)
        seeded = self.fake_control.seed_events(
            "ann@example.com",
            [
                {
                    "summary": f"Imported {number}",
                    "start": {"dateTime": f"{start:%Y-%m-%dT%H:%M:%S}Z"},
                    "end": {"dateTime": f"{start + timedelta(minutes=30):%Y-%m-%dT%H:%M:%S}Z"},
                }
                for number, start in enumerate(
                    first + timedelta(hours=number) for number in range(5)
                )
            ],
        )
        cron = self.env.ref("google_calendar_sync.ir_cron_sync")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

        self.start_tour("/odoo/calendar", "google_calendar_sync_continuing", login="ann")

        self.assertEqual(self.last_run(self.ann).status, "deferred")
        Event = self.env["calendar.event"].with_context(active_test=False)
        self.assertLess(Event.search_count([("google_id", "in", seeded)]), len(seeded))
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
            "the cron is called back for the rest",
        )
        with self.enter_registry_test_mode():
            for _run in range(3):
                cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(Event.search_count([("google_id", "in", seeded)]), len(seeded))
        self.assertEqual(self.last_run(self.ann).status, "synced")

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
