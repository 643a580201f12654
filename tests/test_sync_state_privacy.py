"""A meeting's sync error names the meeting and quotes Google: over RPC, a
colleague reads the state of someone else's private meeting but not its
reason, and cannot read or search the stored error; a portal user invited to
the meetings reads none of it (the sync state is for internal users)."""

import contextlib
from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .test_sync_messages import GoogleButtonCase

GOOGLE = "ann.g@example.com"
ACCESS_ERROR = "odoo.exceptions.AccessError"
STATE_FIELDS = ["name", "google_sync_state", "google_sync_reason"]


@tagged("post_install", "-at_install")
class TestSyncErrorPrivacy(GoogleButtonCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(
            cls.env, "pat", email="pat@example.com", groups="base.group_portal"
        )

    def setUp(self):
        super().setUp()
        account = self.connect(self.ann, GOOGLE)
        account._run_sync()
        start = (datetime.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        guests = [Command.set([self.ann.partner_id.id, self.portal.partner_id.id])]
        Event = self.env["calendar.event"].with_user(self.ann)
        self.secret, self.lunch = (
            Event.create(
                {
                    "name": name,
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "privacy": privacy,
                    "partner_ids": guests,
                }
            )
            for name, privacy in (("Salary review of Carl", "private"), ("Team lunch", "public"))
        )
        # Google keeps failing both: each meeting keeps the error, naming it.
        self.fake_control.inject_fault(
            status=503, method="POST", path=r"/calendars/primary/events$", email=GOOGLE, count=50
        )
        # As a click runs it: retried for a few seconds only.
        account.with_context(google_calendar_sync_trigger="meeting")._run_sync()
        self.assertIn("Salary review", self.secret.sudo().google_sync_error or "")
        self.assertTrue(self.lunch.sudo().google_sync_error)
        self.ids = (self.secret | self.lunch).ids

    def call_kw(self, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/calendar.event/{method}",
            {"model": "calendar.event", "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def assert_refused(self, method, args, kwargs=None):
        with self.assertRaises(JsonRpcException) as caught:
            self.call_kw(method, args, kwargs)
        self.assertEqual(caught.exception.args[0], ACCESS_ERROR)

    def assert_error_not_in(self, rows):
        text = str(rows)
        self.assertNotIn("Salary review", text)
        self.assertNotIn(self.secret.sudo().google_sync_error, text)

    def test_colleague_reads_the_state_not_the_reason_of_a_private_meeting(self):
        self.authenticate("bob", "bob")
        rows = {
            row["id"]: row
            for row in self.call_kw(
                "search_read", [[("id", "in", self.ids)]], {"fields": STATE_FIELDS}
            )
        }
        secret, lunch = rows[self.secret.id], rows[self.lunch.id]
        self.assertEqual((secret["name"], secret["google_sync_state"]), ("Busy", "error"))
        self.assertFalse(secret["google_sync_reason"])
        # A public meeting's reason is no secret to colleagues.
        self.assertIn("Team lunch", lunch["google_sync_reason"])
        # The stored error is the sync's own: neither read, nor searched for its words.
        self.assert_refused("read", [self.ids, ["google_sync_error"]])
        self.assert_refused(
            "search_read", [[("google_sync_error", "ilike", "Salary")]], {"fields": ["id"]}
        )
        self.assert_error_not_in(self.call_kw("read", [self.secret.ids]))
        self.assert_error_not_in(self.call_kw("search_read", [[("id", "in", self.ids)]]))

    def test_portal_guest_reads_no_sync_state(self):
        self.authenticate("pat", "pat")
        for field in ("google_sync_error", "google_sync_reason", "google_sync_state"):
            with self.subTest(field=field):
                self.assert_refused("read", [self.ids, [field]])
                self.assert_refused("search_read", [[("id", "in", self.ids)]], {"fields": [field]})
        # Every field the portal user is told of, read one by one (Odoo itself
        # refuses a few to portal users, the meeting types for one).
        advertised = self.call_kw("fields_get", [], {"attributes": ["type"]})
        self.assertFalse([name for name in advertised if name.startswith("google_sync")])
        rows = []
        for name in advertised:
            with contextlib.suppress(JsonRpcException):
                rows += self.call_kw("read", [self.ids, [name]])
        self.assertEqual({row["id"] for row in rows}, set(self.ids), "invited to both")
        for event in (self.secret, self.lunch):  # their titles are no secret to a guest
            self.assertNotIn(event.sudo().google_sync_error, str(rows))

    def test_organizer_reads_her_reasons(self):
        self.authenticate("ann", "ann")
        rows = self.call_kw("search_read", [[("id", "in", self.ids)]], {"fields": STATE_FIELDS})
        self.assertTrue(all("Will retry" in row["google_sync_reason"] for row in rows), rows)
