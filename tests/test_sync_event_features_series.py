"""What Google's series carry beyond the neutral values: rooms booked for a
series stay booked when Odoo changes its guests, and out-of-office or
focus-time series are Google's own, read-only in Odoo and never sent."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_recurrence_soak_findings import monday
from .test_recurrence_sync import ANN, BOB, RecurrenceCase

ROOM = "c_1889-room-1@resource.calendar.google.com"


@tagged("post_install", "-at_install")
class TestSeriesFeatures(RecurrenceCase):
    def test_rooms_of_a_series_stay_booked_when_odoo_invites_a_guest(self):
        first = monday(10)
        master = self.seed_series(
            "Board",
            first,
            ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
            attendees=[
                {"email": ANN, "responseStatus": "accepted"},
                {"email": ROOM, "displayName": "Room 1", "resource": True},
            ],
        )
        self.sync(self.account)
        recurrence = self.series(master["id"])
        self.assertEqual(len(recurrence.calendar_event_ids), 3)
        self.assertFalse(self.env["res.partner"].search([("email", "=", ROOM)]), "no contact")
        # Ann invites Bob to every meeting of the series, in Odoo.
        recurrence.base_event_id.with_user(self.ann).write(
            {
                "partner_ids": [Command.link(self.bob.partner_id.id)],
                "recurrence_update": "all_events",
            }
        )
        self.sync(self.account)
        held = {a["email"]: a for a in self.google_events(ANN)[master["id"]]["attendees"]}
        self.assertEqual(set(held), {ANN, BOB, ROOM}, "the room is still booked")
        self.assertIs(held[ROOM].get("resource"), True)
        self.assertEqual(
            recurrence.base_event_id.partner_ids, self.ann.partner_id | self.bob.partner_id
        )
        # One occurrence moved in Odoo with a guest more: its instance keeps the room.
        occurrence = recurrence.calendar_event_ids.sorted("start")[1]
        occurrence.with_user(self.ann).write(
            {
                "start": occurrence.start + timedelta(hours=1),
                "stop": occurrence.stop + timedelta(hours=1),
                "partner_ids": [Command.create({"name": "Carol", "email": "carol@example.com"})],
                "recurrence_update": "self_only",
            }
        )
        self.sync(self.account)
        instance = self.google_client().get_event(
            "primary", f"{master['id']}_{self.stamp(first + timedelta(weeks=1))}"
        )
        self.assertIn(ROOM, {a["email"] for a in instance["attendees"]})

    def test_out_of_office_series_is_read_only_and_never_sent(self):
        first = monday(9)
        master = self.seed_series(
            "Away on Mondays",
            first,
            ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"],
            hours=8,
            eventType="outOfOffice",
        )
        self.sync(self.account)
        recurrence = self.series(master["id"])
        self.assertEqual(recurrence.google_event_type, "outOfOffice")
        self.assertEqual(len(recurrence.calendar_event_ids), 3)
        occurrence = recurrence.calendar_event_ids.sorted("start")[0]
        with self.assertRaisesRegex(UserError, "Google Calendar"):
            occurrence.with_user(self.ann).write(
                {"name": "Here after all", "recurrence_update": "all_events"}
            )
        before = len(self.writes(ANN))
        recurrence._google_mark_dirty()
        self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), before, "nothing sent to Google")
        self.assertFalse(recurrence.google_push_pending)
        self.assertEqual(self.google_events(ANN)[master["id"]]["summary"], "Away on Mondays")
