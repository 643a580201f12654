"""Two-way sync against the local Google fake: each test asserts both sides."""

from datetime import datetime, timedelta

import pytz

from odoo import Command, fields
from odoo.sql_db import db_connect
from odoo.tests import new_test_user, tagged

from ..engine.ratelimit import RetryPolicy
from ..models.google_calendar_synchronizer import _POSTCOMMIT_KEY, _push_after_commit
from ..sync.run import SyncRun
from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
CAROL = "carol@external.example"


def local(moment, tz="Europe/Brussels"):
    """Google's {dateTime, timeZone} for a naive local time in ``tz``."""
    aware = pytz.timezone(tz).localize(moment)
    return {"dateTime": aware.isoformat(), "timeZone": tz}


def utc_naive(moment, tz="Europe/Brussels"):
    return pytz.timezone(tz).localize(moment).astimezone(pytz.utc).replace(tzinfo=None)


@tagged("post_install", "-at_install")
class TestSyncFromGoogle(SyncCase):
    def test_new_google_event_imported(self):
        account = self.connect(self.ann)
        start = self.future()
        [seeded] = self.seed(
            ANN,
            {
                "summary": "Budget review",
                "location": "Room 7",
                "start": local(start),
                "end": local(start + timedelta(hours=1)),
                "attendees": [
                    {"email": ANN, "responseStatus": "accepted"},
                    {"email": CAROL, "displayName": "Carol", "responseStatus": "tentative"},
                ],
            },
        )
        counts = self.sync(account)
        event = self.event_of(seeded["id"])
        self.assertEqual(len(event), 1)
        self.assertEqual(
            (event.name, event.location, event.user_id), ("Budget review", "Room 7", self.ann)
        )
        self.assertEqual(event.start, utc_naive(start))
        states = {a.partner_id.email: (a.partner_id.name, a.state) for a in event.attendee_ids}
        self.assertEqual(states, {ANN: (self.ann.name, "accepted"), CAROL: ("Carol", "tentative")})
        self.assertEqual(counts["odoo_created"], 1)
        self.assertFalse(event.google_push_pending)
        self.assertEqual(self.writes(ANN), [], "an import sends nothing back to Google")

    def test_google_update_pulled(self):
        account = self.connect(self.ann)
        start = self.future()
        [seeded] = self.seed(ANN, self.timed_event("Draft", start))
        self.sync(account)
        account._get_client().patch_event(
            "primary", seeded["id"], {"summary": "Final", "location": "Online"}, send_updates="none"
        )
        counts = self.sync(account)
        event = self.event_of(seeded["id"])
        self.assertEqual((event.name, event.location), ("Final", "Online"))
        self.assertEqual(counts["odoo_updated"], 1)
        self.assertEqual(self.google_events(ANN)[seeded["id"]]["etag"], event.google_etag)
        self.assertFalse(event.google_push_pending, "a pulled change is not pushed back")

    def test_google_delete_removes_event_of_owner(self):
        account = self.connect(self.ann)
        [seeded] = self.seed(ANN, self.timed_event("Cancelled soon", self.future()))
        self.sync(account)
        self.assertTrue(self.event_of(seeded["id"]))
        account._get_client().delete_event("primary", seeded["id"], send_updates="none")
        counts = self.sync(account)
        self.assertFalse(self.event_of(seeded["id"]))
        self.assertEqual(counts["odoo_deleted"], 1)
        self.assertFalse(
            self.env["google.calendar.outbox"].sudo().search([]),
            "a deletion from Google is not sent back",
        )

    def test_google_delete_by_attendee_declines_attendance(self):
        account = self.connect(self.ann)
        carol = self.connect_google_only(CAROL)
        created = carol.insert_event(
            "primary",
            {
                **self.timed_event("Carol's meeting", self.future()),
                "attendees": [{"email": CAROL}, {"email": ANN}],
            },
            send_updates="none",
        )
        self.sync(account)
        event = self.event_of(created["id"])
        self.assertEqual(event.google_organizer_email, CAROL)
        account._get_client().delete_event("primary", created["id"], send_updates="none")
        self.sync(account)
        event = self.event_of(created["id"])
        self.assertTrue(event, "the attendee does not delete the organizer's meeting")
        mine = event.attendee_ids.filtered(lambda a: a.partner_id == self.ann.partner_id)
        self.assertEqual(mine.state, "declined")

    def test_meet_link_imported(self):
        account = self.connect(self.ann)
        created = account._get_client().insert_event(
            "primary",
            {
                **self.timed_event("Video", self.future()),
                "conferenceData": {
                    "createRequest": {
                        "requestId": "req-1",
                        "conferenceSolutionKey": {"type": "hangoutsMeet"},
                    }
                },
            },
            send_updates="none",
        )
        self.assertTrue(created.get("hangoutLink"))
        self.sync(account)
        self.assertEqual(self.event_of(created["id"]).videocall_location, created["hangoutLink"])

    def import_described(self, description):
        """Ann's connected account and a Google meeting with ``description``, synced."""
        account = self.connect(self.ann)
        [seeded] = self.seed(
            ANN, {**self.timed_event("Notes", self.future()), "description": description}
        )
        self.sync(account)
        return account, seeded

    def test_description_html_imported_sanitized(self):
        _account, seeded = self.import_described(
            "<b>Agenda</b><br>1. budget<script>alert(1)</script>"
        )
        description = str(self.event_of(seeded["id"]).description)
        self.assertIn("<b>Agenda</b>", description)
        self.assertIn("1. budget", description)
        self.assertNotIn("<script>", description)

    def test_plain_text_description_keeps_its_lines_and_stays_plain_on_google(self):
        account, seeded = self.import_described("Agenda\n1. budget\n2. hiring")
        event = self.event_of(seeded["id"])
        self.assertEqual(str(event.description), "<p>Agenda<br>1. budget<br>2. hiring</p>")
        self.assertFalse(event.google_push_pending)
        self.sync(account)
        self.assertEqual(self.writes(ANN), [])
        self.assertEqual(
            self.google_events(ANN)[seeded["id"]]["description"], "Agenda\n1. budget\n2. hiring"
        )

    def test_bad_google_event_reported_and_sync_goes_on(self):
        # The fake refuses malformed events, as Google does; what a broken or
        # surprising answer would carry is handed to the pull directly.
        account = self.connect(self.ann)
        good = self.timed_event("Good", self.future())
        run = SyncRun(self.env, account.sudo(), account._get_client())
        with self.assertLogs("odoo.addons.google_calendar_sync", "WARNING") as logged:
            run._apply_items(
                [
                    {
                        "id": "broken1",
                        "summary": "Broken",
                        "start": {"dateTime": "tomorrow"},
                        "end": {"dateTime": "later"},
                    },
                    {**good, "id": "good1", "etag": '"1"'},
                ]
            )
        self.assertIn("broken1", " ".join(logged.output))
        self.assertTrue(self.event_of("good1"), "the other events are imported")
        self.assertFalse(self.event_of("broken1"))
        self.assertEqual(run.counts["errors"], 1)
        self.assertIn("broken1", run.messages[0])

    def test_recurring_google_event_imported_as_series(self):
        # The recurring cases themselves are in test_recurrence_sync.py.
        account = self.connect(self.ann)
        start = self.future()
        [master] = self.seed(
            ANN, {**self.timed_event("Weekly", start), "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}
        )
        counts = self.sync(account)
        recurrence = self.env["calendar.recurrence"].search([("google_id", "=", master["id"])])
        self.assertEqual(len(recurrence.calendar_event_ids), 3)
        self.assertEqual(counts["odoo_created"], 3)


@tagged("post_install", "-at_install")
class TestSyncToGoogle(SyncCase):
    def setUp(self):
        super().setUp()
        self.account = self.connect(self.ann)
        self.sync(self.account)  # the first sync is behind us

    def create_event(self, **vals):
        return self.odoo_meeting(self.ann, "Planning", **vals)

    def test_odoo_event_created_pushed(self):
        carol = self.env["res.partner"].create({"name": "Carol", "email": CAROL})
        event = self.create_event(partner_ids=[Command.set([self.ann.partner_id.id, carol.id])])
        google_id = event.google_id
        counts = self.sync(self.account)
        on_google = self.google_events(ANN)[google_id]
        self.assertEqual(on_google["summary"], "Planning")
        self.assertEqual({a["email"] for a in on_google["attendees"]}, {ANN, CAROL})
        self.assertEqual(event.google_etag, on_google["etag"])
        self.assertFalse(event.google_push_pending)
        self.assertEqual(counts["google_created"], 1)
        [insert] = self.writes(ANN)
        self.assertEqual(insert["operation"], "events.insert")
        self.assertTrue(insert["batch_part"], "pushes go through the batch endpoint")

    def test_odoo_event_updated_pushed(self):
        event = self.create_event()
        self.sync(self.account)
        event.write({"name": "Planning (moved)", "location": "Room 2"})
        self.assertTrue(event.google_push_pending)
        self.sync(self.account)
        on_google = self.google_events(ANN)[event.google_id]
        self.assertEqual(
            (on_google["summary"], on_google["location"]), ("Planning (moved)", "Room 2")
        )
        patches = [w for w in self.writes(ANN) if w["operation"] == "events.patch"]
        self.assertEqual(len(patches), 1)
        self.assertEqual(event.google_etag, on_google["etag"])

    def test_odoo_event_deleted_pushed(self):
        event = self.create_event()
        self.sync(self.account)
        google_id = event.google_id
        event.unlink()
        self.assertTrue(
            self.env["google.calendar.outbox"].sudo().search([("google_id", "=", google_id)]),
            "the deletion is kept until Google confirms it",
        )
        counts = self.sync(self.account)
        self.assertEqual(self.google_events(ANN)[google_id]["status"], "cancelled")
        self.assertEqual(counts["google_deleted"], 1)
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))

    def test_odoo_event_archived_then_restored(self):
        event = self.create_event()
        self.sync(self.account)
        first_id = event.google_id
        event.active = False
        self.sync(self.account)
        self.assertEqual(self.google_events(ANN)[first_id]["status"], "cancelled")
        event.active = True
        self.sync(self.account)
        self.assertNotEqual(event.google_id, first_id, "Google never reuses a deleted id")
        self.assertEqual(self.google_events(ANN)[event.google_id]["status"], "confirmed")

    def test_unsynced_field_edit_sends_nothing(self):
        event = self.create_event()
        self.sync(self.account)
        before = len(self.fake_control.log(ANN))
        event.write({"notes": "<p>internal only</p>"})
        self.assertFalse(event.google_push_pending)
        # A synced field written with its current value is not sent either.
        event.write({"name": event.name})
        self.sync(self.account)
        self.assertEqual(self.writes(ANN)[1:], [], "only the first insert reached Google")
        self.assertFalse(event.google_push_pending)
        self.assertGreater(len(self.fake_control.log(ANN)), before)

    def test_allday_both_ways_exclusive_end_date(self):
        [seeded] = self.seed(
            ANN,
            {"summary": "Offsite", "start": {"date": "2027-05-03"}, "end": {"date": "2027-05-05"}},
        )
        self.sync(self.account)
        imported = self.event_of(seeded["id"])
        self.assertTrue(imported.allday)
        self.assertEqual(
            (imported.start_date, imported.stop_date),
            (fields.Date.to_date("2027-05-03"), fields.Date.to_date("2027-05-04")),
        )
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create(
                {
                    "name": "Holiday",
                    "allday": True,
                    "start": datetime(2027, 6, 1),
                    "stop": datetime(2027, 6, 1),
                }
            )
            .sudo()
        )
        self.sync(self.account)
        on_google = self.google_events(ANN)[event.google_id]
        self.assertEqual(
            (on_google["start"], on_google["end"]), ({"date": "2027-06-01"}, {"date": "2027-06-02"})
        )

    def test_time_zones_across_dst_boundary(self):
        # Brussels leaves summer time on 2027-10-31: 09:00 local is 07:00 UTC
        # the day before and 08:00 UTC the day after.
        before, after = datetime(2027, 10, 30, 9), datetime(2027, 11, 1, 9)
        seeded = self.seed(
            ANN, self.timed_event("Before", before), self.timed_event("After", after)
        )
        self.sync(self.account)
        self.assertEqual(self.event_of(seeded[0]["id"]).start, datetime(2027, 10, 30, 7))
        self.assertEqual(self.event_of(seeded[1]["id"]).start, datetime(2027, 11, 1, 8))
        # Odoo -> Google: an event in New York's zone keeps its zone and offset.
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create(
                {
                    "name": "NY call",
                    "start": datetime(2027, 3, 14, 14),
                    "stop": datetime(2027, 3, 14, 15),
                    "google_timezone": "America/New_York",
                }
            )
            .sudo()
        )
        self.sync(self.account)
        on_google = self.google_events(ANN)[event.google_id]
        self.assertEqual(on_google["start"]["timeZone"], "America/New_York")
        # 2027-03-14 is the day New York enters summer time: 14:00 UTC is 10:00 EDT.
        self.assertEqual(
            datetime.fromisoformat(on_google["start"]["dateTime"]).utcoffset(), timedelta(hours=-4)
        )

    def test_attendees_added_and_removed_both_ways(self):
        carol = self.env["res.partner"].create({"name": "Carol", "email": CAROL})
        event = self.create_event(partner_ids=[Command.set([self.ann.partner_id.id, carol.id])])
        self.sync(self.account)
        # Google: Dave joins, Carol accepts, nobody leaves.
        client = self.account._get_client()
        client.patch_event(
            "primary",
            event.google_id,
            {
                "attendees": [
                    {"email": ANN, "responseStatus": "accepted"},
                    {"email": CAROL, "responseStatus": "accepted"},
                    {
                        "email": "dave@external.example",
                        "displayName": "Dave",
                        "responseStatus": "needsAction",
                    },
                ]
            },
            send_updates="none",
        )
        self.sync(self.account)
        states = {a.partner_id.email: a.state for a in event.attendee_ids}
        self.assertEqual(
            states, {ANN: "accepted", CAROL: "accepted", "dave@external.example": "needsAction"}
        )
        # Odoo: Carol is removed.
        event.write({"partner_ids": [Command.unlink(carol.id)]})
        self.sync(self.account)
        on_google = self.google_events(ANN)[event.google_id]
        self.assertEqual(
            {a["email"]: a["responseStatus"] for a in on_google["attendees"]},
            {ANN: "accepted", "dave@external.example": "needsAction"},
        )

    def test_reminders_both_ways_with_use_default(self):
        self.fake_control.add_user(
            ANN, time_zone="Europe/Brussels", default_reminders=[{"method": "popup", "minutes": 30}]
        )
        [seeded] = self.seed(
            ANN, {**self.timed_event("Defaults", self.future()), "reminders": {"useDefault": True}}
        )
        self.sync(self.account)
        imported = self.event_of(seeded["id"])
        self.assertEqual(
            [(a.alarm_type, a.duration_minutes) for a in imported.alarm_ids], [("notification", 30)]
        )
        email_day = self.env["calendar.alarm"].create(
            {"name": "Mail a day before", "alarm_type": "email", "duration": 1, "interval": "days"}
        )
        event = self.create_event(alarm_ids=[Command.set([email_day.id])])
        self.sync(self.account)
        self.assertEqual(
            self.google_events(ANN)[event.google_id]["reminders"],
            {"useDefault": False, "overrides": [{"method": "email", "minutes": 1440}]},
        )

    def test_imported_reminders_are_scheduled(self):
        cron = self.env.ref("calendar.ir_cron_scheduler_alarm")
        start = self.future(days=3)
        [mailed, popped] = self.seed(
            ANN,
            {
                **self.timed_event("Mailed reminder", start),
                "reminders": {
                    "useDefault": False,
                    "overrides": [{"method": "email", "minutes": 60}],
                },
            },
            {
                **self.timed_event("Pop-up reminder", start + timedelta(hours=3)),
                "reminders": {
                    "useDefault": False,
                    "overrides": [{"method": "popup", "minutes": 15}],
                },
            },
        )
        triggers_before = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.sync(self.account)
        mailed_event, popped_event = self.event_of(mailed["id"]), self.event_of(popped["id"])
        new_triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(
            (new_triggers - triggers_before).mapped("call_at"),
            [mailed_event.start - timedelta(minutes=60)],
            "Odoo's cron mails the reminder; a pop-up needs no trigger",
        )
        self.assertEqual(popped_event.alarm_ids.alarm_type, "notification")

    def test_privacy_and_busy_free_both_ways(self):
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("Doctor", self.future()),
                "visibility": "private",
                "transparency": "transparent",
            },
        )
        self.sync(self.account)
        imported = self.event_of(seeded["id"])
        self.assertEqual((imported.privacy, imported.show_as), ("private", "free"))
        event = self.create_event(privacy="confidential", show_as="busy")
        self.sync(self.account)
        event.write({"show_as": "free", "privacy": "public"})
        self.sync(self.account)
        on_google = self.google_events(ANN)[event.google_id]
        self.assertEqual(
            (on_google["visibility"], on_google["transparency"]), ("public", "transparent")
        )

    def test_odoo_description_html_pushed(self):
        event = self.create_event(description="<p>Bring <b>numbers</b></p>")
        self.sync(self.account)
        self.assertIn("<b>numbers</b>", self.google_events(ANN)[event.google_id]["description"])


@tagged("post_install", "-at_install")
class TestSyncConflicts(SyncCase):
    def setUp(self):
        super().setUp()
        self.account = self.connect(self.ann)
        [self.seeded] = self.seed(ANN, self.timed_event("Kick-off", self.future()))
        self.sync(self.account)
        self.event = self.event_of(self.seeded["id"])
        self.client = self.account._get_client()

    def edit_in_odoo_then_on_google(self, event, odoo_vals, google_patch):
        """An Odoo edit of ``event`` dated an hour back, then a newer edit of it on
        Google (no sync)."""
        event.write(odoo_vals)
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = %s WHERE id = %s",
            [datetime.now() - timedelta(hours=1), event.id],
        )
        event.invalidate_recordset(["write_date"])
        self.client.patch_event("primary", event.google_id, google_patch, send_updates="none")

    def test_both_sides_edit_different_fields_merged(self):
        self.event.write({"location": "Room 9"})
        self.client.patch_event(
            "primary", self.seeded["id"], {"summary": "Kick-off v2"}, send_updates="none"
        )
        counts = self.sync(self.account)
        on_google = self.google_events(ANN)[self.seeded["id"]]
        self.assertEqual((self.event.name, self.event.location), ("Kick-off v2", "Room 9"))
        self.assertEqual((on_google["summary"], on_google["location"]), ("Kick-off v2", "Room 9"))
        self.assertEqual(counts["conflicts"], 0)

    def test_both_sides_edit_same_field_latest_wins_loser_in_chatter(self):
        self.edit_in_odoo_then_on_google(
            self.event, {"name": "Odoo title"}, {"summary": "Google title"}
        )
        counts = self.sync(self.account)
        self.assertEqual(self.event.name, "Google title")
        self.assertEqual(self.google_events(ANN)[self.seeded["id"]]["summary"], "Google title")
        self.assertEqual(counts["conflicts"], 1)
        notes = " ".join(self.chatter(self.event))
        self.assertIn(
            "Meeting Subject: “Odoo title”, changed in Odoo, was replaced by “Google title” "
            "from Google.",
            notes,
        )

    def test_odoo_description_edit_is_no_tie_with_a_later_google_edit(self):
        # Google holds the description as plain text, Odoo as a paragraph: the
        # same text, unchanged on Google, must not tie with Odoo's edit.
        [seeded] = self.seed(
            ANN, {**self.timed_event("Review", self.future(days=12)), "description": "Agenda"}
        )
        self.sync(self.account)
        event = self.event_of(seeded["id"])
        self.edit_in_odoo_then_on_google(
            event, {"description": "<p>New agenda</p>"}, {"location": "Room 7"}
        )
        counts = self.sync(self.account)
        on_google = self.google_events(ANN)[seeded["id"]]
        self.assertEqual((event.location, on_google["location"]), ("Room 7", "Room 7"))
        self.assertEqual(str(event.description), "<p>New agenda</p>")
        self.assertEqual(on_google["description"], "<p>New agenda</p>")
        self.assertEqual(counts["conflicts"], 0)

    def test_untitled_google_meeting_renamed_in_odoo_is_no_tie(self):
        [seeded] = self.seed(ANN, {**self.timed_event("", self.future(days=13)), "summary": ""})
        self.sync(self.account)
        event = self.event_of(seeded["id"])
        self.assertEqual(event.name, "(no title)")
        self.edit_in_odoo_then_on_google(event, {"name": "Budget"}, {"location": "Room 8"})
        counts = self.sync(self.account)
        on_google = self.google_events(ANN)[seeded["id"]]
        self.assertEqual((event.name, on_google["summary"]), ("Budget", "Budget"))
        self.assertEqual(counts["conflicts"], 0)

    def test_odoo_edit_that_lost_its_tie_does_not_bring_back_a_google_deletion(self):
        # Google words the guest without a name; Odoo's partner has one.
        [seeded] = self.seed(
            ANN, {**self.timed_event("Review", self.future()), "attendees": [{"email": CAROL}]}
        )
        self.sync(self.account)
        event = self.event_of(seeded["id"])
        # The Odoo edit is older than Google's edit of the same field: it loses.
        self.edit_in_odoo_then_on_google(event, {"location": "Room 5"}, {"location": "Room 8"})
        # The pull applies the tie; the push cannot run.
        self.fake_control.inject_fault(mode="drop", method="POST", path="batch", count=20)
        self.sync(self.account)
        self.fake_control.clear_faults()
        self.assertEqual(event.location, "Room 8")
        self.assertFalse(event.google_push_pending, "nothing of Odoo's is left to send")
        self.client.delete_event("primary", seeded["id"], send_updates="none")
        self.sync(self.account)
        self.assertFalse(event.exists(), "no Odoo edit left to win over the deletion")

    def test_google_delete_loses_to_a_later_odoo_edit(self):
        self.event.write({"location": "Room 5"})
        self.client.delete_event("primary", self.seeded["id"], send_updates="none")
        self.sync(self.account)
        self.assertTrue(self.event.exists(), "the Odoo edit is not lost")
        self.assertNotEqual(self.event.google_id, self.seeded["id"])
        on_google = self.google_events(ANN)[self.event.google_id]
        self.assertEqual((on_google["summary"], on_google["location"]), ("Kick-off", "Room 5"))

    def test_odoo_delete_loses_to_a_later_google_edit(self):
        self.client.patch_event(
            "primary", self.seeded["id"], {"summary": "Kick-off, agenda added"}, send_updates="none"
        )
        self.event.unlink()
        self.sync(self.account)
        restored = self.event_of(self.seeded["id"])
        self.assertEqual(restored.name, "Kick-off, agenda added")
        self.assertEqual(self.google_events(ANN)[self.seeded["id"]]["status"], "confirmed")
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))

    def test_odoo_delete_of_unchanged_event_is_not_undone_by_the_pull(self):
        start = self.future(days=3)
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "Short-lived", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        self.sync(self.account)
        google_id = event.google_id
        event.unlink()
        # The next incremental list still shows the insert: it must not come back.
        self.sync(self.account)
        self.assertFalse(self.event_of(google_id))
        self.assertEqual(self.google_events(ANN)[google_id]["status"], "cancelled")

    def _edit_lost_then_deleted(self, push_only, edit_on_google=None):
        """An Odoo edit reaches Google, but the worker dies before its commit;
        then the event is deleted in Odoo (and maybe edited on Google)."""
        self.event.write({"name": "Kick-off, moved to Friday"})
        killed = self.env.cr.savepoint()
        self.Sync._push_account(self.account, self.account._get_client())
        killed.close(rollback=True)
        self.env.invalidate_all()
        self.assertEqual(
            self.google_events(ANN)[self.seeded["id"]]["summary"], "Kick-off, moved to Friday"
        )
        if edit_on_google:
            self.client.patch_event(
                "primary", self.seeded["id"], edit_on_google, send_updates="none"
            )
        self.event.unlink()
        if push_only:
            self.Sync._push_account(self.account, self.account._get_client())
        else:
            self.sync(self.account)

    def test_odoo_delete_after_its_own_lost_edit_is_not_undone_by_the_pull(self):
        self._edit_lost_then_deleted(push_only=False)
        self.assertFalse(self.event_of(self.seeded["id"]), "Odoo's own edit is not a Google edit")
        self.assertEqual(self.google_events(ANN)[self.seeded["id"]]["status"], "cancelled")
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))

    def test_odoo_delete_after_its_own_lost_edit_goes_through_a_stale_etag(self):
        self._edit_lost_then_deleted(push_only=True)
        self.assertEqual(self.google_events(ANN)[self.seeded["id"]]["status"], "cancelled")
        deletes = [w["status"] for w in self.writes(ANN) if w["operation"] == "events.delete"]
        self.assertEqual(deletes[0], 412, "the etag Odoo held was stale")
        self.assertFalse(self.env["google.calendar.outbox"].sudo().search([]))

    def test_google_edit_after_a_lost_odoo_edit_still_wins_over_the_deletion(self):
        self._edit_lost_then_deleted(push_only=True, edit_on_google={"summary": "Kick-off (Sat)"})
        restored = self.event_of(self.seeded["id"])
        self.assertEqual(restored.name, "Kick-off (Sat)")
        self.assertEqual(self.google_events(ANN)[self.seeded["id"]]["status"], "confirmed")

    def test_precondition_failed_on_patch_reconciled(self):
        self.event.write({"location": "Room 3"})
        self.client.patch_event(
            "primary", self.seeded["id"], {"summary": "Renamed on Google"}, send_updates="none"
        )
        # Push before any pull: the stale etag gets 412, nothing is overwritten.
        self.Sync._push_account(self.account, self.account._get_client())
        on_google = self.google_events(ANN)[self.seeded["id"]]
        self.assertEqual(
            (on_google["summary"], on_google["location"]), ("Renamed on Google", "Room 3")
        )
        self.assertEqual(self.event.name, "Renamed on Google")
        statuses = [w["status"] for w in self.writes(ANN) if w["operation"] == "events.patch"]
        self.assertIn(412, statuses)

    def test_full_resync_after_410_creates_no_duplicates(self):
        [other] = self.seed(ANN, self.timed_event("Second", self.future(days=20)))
        self.sync(self.account)
        self.fake_control.expire_sync_tokens(ANN)
        writes_before = len(self.writes(ANN))
        self.sync(self.account)
        events = self.env["calendar.event"].search(
            [("google_id", "in", [self.seeded["id"], other["id"]])]
        )
        self.assertEqual(len(events), 2)
        self.assertEqual(
            self.env["calendar.event"].search_count([("name", "in", ("Kick-off", "Second"))]), 2
        )
        self.assertEqual(
            len(self.writes(ANN)), writes_before, "a full resync does not re-send unchanged events"
        )

    def push_with_lost_answer(self, name, client=None):
        """An event Ann creates in Odoo, pushed (``client``: the account's own)
        while the answer to its insert batch is lost after Google stored it."""
        event = self.odoo_meeting(self.ann, name)
        self.fake_control.inject_fault(
            mode="drop_after_apply", method="POST", path="batch", count=1
        )
        self.Sync._push_account(self.account, client or self.account._get_client())
        return event

    def assert_one_event_agreed(self, event):
        # A list, not a dict by id: a twin has the same id.
        named = [e for e in self.fake_control.events(ANN) if e.get("summary") == event.name]
        self.assertEqual([e["id"] for e in named], [event.google_id], "one event, no twin")
        self.assertFalse(event.google_push_pending)
        self.assertEqual(event.google_etag, named[0]["etag"])
        inserts = [w["status"] for w in self.writes(ANN) if w["operation"] == "events.insert"]
        self.assertEqual(inserts, [200], "looked up, never sent again")

    def test_insert_retried_after_lost_answer_creates_no_twin(self):
        event = self.push_with_lost_answer("Once only")
        self.sync(self.account)
        self.assert_one_event_agreed(event)

    def test_insert_lost_makes_no_twin_when_google_misses_the_id_collision(self):
        # Google "cannot guarantee" to refuse a second insert of an id with 409.
        self.fake_control.set_detect_id_collisions(False)
        event = self.push_with_lost_answer("Once only")
        self.sync(self.account)
        self.assert_one_event_agreed(event)

    def test_insert_left_unanswered_is_looked_up_by_the_next_push(self):
        self.fake_control.set_detect_id_collisions(False)
        client = self.account._get_client()
        client.retry_policy = RetryPolicy(max_attempts=1)  # gives up at the lost answer
        event = self.push_with_lost_answer("Once only", client)
        self.assertTrue(event.google_push_pending)
        self.assertFalse(event.google_etag)
        self.assertEqual(event.google_unanswered_id, event.google_id)

        self.Sync._push_account(self.account, self.account._get_client())
        self.assert_one_event_agreed(event)
        lookups = [
            r["status"]
            for r in self.fake_control.log(ANN)
            if r["operation"] == "events.get" and r["path"].endswith(event.google_id)
        ]
        self.assertEqual(lookups, [200])
        self.assertFalse(event.google_unanswered_id)


@tagged("post_install", "-at_install")
class TestSyncSharedMeetings(SyncCase):
    def test_organizer_and_attendee_both_syncing_share_one_odoo_event(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.sync(ann_account)
        self.sync(bob_account)
        event = self.odoo_meeting(self.ann, "Shared", self.ann.partner_id + self.bob.partner_id)
        self.sync(ann_account)
        self.assertIn(event.google_id, self.google_events(BOB), "Google copied it to Bob")
        self.sync(bob_account)
        # And a meeting Ann creates on Google, Bob syncing first.
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("From Google", event.start),
                "attendees": [{"email": ANN}, {"email": BOB}],
            },
        )
        self.sync(bob_account)
        self.sync(ann_account)
        self.sync(bob_account)
        for name, google_id in (("Shared", event.google_id), ("From Google", seeded["id"])):
            matching = self.env["calendar.event"].search([("name", "=", name)])
            self.assertEqual(len(matching), 1, name)
            self.assertEqual(matching.google_id, google_id)
            self.assertEqual(matching.user_id, self.ann)

    def test_non_organizer_edit_refused_told_once(self):
        account = self.connect(self.ann)
        carol = self.connect_google_only(CAROL)
        created = carol.insert_event(
            "primary",
            {
                **self.timed_event("Carol decides", self.future()),
                "attendees": [{"email": CAROL}, {"email": ANN}],
            },
            send_updates="none",
        )
        self.sync(account)
        event = self.event_of(created["id"])
        event.with_user(self.ann).write({"name": "Ann renames it"})
        self.sync(account)
        self.sync(account)
        self.sync(account)
        refused = [w for w in self.writes(ANN) if w["status"] == 403]
        self.assertEqual(len(refused), 1, "not retried forever")
        notes = [body for body in self.chatter(event) if "organizer" in body]
        self.assertEqual(len(notes), 1, "the user is told once")
        self.assertEqual(self.google_events(CAROL)[created["id"]]["summary"], "Carol decides")
        self.assertEqual(event.name, "Ann renames it", "nothing is lost in Odoo")


@tagged("post_install", "-at_install")
class TestSyncInvitations(SyncCase):
    def mails_for(self, event):
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "calendar.event"), ("res_id", "=", event.id)])
        )

    def invitation_mails(self, event):
        return (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", "calendar.event"),
                    ("res_id", "=", event.id),
                    ("message_type", "=", "user_notification"),
                ]
            )
        )

    def test_first_sync_sends_no_invitations(self):
        carol = self.env["res.partner"].create({"name": "Carol", "email": CAROL})
        event = self.odoo_meeting(self.ann, "Before connecting", self.ann.partner_id + carol)
        account = self.connect(self.ann)
        self.sync(account)
        [insert] = self.writes(ANN)
        self.assertEqual(insert["send_updates"], "none")
        self.assertIn(event.google_id, self.google_events(ANN))

    def test_send_updates_follows_setting_and_none_for_past_events(self):
        account = self.connect(self.ann)
        self.sync(account)
        self.env["ir.config_parameter"].sudo().set_param(
            "google_calendar_sync.send_updates", "externalOnly"
        )
        self.odoo_meeting(self.ann, "Future")
        self.odoo_meeting(self.ann, "Past", start=datetime.now() - timedelta(days=3))
        self.sync(account)
        by_mode = sorted(w["send_updates"] for w in self.writes(ANN))
        self.assertEqual(by_mode, ["externalOnly", "none"])

    def test_no_double_invitation_mails(self):
        account = self.connect(self.ann)
        self.sync(account)
        carol = self.env["res.partner"].create({"name": "Carol", "email": CAROL})
        event = self.odoo_meeting(self.ann, "Invite Carol", self.ann.partner_id + carol)
        self.sync(account)
        self.assertEqual(
            [w["send_updates"] for w in self.writes(ANN)], ["all"], "Google invites Carol"
        )
        self.assertFalse(self.invitation_mails(event), "so Odoo does not")
        # Control: a user who does not sync still gets Odoo's invitation mail.
        dave = new_test_user(self.env, "dave", email="dave@example.com", groups="base.group_user")
        unsynced = self.odoo_meeting(dave, "Odoo only", dave.partner_id + carol, start=event.start)
        self.assertTrue(self.invitation_mails(unsynced))


@tagged("post_install", "-at_install")
class TestSyncOperations(SyncCase):
    def run_cron(self):
        """The cron as it runs: one cursor (here wrapping the test's) per account."""
        with self.enter_registry_test_mode():
            self.env["google.calendar.account"]._cron_sync()

    def test_pause_then_resume_pushes_changes_made_meanwhile(self):
        account = self.connect(self.ann)
        self.run_cron()
        self.assertTrue(account.last_sync)
        set_param = self.env["ir.config_parameter"].sudo().set_param
        set_param("google_calendar_sync.paused", "True")
        start = self.future()
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "While paused", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        self.run_cron()
        self.assertTrue(event.google_push_pending)
        self.assertNotIn(event.google_id, self.google_events(ANN))
        set_param("google_calendar_sync.paused", "")
        self.run_cron()
        self.assertFalse(event.google_push_pending)
        self.assertEqual(self.google_events(ANN)[event.google_id]["summary"], "While paused")

    def test_change_pushed_right_after_commit(self):
        account = self.connect(self.ann)
        self.sync(account)
        start = self.future()
        event = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "Fast path", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        pending = self.env.cr.postcommit.data[_POSTCOMMIT_KEY]
        self.assertIn(self.ann.id, pending["users"], "a push is scheduled after the commit")
        self.env.flush_all()
        with self.enter_registry_test_mode():
            _push_after_commit(self.env.cr.dbname, pending)
        self.env.invalidate_all()
        self.assertFalse(event.google_push_pending)
        self.assertEqual(self.google_events(ANN)[event.google_id]["summary"], "Fast path")

    def test_cron_continues_past_failing_user(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.fake_control.inject_fault(
            status=403, reason="insufficientPermissions", email=ANN, count=10
        )
        start = self.future()
        event = (
            self.env["calendar.event"]
            .with_user(self.bob)
            .create({"name": "Bob's", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        self.run_cron()
        self.assertEqual(ann_account.state, "error")
        self.assertEqual(self.google_events(BOB)[event.google_id]["summary"], "Bob's")
        self.assertTrue(bob_account.last_sync)

    def test_two_concurrent_syncs_of_one_user_do_not_both_run(self):
        account = self.connect(self.ann)
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x6763_7331, account.id])
            before = len(self.fake_control.log(ANN))
            self.assertEqual(self.sync(account), {"skipped": "running"})
            self.assertEqual(len(self.fake_control.log(ANN)), before, "no request sent")
        finally:
            other.rollback()
            other.close()
        self.assertNotIn("skipped", self.sync(account))
