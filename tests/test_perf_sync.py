"""Query-count guards of the sync on small fixed workloads (issue 7).

Speed itself is measured by ``tools/bench.py``; these tests only make sure
that the number of SQL queries does not grow back: importing or pushing 20
events costs a fixed number of queries, not one round of queries per event,
and a sync with nothing to do stays idle whatever the calendar holds.
Counts are taken with cold caches (ORM and registry), so they do not depend
on what an earlier test or step happened to read.
"""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .sync_common import SyncCase

API_OPERATIONS_PREFIXES = ("events.", "calendars.", "batch")

# Queries of one sync, measured on this module; raise them only knowingly.
# What the push has to send (events, series, deletions) is one query. An
# import claims the meetings it creates in one more (``google.calendar.claim``).
# Each run that moves something leaves its row in the sync history: its
# INSERT, and the defaults of the model (cached after the first run; the
# caches are cold here): 2. A scheduled run with nothing to do leaves none.
# The module's system parameters, however many a sync reads, are one query
# (``ir.config_parameter._google_params``: read cold here, cached in production).
IMPORT_20_QUERIES = 48
IMPORT_SERIES_QUERIES = 55
PUSH_20_QUERIES = 20
IDLE_QUERIES = 5


@tagged("post_install", "-at_install")
class TestSyncQueryCounts(SyncCase):
    def setUp(self):
        super().setUp()
        self.account = self.connect(self.ann)

    def google_bodies(self, count, tag):
        """``count`` Google events: timed ones with 2 guests, every fifth all-day."""
        bodies = []
        for index in range(count):
            start = self.future(days=1 + index, hour=9)
            if index % 5 == 4:
                day = start.date()
                bodies.append(
                    {
                        "summary": f"{tag} day {index}",
                        "start": {"date": day.isoformat()},
                        "end": {"date": (day + timedelta(days=1)).isoformat()},
                    }
                )
                continue
            body = self.timed_event(f"{tag} meeting {index}", start)
            body["attendees"] = [
                {"email": f"guest{(index + n) % 7}@example.com", "responseStatus": "accepted"}
                for n in (0, 1)
            ]
            bodies.append(body)
        return bodies

    def api_requests(self):
        """HTTP requests to the Calendar API the fake received (batch parts excluded)."""
        return [
            record
            for record in self.fake_control.log(self.ann.email)
            if not record["batch_part"] and record["operation"].startswith(API_OPERATIONS_PREFIXES)
        ]

    def run_sync(self):
        # Cold caches, ORM and registry (system parameters) alike: a count
        # must not depend on what another test happened to read before.
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        answer = self.account._run_sync()
        self.assertEqual(answer["status"], "synced", answer)
        return answer

    def synced_events(self):
        return self.env["calendar.event"].search([("google_account_id", "=", self.account.id)])

    def import_events(self, count, tag="Imported"):
        self.seed(self.ann.email, *self.google_bodies(count, tag))
        return self.run_sync()

    def test_import_20_events(self):
        self.seed(self.ann.email, *self.google_bodies(20, "Imported"))

        with self.assertQueryCount(IMPORT_20_QUERIES):
            answer = self.run_sync()

        self.assertEqual(answer["odoo_created"], 20)
        events = self.synced_events()
        self.assertEqual(len(events), 20)
        self.assertEqual(len(events.filtered("allday")), 4)
        # Guest-less on Google: their owner attends them in Odoo.
        self.assertEqual(
            {event.partner_ids for event in events.filtered("allday")}, {self.ann.partner_id}
        )
        self.assertEqual(
            {len(event.attendee_ids) for event in events - events.filtered("allday")}, {2}
        )

    def series_bodies(self, count, tag):
        """``count`` weekly series of 5, with a guest, on different weekdays."""
        bodies = []
        for index in range(count):
            body = self.timed_event(f"{tag} series {index}", self.future(days=3 + index, hour=8))
            body["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=5"]
            body["attendees"] = [{"email": "guest1@example.com", "responseStatus": "accepted"}]
            bodies.append(body)
        return bodies

    def test_import_series_costs_the_same_queries_for_3_or_6_series(self):
        # Each number of series in a calendar of its own, so that both imports
        # start from the same state.
        for count in (3, 6):
            self.account = self.connect(self.ann if count == 3 else self.bob)
            self.seed(self.account.google_email, *self.series_bodies(count, f"S{count}"))
            with self.assertQueryCount(IMPORT_SERIES_QUERIES):
                answer = self.run_sync()
            self.assertEqual(answer["odoo_created"], count * 5)
            recurrences = self.synced_events().recurrence_id
            self.assertEqual(len(recurrences), count)
            self.assertEqual(set(recurrences.mapped("count")), {5})

    def create_odoo_events(self, count):
        self.account.last_sync = fields.Datetime.now()
        start = self.future()
        self.env["calendar.event"].with_user(self.ann).create(
            [
                {
                    "name": f"Pushed {index}",
                    "start": start + timedelta(days=index),
                    "stop": start + timedelta(days=index, hours=1),
                }
                for index in range(count)
            ]
        )

    def test_push_20_events(self):
        self.create_odoo_events(20)

        with self.assertQueryCount(PUSH_20_QUERIES):
            answer = self.run_sync()

        self.assertEqual(answer["google_created"], 20)
        on_google = [
            e for e in self.fake_control.events(self.ann.email) if e["status"] != "cancelled"
        ]
        self.assertEqual(
            sorted(e["summary"] for e in on_google),
            sorted(f"Pushed {index}" for index in range(20)),
        )
        self.assertFalse(self.synced_events().filtered("google_push_pending"))
        # One batch for the 20 inserts, one list: nothing per event.
        operations = [record["operation"] for record in self.api_requests()]
        self.assertEqual(sorted(operations), ["batch", "events.list"])

    def test_idle_sync_costs_one_request_and_few_queries_whatever_the_size(self):
        self.import_events(5, "Small")
        requests_before = len(self.api_requests())
        with self.assertQueryCount(IDLE_QUERIES):
            answer = self.run_sync()
        self.assertFalse(
            answer["odoo_created"] or answer["odoo_updated"] or answer["google_updated"]
        )
        self.assertEqual(len(self.api_requests()) - requests_before, 1)

        self.import_events(40, "Large")
        self.assertEqual(len(self.synced_events()), 45)
        requests_before = len(self.api_requests())
        with self.assertQueryCount(IDLE_QUERIES):
            self.run_sync()
        self.assertEqual(len(self.api_requests()) - requests_before, 1)
        self.assertLessEqual(IDLE_QUERIES, 10)

    def test_batch_size_is_a_system_parameter(self):
        self.env["ir.config_parameter"].sudo().set_param("google_calendar_sync.batch_size", "8")
        self.create_odoo_events(20)

        # Three batches cost the queries of one: the events' values are read
        # together, not batch by batch.
        with self.assertQueryCount(PUSH_20_QUERIES):
            answer = self.run_sync()

        self.assertEqual(answer["google_created"], 20)
        batches = [r for r in self.api_requests() if r["operation"] == "batch"]
        self.assertEqual([r["batch_size"] for r in batches], [8, 8, 4])


@tagged("post_install", "-at_install")
class TestModuleParameters(SyncCase):
    def test_the_modules_parameters_are_one_query_and_follow_every_write(self):
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param("google_calendar_sync.page_size", "7")
        Param.set_param("google_calendar_sync.range_days", "30")

        with self.assertQueryCount(1):
            self.assertEqual(Param._google_param("google_calendar_sync.page_size"), "7")
            self.assertEqual(Param._google_param("google_calendar_sync.range_days"), "30")
            self.assertEqual(Param._google_param("google_calendar_sync.nothing", "x"), "x")
            self.assertTrue(Param._google_param("web.base.url"))

        Param.set_param("google_calendar_sync.page_size", "9")
        self.assertEqual(Param._google_param("google_calendar_sync.page_size"), "9")
        with self.assertRaises(ValueError):
            Param._google_param("database.secret")
