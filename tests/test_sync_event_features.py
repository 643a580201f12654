"""Everything Google's events carry, over real HTTP to the fake: event types,
rooms and resources, the reminder limit and default reminders, guest
permissions, Meet links made for Odoo's meetings."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..sync.event_features import meetings
from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
OUTSIDER = "carol@outside.example"
ROOM = "c_1889-room-1@resource.calendar.google.com"


@tagged("post_install", "-at_install")
class TestEventTypes(SyncCase):
    def test_birthdays_and_working_locations_are_not_meetings(self):
        account = self.connect(self.ann)
        day = self.future().date()
        meeting, birthday, office = self.seed(
            ANN,
            self.timed_event("Planning", self.future()),
            {
                "summary": "Bob's birthday",
                "eventType": "birthday",
                "start": {"date": day.isoformat()},
                "end": {"date": (day + timedelta(days=1)).isoformat()},
                "recurrence": ["RRULE:FREQ=YEARLY"],
            },
            {
                **self.timed_event("Office", self.future(hour=8), hours=9),
                "eventType": "workingLocation",
                "transparency": "transparent",
            },
        )
        counts = self.sync(account)
        self.assertTrue(self.event_of(meeting["id"]))
        self.assertFalse(self.event_of(birthday["id"]), "a birthday is no meeting")
        self.assertFalse(
            self.env["calendar.recurrence"].search([("google_id", "=", birthday["id"])])
        )
        self.assertFalse(self.event_of(office["id"]), "a working location is no meeting")
        self.assertEqual(counts["odoo_created"], 1)
        [listing] = [
            entry for entry in self.fake_control.log(ANN) if entry["operation"] == "events.list"
        ]
        self.assertEqual(
            sorted(listing["query"]["eventTypes"]),
            ["default", "focusTime", "fromGmail", "outOfOffice"],
        )
        # Even listed (by a Google that ignored the parameter), they are left out.
        self.assertEqual(meetings([birthday, office]), [])

    def test_out_of_office_and_focus_time_are_read_only_busy_blocks_of_their_owner(self):
        account = self.connect(self.ann)
        self.sync(account)
        away, focus = self.seed(
            ANN,
            {**self.timed_event("Away", self.future(), hours=8), "eventType": "outOfOffice"},
            {**self.timed_event("Focus", self.future(days=2)), "eventType": "focusTime"},
        )
        self.sync(account)
        for seeded, kind in ((away, "outOfOffice"), (focus, "focusTime")):
            event = self.event_of(seeded["id"])
            self.assertEqual(event.google_event_type, kind)
            self.assertEqual(event.show_as, "busy")
            self.assertEqual(event.user_id, self.ann)
            self.assertEqual(event.partner_ids, self.ann.partner_id)
            with self.assertRaisesRegex(UserError, "Google Calendar"):
                event.with_user(self.ann).write(
                    {"name": "Not away", "partner_ids": [Command.link(self.bob.partner_id.id)]}
                )
            # Even a change Odoo marks for sending is never sent.
            event._google_mark_dirty()
        self.sync(account)
        self.assertEqual(self.writes(ANN), [])
        self.assertEqual(self.google_events(ANN)[away["id"]]["summary"], "Away")
        self.assertFalse(self.event_of(away["id"]).google_push_pending)
        # Google's own changes still come in.
        self.google_client_of(ANN).patch_event(
            "primary", away["id"], {"summary": "Away (sick)"}, send_updates="none"
        )
        self.sync(account)
        self.assertEqual(self.event_of(away["id"]).name, "Away (sick)")

    def test_gmail_event_takes_only_what_google_lets_change(self):
        account = self.connect(self.ann)
        self.sync(account)
        [flight] = self.seed(
            ANN, {**self.timed_event("Flight to Lisbon", self.future()), "eventType": "fromGmail"}
        )
        self.sync(account)
        event = self.event_of(flight["id"])
        self.assertEqual(event.google_event_type, "fromGmail")
        with self.assertRaisesRegex(UserError, "Gmail"):
            event.with_user(self.ann).write({"name": "Trip"})
        alarm = self.env["calendar.alarm"].create(
            {"name": "Pop 45", "alarm_type": "notification", "duration": 45, "interval": "minutes"}
        )
        event.with_user(self.ann).write({"alarm_ids": [Command.set(alarm.ids)], "show_as": "free"})
        counts = self.sync(account)
        self.assertEqual(counts["errors"], 0, counts["messages"])
        held = self.google_events(ANN)[flight["id"]]
        self.assertEqual(
            held["reminders"],
            {"useDefault": False, "overrides": [{"method": "popup", "minutes": 45}]},
        )
        self.assertEqual(held["transparency"], "transparent")
        self.assertNotIn("extendedProperties", held, "Google refuses them on Gmail's events")
        self.assertEqual([w["status"] for w in self.writes(ANN)], [200])
        self.assertFalse(event.google_push_pending)


@tagged("post_install", "-at_install")
class TestResources(SyncCase):
    def test_rooms_are_kept_shown_and_never_contacts(self):
        account = self.connect(self.ann)
        self.sync(account)
        # A room whose address is also a colleague's: still a room, not Bob.
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("Board", self.future()),
                "attendees": [
                    {"email": ANN, "responseStatus": "accepted"},
                    {
                        "email": ROOM,
                        "displayName": "Room 1",
                        "resource": True,
                        "responseStatus": "accepted",
                    },
                    {"email": "projector@example.com", "resource": True},
                ],
            },
        )
        partners_before = self.env["res.partner"].search_count([])
        self.sync(account)
        event = self.event_of(seeded["id"])
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertFalse(
            self.env["res.partner"].search([("email", "in", [ROOM, "projector@example.com"])])
        )
        self.assertEqual(event.partner_ids, self.ann.partner_id)
        self.assertEqual(
            event.with_user(self.ann).google_resource_names, "Room 1, projector@example.com"
        )
        # Ann invites Bob in Odoo: the guest list sent keeps the rooms.
        event.with_user(self.ann).write({"partner_ids": [Command.link(self.bob.partner_id.id)]})
        self.sync(account)
        held = {a["email"]: a for a in self.google_events(ANN)[seeded["id"]]["attendees"]}
        self.assertEqual(set(held), {ANN, BOB, ROOM, "projector@example.com"})
        self.assertIs(held[ROOM].get("resource"), True)
        self.assertEqual(held[ROOM]["responseStatus"], "accepted")
        self.sync(account)
        self.assertEqual(event.partner_ids, self.ann.partner_id | self.bob.partner_id)

    def test_a_colleague_listed_as_a_resource_is_not_invited(self):
        """An invitation cannot make a colleague a guest by calling them a room."""
        account = self.connect(self.ann)
        self.sync(account)
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("Lure", self.future()),
                "organizer": {"email": OUTSIDER},
                "attendees": [
                    {"email": OUTSIDER, "responseStatus": "accepted"},
                    {"email": ANN, "responseStatus": "needsAction"},
                    {"email": BOB, "resource": True, "displayName": "Bob's office"},
                ],
            },
        )
        self.sync(account)
        event = self.event_of(seeded["id"])
        self.assertNotIn(self.bob.partner_id, event.partner_ids)
        self.assertFalse(
            self.env["calendar.event"].with_user(self.bob).search([("id", "=", event.id)])
            & event.with_user(self.bob).search([("partner_ids", "in", self.bob.partner_id.ids)])
        )
        self.assertEqual(event.google_resource_names, "Bob's office")


@tagged("post_install", "-at_install")
class TestReminders(SyncCase):
    def alarms(self, *minutes):
        return self.env["calendar.alarm"].create(
            [
                {
                    "name": f"Pop {m}",
                    "alarm_type": "notification",
                    "duration": m,
                    "interval": "minutes",
                }
                for m in minutes
            ]
        )

    def test_more_than_five_reminders_stay_in_odoo_and_the_user_is_told_once(self):
        account = self.connect(self.ann)
        self.sync(account)
        alarms = self.alarms(1, 2, 3, 4, 5, 6, 7)
        event = self.odoo_meeting(self.ann, "Many", alarm_ids=[Command.set(alarms.ids)])
        counts = self.sync(account)
        self.assertEqual(counts["errors"], 0, counts["messages"])
        held = self.google_events(ANN)[event.google_id]
        self.assertEqual([o["minutes"] for o in held["reminders"]["overrides"]], [1, 2, 3, 4, 5])
        self.assertEqual(len(event.alarm_ids), 7)
        notes = [body for body in self.chatter(event) if "at most 5 reminders" in body]
        self.assertEqual(len(notes), 1)
        # Renamed on Google: the two reminders Google never had stay in Odoo.
        self.google_client_of(ANN).patch_event(
            "primary", event.google_id, {"summary": "Many (moved)"}, send_updates="none"
        )
        self.sync(account)
        self.assertEqual(event.name, "Many (moved)")
        self.assertEqual(len(event.alarm_ids), 7)
        event.with_user(self.ann).write({"name": "Many again"})
        self.sync(account)
        self.assertEqual(
            len([body for body in self.chatter(event) if "at most 5 reminders" in body]), 1
        )

    def test_calendar_default_reminders_both_ways(self):
        account = self.connect(self.ann, default_reminders=[{"method": "popup", "minutes": 10}])
        self.sync(account)
        [seeded] = self.seed(
            ANN, {**self.timed_event("Defaults", self.future()), "reminders": {"useDefault": True}}
        )
        self.sync(account)
        imported = self.event_of(seeded["id"])
        self.assertEqual([a.duration_minutes for a in imported.alarm_ids], [10])
        event = self.odoo_meeting(self.ann, "Mine", alarm_ids=[Command.set(imported.alarm_ids.ids)])
        other = self.odoo_meeting(self.ann, "Other", alarm_ids=[Command.set(self.alarms(30).ids)])
        self.sync(account)
        held = self.google_events(ANN)
        self.assertIs(held[event.google_id]["reminders"]["useDefault"], True)
        self.assertFalse(held[event.google_id]["reminders"].get("overrides"))
        self.assertEqual(
            held[other.google_id]["reminders"],
            {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]},
        )
        self.assertEqual(self.event_of(seeded["id"]).alarm_ids, imported.alarm_ids)

    def test_push_alone_reads_default_reminders_as_the_last_pull_listed_them(self):
        account = self.connect(self.ann, default_reminders=[{"method": "popup", "minutes": 10}])
        self.sync(account)
        [seeded] = self.seed(
            ANN, {**self.timed_event("Defaults", self.future()), "reminders": {"useDefault": True}}
        )
        self.sync(account)
        event = self.event_of(seeded["id"])
        self.assertEqual([a.duration_minutes for a in event.alarm_ids], [10])
        # Renamed on Google meanwhile: the push alone meets 412, reads the event
        # again, and must not read "useDefault" as "no reminder".
        self.google_client_of(ANN).patch_event(
            "primary", seeded["id"], {"summary": "Defaults (renamed)"}, send_updates="none"
        )
        event.with_user(self.ann).write({"location": "Room 2"})
        self.Sync._push_account(account, account._get_client())
        self.assertEqual(event.name, "Defaults (renamed)")
        self.assertEqual([a.duration_minutes for a in event.alarm_ids], [10])
        held = self.google_events(ANN)[seeded["id"]]
        self.assertEqual(held["location"], "Room 2")
        self.assertEqual(held["reminders"], {"useDefault": True})


@tagged("post_install", "-at_install")
class TestGuestPermissions(SyncCase):
    def test_permissions_both_ways(self):
        account = self.connect(self.ann)
        self.sync(account)
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("Open", self.future()),
                "guestsCanModify": True,
                "guestsCanSeeOtherGuests": False,
                "colorId": "5",
            },
        )
        self.sync(account)
        event = self.event_of(seeded["id"])
        self.assertTrue(event.google_guests_can_modify)
        self.assertTrue(event.google_guests_can_invite_others)
        self.assertFalse(event.google_guests_can_see_other_guests)
        self.sync(account)
        self.assertEqual(self.writes(ANN), [], "read permissions are no change to send")
        event.with_user(self.ann).write({"google_guests_can_invite_others": False})
        self.sync(account)
        held = self.google_events(ANN)[seeded["id"]]
        self.assertIs(held["guestsCanInviteOthers"], False)
        self.assertIs(held["guestsCanModify"], True)
        self.assertIs(held["guestsCanSeeOtherGuests"], False)
        self.assertEqual(held["colorId"], "5", "a patch leaves Google's colour alone")
        self.google_client_of(ANN).patch_event(
            "primary", seeded["id"], {"guestsCanModify": False}, send_updates="none"
        )
        self.sync(account)
        self.assertFalse(event.google_guests_can_modify)
        self.assertFalse(event.google_guests_can_invite_others)
        # Made in Odoo: sent on insert when not Google's defaults.
        mine = self.odoo_meeting(self.ann, "Mine", google_guests_can_modify=True)
        self.sync(account)
        self.assertIs(self.google_events(ANN)[mine.google_id]["guestsCanModify"], True)

    def invitation(self, can_modify):
        """An outsider's meeting with Ann as guest, imported into Odoo."""
        account = self.connect(self.ann)
        self.sync(account)
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("Outsider's plan", self.future()),
                "organizer": {"email": OUTSIDER},
                "attendees": [
                    {"email": OUTSIDER, "responseStatus": "accepted"},
                    {"email": ANN, "responseStatus": "needsAction"},
                ],
                "guestsCanModify": can_modify,
            },
        )
        self.sync(account)
        return account, seeded, self.event_of(seeded["id"])

    def test_guest_edit_goes_to_google_when_guests_may_modify(self):
        account, seeded, event = self.invitation(can_modify=True)
        event.with_user(self.ann).write({"name": "Our plan"})
        counts = self.sync(account)
        self.assertEqual(counts["errors"], 0, counts["messages"])
        self.assertEqual(self.google_events(ANN)[seeded["id"]]["summary"], "Our plan")
        self.assertFalse(event.sudo().google_refused_fingerprint)

    def test_guest_edit_refused_when_guests_may_not_modify(self):
        account, seeded, event = self.invitation(can_modify=False)
        self.assertFalse(event.google_guests_can_modify)
        event.with_user(self.ann).write({"name": "Our plan"})
        self.sync(account)
        self.assertEqual(self.google_events(ANN)[seeded["id"]]["summary"], "Outsider's plan")
        self.assertTrue(event.sudo().google_refused_fingerprint)


@tagged("post_install", "-at_install")
class TestMeetLinks(SyncCase):
    def test_meeting_made_in_odoo_gets_a_meet_link_once_google_made_it(self):
        account = self.connect(self.ann)
        self.sync(account)
        self.fake_control.set_conference_pending(True)
        event = self.odoo_meeting(self.ann, "Call")
        self.sync(account)
        held = self.google_events(ANN)[event.google_id]
        [insert] = [w for w in self.writes(ANN) if w["operation"] == "events.insert"]
        self.assertEqual(insert["query"].get("conferenceDataVersion"), "1")
        self.assertFalse(event.videocall_location, "Google has not made the link yet")
        # Google made it meanwhile: the next pull brings it.
        self.sync(account)
        held = self.google_events(ANN)[event.google_id]
        self.assertTrue(held["hangoutLink"].startswith("https://meet.google.com/"))
        self.assertEqual(event.videocall_location, held["hangoutLink"])
        self.assertFalse(event.google_push_pending)
        # Removed in Odoo: removed on Google, and not made again.
        event.with_user(self.ann).write({"videocall_location": False})
        self.sync(account)
        self.sync(account)
        held = self.google_events(ANN)[event.google_id]
        self.assertNotIn("hangoutLink", held)
        self.assertNotIn("conferenceData", held)
        self.assertFalse(event.videocall_location)

    def test_link_answered_at_once_shows_at_once(self):
        account = self.connect(self.ann)
        self.sync(account)
        event = self.odoo_meeting(self.ann, "Call")
        self.sync(account)
        held = self.google_events(ANN)[event.google_id]
        self.assertEqual(event.videocall_location, held["hangoutLink"])
        self.sync(account)
        self.assertEqual(len(self.writes(ANN)), 1)

    def test_no_link_where_the_meeting_has_one_or_a_place_or_opts_out(self):
        account = self.connect(self.ann)
        self.sync(account)
        zoom = self.odoo_meeting(self.ann, "Zoom", videocall_location="https://zoom.example/j/1")
        room = self.odoo_meeting(self.ann, "Room", location="Room 4")
        opted_out = self.odoo_meeting(self.ann, "No video", google_no_meet=True)
        over = self.odoo_meeting(self.ann, "Last week", start=self.future(days=-7))
        self.sync(account)
        held = self.google_events(ANN)
        for event in zoom | room | opted_out | over:
            self.assertNotIn("hangoutLink", held[event.google_id], event.name)
        self.assertEqual(zoom.videocall_location, "https://zoom.example/j/1")
        self.sync(account)
        self.assertEqual(zoom.videocall_location, "https://zoom.example/j/1")

    def test_setting_off_makes_no_link(self):
        account = self.connect(self.ann)
        self.sync(account)
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.google_calendar_meet_links, "on by default")
        settings.google_calendar_meet_links = False
        settings.set_values()
        event = self.odoo_meeting(self.ann, "Call")
        self.sync(account)
        self.assertNotIn("hangoutLink", self.google_events(ANN)[event.google_id])
        self.assertFalse(self.env["res.config.settings"].create({}).google_calendar_meet_links)

    def test_video_link_from_google_must_be_https(self):
        account = self.connect(self.ann)
        self.sync(account)
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("Trap", self.future()),
                "hangoutLink": "javascript:alert(document.cookie)",
            },
        )
        self.sync(account)
        self.assertFalse(self.event_of(seeded["id"]).videocall_location)
