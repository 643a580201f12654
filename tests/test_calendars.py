"""Several Google calendars per user (issue 17), against the fake: the calendar
list and its colours, a read-only calendar, a secondary calendar's meetings,
a move between calendars, busy-only calendars both ways, deselected and
deleted calendars, one meeting seen in two calendars, and who may see and
use whose calendars."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..engine import oauth
from .sync_common import SyncCase
from .test_connect import FakeGoogleConnectCase

PROJECTS = "projects-ann@group.calendar.google.com"
TEAM = "team-bob@group.calendar.google.com"


@tagged("post_install", "-at_install")
class TestSeveralCalendars(SyncCase):
    def setUp(self):
        super().setUp()
        self.account = self.connect(self.ann)
        self.fake_control.add_user(
            self.ann.email,
            calendars=[{"summary": "Projects", "id": PROJECTS, "color": "#16a765"}],
        )
        self.fake_control.add_user(
            "bob@example.com",
            calendars=[{"summary": "Team", "id": TEAM, "color": "#ff7537"}],
        )
        self.fake_control.share_calendar("bob@example.com", TEAM, self.ann.email, "reader")
        self.Calendar = self.env["google.calendar.calendar"]

    # -- helpers --------------------------------------------------------------

    def list_calendars(self):
        self.account._google_refresh_calendars()
        return {calendar.google_id: calendar for calendar in self.account.calendar_ids}

    def choose(self, google_id, **vals):
        calendar = self.Calendar.with_user(self.ann).search([("google_id", "=", google_id)])
        calendar.write({"selected": True, **vals})
        return calendar

    def calendar_events(self, email, calendar_id, live=True):
        return [
            event
            for event in self.fake_control.events(email, calendar_id)
            if not live or event["status"] != "cancelled"
        ]

    def operations(self, email, *names):
        return [r for r in self.fake_control.log(email) if r["operation"] in names]

    # -- the list -------------------------------------------------------------

    def test_two_calendars_one_read_only_imported_with_their_colours(self):
        start = self.future(days=2, hour=9)
        self.fake_control.seed_events(
            self.ann.email, [self.timed_event("Project kick-off", start)], calendar_id=PROJECTS
        )
        self.fake_control.seed_events(
            "bob@example.com", [self.timed_event("Team offsite", start)], calendar_id=TEAM
        )
        listed = self.list_calendars()
        self.assertEqual(set(listed), {self.ann.email, PROJECTS, TEAM})
        primary = listed[self.ann.email]
        self.assertTrue(primary.primary and primary.selected, "the primary is on by default")
        self.assertFalse(listed[PROJECTS].selected or listed[TEAM].selected)
        self.assertEqual(
            (listed[PROJECTS].color, listed[PROJECTS].access_role), ("#16a765", "owner")
        )
        self.assertEqual((listed[TEAM].color, listed[TEAM].access_role), ("#ff7537", "reader"))
        self.assertTrue(listed[TEAM].read_only)

        self.choose(PROJECTS)
        self.choose(TEAM, direction="two_way")
        self.sync(self.account)

        kick_off = self.env["calendar.event"].search([("name", "=", "Project kick-off")])
        offsite = self.env["calendar.event"].search([("name", "=", "Team offsite")])
        self.assertEqual(kick_off.google_calendar_id, listed[PROJECTS])
        self.assertEqual(kick_off.user_id, self.ann, "her own calendar's: she organizes it")
        self.assertEqual(kick_off.google_calendar_color, "#16a765")
        self.assertEqual(offsite.google_calendar_id, listed[TEAM])
        self.assertEqual(offsite.google_calendar_color, "#ff7537")

        # A read-only calendar's event: Odoo refuses the edit, nothing is sent.
        with self.assertRaisesRegex(UserError, "only read"):
            offsite.with_user(self.ann).write({"name": "Renamed in Odoo"})
        self.sync(self.account)
        self.assertFalse(
            [
                r
                for r in self.fake_control.log(self.ann.email)
                if TEAM in r["path"] and r["method"] != "GET"
            ]
        )
        self.assertEqual(
            [e["summary"] for e in self.calendar_events("bob@example.com", TEAM)],
            ["Team offsite"],
        )

    def test_list_follows_google_renamed_and_access_lost(self):
        self.list_calendars()
        team = self.choose(TEAM)
        self.fake_control.update_calendar(
            "bob@example.com", TEAM, summary="Team B", color="#000000"
        )
        self.sync(self.account)
        self.assertEqual((team.name, team.color), ("Team B", "#000000"))
        self.fake_control.unshare_calendar("bob@example.com", TEAM, self.ann.email)
        self.sync(self.account)
        self.assertTrue(team.removed)
        self.assertFalse(team.selected)

    # -- Odoo's meetings ---------------------------------------------------------

    def test_meeting_created_in_odoo_in_the_secondary_calendar_appears_there_only(self):
        projects = self.list_calendars()[PROJECTS]
        self.choose(PROJECTS)
        meeting = self.odoo_meeting(self.ann, "Sprint planning", google_calendar_id=projects.id)
        self.sync(self.account)
        self.assertEqual(
            [e["summary"] for e in self.calendar_events(self.ann.email, PROJECTS)],
            ["Sprint planning"],
        )
        self.assertEqual(self.calendar_events(self.ann.email, "primary"), [])
        self.assertTrue(meeting.google_etag)
        self.assertFalse(meeting.google_push_pending)

        # An edit goes to that calendar; the next sync is idle.
        meeting.with_user(self.ann).write({"name": "Sprint planning 2"})
        self.sync(self.account)
        [held] = self.calendar_events(self.ann.email, PROJECTS)
        self.assertEqual(held["summary"], "Sprint planning 2")
        answer = self.sync(self.account)
        self.assertFalse(answer["google_updated"] or answer["odoo_updated"], answer)

    def test_new_meetings_go_to_the_default_calendar(self):
        projects = self.list_calendars()[PROJECTS]
        self.choose(PROJECTS, is_default=True)
        meeting = self.odoo_meeting(self.ann, "Defaulted")
        self.assertEqual(meeting.google_calendar_id, projects)
        self.sync(self.account)
        self.assertEqual(
            [e["summary"] for e in self.calendar_events(self.ann.email, PROJECTS)], ["Defaulted"]
        )

    def test_move_between_calendars_sends_no_new_invitation(self):
        listed = self.list_calendars()
        self.choose(PROJECTS)
        guest = self.env["res.partner"].create({"name": "Guest", "email": "guest@example.org"})
        meeting = self.odoo_meeting(self.ann, "Review", attendees=[guest])
        self.sync(self.account)
        google_id = meeting.google_id
        self.assertTrue(self.fake_control.event(self.ann.email, google_id))
        log_before = len(self.fake_control.log(self.ann.email))

        meeting.with_user(self.ann).write({"google_calendar_id": listed[PROJECTS].id})
        self.sync(self.account)

        self.assertEqual(self.fake_control.event(self.ann.email, google_id)["status"], "cancelled")
        moved = self.fake_control.event(self.ann.email, google_id, PROJECTS)
        self.assertEqual((moved["status"], moved["summary"]), ("confirmed", "Review"))
        new_requests = self.fake_control.log(self.ann.email)[log_before:]
        operations = [r["operation"] for r in new_requests if r["operation"] != "events.list"]
        self.assertIn("events.move", operations)
        self.assertNotIn("events.insert", operations)
        self.assertNotIn("events.delete", operations)
        self.assertEqual([r["notified"] for r in new_requests if r["notified"]], [])
        self.assertEqual(meeting.google_id, google_id)
        self.assertFalse(meeting.google_moved_from)
        answer = self.sync(self.account)
        self.assertFalse(answer["odoo_deleted"] or answer["odoo_created"], answer)
        self.assertTrue(meeting.exists())

    # -- busy only -----------------------------------------------------------------

    def test_busy_only_both_ways_no_title_leaves_its_side(self):
        projects = self.list_calendars()[PROJECTS]
        self.choose(PROJECTS, share="busy_only")
        start = self.future(days=3, hour=14)
        body = self.timed_event("Secret acquisition", start)
        body.update(
            description="Do not tell",
            location="Board room",
            attendees=[{"email": "lawyer@example.org", "responseStatus": "accepted"}],
        )
        self.fake_control.seed_events(self.ann.email, [body], calendar_id=PROJECTS)
        mine = self.odoo_meeting(
            self.ann,
            "Job interview",
            description="<p>Candidate X</p>",
            google_calendar_id=projects.id,
        )
        self.sync(self.account)

        Event = self.env["calendar.event"].with_context(active_test=False)
        self.assertFalse(Event.search([("name", "ilike", "Secret")]), "no title came to Odoo")
        [block] = Event.search([("google_calendar_id", "=", projects.id)]) - mine
        self.assertEqual(block.name, "Busy")
        self.assertEqual((block.privacy, block.show_as), ("private", "busy"))
        self.assertFalse(block.description or block.location)
        self.assertNotIn("lawyer@example.org", block.partner_ids.mapped("email"))
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "lawyer@example.org")]), 0
        )

        sent = self.fake_control.event(self.ann.email, mine.google_id, PROJECTS)
        self.assertEqual(sent["summary"], "Busy")
        self.assertFalse(sent.get("description") or sent.get("attendees") or sent.get("location"))
        self.assertEqual(sent["visibility"], "private")
        self.assertEqual(mine.name, "Job interview", "Odoo keeps its own title")
        held = self.fake_control.event(self.ann.email, block.google_id, PROJECTS)
        self.assertEqual(held["summary"], "Secret acquisition", "Google keeps its own")
        answer = self.sync(self.account)
        self.assertFalse(answer["google_updated"] or answer["odoo_updated"], answer)

    # -- leaving the sync -------------------------------------------------------------

    def test_deselected_calendars_delete_nothing_on_google(self):
        self.list_calendars()
        start = self.future(days=2, hour=9)
        [kept_id] = self.fake_control.seed_events(
            self.ann.email, [self.timed_event("Kept", start)], calendar_id=PROJECTS
        )
        [gone_id] = self.fake_control.seed_events(
            "bob@example.com", [self.timed_event("Removed", start)], calendar_id=TEAM
        )
        projects = self.choose(PROJECTS, on_leave="keep")
        team = self.choose(TEAM, on_leave="remove")
        self.sync(self.account)
        kept, removed = self.event_of(kept_id), self.event_of(gone_id)
        self.assertTrue(kept and removed)

        (projects | team).with_user(self.ann).write({"selected": False})
        self.assertTrue(kept.exists())
        self.assertFalse(removed.exists())
        kept.with_user(self.ann).write({"name": "Kept, edited in Odoo"})
        self.assertFalse(kept.google_push_pending, "nothing waits for a calendar left behind")
        self.sync(self.account)
        self.assertEqual(self.operations(self.ann.email, "events.delete", "events.patch"), [])
        self.assertEqual(
            self.fake_control.event(self.ann.email, kept_id, PROJECTS)["summary"], "Kept"
        )
        self.assertEqual(
            self.fake_control.event("bob@example.com", gone_id, TEAM)["status"], "confirmed"
        )

    def test_calendar_deleted_on_google_leaves_the_sync(self):
        self.list_calendars()
        start = self.future(days=2, hour=9)
        [event_id] = self.fake_control.seed_events(
            self.ann.email, [self.timed_event("Orphan", start)], calendar_id=PROJECTS
        )
        projects = self.choose(PROJECTS, on_leave="keep")
        self.sync(self.account)
        event = self.event_of(event_id)
        self.assertTrue(event)
        self.fake_control.delete_calendar(self.ann.email, PROJECTS)
        answer = self.sync(self.account)
        self.assertFalse(answer["errors"], answer)
        self.assertTrue(projects.removed)
        self.assertTrue(event.exists(), "kept in Odoo, unsynced")
        self.assertFalse(event.google_etag)
        self.assertEqual(self.operations(self.ann.email, "events.delete"), [])

    def test_the_deletion_guard_counts_per_calendar(self):
        self.list_calendars()
        start = self.future(days=2, hour=8)
        self.fake_control.seed_events(
            self.ann.email,
            [self.timed_event(f"Primary {n}", start + timedelta(days=n)) for n in range(30)],
        )
        project_ids = self.fake_control.seed_events(
            self.ann.email,
            [self.timed_event(f"Project {n}", start + timedelta(days=n)) for n in range(12)],
            calendar_id=PROJECTS,
        )
        self.choose(PROJECTS)
        self.sync(self.account)
        self.account.last_sync = fields.Datetime.now()
        google = self.google_client_of(self.ann.email)
        for event_id in project_ids:
            google.delete_event(PROJECTS, event_id, send_updates="none")

        # 12 of the account's 42 events, but every one of this calendar's.
        answer = self.account._run_sync()

        self.assertEqual(answer["status"], "held", answer)
        self.assertTrue(self.account.deletion_hold)
        self.assertEqual(
            len(self.env["calendar.event"].search([("name", "=like", "Project %")])), 12
        )

    def test_a_series_of_the_secondary_calendar_syncs_there(self):
        projects = self.list_calendars()[PROJECTS]
        self.choose(PROJECTS)
        body = self.timed_event("Weekly review", self.future(days=3, hour=11))
        body["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=4"]
        [series_id] = self.fake_control.seed_events(self.ann.email, [body], calendar_id=PROJECTS)
        self.sync(self.account)
        occurrences = self.env["calendar.event"].search([("name", "=", "Weekly review")])
        self.assertEqual(len(occurrences), 4)
        self.assertEqual(occurrences.google_calendar_id, projects)

        occurrences.sorted("start")[0].action_mass_deletion("all_events")
        self.sync(self.account)
        master = self.fake_control.event(self.ann.email, series_id, PROJECTS)
        self.assertEqual(master["status"], "cancelled", "deleted from its own calendar")
        self.assertEqual(
            [r for r in self.fake_control.log(self.ann.email) if r["status"] >= 400], []
        )

    # -- one meeting, two calendars ---------------------------------------------------

    def test_same_meeting_in_two_calendars_is_one_odoo_event(self):
        self.list_calendars()
        bob_google = self.google_client_of("bob@example.com")
        start = self.future(days=4, hour=10)
        body = self.timed_event("Team sync", start)
        body["attendees"] = [{"email": self.ann.email}, {"email": "bob@example.com"}]
        bob_google.insert_event(TEAM, body, send_updates="none")
        self.choose(TEAM)
        self.sync(self.account)
        self.sync(self.account)
        events = self.env["calendar.event"].search([("name", "=", "Team sync")])
        self.assertEqual(len(events), 1)

    # -- security ------------------------------------------------------------------------

    def test_another_user_cannot_see_choose_or_use_someone_elses_calendars(self):
        listed = self.list_calendars()
        projects = listed[PROJECTS]
        as_bob = self.Calendar.with_user(self.bob)
        self.assertFalse(as_bob.search([]), "bob sees none of ann's calendars")
        with self.assertRaises(AccessError):
            as_bob.browse(projects.id).read(["name"])
        with self.assertRaises(AccessError):
            as_bob.browse(projects.id).write({"selected": True})
        self.assertFalse(projects.selected)
        with self.assertRaises(AccessError):
            self.bob.with_user(self.bob).browse(
                self.ann.id
            ).action_google_calendar_choose_calendars()
        # Ann herself changes only her choices, never what Google says.
        with self.assertRaises(AccessError):
            self.Calendar.with_user(self.ann).browse(projects.id).write({"access_role": "owner"})
        with self.assertRaises(AccessError):
            self.Calendar.with_user(self.ann).browse(listed[TEAM].id).write({"google_id": PROJECTS})

        # Bob's meeting cannot go to ann's calendar, at creation or by a move.
        self.choose(PROJECTS)
        with self.assertRaises(AccessError):
            self.odoo_meeting(self.bob, "Into ann's", google_calendar_id=projects.id)
        meeting = self.odoo_meeting(self.bob, "Bob's own")
        with self.assertRaises(AccessError):
            meeting.with_user(self.bob).write({"google_calendar_id": projects.id})
        # Nor can bob put ann's meeting there for her.
        hers = self.odoo_meeting(self.ann, "Ann's")
        with self.assertRaises(AccessError):
            hers.with_user(self.bob).write({"google_calendar_id": projects.id})
        self.assertFalse(hers.google_calendar_id)

    def test_a_shared_calendars_events_do_not_reach_colleagues(self):
        self.list_calendars()
        self.choose(TEAM, share="busy_only")
        start = self.future(days=2, hour=9)
        body = self.timed_event("Layoff plan", start)
        body["description"] = "Names"
        self.fake_control.seed_events("bob@example.com", [body], calendar_id=TEAM)
        self.sync(self.account)
        Event = self.env["calendar.event"].with_context(active_test=False)
        self.assertFalse(Event.search([("name", "ilike", "Layoff")]))
        [block] = Event.search([("google_calendar_id.google_id", "=", TEAM)])
        as_bob = block.with_user(self.bob)
        self.assertNotIn("Layoff", as_bob.read(["name"])[0]["name"] or "")
        self.assertEqual(block.privacy, "private")

    def test_a_free_busy_calendar_comes_as_busy_blocks(self):
        self.fake_control.share_calendar("bob@example.com", TEAM, self.ann.email, "freeBusyReader")
        team = self.list_calendars()[TEAM]
        self.assertEqual(team.access_role, "freeBusyReader")
        self.choose(TEAM)
        self.fake_control.seed_events(
            "bob@example.com",
            [self.timed_event("Hidden title", self.future(days=2, hour=9))],
            calendar_id=TEAM,
        )
        self.sync(self.account)
        [block] = self.env["calendar.event"].search([("google_calendar_id", "=", team.id)])
        self.assertEqual((block.name, block.privacy), ("Busy", "private"))
        with self.assertRaises(UserError):
            block.with_user(self.ann).write({"name": "Mine now"})

    def test_push_of_a_reader_calendar_is_refused_by_google_never_tried(self):
        listed = self.list_calendars()
        self.choose(TEAM)
        with self.assertRaises(UserError):
            self.odoo_meeting(self.ann, "Into a reader", google_calendar_id=listed[TEAM].id)
        self.assertEqual(
            [r for r in self.fake_control.log(self.ann.email) if r["status"] == 403], []
        )


@tagged("post_install", "-at_install")
class TestSeveralCalendarsConnection(FakeGoogleConnectCase):
    def test_with_the_setting_a_connection_lists_the_calendars_on_its_first_sync(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "google_calendar_sync.several_calendars", "1"
        )
        params = self.start_authorization("ann")
        self.assertEqual(
            params["scope"].split(), [*oauth.CALENDAR_SCOPES, oauth.CALENDAR_LIST_SCOPE]
        )
        self.fake_control.add_user("ann.g@example.com", calendars=["Projects"])
        self.assertEqual(self.consent(params, email="ann.g@example.com").status_code, 303)

        answer = self.make_jsonrpc_request("/google_calendar_sync/sync")

        self.assertEqual(answer["status"], "synced", answer)
        calendars = self.account_of(self.ann).calendar_ids
        self.assertEqual(sorted(calendars.mapped("name")), ["Projects", "ann.g@example.com"])
        self.assertEqual(calendars.filtered("selected"), calendars.filtered("primary"))
        refused = [record for record in self.fake_control.log() if record["status"] == 403]
        self.assertEqual(refused, [])
