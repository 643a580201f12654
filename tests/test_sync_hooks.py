"""Odoo side of the sync, without Google: dirty marking, outbox, conversions."""

import json
from datetime import datetime

from odoo import Command
from odoo.tests import TransactionCase, tagged

from ..sync import odoo_writer


@tagged("post_install", "-at_install")
class TestSyncHooks(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.env["res.users"].create(
            {
                "name": "Ann Organizer",
                "login": "ann@example.com",
                "email": "ann@example.com",
                "tz": "Europe/Brussels",
                "group_ids": [Command.link(cls.env.ref("base.group_user").id)],
            }
        )
        cls.account = (
            cls.env["google.calendar.account"]
            .sudo()
            .create(
                {"user_id": cls.user.id, "state": "connected", "google_email": "ann@example.com"}
            )
        )
        cls.other_user = cls.env["res.users"].create(
            {
                "name": "Bob Unsynced",
                "login": "bob@example.com",
                "email": "bob@example.com",
                "group_ids": [Command.link(cls.env.ref("base.group_user").id)],
            }
        )
        cls.Event = cls.env["calendar.event"].with_user(cls.user)

    def _event(self, **vals):
        """An event the user creates, seen as the sync sees it."""
        return self.Event.create(
            {
                "name": "Review",
                "start": datetime(2030, 3, 4, 9),
                "stop": datetime(2030, 3, 4, 10),
                **vals,
            }
        ).sudo()

    def test_create_by_syncing_organizer_gets_google_id_and_is_dirty(self):
        event = self._event()
        self.assertEqual(len(event.google_id), 32)
        self.assertTrue(set(event.google_id) <= set("0123456789abcdefghijklmnopqrstuv"))
        self.assertTrue(event.google_push_pending)

    def test_event_of_unsynced_user_stays_out_of_scope(self):
        event = (
            self.env["calendar.event"]
            .with_user(self.other_user)
            .create(
                {
                    "name": "Private",
                    "start": datetime(2030, 3, 4, 9),
                    "stop": datetime(2030, 3, 4, 10),
                }
            )
            .sudo()
        )
        self.assertFalse(event.google_id)
        self.assertFalse(event.google_push_pending)

    def test_unsynced_field_edit_does_not_mark_dirty(self):
        event = self._event()
        event.google_push_pending = False
        event.write({"notes": "<p>internal</p>", "categ_ids": [Command.clear()]})
        self.assertFalse(event.google_push_pending)
        event.write({"location": "Room 4"})
        self.assertTrue(event.google_push_pending)

    def test_attendee_answer_marks_dirty(self):
        partner = self.env["res.partner"].create({"name": "Cy", "email": "cy@example.com"})
        event = self._event(partner_ids=[Command.set([self.user.partner_id.id, partner.id])])
        event.google_push_pending = False
        event.attendee_ids.filtered(lambda a: a.partner_id == partner).do_accept()
        self.assertTrue(event.google_push_pending)

    def test_unlink_queues_deletion_durably(self):
        event = self._event()
        google_id = event.google_id
        event.unlink()
        deletion = self.env["google.calendar.outbox"].sudo().search([("google_id", "=", google_id)])
        self.assertEqual(deletion.account_id, self.account)
        self.assertEqual(deletion.event_name, "Review")

    def test_neutral_values_allday_stop_is_inclusive_and_timed_is_utc(self):
        partner = self.env["res.partner"].create({"name": "Cy", "email": " CY@Example.com"})
        alarm = self.env.ref("calendar.alarm_notif_1")
        allday = self._event(
            allday=True,
            start=datetime(2030, 3, 4),
            stop=datetime(2030, 3, 5),
            partner_ids=[Command.set([partner.id])],
            alarm_ids=[Command.set([alarm.id])],
            privacy="private",
            show_as="free",
            location="Room 1",
        )
        timed = self._event()
        values = (allday | timed)._google_neutral_values()
        self.assertEqual(
            (values[allday.id]["start"], values[allday.id]["stop"]), ("2030-03-04", "2030-03-05")
        )
        self.assertEqual(values[allday.id]["timezone"], "")
        self.assertEqual(
            values[allday.id]["attendees"],
            [{"email": "cy@example.com", "name": "Cy", "status": "needsAction"}],
        )
        self.assertEqual(
            values[allday.id]["alarms"], [{"method": "popup", "minutes": alarm.duration_minutes}]
        )
        self.assertEqual(
            {k: values[allday.id][k] for k in ("privacy", "show_as", "location", "organizer")},
            {
                "privacy": "private",
                "show_as": "free",
                "location": "Room 1",
                "organizer": "ann@example.com",
            },
        )
        self.assertEqual(
            (values[timed.id]["start"], values[timed.id]["stop"]),
            ("2030-03-04T09:00:00Z", "2030-03-04T10:00:00Z"),
        )
        self.assertEqual(values[timed.id]["timezone"], "Europe/Brussels")

    def test_values_from_google_resolve_partners_and_alarms_in_batch(self):
        known = self.env["res.partner"].create({"name": "Known", "email": "known@example.com"})
        existing_alarm = self.env["calendar.alarm"].create(
            {
                "name": "Popup 17",
                "alarm_type": "notification",
                "duration": 17,
                "interval": "minutes",
            }
        )
        values = {
            "name": "Imported",
            "description": "<p>Hi</p>",
            "location": "",
            "allday": False,
            "start": "2030-03-04T08:00:00Z",
            "stop": "2030-03-04T09:00:00Z",
            "timezone": "Europe/Brussels",
            "organizer": "ann@example.com",
            "attendees": [
                {"email": "ann@example.com", "name": "Ann", "status": "accepted"},
                {"email": "known@example.com", "name": "Known", "status": "tentative"},
                {"email": "new@example.com", "name": "New Person", "status": "declined"},
            ],
            "alarms": [{"method": "popup", "minutes": 17}, {"method": "email", "minutes": 1440}],
            # Not "confidential": Google's alias of "private" is folded into it
            # by engine.mapping, neutral values never hold it.
            "privacy": "private",
            "show_as": "free",
            "videocall": "https://meet.google.com/abc-defg-hij",
            "recurrence": [],
        }
        event = odoo_writer.create_from_values(self.env["calendar.event"], [(values, {})])
        self.assertEqual(event.user_id, self.user)
        status = {a.partner_id.email_normalized: a.state for a in event.attendee_ids}
        self.assertEqual(
            status,
            {
                "ann@example.com": "accepted",
                "known@example.com": "tentative",
                "new@example.com": "declined",
            },
        )
        self.assertIn(known, event.partner_ids)
        self.assertIn(existing_alarm, event.alarm_ids)
        self.assertFalse(event.google_push_pending, "a pulled event is not pushed back")
        round_trip = event._google_neutral_values()[event.id]
        for key in (
            "start",
            "stop",
            "timezone",
            "alarms",
            "privacy",
            "show_as",
            "videocall",
            "organizer",
        ):
            self.assertEqual(round_trip[key], values[key], key)
        self.assertEqual(json.loads(json.dumps(round_trip))["attendees"][2]["status"], "declined")
