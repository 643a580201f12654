"""Concurrency with real parallel transactions.

Each actor (the cron, a user's Sync click, a second cron worker, a user
editing) runs in a thread with its own cursor from ``registry.cursor()``, so
PostgreSQL sees separate transactions, locks and snapshots, as in production.
The data they share is therefore committed: created in ``setUp`` and removed
again in the cleanup. The fake adds latency to Google's answers so that the
transactions really overlap.
"""

import threading
from datetime import datetime, timedelta

import psycopg2.errors

from odoo import api, fields
from odoo.tests import TransactionCase, tagged

from .common import TEST_CLIENT_ID, TEST_CLIENT_SECRET, FakeGoogleMixin

PARAMS = "google_calendar_sync."
JOIN_TIMEOUT = 60  # seconds; a thread still running after this is a deadlock


@tagged("post_install", "-at_install")
class TestConcurrency(FakeGoogleMixin, TransactionCase):
    def setUp(self):
        super().setUp()
        self.registry = self.env.registry
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            params = env["ir.config_parameter"]
            settings = {
                "api_root": self.fake.url,
                "token_endpoint": f"{self.fake.url}/token",
                "revoke_endpoint": f"{self.fake.url}/revoke",
                "client_id": TEST_CLIENT_ID,
                "client_secret": TEST_CLIENT_SECRET,
                "send_updates": "none",
                "paused": "",
            }
            previous = {key: params.get_param(PARAMS + key) for key in settings}
            for key, value in settings.items():
                params.set_param(PARAMS + key, value)
            users = env["res.users"].create(
                [
                    {"name": name, "login": f"conc_{name}", "email": f"conc_{name}@example.com"}
                    for name in ("ann", "bob")
                ]
            )
            self.user_ids = users.ids
            self.account_ids = []
            for user in users:
                self.fake_control.add_user(user.email, time_zone="UTC")
                tokens = self.fake_control.issue_tokens(user.email, TEST_CLIENT_ID)
                account = env["google.calendar.account"].create(
                    {
                        "user_id": user.id,
                        "state": "connected",
                        "google_email": user.email,
                        "access_token": tokens["access_token"],
                        "refresh_token": tokens["refresh_token"],
                        "access_token_expiry": fields.Datetime.now() + timedelta(hours=1),
                        "last_sync": fields.Datetime.now() - timedelta(days=1),
                    }
                )
                self.account_ids.append(account.id)
        self.addCleanup(self._remove_committed_data, previous)

    def _remove_committed_data(self, previous):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            events = (
                env["calendar.event"]
                .with_context(active_test=False)
                .search([("user_id", "in", self.user_ids)])
            )
            events.with_context(google_calendar_sync_from_google=True).unlink()
            env["google.calendar.outbox"].search([("account_id", "in", self.account_ids)]).unlink()
            env["google.calendar.account"].browse(self.account_ids).unlink()
            users = env["res.users"].browse(self.user_ids)
            partners = users.partner_id
            users.unlink()
            partners.unlink()
            for key, value in previous.items():
                env["ir.config_parameter"].set_param(PARAMS + key, value or False)

    # -- helpers ----------------------------------------------------------------

    def in_transaction(self, work):
        """Run ``work(env)`` in a transaction of its own, committed at the end."""
        with self.registry.cursor() as cr:
            return work(api.Environment(cr, api.SUPERUSER_ID, {}))

    def run_parallel(self, *works):
        """Start every ``work(env)`` in its own thread and transaction; their
        results (or exceptions) in order. Fails on a deadlock."""
        results = [None] * len(works)

        def runner(index, work):
            try:
                results[index] = self.in_transaction(work)
            except Exception as exc:  # reported to the test, which decides
                results[index] = exc

        threads = [
            threading.Thread(target=runner, args=(index, work), daemon=True)
            for index, work in enumerate(works)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_TIMEOUT)
            self.assertFalse(thread.is_alive(), "a transaction is stuck: deadlock")
        return results

    def set_paused(self, paused):
        self.in_transaction(
            lambda env: env["ir.config_parameter"].set_param(
                PARAMS + "paused", "True" if paused else ""
            )
        )

    def create_event(self, user_index, name):
        """A committed event waiting for its push (the fast path after the
        commit is held back by a pause, so that the syncs under test find it)."""
        start = (datetime.now() + timedelta(days=3)).replace(microsecond=0)

        def create(env):
            user = env["res.users"].browse(self.user_ids[user_index])
            event = (
                env["calendar.event"]
                .with_user(user)
                .create({"name": name, "start": start, "stop": start + timedelta(hours=1)})
            )
            return event.id, event.sudo().google_id

        self.set_paused(True)
        created = self.in_transaction(create)
        self.set_paused(False)
        return created

    def sync_work(self, account_index):
        def work(env):
            return (
                env["google.calendar.account"].browse(self.account_ids[account_index])._run_sync()
            )

        return work

    def live_events(self, email):
        return [e for e in self.fake_control.events(email) if e.get("status") != "cancelled"]

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
