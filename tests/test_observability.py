"""What an operator and a user can see of the sync: last success, last error,
pending changes, one log line per sync, and Google's usage limits."""

import logging
import re
from contextlib import contextmanager
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
SYNC_LOGGER = "odoo.addons.google_calendar_sync.sync.run"


@contextmanager
def captured_info(logger_name):
    """The messages ``logger_name`` logs at INFO and above meanwhile (``assertLogs``
    captures nothing under this test runner's logging set-up)."""
    logger = logging.getLogger(logger_name)
    messages = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


@tagged("post_install", "-at_install")
class TestObservability(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.boss = new_test_user(
            cls.env, "boss", email="boss@example.com", groups="base.group_system"
        )

    def create_event(self, user, name, days=10):
        start = self.future(days=days)
        return (
            self.env["calendar.event"]
            .with_user(user)
            .create({"name": name, "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )

    def pending_as(self, viewer, user):
        # One request serves one user; the test reads as several in one transaction.
        self.env.invalidate_all()
        return user.with_user(viewer).google_calendar_pending_changes

    def test_pending_changes_counted_and_shown_to_owner_and_admin_only(self):
        account = self.connect(self.ann)
        self.sync(account)
        synced = self.create_event(self.ann, "Synced first")
        self.sync(account)
        self.assertEqual(account.pending_change_count, 0)

        self.create_event(self.ann, "New one")
        self.create_event(self.ann, "New two", days=11)
        synced.with_user(self.ann).unlink()
        self.env.invalidate_all()

        self.assertEqual(account.pending_change_count, 3, "two creations and one deletion")
        self.assertEqual(self.pending_as(self.ann, self.ann), 3)
        self.assertEqual(self.pending_as(self.boss, self.ann), 3)
        self.assertEqual(self.pending_as(self.bob, self.ann), 0, "not a colleague's business")
        self.assertEqual(account._status()["pending_changes"], 3)

        self.sync(account)
        self.env.invalidate_all()
        self.assertEqual(account.pending_change_count, 0)

    def test_last_success_and_readable_last_error(self):
        account = self.connect(self.ann)
        self.assertEqual(account._run_sync()["status"], "synced")
        succeeded_at = account.last_sync
        self.assertTrue(succeeded_at)
        self.assertFalse(account.last_error)

        self.fake_control.inject_fault(status=400, method="GET", path=r"/events$", count=5)
        answer = account._run_sync()

        self.assertEqual(answer["status"], "error")
        self.assertEqual(account.state, "error")
        self.assertEqual(
            account.last_error,
            "Google Calendar refused the synchronization (Bad Request). Nothing is lost: your "
            "changes stay in Odoo and are sent at the next synchronization. If this happens "
            "again, tell your administrator.",
        )
        self.assertEqual(account.last_sync, succeeded_at, "the last success is kept")
        self.assertEqual(
            self.ann.with_user(self.ann).google_calendar_last_error, account.last_error
        )

        self.fake_control.clear_faults()
        self.assertEqual(account._run_sync()["status"], "synced")
        self.assertEqual(account.state, "connected")
        self.assertFalse(account.last_error)

    def test_one_log_line_per_sync_with_counts_and_duration(self):
        account = self.connect(self.ann)
        self.sync(account)
        self.seed(ANN, self.timed_event("From Google", self.future()))
        self.create_event(self.ann, "From Odoo", days=12)

        with captured_info(SYNC_LOGGER) as messages:
            self.sync(account)

        lines = [line for line in messages if "Google Calendar sync of account" in line]
        self.assertEqual(len(lines), 1, messages)
        self.assertRegex(
            lines[0],
            rf"^Google Calendar sync of account {account.id}: Odoo \+1 ~0 -0, Google \+1 ~0 -0, "
            r"0 conflict\(s\), 0 error\(s\), \d+\.\d\ds$",
        )
        self.assertNotIn(account.access_token, lines[0])

    def test_quota_exceeded_pauses_writes_for_that_user_only(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        ann_account._run_sync()
        bob_account._run_sync()
        event = self.create_event(self.ann, "Over quota")
        self.fake_control.inject_fault(
            status=403, reason="quotaExceeded", method="POST", path="^/batch/", email=ANN
        )

        ann_account._run_sync()

        paused_until = ann_account.writes_paused_until
        self.assertTrue(paused_until and paused_until > fields.Datetime.now())
        self.assertTrue(event.google_push_pending, "the change waits, it is not lost")
        self.assertIn("usage limits", ann_account.last_error)
        self.assertNotIn(event.google_id, self.google_events(ANN))

        # While paused: no write is even tried, but Google's changes still come in.
        writes_before = len(self.writes(ANN))
        [seeded] = self.seed(ANN, self.timed_event("Made on Google", self.future(days=4)))
        self.assertEqual(ann_account._run_sync()["status"], "synced")
        self.assertEqual(len(self.writes(ANN)), writes_before)
        self.assertTrue(self.event_of(seeded["id"]))
        self.assertIn("usage limits", ann_account.last_error, "still told")
        # Bob is not affected.
        bob_event = self.create_event(self.bob, "Bob's")
        bob_account._run_sync()
        self.assertIn(bob_event.google_id, self.google_events(BOB))

        # Once the pause is over, the change goes.
        ann_account.writes_paused_until = fields.Datetime.now() - timedelta(minutes=1)
        self.assertEqual(ann_account._run_sync()["status"], "synced")
        self.assertFalse(event.google_push_pending)
        self.assertEqual(self.google_events(ANN)[event.google_id]["summary"], "Over quota")
        self.assertFalse(ann_account.last_error)

    def test_status_of_the_sync_button_names_no_token(self):
        account = self.connect(self.ann)
        account._run_sync()
        status = account._status()
        self.assertEqual(
            set(status),
            {"state", "email", "last_sync", "last_error", "pending_changes", "deletion_hold"},
        )
        for secret in (account.access_token, account.refresh_token):
            self.assertFalse(re.search(re.escape(secret), str(status)))
