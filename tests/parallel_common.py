"""Base of the tests with real parallel transactions.

Each actor (the cron, a user's Sync click, a second cron worker, a user
editing) runs in a thread with its own cursor from ``registry.cursor()``, so
PostgreSQL sees separate transactions, locks and snapshots, as in production.
The data they share is therefore committed: created in ``setUp`` and removed
again in the cleanup. The fake adds latency to Google's answers so that the
transactions really overlap.
"""

import threading
from datetime import datetime, timedelta

from odoo import api, fields
from odoo.service.model import retrying
from odoo.tests import TransactionCase

from .common import TEST_CLIENT_ID, TEST_CLIENT_SECRET, FakeGoogleMixin

PARAMS = "google_calendar_sync."
JOIN_TIMEOUT = 60  # seconds; a thread still running after this is a deadlock


class ParallelCase(FakeGoogleMixin, TransactionCase):
    """Committed users connected to the fake; ``parallel_users`` names them
    (login suffix, whether they connect Google)."""

    parallel_users = (("ann", True), ("bob", True))

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
                    for name, _connected in self.parallel_users
                ]
            )
            self.user_ids = users.ids
            self.account_ids = []
            for user, (_name, connected) in zip(users, self.parallel_users, strict=True):
                if not connected:
                    continue
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
                .search(
                    [
                        "|",
                        ("user_id", "in", self.user_ids),
                        ("google_account_id", "in", self.account_ids),
                    ]
                )
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

    def click_work(self, account_index):
        """The Sync button: ``_run_sync`` as Odoo's RPC layer serves it, which
        runs the request again after a PostgreSQL concurrency failure."""

        def work(env):
            account = env["google.calendar.account"].browse(self.account_ids[account_index])
            return retrying(account._run_sync, env)

        return work

    def cron_work(self):
        def work(env):
            env["google.calendar.account"]._cron_sync()

        return work
