"""Large calendars and many users, over real HTTP to the fake: the cron's
sync commits page by page and batch by batch (a sync killed at any point
resumes from its last commit, without twins), a cron run stops at its budget
and reports the rest through Odoo's cron progress API, and several sync
actions (each run by whichever Odoo process is free) share the accounts
without ever syncing one account twice at once or twice in a cycle."""

import threading
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from ..sync.run import SyncRun
from .parallel_common import ParallelCase
from .sync_common import SyncCase
from .test_sync_steps import ANN, PAGE_SIZE, listings, seed_meetings

PARAMS = "google_calendar_sync."


class Killed(BaseException):
    """The Odoo process running the cron dies (not an error a sync catches)."""


def dies_at_call(method, number):
    """``method`` (of ``SyncRun``) as it runs until its ``number``-th call,
    where the process dies before the call does anything."""
    calls = []

    def dying(run, *args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise Killed
        return method(run, *args, **kwargs)

    return dying


@tagged("post_install", "-at_install")
class TestCronSteps(SyncCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param(PARAMS + "page_size", str(PAGE_SIZE))
        self.account = self.connect(self.ann)

    def cron(self):
        with self.enter_registry_test_mode():
            self.env["google.calendar.account"]._cron_sync()
        self.env.invalidate_all()

    def cron_killed(self):
        """The cron, in a process that dies (not ``assertRaises``, which
        would roll back what the cron committed)."""
        try:
            self.cron()
        except Killed:
            return
        self.fail("the process did not die")

    def imported(self):
        return (
            self.env["calendar.event"]
            .with_context(active_test=False)
            .search([("google_account_id", "=", self.account.id)])
        )

    def test_first_sync_killed_mid_listing_keeps_its_committed_pages(self):
        seeded = seed_meetings(self, ANN, 10)  # four pages of three

        with patch.object(SyncRun, "_apply_items", dies_at_call(SyncRun._apply_items, 3)):
            self.cron_killed()

        # Pages 1 and 2 were committed before the process died on page 3.
        self.env.invalidate_all()
        self.assertEqual(len(self.imported()), 2 * PAGE_SIZE)
        self.assertTrue(self.account.sync_progress["page_token"])
        self.assertFalse(self.account.last_sync, "still a first sync")
        done = len(listings(self, ANN))

        self.cron()

        resumed = listings(self, ANN)[done:]
        self.assertEqual(len(resumed), 2, "pages 3 and 4, not the committed ones again")
        self.assertTrue(all(r["query"].get("pageToken") for r in resumed))
        events = self.imported()
        self.assertEqual(sorted(events.mapped("google_id")), sorted(seeded))
        self.assertEqual(len(set(events.mapped("name"))), len(events), "no twins")
        self.assertTrue(self.account.last_sync)
        self.assertFalse(self.account.sync_progress)

    def test_google_failing_mid_listing_keeps_the_committed_pages_and_tells_the_user(self):
        seeded = seed_meetings(self, ANN, 10)  # four pages of three
        calls = []
        apply_items = SyncRun._apply_items

        def failing_third_page(run, *args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                # Page 3 applied, then Google refuses a request before its commit.
                result = apply_items(run, *args, **kwargs)
                self.fake_control.inject_fault(status=400, method="GET", count=5)
                run.client.get_calendar("primary")
                return result
            return apply_items(run, *args, **kwargs)

        with patch.object(SyncRun, "_apply_items", failing_third_page):
            self.cron()

        self.assertEqual(len(self.imported()), 2 * PAGE_SIZE, "page 3 rolled back")
        self.assertEqual(self.account.state, "error")
        self.assertIn("Nothing is lost", self.account.last_error)
        run = self.env["google.calendar.sync.history"].search([("user_id", "=", self.ann.id)])
        self.assertEqual(run.status, "error")
        self.fake_control.clear_faults()
        done = len(listings(self, ANN))

        self.cron()

        self.assertEqual(len(listings(self, ANN)[done:]), 2, "pages 3 and 4 only")
        self.assertEqual(sorted(self.imported().mapped("google_id")), sorted(seeded))
        self.assertEqual(self.account.state, "connected")

    def test_push_killed_after_a_batch_resends_it_without_twins(self):
        self.assertEqual(self.account._run_sync()["status"], "synced")
        self.env["ir.config_parameter"].sudo().set_param(PARAMS + "batch_size", "2")
        meetings = [
            self.odoo_meeting(self.ann, f"Odoo {number}", start=self.future(days=number + 2))
            for number in range(5)
        ]

        # The process dies once Google stored the second batch, before its
        # outcomes were committed.
        with patch.object(SyncRun, "_batch_done", dies_at_call(SyncRun._batch_done, 2)):
            self.cron_killed()

        self.env.invalidate_all()
        sent = [meeting for meeting in meetings if meeting.google_etag]
        self.assertEqual(len(sent), 2, "the first batch's outcomes were committed")
        live = [e for e in self.google_events(ANN).values() if e.get("status") != "cancelled"]
        self.assertEqual(len(live), 4, "Google holds the second batch too")

        self.cron()

        self.assertTrue(all(meeting.google_etag for meeting in meetings))
        self.assertFalse(any(meeting.google_push_pending for meeting in meetings))
        live = [e for e in self.google_events(ANN).values() if e.get("status") != "cancelled"]
        self.assertEqual(
            sorted(e["summary"] for e in live), [f"Odoo {n}" for n in range(5)], "no twins"
        )
        self.assertEqual({e["id"] for e in live}, {meeting.google_id for meeting in meetings})

    def test_cron_syncs_an_idle_account_in_five_queries(self):
        seed_meetings(self, ANN, 2)
        self.assertEqual(self.account._run_sync()["status"], "synced")
        self.account.last_sync = fields.Datetime.now() - timedelta(hours=1)
        Account = self.env["google.calendar.account"]
        Account._cron_sync_one(self.account.id, fields.Datetime.now(), 10)  # warm caches
        self.account.last_sync = fields.Datetime.now() - timedelta(hours=1)
        self.env.flush_all()
        lists = len(listings(self, ANN))

        with self.enter_registry_test_mode(), self.assertQueryCount(5):
            Account._cron_sync_one(self.account.id, fields.Datetime.now(), 10)

        self.assertEqual(len(listings(self, ANN)), lists + 1, "one request")

    def test_cron_run_stops_at_its_budget_and_the_next_run_goes_on(self):
        carl = self.env["res.users"].create(
            {"name": "Carl", "login": "carl", "email": "carl@example.com"}
        )
        accounts = self.account | self.connect(self.bob) | self.connect(carl)
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param(PARAMS + "cron_run_seconds", "1")
        # Each first sync (the calendar, then the listing) outlasts the budget.
        self.fake_control.inject_fault(mode="latency", latency_ms=600, method="GET", count=20)
        cron = self.env.ref("google_calendar_sync.ir_cron_sync")
        Trigger = self.env["ir.cron.trigger"]

        synced = []
        for _run in range(3):
            Trigger.search([("cron_id", "=", cron.id)]).unlink()
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()
            self.env.invalidate_all()
            synced.append(len(accounts.filtered("last_sync")))
            progress = self.env["ir.cron.progress"].search(
                [("cron_id", "=", cron.id)], order="id desc", limit=1
            )
            if synced[-1] < 3:
                self.assertEqual(progress.remaining, 3 - synced[-1], "work left, told to Odoo")
                self.assertTrue(
                    Trigger.search([("cron_id", "=", cron.id)]), "Odoo runs the cron again soon"
                )

        self.assertEqual(synced, [1, 2, 3], "one account per run of a second")
        for account in accounts:
            lists = [
                r
                for r in self.fake_control.log(account.google_email)
                if r["operation"] == "events.list"
            ]
            self.assertEqual(len(lists), 1, "each account synced once in the cycle")


@tagged("post_install", "-at_install")
class TestSyncActionsShareTheAccounts(ParallelCase):
    parallel_users = tuple((f"user{number}", True) for number in range(6))

    def set_cron_jobs(self, count):
        self.in_transaction(
            lambda env: env["ir.config_parameter"].set_param(PARAMS + "cron_jobs", count)
        )
        return self.in_transaction(self.sync_actions)

    def test_two_sync_actions_never_sync_one_account_at_once(self):
        self.addCleanup(self.set_cron_jobs, False)
        crons = self.set_cron_jobs("2")
        self.assertEqual(len(crons), 2, "a second sync action made for the parameter")
        self.fake_control.inject_fault(mode="latency", latency_ms=150, count=200)
        runs, lock = [], threading.Lock()
        Account = type(self.env["google.calendar.account"])
        original = Account._sync

        def timed_sync(account, *args, **kwargs):
            started = time.monotonic()
            try:
                return original(account, *args, **kwargs)
            finally:
                with lock:
                    runs.append((account.id, started, time.monotonic()))

        def run_action(cron_id):
            def work(env):
                env["google.calendar.account"].with_context(cron_id=cron_id)._cron_sync()

            return work

        with patch.object(Account, "_sync", timed_sync):
            results = self.run_parallel(*(run_action(cron_id) for cron_id in crons))

        self.assertEqual(results, [None, None])
        by_account = {}
        for account_id, started, ended in runs:
            by_account.setdefault(account_id, []).append((started, ended))
        self.assertEqual(sorted(by_account), sorted(self.account_ids), "every account synced")
        self.assertTrue(
            all(len(spans) == 1 for spans in by_account.values()), "each account once a cycle"
        )
        last_syncs = self.in_transaction(
            lambda env: env["google.calendar.account"].browse(self.account_ids).mapped("last_sync")
        )
        self.assertTrue(all(last_syncs))

        self.assertEqual(len(self.set_cron_jobs("1")), 1, "the copy removed")

    @staticmethod
    def sync_actions(env):
        """The sync actions once the parameter applied, as a cron run applies it."""
        env["google.calendar.account"]._apply_cron_jobs()
        return (
            env["ir.cron"].search([("code", "=", "model._cron_sync()"), ("active", "=", True)]).ids
        )
