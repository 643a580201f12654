import json
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .test_connect import FakeGoogleConnectCase

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
