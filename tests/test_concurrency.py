"""Concurrency with real parallel transactions (see ``parallel_common``)."""

import threading

import psycopg2.errors

from odoo.tests import tagged

from .parallel_common import ParallelCase


@tagged("post_install", "-at_install")
class TestConcurrency(ParallelCase):
    # -- scenarios --------------------------------------------------------------

    def test_cron_and_sync_click_at_once_send_one_insert(self):
        _event_id, google_id = self.create_event(0, "Board meeting")
        # Google answers slowly, so that both transactions are inside a sync at once.
        self.fake_control.inject_fault(mode="latency", latency_ms=400, count=20)

        def cron(env):
            env["google.calendar.account"]._cron_sync()

        click, _cron = self.run_parallel(self.sync_work(0), cron)

        self.assertNotIsInstance(click, Exception)
        events = self.live_events("conc_ann@example.com")
        self.assertEqual([e["id"] for e in events], [google_id], "one event, no twin")
        inserts = [r for r in self.fake_control.log() if r["operation"] == "events.insert"]
        self.assertEqual(len(inserts), 1, "the second sync skipped or found nothing to send")
        pending = self.in_transaction(
            lambda env: env["calendar.event"]
            .search([("google_id", "=", google_id)])
            .google_push_pending
        )
        self.assertFalse(pending)
        # The one that found the account busy skipped it rather than failing
        # on the rows the other was writing.
        state, error = self.in_transaction(
            lambda env: (
                (account := env["google.calendar.account"].browse(self.account_ids[0])).state,
                account.last_error,
            )
        )
        self.assertEqual((state, error), ("connected", False))

    def test_two_cron_workers_share_the_accounts_without_deadlock(self):
        _ann_event, ann_google_id = self.create_event(0, "Ann's")
        _bob_event, bob_google_id = self.create_event(1, "Bob's")
        self.fake_control.inject_fault(mode="latency", latency_ms=300, count=20)

        def cron(env):
            env["google.calendar.account"]._cron_sync()

        results = self.run_parallel(cron, cron)

        self.assertEqual(results, [None, None])
        self.assertEqual(
            [e["id"] for e in self.live_events("conc_ann@example.com")], [ann_google_id]
        )
        self.assertEqual(
            [e["id"] for e in self.live_events("conc_bob@example.com")], [bob_google_id]
        )
        inserts = [r for r in self.fake_control.log() if r["operation"] == "events.insert"]
        self.assertEqual(len(inserts), 2, "each event sent once")
        states = self.in_transaction(
            lambda env: env["google.calendar.account"].browse(self.account_ids).mapped("state")
        )
        self.assertEqual(states, ["connected", "connected"])

    def test_edit_while_its_push_is_in_flight_is_not_lost(self):
        event_id, google_id = self.create_event(0, "First title")
        # The push's batch takes a second at Google: the user edits meanwhile.
        self.fake_control.inject_fault(
            mode="latency", latency_ms=1000, method="POST", path="^/batch/", count=1
        )
        push_started = threading.Event()

        def sync(env):
            push_started.set()
            return env["google.calendar.account"].browse(self.account_ids[0])._run_sync()

        def edit(env):
            push_started.wait(10)
            # Let the sync reach Google's slow answer before editing.
            threading.Event().wait(0.4)
            user = env["res.users"].browse(self.user_ids[0])
            env["calendar.event"].with_user(user).browse(event_id).write({"name": "Edited title"})

        sync_result, edit_result = self.run_parallel(sync, edit)
        self.assertIsNone(edit_result, "the user's edit went through")
        # The first sync either finished or was rolled back by PostgreSQL
        # (serialization failure on the event row the user changed): both
        # leave a state the next sync resumes from.
        if isinstance(sync_result, Exception):
            self.assertIsInstance(sync_result, psycopg2.errors.SerializationFailure)
        # Whatever the first sync made of the race (done, or rolled back on a
        # serialization failure), the next one settles it.
        self.in_transaction(
            lambda env: env["google.calendar.account"].browse(self.account_ids[0])._run_sync()
        )
        self.in_transaction(
            lambda env: env["google.calendar.account"].browse(self.account_ids[0])._run_sync()
        )
        events = self.live_events("conc_ann@example.com")
        self.assertEqual([e["id"] for e in events], [google_id], "no twin")
        self.assertEqual(events[0]["summary"], "Edited title", "the edit reached Google")

        def odoo_side(env):
            event = env["calendar.event"].browse(event_id)
            return event.name, event.google_push_pending

        self.assertEqual(self.in_transaction(odoo_side), ("Edited title", False))
