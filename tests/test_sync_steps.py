"""A sync in bounded steps, over real HTTP to the fake: Google's listing is
applied page by page; a run stops between pages at its time budget, or is
killed there, and the next run resumes from the page it reached, without
twins and without listing again the pages already applied."""

from contextlib import suppress
from datetime import datetime, timedelta

from odoo.tests import tagged

from ..sync.run import SyncRun
from .sync_common import SyncCase
from .test_sync_messages import GoogleButtonCase

PARAMS = "google_calendar_sync."
ANN = "ann@example.com"
PAGE_SIZE = 3


class Killed(Exception):
    """The worker running a sync dies: its transaction is lost."""


def seed_meetings(case, email, count):
    """``count`` one-hour meetings on Google, a day apart; their Google ids."""
    first = datetime.now().replace(hour=9, minute=0, second=0, microsecond=0)
    starts = [first + timedelta(days=number + 1) for number in range(count)]
    return case.fake_control.seed_events(
        email,
        [
            {
                "summary": f"Meeting {number}",
                "start": {"dateTime": f"{start:%Y-%m-%dT%H:%M:%S}Z"},
                "end": {"dateTime": f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}Z"},
            }
            for number, start in enumerate(starts)
        ],
    )


def listings(case, email):
    """The events.list requests the fake answered for ``email``: one per page."""
    return [r for r in case.fake_control.log(email) if r["operation"] == "events.list"]


@tagged("post_install", "-at_install")
class TestSyncSteps(SyncCase):
    def setUp(self):
        super().setUp()
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param(PARAMS + "page_size", str(PAGE_SIZE))
        self.account = self.connect(self.ann)

    def imported(self):
        return (
            self.env["calendar.event"]
            .with_context(active_test=False)
            .search([("google_account_id", "=", self.account.id)])
        )

    def assert_all_imported_once(self, seeded):
        events = self.imported().filtered(lambda event: event.name.startswith("Meeting"))
        self.assertEqual(sorted(events.mapped("google_id")), sorted(seeded))
        self.assertEqual(len(set(events.mapped("name"))), len(events), "no twins")

    def test_first_sync_killed_between_pages_resumes_without_twins(self):
        seeded = seed_meetings(self, ANN, 10)  # four pages of three

        answer = self.account._run_sync(0)
        self.assertEqual(answer["status"], "continuing")
        self.assertEqual(len(self.imported()), PAGE_SIZE, "one page applied")
        self.assertFalse(self.account.sync_token, "stored after the last page only")
        self.assertFalse(self.account.last_sync, "still a first sync")
        resume_token = self.account.sync_progress["page_token"]

        # The next run dies after applying page 2: everything it did is lost.
        with suppress(Killed), self.env.cr.savepoint():
            self.account._run_sync(0)
            self.assertEqual(len(self.imported()), 2 * PAGE_SIZE)
            raise Killed
        self.env.invalidate_all()
        self.assertEqual(self.account.sync_progress["page_token"], resume_token)

        done = len(listings(self, ANN))
        answer = self.account._run_sync()
        self.assertEqual(answer["status"], "synced")
        resumed = listings(self, ANN)[done:]
        self.assertEqual(len(resumed), 3, "pages 2, 3 and 4")
        self.assertEqual(resumed[0]["query"].get("pageToken"), resume_token, "page 1 not again")
        self.assertTrue(all(r["query"].get("pageToken") for r in resumed))
        self.assert_all_imported_once(seeded)
        self.assertTrue(self.account.sync_token)
        self.assertFalse(self.account.sync_progress)
        self.assertTrue(self.account.last_sync)
        self.assertEqual(self.writes(ANN), [], "a first sync sends Google's events nowhere")

    def test_listing_starts_over_when_google_refuses_the_saved_page(self):
        seeded = seed_meetings(self, ANN, 7)
        self.assertEqual(self.account._run_sync(0)["status"], "continuing")
        self.account.sync_progress = {**self.account.sync_progress, "page_token": "expired"}

        answer = self.account._run_sync()

        self.assertEqual(answer["status"], "synced", answer)
        self.assert_all_imported_once(seeded)
        self.assertFalse(self.account.sync_progress)
        self.assertTrue(self.account.sync_token)

    def test_run_stops_at_its_budget_and_the_next_continues(self):
        seeded = seed_meetings(self, ANN, 10)
        mine = self.odoo_meeting(self.ann, "Odoo only", start=self.future(days=3, hour=15))

        answers = [self.account._run_sync(0)["status"] for _run in range(4)]

        self.assertEqual(answers, ["continuing"] * 3 + ["synced"], "one page per run")
        reads = [r for r in self.fake_control.log(ANN) if r["operation"] == "calendars.get"]
        self.assertEqual(len(reads), 1, "the Google address read once, not by each resumed run")
        tokens = [r["query"].get("pageToken") for r in listings(self, ANN)]
        self.assertEqual(len(tokens), 4, "each page listed once")
        self.assertEqual(len(set(tokens)), 4)
        self.assert_all_imported_once(seeded)
        # Odoo's own event goes to Google once Google's are in, not before.
        self.assertTrue(mine.google_id)
        self.assertFalse(mine.google_push_pending)
        stored = self.google_events(ANN)
        self.assertEqual(stored[mine.google_id]["summary"], "Odoo only")
        self.assertEqual(len(stored), 11)

        # The listing is done: the next run is an incremental one of one page.
        done = len(listings(self, ANN))
        self.assertEqual(self.account._run_sync(0)["status"], "synced")
        [incremental] = listings(self, ANN)[done:]
        self.assertIn("syncToken", incremental["query"])

    def test_a_series_and_its_exception_on_different_pages(self):
        first = self.future(days=2)
        [master] = self.seed(
            ANN,
            {
                **self.timed_event("Standup", first),
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
            },
        )
        seed_meetings(self, ANN, 7)  # the exception comes last, on page 3
        google = self.google_client_of(ANN)
        second = google.instances("primary", master["id"])[1]
        google.patch_event(
            "primary", second["id"], {"summary": "Standup, moved"}, send_updates="none"
        )

        statuses = [self.account._run_sync(0)["status"] for _run in range(3)]

        self.assertEqual(statuses, ["continuing", "continuing", "synced"])
        recurrence = self.env["calendar.recurrence"].search([("google_id", "=", master["id"])])
        self.assertEqual(len(recurrence), 1)
        names = sorted(recurrence.calendar_event_ids.mapped("name"))
        self.assertEqual(names, ["Standup"] * 3 + ["Standup, moved"])

    def test_an_occurrence_listed_before_its_series_waits_for_it(self):
        # Google lists in no promised order: an exception may come a page
        # before its master. The fake lists by creation, so the pages are given.
        run = SyncRun(self.env, self.account, self.account._get_client())
        exception = {"id": "m1_20300101T090000Z", "recurringEventId": "m1"}
        single = {"id": "single"}

        self.assertEqual(run._without_orphans([exception, single]), ([single], [exception]))
        master = {"id": "m1", "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"]}
        self.assertEqual(
            run._without_orphans([exception, master]), ([exception, master], []), "same page"
        )

    def test_deletion_guard_counts_the_deletions_of_every_page(self):
        seeded = seed_meetings(self, ANN, 12)
        self.assertEqual(self.account._run_sync()["status"], "synced")
        google = self.google_client_of(ANN)
        for google_id in seeded[:8]:  # 8 of 12: no page deletes 5, the listing does
            google.delete_event("primary", google_id, send_updates="none")
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param(PARAMS + "deletion_guard_minimum", "5")

        answers = [self.account._run_sync(0)["status"] for _run in range(3)]

        # Pages of three tombstones: 3 then 6 of 12 pass (half is no mass
        # deletion), the third page makes 8 of 12 and waits for an administrator.
        self.assertEqual(answers, ["continuing", "continuing", "held"])
        self.assertTrue(self.account.deletion_hold)
        self.assertEqual(self.account.deletion_hold_count, 8)
        self.assertEqual(len(self.imported()), 6, "the held page deleted nothing")

    def test_cron_gives_each_run_its_budget(self):
        seeded = seed_meetings(self, ANN, 7)
        self.env["ir.config_parameter"].sudo().set_param(PARAMS + "cron_seconds", "0")
        cron = self.env.ref("google_calendar_sync.ir_cron_sync")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

        with self.enter_registry_test_mode():
            self.env["google.calendar.account"]._cron_sync()

        self.assertEqual(len(self.imported()), PAGE_SIZE)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
            "the cron comes back soon for the rest",
        )
        with self.enter_registry_test_mode():
            for _run in range(2):
                self.env["google.calendar.account"]._cron_sync()
        self.env.invalidate_all()
        self.assert_all_imported_once(seeded)
        self.assertTrue(self.account.last_sync)


@tagged("post_install", "-at_install")
class TestGoogleButtonContinues(GoogleButtonCase):
    def test_button_answers_continuing_and_the_cron_finishes(self):
        account = self.connect(self.ann, ANN)
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param(PARAMS + "page_size", str(PAGE_SIZE))
        set_param(PARAMS + "button_seconds", "0")
        seeded = seed_meetings(self, ANN, 8)

        answer, _seconds = self.click_google()

        self.assertEqual(answer["status"], "continuing")
        self.assertEqual(
            answer["message"],
            "3 meetings imported so far; the rest continues in the background.",
        )
        self.assertEqual(self.last_run(self.ann).status, "deferred")
        with self.enter_registry_test_mode():
            self.env["google.calendar.account"]._cron_sync()
        self.env.invalidate_all()
        events = self.env["calendar.event"].search([("google_account_id", "=", account.id)])
        self.assertEqual(sorted(events.mapped("google_id")), sorted(seeded))
        self.assertTrue(account.last_sync)
        self.assertFalse(account.sync_progress)
