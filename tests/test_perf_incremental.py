"""An incremental sync costs what changed, not what the calendar holds.

Query counts of a sync that applies 10 changes made on Google (titles, times,
reminders) to a calendar of 200 and of 2,000 events: the same. Reminders are
scheduled once per sync for the events whose times, reminders or guests
changed, and not at all for a change of title.
"""

from unittest.mock import patch

from odoo.tests import tagged

from .sync_common import SyncCase

ANN = "ann@example.com"


@tagged("post_install", "-at_install")
class TestIncrementalCost(SyncCase):
    def calendar_of(self, user, size):
        """A connected ``user`` whose Google calendar holds ``size`` events, all
        imported, each with a pop-up reminder and a guest; returns (account,
        the Google events)."""
        account = self.connect(user)
        bodies = []
        for index in range(size):
            body = self.timed_event(
                f"Meeting {index}", self.future(days=1 + index % 300, hour=8 + index % 9)
            )
            body["reminders"] = {
                "useDefault": False,
                "overrides": [{"method": "popup", "minutes": 10}],
            }
            body["attendees"] = [{"email": user.email}, {"email": f"guest{index % 5}@example.com"}]
            bodies.append(body)
        seeded = self.seed(user.email, *bodies)
        self.sync(account)
        return account, seeded

    def change_ten(self, email, seeded):
        """Ten edits on Google: 4 titles, 3 times, 3 reminders."""
        client = self.google_client_of(email)
        for item in seeded[:4]:
            client.patch_event("primary", item["id"], {"summary": "Renamed"}, send_updates="none")
        for item in seeded[4:7]:
            body = self.timed_event("moved", self.future(days=400))
            client.patch_event(
                "primary",
                item["id"],
                {"start": body["start"], "end": body["end"]},
                send_updates="none",
            )
        for item in seeded[7:10]:
            client.patch_event(
                "primary",
                item["id"],
                {
                    "reminders": {
                        "useDefault": False,
                        "overrides": [{"method": "popup", "minutes": 30}],
                    }
                },
                send_updates="none",
            )

    def queries_of_sync(self, account):
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        before = self.env.cr.sql_log_count
        counts = self.sync(account)
        return self.env.cr.sql_log_count - before, counts

    def test_ten_changes_cost_the_same_queries_on_200_or_2000_events(self):
        figures = {}
        for user, size in ((self.ann, 200), (self.bob, 2000)):
            account, seeded = self.calendar_of(user, size)
            self.change_ten(user.email, seeded)
            queries, counts = self.queries_of_sync(account)
            self.assertEqual(counts["odoo_updated"], 10, counts)
            figures[size] = queries
        self.assertEqual(figures[200], figures[2000], figures)

    def test_a_title_change_schedules_no_reminder_and_moves_schedule_once(self):
        account, seeded = self.calendar_of(self.ann, 12)
        # Ann's browser is open: her next pop-up is sent to it.
        self.env["mail.presence"].create({"user_id": self.ann.id, "status": "online"})
        client = self.google_client_of(ANN)
        Manager = type(self.env["calendar.alarm_manager"])
        Event = type(self.env["calendar.event"])
        calls = []
        notify, setup = Manager._notify_next_alarm, Event._setup_alarms

        def counted_notify(manager, partner_ids):
            calls.append("notify")
            return notify(manager, partner_ids)

        def counted_setup(events):
            calls.append("setup")
            return setup(events)

        with (
            patch.object(Manager, "_notify_next_alarm", counted_notify),
            patch.object(Event, "_setup_alarms", counted_setup),
        ):
            for item in seeded[:5]:
                client.patch_event(
                    "primary", item["id"], {"summary": "Renamed"}, send_updates="none"
                )
            self.assertEqual(self.sync(account)["odoo_updated"], 5)
            self.assertEqual(calls, [], "a title change moves no reminder")
            later = self.timed_event("moved", self.future(days=40))
            for item in seeded[5:10]:
                client.patch_event(
                    "primary",
                    item["id"],
                    {"start": later["start"], "end": later["end"]},
                    send_updates="none",
                )
            self.assertEqual(self.sync(account)["odoo_updated"], 5)
            self.assertEqual(calls.count("notify"), 1, "five moves, one scheduling")
        moved = self.event_of(seeded[5]["id"])
        self.assertEqual(moved.start, self.event_of(seeded[9]["id"]).start)
        self.assertTrue(moved.alarm_ids)
