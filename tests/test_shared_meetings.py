"""Meetings shared by several users, synced at the same moment (issue 14).

Real parallel transactions (``parallel_common``) over real HTTP to the fake.
"""

from datetime import datetime, timedelta

from odoo.tests import tagged

from .parallel_common import ParallelCase


def _google_body(summary, start, guests=()):
    return {
        "summary": summary,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "UTC"},
        "end": {
            "dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeZone": "UTC",
        },
        "attendees": [{"email": guest} for guest in guests],
    }


@tagged("post_install", "-at_install")
class TestSimultaneousSyncs(ParallelCase):
    ANN = "conc_ann@example.com"
    BOB = "conc_bob@example.com"

    def seed_shared(self, count=3):
        """``count`` meetings Ann organizes on Google with Bob invited."""
        start = (datetime.utcnow() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
        self.fake_control.seed_events(
            self.ANN,
            [
                _google_body(f"Shared {index}", start + timedelta(days=index), [self.BOB])
                for index in range(count)
            ],
        )
        return {event["iCalUID"] for event in self.live_events(self.ANN)}

    def odoo_copies(self, ical_uids):
        """{iCalUID: [(event id, attendee e-mails)]} of the committed Odoo events."""

        def read(env):
            events = env["calendar.event"].search([("google_ical_uid", "in", list(ical_uids))])
            copies = {uid: [] for uid in ical_uids}
            for event in events:
                copies[event.google_ical_uid].append(
                    (event.id, sorted(event.partner_ids.mapped("email")))
                )
            return copies

        return self.in_transaction(read)

    def assert_once_each(self, ical_uids):
        copies = self.odoo_copies(ical_uids)
        for uid, events in copies.items():
            self.assertEqual(len(events), 1, f"meeting {uid} once in Odoo, got {events}")
            self.assertIn(self.BOB, events[0][1])

    def test_two_users_syncing_at_once_import_each_meeting_once(self):
        ical_uids = self.seed_shared()
        # Google answers slowly, so that both syncs are inside their pull at once.
        self.fake_control.inject_fault(mode="latency", latency_ms=300, count=40)

        results = self.run_parallel(self.click_work(0), self.click_work(1))

        for result in results:
            self.assertNotIsInstance(result, Exception)
            self.assertEqual(result["status"], "synced")
        self.assert_once_each(ical_uids)
        # Later syncs keep it so, and write nothing to Google.
        self.run_parallel(self.click_work(0), self.click_work(1))
        self.assert_once_each(ical_uids)

    def test_two_users_and_the_cron_at_once_import_each_meeting_once(self):
        ical_uids = self.seed_shared()
        self.fake_control.inject_fault(mode="latency", latency_ms=300, count=60)

        results = self.run_parallel(
            self.click_work(0), self.click_work(1), self.cron_work(), self.cron_work()
        )

        for result in results:
            self.assertNotIsInstance(result, Exception)
        self.assert_once_each(ical_uids)
        self.run_parallel(self.cron_work())
        self.assert_once_each(ical_uids)
