"""The "Reconnect Google Calendar" activity sits on the user's own connection
(``google.calendar.account``), whose form has the Reconnect button: the
owner opens it, never its tokens; a colleague or a portal user reads or
completes neither the activity nor the account, over RPC. The migration of
19.0.1.2.0 moves the activities an older version left on the contact."""

import importlib.util
from pathlib import Path

from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .test_sync_messages import GoogleButtonCase

GOOGLE = "ann.g@example.com"
RECONNECT = "google_calendar_sync.mail_activity_type_reconnect"
ACCESS_ERROR = "odoo.exceptions.AccessError"


def load_migration():
    path = Path(__file__).parent.parent / "migrations" / "19.0.1.2.0" / "post-migration.py"
    spec = importlib.util.spec_from_file_location("gcs_migration_19_0_1_2_0", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestReconnectActivity(GoogleButtonCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(
            cls.env, "pat", email="pat@example.com", groups="base.group_portal"
        )

    def call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def assert_refused(self, model, method, args, kwargs=None):
        with self.assertRaises(JsonRpcException) as caught:
            self.call_kw(model, method, args, kwargs)
        self.assertEqual(caught.exception.args[0], ACCESS_ERROR)

    def revoked(self):
        """Ann's access revoked at Google, found by her click: her account and activity."""
        account = self.connect(self.ann, GOOGLE)
        self.fake_control.revoke_refresh_tokens(GOOGLE)
        self.fake_control.expire_access_tokens(GOOGLE)
        answer, _seconds = self.click_google()
        self.assertIn("connect again", answer["message"])
        activity = self.env["mail.activity"].search(
            [("activity_type_id", "=", self.env.ref(RECONNECT).id)]
        )
        self.assertEqual(activity.user_id, self.ann)
        return account, activity

    def test_owner_opens_her_connection_without_its_tokens(self):
        account, activity = self.revoked()
        self.assertEqual((activity.res_model, activity.res_id), (account._name, account.id))
        self.authenticate("ann", "ann")
        action = self.make_jsonrpc_request(
            "/web/action/run",
            {"action_id": self.env.ref("google_calendar_sync.action_my_google_calendar").id},
        )
        self.assertEqual((action["res_model"], action["res_id"]), (account._name, account.id))
        [values] = self.call_kw(
            account._name,
            "web_read",
            [account.ids],
            {"specification": {"state": {}, "google_email": {}, "activity_ids": {}}},
        )
        self.assertEqual(values["state"], "disconnected")
        self.assertEqual(values["activity_ids"], activity.ids)
        fields = self.call_kw(account._name, "fields_get", [], {"attributes": ["type"]})
        for secret in ("access_token", "refresh_token", "oauth_pending", "sync_token"):
            self.assertNotIn(secret, fields)
            self.assert_refused(account._name, "read", [account.ids, [secret]])
        # Read-only: only the sync code changes it.
        self.assert_refused(account._name, "write", [account.ids, {"state": "connected"}])
        # Her own activity she may mark done by hand.
        self.call_kw("mail.activity", "action_feedback", [activity.ids], {"feedback": "done"})
        self.assertFalse(activity.exists() and activity.active)

    def test_revoked_again_after_reconnecting_asks_again(self):
        account, first = self.revoked()
        response = self.consent(self.start_authorization("ann"), email=GOOGLE)
        self.assertEqual(response.status_code, 303)
        self.assertFalse(first.active, "done on reconnecting")
        self.fake_control.revoke_refresh_tokens(GOOGLE)
        self.fake_control.expire_access_tokens(GOOGLE)

        answer, _seconds = self.click_google()

        self.assertEqual(account.state, "disconnected")
        self.assertIn("connect again", answer["message"])
        second = account.activity_ids
        self.assertEqual(len(second), 1, "a new activity, the done one does not count")
        self.assertNotEqual(second, first)

    def test_colleague_and_portal_user_reach_neither_activity_nor_account(self):
        account, activity = self.revoked()
        self.connect(self.bob, "bob.g@example.com")
        for login in ("bob", "pat"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                # The activity: not listed, not read, not completed, not removed.
                search = ("mail.activity", "search_read", [[("id", "=", activity.id)]])
                if login == "bob":
                    self.assertFalse(self.call_kw(*search, {"fields": ["summary", "note"]}))
                else:  # a portal user has no activities at all
                    self.assert_refused(*search, {"fields": ["summary", "note"]})
                self.assert_refused("mail.activity", "read", [activity.ids, ["summary", "note"]])
                self.assert_refused("mail.activity", "action_feedback", [activity.ids])
                self.assert_refused("mail.activity", "unlink", [activity.ids])
                # The account: neither read nor found, nor written to its chatter.
                self.assert_refused(account._name, "read", [account.ids, ["state"]])
                self.assert_refused(
                    account._name,
                    "web_read",
                    [account.ids],
                    {"specification": {"google_email": {}, "activity_ids": {}}},
                )
                self.assert_refused(
                    account._name, "message_post", [account.ids], {"body": "Mine now"}
                )
                self.assert_refused(
                    "mail.activity",
                    "create",
                    [
                        {
                            "res_model_id": self.env["ir.model"]._get_id(account._name),
                            "res_id": account.id,
                            "activity_type_id": self.env.ref(RECONNECT).id,
                            "user_id": self.ann.id,
                        }
                    ],
                )
        # Bob finds his own connection only, and reads none of Ann's fields.
        self.authenticate("bob", "bob")
        found = self.call_kw(account._name, "search_read", [[]], {"fields": ["user_id"]})
        self.assertEqual([row["user_id"][0] for row in found], [self.bob.id])
        self.assertTrue(activity.exists() and activity.active, "still Ann's to do")
        self.assertEqual(account.state, "disconnected")

    def test_migration_moves_activities_off_the_contact(self):
        ann_account = self.connect(self.ann, GOOGLE)
        bob_account = self.connect(self.bob, "bob.g@example.com")
        Activity = self.env["mail.activity"]

        def on_contact(user):
            return user.partner_id.activity_schedule(RECONNECT, user_id=user.id)

        ann_old = on_contact(self.ann)
        ann_twin = on_contact(self.ann)
        bob_old = on_contact(self.bob)
        bob_new = bob_account.activity_schedule(RECONNECT, user_id=self.bob.id)
        self.assertLess(bob_old.id, bob_new.id, "the older one is on the contact")

        load_migration().migrate(self.env.cr, "19.0.1.1.0")

        reconnect = Activity.search([("activity_type_id", "=", self.env.ref(RECONNECT).id)])
        self.assertEqual(reconnect, ann_old | bob_old, "one per user, the oldest")
        self.assertEqual((ann_old.res_model, ann_old.res_id), (ann_account._name, ann_account.id))
        self.assertEqual((bob_old.res_model, bob_old.res_id), (bob_account._name, bob_account.id))
        self.assertFalse((ann_twin | bob_new).exists())
