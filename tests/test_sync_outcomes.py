"""One rule per outcome of a write, for events and series alike.

A series write and an event write that meet the same answer from Google are
handled the same way (``engine.outcomes``): these tests hold the series to the
rules the events already followed.
"""

from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from .test_recurrence_sync import ANN, RecurrenceCase


@tagged("post_install", "-at_install")
class TestSeriesOutcomes(RecurrenceCase):
    def series_on_google(self, name="Weekly review"):
        monday = datetime.now() + timedelta(days=7 - datetime.now().weekday() + 7)
        event = self.create_series(
            name, monday.replace(hour=10, minute=0, second=0, microsecond=0), count=3
        )
        recurrence = event.recurrence_id
        self.assertEqual(self.account._run_sync()["status"], "synced")
        self.assertIn(recurrence.google_id, self.google_events(ANN))
        return recurrence.base_event_id, recurrence

    def test_quota_exceeded_on_a_series_keeps_the_edit_and_pauses_writes(self):
        event, recurrence = self.series_on_google()
        event.with_user(self.ann).write({"name": "Renamed", "recurrence_update": "all_events"})
        recurrence = event.recurrence_id
        self.assertTrue(recurrence.google_push_pending)
        self.fake_control.inject_fault(
            status=403, reason="quotaExceeded", method="POST", path="^/batch/", email=ANN
        )

        self.account._run_sync()
        self.env.invalidate_all()

        paused_until = self.account.writes_paused_until
        self.assertTrue(paused_until and paused_until > fields.Datetime.now(), "writes pause")
        self.assertTrue(recurrence.google_push_pending, "the edit waits, it is not lost")
        self.assertIn("usage limits", self.account.last_error)
        self.assertEqual(self.google_events(ANN)[recurrence.google_id]["summary"], "Weekly review")
        # Once the pause is over, the edit goes.
        self.account.writes_paused_until = fields.Datetime.now() - timedelta(minutes=1)
        self.assertEqual(self.account._run_sync()["status"], "synced")
        self.env.invalidate_all()
        self.assertFalse(recurrence.google_push_pending)
        self.assertEqual(self.google_events(ANN)[recurrence.google_id]["summary"], "Renamed")

    def test_pending_change_count_includes_series(self):
        self.assertEqual(self.account._run_sync()["status"], "synced")
        self.fake_control.inject_fault(status=503, method="POST", path="^/batch/", email=ANN)
        monday = datetime.now() + timedelta(days=7 - datetime.now().weekday() + 7)
        self.create_series(
            "Waiting", monday.replace(hour=9, minute=0, second=0, microsecond=0), count=2
        )
        self.assertEqual(self.account.pending_change_count, 1, "the series waits for Google")
        self.assertEqual(self.ann.with_user(self.ann).google_calendar_pending_changes, 1)
