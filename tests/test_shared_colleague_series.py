"""A recurring series organized in Odoo by a colleague who does not sync
reaches the Google calendar of a guest who does (issue 14)."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
CARL = "carl@example.com"
VIC = "vic@example.com"
PAT = "pat@example.com"


@tagged("post_install", "-at_install")
class ColleagueSeriesCase(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carl = new_test_user(cls.env, "carl", email=CARL, tz="UTC", groups="base.group_user")
        cls.vic = new_test_user(cls.env, "vic", email=VIC, tz="UTC", groups="base.group_user")

    def colleague_series(self, name, attendees, **vals):
        """A daily series of four made in Odoo by Carl, with ``attendees``."""
        start = self.future(days=3)
        return (
            self.env["calendar.event"]
            .with_user(self.carl)
            .create(
                {
                    "name": name,
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "recurrency": True,
                    "rrule_type": "daily",
                    "interval": 1,
                    "end_type": "count",
                    "count": 4,
                    "event_tz": "UTC",
                    "partner_ids": [Command.set(attendees.ids)],
                    **vals,
                }
            )
            .sudo()
            .recurrence_id
        )

    def masters(self, email, name):
        return [
            event
            for event in self.google_events(email).values()
            if event.get("recurrence")
            and event.get("status") != "cancelled"
            and (event.get("summary") or "").startswith(name)
        ]

    def instances(self, email, google_id):
        client = self.google_client_of(email)
        return [
            instance
            for instance in client.instances("primary", google_id)
            if instance.get("status") != "cancelled"
        ]

    def inserts(self, email):
        return [w for w in self.writes(email) if w["operation"] == "events.insert"]


@tagged("post_install", "-at_install")
class TestColleagueSeries(ColleagueSeriesCase):
    def test_guest_connecting_later_gets_the_colleague_series_once(self):
        recurrence = self.colleague_series(
            "Carl's weekly", self.carl.partner_id + self.bob.partner_id
        )
        self.assertFalse(recurrence.google_id, "nobody syncs it yet")
        bob_account = self.connect(self.bob)

        self.sync(bob_account)
        self.sync(bob_account)

        [master] = self.masters(BOB, "Carl's weekly")
        self.assertEqual(master["id"], recurrence.google_id)
        self.assertEqual(master["recurrence"], ["RRULE:FREQ=DAILY;COUNT=4"])
        self.assertEqual({a["email"] for a in master["attendees"]}, {BOB, CARL}, "Carl is a guest")
        self.assertEqual(len(self.instances(BOB, master["id"])), 4)
        self.assertEqual(recurrence.google_account_id, bob_account)
        self.assertEqual(recurrence.base_event_id.user_id, self.carl, "Carl organizes it")
        inserts = self.inserts(BOB)
        self.assertEqual(len(inserts), 1, "one insert for the whole series")
        self.assertEqual(inserts[0]["send_updates"], "none", "Google mails nobody for Carl")

        # Carl moves one occurrence in Odoo, then renames the series: both follow.
        second = recurrence.calendar_event_ids.sorted("start")[1]
        second.with_user(self.carl).write(
            {"name": "Carl's weekly (special)", "recurrence_update": "self_only"}
        )
        self.sync(bob_account)
        names = sorted(i["summary"] for i in self.instances(BOB, master["id"]))
        self.assertEqual(names, ["Carl's weekly"] * 3 + ["Carl's weekly (special)"])
        recurrence.base_event_id.with_user(self.carl).write(
            {"description": "Agenda", "recurrence_update": "all_events"}
        )
        self.sync(bob_account)
        self.assertIn("Agenda", self.google_events(BOB)[master["id"]].get("description"))

        # Bob renames it on Google: a guest's calendar renames nothing in Odoo.
        self.google_client_of(BOB).patch_event(
            "primary", master["id"], {"summary": "Bob's title"}, send_updates="none"
        )
        self.sync(bob_account)
        self.assertEqual(recurrence.base_event_id.name, "Carl's weekly")
        self.assertEqual(len(self.inserts(BOB)), 1)

    def test_colleague_series_stays_with_the_guest_calendar_when_the_organizer_connects(self):
        self.connect_google_only(CARL)  # Carl uses Google, not yet from Odoo
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        recurrence = self.colleague_series(
            "Carl's sync", self.carl.partner_id + self.bob.partner_id
        )
        self.assertEqual(recurrence.google_account_id, bob_account)
        self.sync(bob_account)
        [master] = self.masters(BOB, "Carl's sync")

        carl_account = self.connect(self.carl)
        for account in (carl_account, bob_account, carl_account):
            self.sync(account)

        self.assertEqual(
            self.env["calendar.recurrence"].search_count([("google_id", "=", master["id"])]), 1
        )
        self.assertEqual(
            self.env["calendar.event"].search_count([("name", "like", "Carl's sync")]), 4
        )
        self.assertFalse(self.inserts(CARL), "Carl's calendar inserts no twin")
        self.assertEqual([m["id"] for m in self.masters(CARL, "Carl's sync")], [master["id"]])
        # Carl's rename in Odoo goes out through Bob's calendar, Google's organizer copy.
        recurrence.base_event_id.with_user(self.carl).write(
            {"name": "Carl's sync v2", "recurrence_update": "all_events"}
        )
        recurrence = self.env["calendar.recurrence"].search([("google_id", "=", master["id"])])
        for account in (carl_account, bob_account, carl_account):
            self.sync(account)
        self.assertEqual(recurrence.google_account_id, bob_account)
        for email in (BOB, CARL):
            self.assertEqual(self.google_events(email)[master["id"]]["summary"], "Carl's sync v2")
        self.assertFalse(self.inserts(CARL))
        self.assertEqual(len(self.inserts(BOB)), 1)


@tagged("post_install", "-at_install")
class TestColleagueSeriesAttacker(ColleagueSeriesCase):
    def test_a_user_who_is_not_invited_cannot_have_the_series_pushed_to_their_calendar(self):
        """Vic (internal, connected, not invited to Carl's private series) tries
        through RPC to add himself, or to name his account as the keeper: he
        may not, and his calendar never receives it."""
        recurrence = self.colleague_series(
            "Carl's secret", self.carl.partner_id + self.bob.partner_id, privacy="private"
        )
        base = recurrence.base_event_id
        # Vic's first sync adopts the colleagues' series he attends: none.
        vic_account = self.connect(self.vic)
        self.sync(vic_account)
        with self.assertRaises(AccessError):
            base.with_user(self.vic).write(
                {
                    "partner_ids": [Command.link(self.vic.partner_id.id)],
                    "recurrence_update": "all_events",
                }
            )
        with self.assertRaises(AccessError):
            recurrence.with_user(self.vic).write({"google_account_id": vic_account.id})
        with self.assertRaises(AccessError):
            base.with_user(self.vic).write({"google_kept_for_organizer": True})
        vic_account.sync_token = False
        self.sync(vic_account)
        self.sync(vic_account)
        self.assertFalse(self.writes(VIC), "nothing is written to Vic's calendar")
        self.assertFalse(recurrence.google_account_id)
        self.assertFalse(self.masters(VIC, "Carl's secret"))

    def test_a_portal_guest_calendar_is_never_used(self):
        pat = new_test_user(self.env, "pat", email=PAT, groups="base.group_portal")
        pat_account = self.connect(pat)
        recurrence = self.colleague_series("Carl's portal", self.carl.partner_id + pat.partner_id)
        self.assertFalse(recurrence.google_account_id, "no keeper for a portal guest")
        self.assertFalse(recurrence.google_push_pending)
        with self.assertRaises(AccessError):
            self.sync(pat_account)
        self.assertFalse(self.writes(PAT), "nothing is written to Pat's calendar")
        self.assertFalse(recurrence.google_account_id)


@tagged("post_install", "-at_install")
class TestRemovedGuestKeeper(ColleagueSeriesCase):
    """A guest removed from a colleague's meeting that their calendar keeps no
    longer holds it on Google; the meeting passes to another guest's calendar."""

    def live(self, email, name):
        return [
            event
            for event in self.google_events(email).values()
            if event.get("status") != "cancelled" and (event.get("summary") or "").startswith(name)
        ]

    def two_guests(self):
        bob_account = self.connect(self.bob)  # the older account: the keeper
        ann_account = self.connect(self.ann)
        self.sync(bob_account)
        self.sync(ann_account)
        return bob_account, ann_account

    def test_removed_keeper_deletes_its_copy_and_another_guest_takes_the_meeting(self):
        bob_account, ann_account = self.two_guests()
        meeting = self.odoo_meeting(
            self.carl,
            "Carl's talk",
            self.carl.partner_id + self.bob.partner_id + self.ann.partner_id,
        )
        self.sync(bob_account)
        old_id = meeting.google_id
        self.assertEqual(meeting.google_account_id, bob_account)
        meeting.attendee_ids.filtered(
            lambda a: a.partner_id == self.ann.partner_id
        ).state = "accepted"
        self.sync(bob_account)
        self.sync(ann_account)
        self.assertEqual([e["id"] for e in self.live(ANN, "Carl's talk")], [old_id])

        meeting.with_user(self.carl).write(
            {"partner_ids": [Command.unlink(self.bob.partner_id.id)]}
        )
        for account in (bob_account, ann_account, bob_account, ann_account):
            self.sync(account)

        self.assertTrue(meeting.exists() and meeting.active)
        self.assertEqual(meeting.google_account_id, ann_account)
        self.assertNotEqual(meeting.google_id, old_id)
        self.assertEqual(meeting.partner_ids, self.carl.partner_id + self.ann.partner_id)
        self.assertEqual(self.google_events(BOB)[old_id]["status"], "cancelled")
        self.assertFalse(self.live(BOB, "Carl's talk"), "gone from Bob's calendar")
        [copy] = self.live(ANN, "Carl's talk")
        self.assertEqual(copy["id"], meeting.google_id)
        guests = {a["email"]: a.get("responseStatus") for a in copy["attendees"]}
        self.assertEqual(set(guests), {CARL, ANN}, "Bob is no guest any more")
        self.assertEqual(guests[ANN], "accepted", "Ann's answer is kept")
        deletes = [
            w for w in self.writes(BOB) + self.writes(ANN) if w["operation"] == "events.delete"
        ]
        self.assertEqual(len(deletes), 1, "only the removed guest's copy is deleted")
        self.assertEqual(self.env["calendar.event"].search_count([("name", "=", "Carl's talk")]), 1)

    def test_removed_keeper_without_another_guest_leaves_the_meeting_in_odoo(self):
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        meeting = self.odoo_meeting(
            self.carl, "Carl's chat", self.carl.partner_id + self.bob.partner_id
        )
        self.sync(bob_account)
        old_id = meeting.google_id
        meeting.with_user(self.carl).write(
            {"partner_ids": [Command.unlink(self.bob.partner_id.id)]}
        )
        self.sync(bob_account)
        self.sync(bob_account)
        self.assertEqual(self.google_events(BOB)[old_id]["status"], "cancelled")
        self.assertTrue(meeting.exists() and meeting.active)
        self.assertEqual(meeting.name, "Carl's chat")
        self.assertFalse(meeting.google_account_id)
        self.assertFalse(meeting.google_id)
        self.assertFalse(meeting.google_push_pending)

    def test_removed_keeper_deletes_its_series_and_another_guest_takes_it(self):
        bob_account, ann_account = self.two_guests()
        recurrence = self.colleague_series(
            "Carl's daily", self.carl.partner_id + self.bob.partner_id + self.ann.partner_id
        )
        self.sync(bob_account)
        old_id = recurrence.google_id
        self.assertEqual(recurrence.google_account_id, bob_account)
        third = recurrence.calendar_event_ids.sorted("start")[2]
        third.with_user(self.carl).write(
            {"name": "Carl's daily (demo)", "recurrence_update": "self_only"}
        )
        self.sync(bob_account)
        self.sync(ann_account)

        recurrence.base_event_id.with_user(self.carl).write(
            {
                "partner_ids": [Command.unlink(self.bob.partner_id.id)],
                "recurrence_update": "all_events",
            }
        )
        recurrence = (
            self.env["calendar.recurrence"]
            .search([("name", "!=", False)])
            .filtered(lambda rec: rec.base_event_id.name == "Carl's daily")
            or recurrence
        )
        for account in (bob_account, ann_account, bob_account, ann_account):
            self.sync(account)

        self.assertEqual(self.google_events(BOB)[old_id]["status"], "cancelled")
        self.assertFalse(self.masters(BOB, "Carl's daily"), "gone from Bob's calendar")
        [master] = self.masters(ANN, "Carl's daily")
        self.assertEqual(master["id"], recurrence.google_id)
        self.assertEqual(recurrence.google_account_id, ann_account)
        names = sorted(i["summary"] for i in self.instances(ANN, master["id"]))
        self.assertEqual(names, ["Carl's daily"] * 3 + ["Carl's daily (demo)"])
        occurrences = recurrence.calendar_event_ids
        self.assertEqual(len(occurrences), 4)
        self.assertEqual(
            sorted(occurrences.mapped("google_id")),
            sorted(i["id"] for i in self.instances(ANN, master["id"])),
        )
        self.assertNotIn(BOB, {a["email"] for a in master["attendees"]})
        deletes = [
            w for w in self.writes(BOB) + self.writes(ANN) if w["operation"] == "events.delete"
        ]
        self.assertEqual(len(deletes), 1, "only the removed guest's copy is deleted")

    def test_removing_a_guest_from_a_meeting_their_calendar_imported_deletes_nothing(self):
        """Vic (internal user) removes Bob in Odoo from Carl's meeting that Bob's
        calendar brought in from Google (Carl organizes it there, not from
        Odoo): Bob's
        calendar, a guest's copy, deletes nothing on Google."""
        self.connect_google_only(CARL)
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        (item,) = self.seed(
            CARL,
            {
                **self.timed_event("Carl's Google meeting", self.future()),
                "attendees": [{"email": BOB}],
            },
        )
        self.sync(bob_account)
        meeting = self.event_of(item["id"])
        self.assertEqual(meeting.google_account_id, bob_account)
        self.assertIn(self.bob.partner_id, meeting.partner_ids)

        meeting.with_user(self.vic).write({"partner_ids": [Command.unlink(self.bob.partner_id.id)]})
        self.sync(bob_account)
        self.sync(bob_account)

        self.assertFalse([w for w in self.writes(BOB) if w["operation"] == "events.delete"])
        self.assertEqual(self.google_events(CARL)[item["id"]].get("status"), "confirmed")
        self.assertTrue(meeting.exists())
