"""Refreshing access tokens and losing the grant, against the local fake Google."""

from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from .test_connect import FakeGoogleConnectCase


@tagged("post_install", "-at_install")
class TestTokenLifecycle(FakeGoogleConnectCase):
    def connect(self, user, email):
        """An account holding tokens that the fake issued for ``email``."""
        tokens = self.fake_control.issue_tokens(email, self.client_id)
        return self.env["google.calendar.account"].create(
            {
                "user_id": user.id,
                "state": "connected",
                "access_token": tokens["access_token"],
                "access_token_expiry": datetime.utcnow() + timedelta(seconds=3599),
                "refresh_token": tokens["refresh_token"],
            }
        )

    def test_access_token_expired_at_google_is_refreshed_and_stored(self):
        account = self.connect(self.ann, "ann.g@example.com")
        old_token = account.access_token
        # Google ends the access token early; our stored expiry still says valid.
        self.fake_control.expire_access_tokens("ann.g@example.com")
        self.assertEqual(account._run_sync()["status"], "synced")
        self.assertNotEqual(account.access_token, old_token)
        self.assertTrue(account.access_token.startswith("ya29."))
        self.assertGreater(account.access_token_expiry, datetime.utcnow())
        self.assertEqual(account.state, "connected")
        self.assertEqual(account.google_email, "ann.g@example.com")

    def test_access_token_past_its_expiry_is_refreshed_before_the_call(self):
        account = self.connect(self.ann, "ann.g@example.com")
        old_token = account.access_token
        account.access_token_expiry = datetime.utcnow() - timedelta(minutes=5)
        self.assertEqual(account._run_sync()["status"], "synced")
        self.assertNotEqual(account.access_token, old_token)
        self.assertGreater(account.access_token_expiry, datetime.utcnow())
        # Refreshed first, so the API never saw the stale token.
        self.assertNotIn(401, [record["status"] for record in self.fake_control.log()])

    def test_invalid_grant_disconnects_tells_the_user_and_cron_goes_on(self):
        cid = new_test_user(self.env, "cid", email="cid@example.com", groups="base.group_user")
        ann = self.connect(self.ann, "ann.g@example.com")
        bob = self.connect(self.bob, "bob.g@example.com")
        cid_account = self.connect(cid, "cid.g@example.com")
        self.assertLess(ann.id, bob.id)  # Ann's failure comes first
        # Ann revoked Odoo's access in her Google account.
        self.fake_control.revoke_refresh_tokens("ann.g@example.com")
        self.fake_control.expire_access_tokens("ann.g@example.com")
        # Bob's calendar refuses him: a failure of his own.
        self.fake_control.inject_fault(
            status=403, reason="insufficientPermissions", email="bob.g@example.com", count=10
        )
        self.env.flush_all()

        self.env["google.calendar.account"]._cron_sync()
        self.env.invalidate_all()

        self.assertEqual(ann.state, "disconnected")
        self.assertFalse(ann.access_token)
        self.assertFalse(ann.refresh_token)
        self.assertIn("connect again", ann.last_error)
        self.assertNotIn("1//", ann.last_error)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "google.calendar.account"), ("res_id", "=", ann.id)]
        )
        self.assertEqual(activity.user_id, self.ann)
        self.assertEqual(activity.summary, "Reconnect Google Calendar")
        notifications = self.env["bus.bus"].search(
            [("message", "like", "Google Calendar disconnected")]
        )
        self.assertTrue(notifications)
        self.assertEqual(self.ann.with_user(self.ann).google_calendar_state, "disconnected")

        self.assertEqual(bob.state, "error")
        self.assertTrue(bob.refresh_token)

        self.assertEqual(cid_account.state, "connected")
        self.assertTrue(cid_account.last_sync)
        self.assertEqual(cid_account.google_email, "cid.g@example.com")

    def test_sync_button_after_invalid_grant(self):
        account = self.connect(self.ann, "ann.g@example.com")
        self.fake_control.revoke_refresh_tokens("ann.g@example.com")
        self.fake_control.expire_access_tokens("ann.g@example.com")
        self.authenticate("ann", "ann")
        answer = self.make_jsonrpc_request("/google_calendar_sync/sync")
        self.assertEqual(answer["status"], "error")
        self.assertIn("connect again", answer["message"])
        self.assertEqual(account.state, "disconnected")
        self.assertEqual(
            self.make_jsonrpc_request("/google_calendar_sync/sync")["status"], "need_auth"
        )
