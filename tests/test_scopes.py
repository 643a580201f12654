"""Least privilege: the module asks Google for the events and the calendars'
properties only, and accounts connected with the old broad scope keep working."""

from datetime import datetime, timedelta

from odoo.tests import tagged

from ..engine import oauth
from .test_connect import FakeGoogleConnectCase

EVENTS = "https://www.googleapis.com/auth/calendar.events"
CALENDARS_READ = "https://www.googleapis.com/auth/calendar.calendars.readonly"


@tagged("post_install", "-at_install")
class TestLeastPrivilege(FakeGoogleConnectCase):
    def test_consent_grants_exactly_two_scopes_and_a_full_sync_works_with_them(self):
        params = self.start_authorization("ann")
        self.assertEqual(params["scope"].split(), [EVENTS, CALENDARS_READ])
        self.assertNotIn("include_granted_scopes", params)
        self.assertEqual(self.consent(params, email="ann.g@example.com").status_code, 303)
        [grant] = self.fake_control.grants("ann.g@example.com")
        self.assertEqual(grant["scopes"], sorted([EVENTS, CALENDARS_READ]))
        account = self.account_of(self.ann)
        self.assertEqual(account.granted_scope.split(), [EVENTS, CALENDARS_READ])
        self.assertEqual(account._get_client().credentials.scopes, [EVENTS, CALENDARS_READ])

        # Both ways: a Google event comes to Odoo, an Odoo event goes to Google.
        start = datetime.now().replace(microsecond=0) + timedelta(days=3)
        [seeded] = self.fake_control.seed_events(
            "ann.g@example.com",
            [
                {
                    "summary": "Made on Google",
                    "start": {"dateTime": start.isoformat() + "Z"},
                    "end": {"dateTime": (start + timedelta(hours=1)).isoformat() + "Z"},
                }
            ],
        )
        made_in_odoo = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "Made in Odoo", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        # The access token expires meanwhile: the refresh asks for the granted scopes.
        self.fake_control.expire_access_tokens("ann.g@example.com")
        answer = self.make_jsonrpc_request("/google_calendar_sync/sync")
        self.assertEqual(answer["status"], "synced", answer)
        self.assertEqual((answer["odoo_created"], answer["google_created"]), (1, 1))
        self.assertEqual(account.google_email, "ann.g@example.com", "read with calendars.get")
        imported = self.env["calendar.event"].search([("google_id", "=", seeded)])
        self.assertEqual(imported.name, "Made on Google")
        self.assertEqual(
            self.fake_control.event("ann.g@example.com", made_in_odoo.google_id)["summary"],
            "Made in Odoo",
        )
        refused = [record for record in self.fake_control.log() if record["status"] == 403]
        self.assertEqual(refused, [], "no request needed more than the two scopes")
        self.assertTrue(
            any(record["path"] == "/token" for record in self.fake_control.log()[1:]),
            "the token was refreshed",
        )

    def test_account_connected_with_the_broad_scope_keeps_working(self):
        tokens = self.fake_control.issue_tokens(
            "ann.g@example.com", self.client_id, scope=oauth.LEGACY_CALENDAR_SCOPE
        )
        account = self.env["google.calendar.account"].create(
            {
                "user_id": self.ann.id,
                "state": "connected",
                "access_token": tokens["access_token"],
                "access_token_expiry": datetime.utcnow() - timedelta(minutes=5),
                "refresh_token": tokens["refresh_token"],
            }
        )
        self.assertEqual(account._get_client().credentials.scopes, [oauth.LEGACY_CALENDAR_SCOPE])
        self.assertEqual(account._run_sync()["status"], "synced")
        self.assertNotEqual(account.access_token, tokens["access_token"], "refreshed")
        self.assertEqual(account.state, "connected")
        self.assertEqual(account.google_email, "ann.g@example.com")

    def test_a_grant_without_every_scope_is_refused_and_revoked(self):
        # The user unticked "see the properties of your calendars" on Google's page.
        response = self.consent(
            self.start_authorization("ann"), email="ann.g@example.com", scope=EVENTS
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("needs every permission", response.text)
        account = self.account_of(self.ann)
        self.assertNotEqual(account.state, "connected")
        self.assertFalse(account.refresh_token)
        self.assertFalse(account.access_token)
        self.assertEqual(self.fake_control.grants(), [], "revoked at Google")
