"""Twins of one recurring series an older version left in Odoo are merged by
the next sync: one series with every attendee's answer, nothing deleted on
Google (issue 14)."""

from odoo.tests import new_test_user, tagged

from ..models.calendar_event import FROM_GOOGLE
from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
VIC = "vic@example.com"


@tagged("post_install", "-at_install")
class TestSeriesTwins(SyncCase):
    def google_series(self, organizer, guests, name, **extra):
        """A daily series of four on ``organizer``'s Google calendar."""
        (item,) = self.seed(
            organizer,
            {
                **self.timed_event(name, self.future(days=4)),
                "recurrence": ["RRULE:FREQ=DAILY;COUNT=4"],
                "attendees": [{"email": email} for email in guests],
                **extra,
            },
        )
        return item

    def series_of(self, google_id):
        return self.env["calendar.recurrence"].search([("google_id", "=", google_id)])

    def twin_by_a_second_import(self, recurrence, account):
        """Two syncs importing the series at once, before imports claimed their
        meetings: ``account``'s sync imports it while it does not see
        ``recurrence`` (hidden under another id), which then comes back."""
        google_id = recurrence.google_id
        hidden = recurrence.with_context(**{FROM_GOOGLE: True})
        occurrences = {event: event.google_id for event in recurrence.calendar_event_ids}
        hidden.google_id = "hidden" + google_id
        for event in occurrences:
            event.with_context(**{FROM_GOOGLE: True}).google_id = "hidden" + event.google_id
        account.sync_token = False
        self.sync(account)
        hidden.google_id = google_id
        for event, instance_id in occurrences.items():
            event.with_context(**{FROM_GOOGLE: True}).google_id = instance_id
        return self.series_of(google_id) - recurrence

    def test_series_twins_are_merged_by_the_next_sync_and_stay_on_google(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.sync(ann_account)
        self.sync(bob_account)
        item = self.google_series(ANN, [BOB], "Standup")
        # An exception on Google: the third day renamed.
        client = self.google_client_of(ANN)
        third = sorted(client.instances("primary", item["id"]), key=lambda i: i["id"])[2]
        client.patch_event(
            "primary", third["id"], {"summary": "Standup (demo)"}, send_updates="none"
        )
        self.sync(ann_account)
        recurrence = self.series_of(item["id"])
        self.assertEqual(len(recurrence.calendar_event_ids), 4)
        twin = self.twin_by_a_second_import(recurrence, bob_account)
        self.assertEqual(len(twin), 1, "two series of one Google series")
        self.assertEqual(len(twin.calendar_event_ids), 4)
        # Bob accepted the second day on his copy in Odoo, not sent yet.
        second = twin.calendar_event_ids.sorted("start")[1]
        second.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).write(
            {"state": "accepted"}
        )
        self.assertTrue(twin.google_push_pending)
        second_instance = second.google_id

        bob_account.sync_token = False
        self.sync(bob_account)

        self.assertFalse(twin.exists(), "the twin is merged away")
        self.assertEqual(self.series_of(item["id"]), recurrence, "the organizer's series stays")
        self.assertEqual(recurrence.google_account_id, ann_account)
        occurrences = recurrence.calendar_event_ids.sorted("start")
        self.assertEqual(len(occurrences), 4)
        self.assertEqual(
            self.env["calendar.event"].search_count([("google_id", "like", item["id"] + "%")]), 4
        )
        self.assertEqual(
            [event.name for event in occurrences],
            ["Standup", "Standup", "Standup (demo)", "Standup"],
            "the exception is kept",
        )
        answers = {a.partner_id: a.state for a in occurrences[1].attendee_ids}
        self.assertEqual(answers[self.bob.partner_id], "accepted", "Bob's answer moved over")
        # Nothing was deleted on Google.
        self.assertFalse(
            [w for w in self.writes(ANN) + self.writes(BOB) if w["operation"] == "events.delete"]
        )
        for email in (ANN, BOB):
            self.assertNotEqual(self.google_events(email)[item["id"]].get("status"), "cancelled")
        # Bob's answer, not yet on Google, goes out from the series that stays.
        for account in (ann_account, bob_account, ann_account):
            self.sync(account)
        instance = self.google_client_of(ANN).get_event("primary", second_instance)
        guests = {a["email"]: a.get("responseStatus") for a in instance["attendees"]}
        self.assertEqual(guests[BOB], "accepted")
        self.assertEqual(len(self.series_of(item["id"])), 1)
        self.assertEqual(
            self.env["calendar.event"].search_count([("google_id", "like", item["id"] + "%")]), 4
        )


@tagged("post_install", "-at_install")
class TestSeriesTwinsAttacker(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vic = new_test_user(
            cls.env, "vic", email=VIC, tz="Europe/Brussels", groups="base.group_user"
        )

    def test_a_series_carrying_a_colleague_series_id_is_not_merged_into_it(self):
        """Bob (internal user) inserts on his Google calendar a series under the
        id of Vic's private series and invites Vic: neither his sync nor Vic's
        merges it with Vic's series, or takes anything from it."""
        vic_account, bob_account = self.connect(self.vic), self.connect(self.bob)
        self.sync(vic_account)
        self.sync(bob_account)
        start = self.future(days=4)
        vic_series = (
            self.env["calendar.event"]
            .with_user(self.vic)
            .create(
                {
                    "name": "Layoff plan",
                    "start": start,
                    "stop": start.replace(hour=start.hour + 1),
                    "recurrency": True,
                    "rrule_type": "daily",
                    "interval": 1,
                    "end_type": "count",
                    "count": 3,
                    "privacy": "private",
                }
            )
            .sudo()
            .recurrence_id
        )
        self.sync(vic_account)
        google_id = vic_series.google_id
        self.assertTrue(google_id)
        before = sorted(vic_series.calendar_event_ids.mapped("name"))
        self.google_client_of(BOB).insert_event(
            "primary",
            {
                **self.timed_event("Bob's copy", self.future(days=6)),
                "id": google_id,
                "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
                "attendees": [{"email": VIC}],
            },
            send_updates="none",
        )
        for account in (bob_account, vic_account, bob_account, vic_account):
            account.sync_token = False
            self.sync(account)

        self.assertTrue(vic_series.exists(), "Vic's series is not merged away")
        self.assertEqual(sorted(vic_series.calendar_event_ids.mapped("name")), before)
        self.assertEqual(vic_series.base_event_id.user_id, self.vic)
        self.assertEqual(self.google_events(VIC)[google_id]["summary"], "Layoff plan")
        self.assertEqual(self.google_events(VIC)[google_id].get("status"), "confirmed")
