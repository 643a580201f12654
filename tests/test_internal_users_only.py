"""Only internal users connect and sync: portal and public users are refused
everywhere, and a user who stops being internal stops syncing."""

from datetime import timedelta

from odoo import Command
from odoo.tests import new_test_user, tagged

from ..models.google_calendar_synchronizer import _POSTCOMMIT_KEY, _push_after_commit
from .sync_common import SyncCase
from .test_connect import FakeGoogleConnectCase

JSON_ROUTES = (
    "/google_calendar_sync/sync",
    "/google_calendar_sync/status",
    "/google_calendar_sync/stop",
    "/google_calendar_sync/restart",
    "/google_calendar_sync/disconnect",
)
REFUSAL = "available to internal users only"


@tagged("post_install", "-at_install")
class TestPortalUserRefusedOverHttp(FakeGoogleConnectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pat = new_test_user(cls.env, "pat", email="pat@example.com", groups="base.group_portal")

    def jsonrpc_error(self, route, params=None):
        """The error a JSON-RPC route answers (None when it answers a result)."""
        response = self.opener.post(
            f"{self.base_url()}{route}",
            json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": params or {}},
            timeout=12,
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.json().get("error")

    def test_every_json_route_refuses_a_portal_user(self):
        self.authenticate("pat", "pat")
        for route in JSON_ROUTES:
            with self.subTest(route=route):
                error = self.jsonrpc_error(route, {"return_path": "/my"} if "sync" in route else {})
                self.assertTrue(error, "the route must not answer a portal user")
                self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError")
                self.assertIn(REFUSAL, error["data"]["message"])
        self.assertFalse(self.account_of(self.pat), "no account row is created")
        self.assertEqual(self.fake_control.log(), [], "nothing reached Google")

    def test_google_redirect_refuses_a_portal_user(self):
        self.authenticate("pat", "pat")
        response = self.google_redirect(code="4/a-code", state="any.state")
        self.assertEqual(response.status_code, 403)
        self.assertIn(REFUSAL, response.text)
        self.assertFalse(self.account_of(self.pat))
        self.assertEqual(self.fake_control.log(), [])

    def test_an_internal_user_turned_portal_is_refused_too(self):
        # Ann connected while she was an employee, and keeps her session.
        self.consent(self.start_authorization("ann"), email="ann.g@example.com")
        self.assertEqual(self.account_of(self.ann).state, "connected")
        self.ann.write({"group_ids": [Command.set([self.env.ref("base.group_portal").id])]})
        self.env.flush_all()
        log_before = len(self.fake_control.log())
        for route in JSON_ROUTES:
            with self.subTest(route=route):
                self.assertIn(REFUSAL, self.jsonrpc_error(route)["data"]["message"])
        self.assertEqual(len(self.fake_control.log()), log_before, "nothing reached Google")
        self.assertEqual(self.account_of(self.ann).state, "connected", "and nothing changed")

    def test_internal_users_still_get_through(self):
        self.authenticate("ann", "ann")
        self.assertIsNone(self.jsonrpc_error("/google_calendar_sync/status"))


@tagged("post_install", "-at_install")
class TestNoSyncForUsersNoLongerInternal(SyncCase):
    def run_cron(self):
        with self.enter_registry_test_mode():
            self.env["google.calendar.account"]._cron_sync()
        self.env.invalidate_all()

    def seeded_meeting(self, email, summary):
        return self.seed(email, self.timed_event(summary, self.future()))[0]

    def assert_skipped(self, account, email, seeded):
        self.assertEqual(self.fake_control.log(email), [], "no request for this account")
        self.assertFalse(self.event_of(seeded["id"]))
        self.assertFalse(account.last_sync)
        self.assertFalse(account.user_may_sync)

    def assert_synced(self, account, seeded):
        self.assertTrue(account.last_sync)
        self.assertEqual(self.event_of(seeded["id"]).name, seeded["summary"])

    def test_cron_skips_an_account_whose_user_became_portal(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        ann_meeting = self.seeded_meeting(self.ann.email, "Ann's")
        bob_meeting = self.seeded_meeting(self.bob.email, "Bob's")
        self.ann.write({"group_ids": [Command.set([self.env.ref("base.group_portal").id])]})
        self.env.flush_all()
        self.run_cron()
        self.assert_skipped(ann_account, self.ann.email, ann_meeting)
        self.assert_synced(bob_account, bob_meeting)

    def test_cron_skips_an_account_whose_user_was_archived(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        ann_meeting = self.seeded_meeting(self.ann.email, "Ann's")
        bob_meeting = self.seeded_meeting(self.bob.email, "Bob's")
        self.ann.action_archive()
        self.env.flush_all()
        log_before = len(self.fake_control.log(self.ann.email))
        self.run_cron()
        self.assertEqual(len(self.fake_control.log(self.ann.email)), log_before)
        self.assertFalse(self.event_of(ann_meeting["id"]))
        self.assertFalse(ann_account.last_sync)
        self.assert_synced(bob_account, bob_meeting)
        # Back among the employees, Ann syncs again.
        self.ann.action_unarchive()
        self.env.flush_all()
        self.run_cron()
        self.assert_synced(ann_account, ann_meeting)

    def test_push_after_commit_sends_nothing_for_a_portal_user(self):
        ann_account = self.connect(self.ann)
        self.sync(ann_account)
        start = self.future()
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "Before", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        self.sync(ann_account)
        self.assertEqual(event.google_account_id, ann_account)
        self.ann.write({"group_ids": [Command.set([self.env.ref("base.group_portal").id])]})
        # An administrator edits the meeting held in Ann's calendar.
        event = event.with_env(self.env)
        event.write({"name": "After"})
        pending = self.env.cr.postcommit.data[_POSTCOMMIT_KEY]
        self.env.flush_all()
        writes_before = len(self.writes(self.ann.email))
        with self.enter_registry_test_mode():
            _push_after_commit(self.env.cr.dbname, pending)
        self.env.invalidate_all()
        self.assertEqual(len(self.writes(self.ann.email)), writes_before)
        self.assertEqual(self.google_events(self.ann.email)[event.google_id]["summary"], "Before")
        self.assertTrue(event.google_push_pending, "kept for when Ann is an employee again")
