"""Twins of one meeting an older version left in Odoo are merged by the next
sync, within what the syncing user may reach (issue 14)."""

from odoo.tests import new_test_user, tagged

from ..models.calendar_event import FROM_GOOGLE
from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
VIC = "vic@example.com"


@tagged("post_install", "-at_install")
class TestTwins(SyncCase):
    def shared_meeting(self):
        """Ann's meeting on Google with Bob invited, imported by Ann's sync."""
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.sync(ann_account)
        self.sync(bob_account)
        (item,) = self.seed(
            ANN,
            {
                **self.timed_event("Budget", self.future(days=5)),
                "attendees": [{"email": BOB}],
            },
        )
        self.sync(ann_account)
        return ann_account, bob_account, item, self.event_of(item["id"])

    def twin_of(self, meeting, account):
        """The copy of ``meeting`` that two syncs running at once imported before
        imports claimed their meetings: same ids, kept by ``account``."""
        return meeting.with_context(**{FROM_GOOGLE: True}).copy(
            {
                "google_id": meeting.google_id,
                "google_ical_uid": meeting.google_ical_uid,
                "google_etag": meeting.google_etag,
                "google_agreed_values": meeting.google_agreed_values,
                "google_account_id": account.id,
                "google_push_pending": False,
            }
        )

    def test_twins_are_merged_by_the_next_sync_and_stay_on_google(self):
        ann_account, bob_account, item, meeting = self.shared_meeting()
        twin = self.twin_of(meeting, bob_account)
        self.assertEqual(len(self.event_of(item["id"])), 2)
        # Bob accepted on his copy in Odoo, not sent yet.
        twin = twin.with_context(**{FROM_GOOGLE: False})
        twin.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id).state = "accepted"
        self.assertTrue(twin.google_push_pending)
        writes_before = len(self.writes(ANN)) + len(self.writes(BOB))

        # The next listing of the meeting (a full one, as after the upgrade).
        bob_account.sync_token = False
        self.sync(bob_account)

        self.assertFalse(twin.exists(), "the twin is merged away")
        self.assertEqual(self.event_of(item["id"]), meeting, "the organizer's copy stays")
        self.assertEqual(meeting.google_account_id, ann_account)
        answers = {a.partner_id: a.state for a in meeting.attendee_ids}
        self.assertEqual(answers[self.bob.partner_id], "accepted", "Bob's answer moved over")
        # Nothing was deleted on Google: the meeting is in both calendars still.
        self.assertFalse(
            [w for w in self.writes(ANN) + self.writes(BOB) if w["operation"] == "events.delete"]
        )
        for email in (ANN, BOB):
            self.assertNotEqual(self.google_events(email)[item["id"]].get("status"), "cancelled")
        # Bob's answer, not yet on Google, goes out from the copy that stays.
        self.sync(ann_account)
        self.sync(bob_account)
        guests = {
            a["email"]: a["responseStatus"]
            for a in self.google_events(ANN)[item["id"]]["attendees"]
        }
        self.assertEqual(guests[BOB], "accepted")
        self.assertGreaterEqual(len(self.writes(ANN)) + len(self.writes(BOB)), writes_before)
        self.assertEqual(len(self.event_of(item["id"])), 1)


@tagged("post_install", "-at_install")
class TestTwinsAttacker(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vic = new_test_user(
            cls.env, "vic", email=VIC, tz="Europe/Brussels", groups="base.group_user"
        )

    def test_an_event_carrying_a_colleague_meeting_ical_uid_is_not_merged_into_it(self):
        """Bob (internal user) writes on his Google calendar an event with the
        iCalUID of Vic's private meeting and invites Vic: neither his sync nor
        Vic's merges it with Vic's meeting, or takes anything from it."""
        vic_account, bob_account = self.connect(self.vic), self.connect(self.bob)
        self.sync(vic_account)
        self.sync(bob_account)
        meeting = self.odoo_meeting(
            self.vic, "Layoff plan", self.vic.partner_id, privacy="private", location="Board room"
        )
        self.sync(vic_account)
        ical_uid = meeting.google_ical_uid
        self.assertTrue(ical_uid)
        before = (meeting.name, meeting.location, meeting.user_id, sorted(meeting.partner_ids.ids))
        forged = self.google_client_of(BOB).insert_event(
            "primary",
            {
                **self.timed_event("Bob's copy", self.future(days=10)),
                "iCalUID": ical_uid,
                "attendees": [{"email": VIC}],
            },
            send_updates="none",
        )
        for account in (bob_account, vic_account, bob_account, vic_account):
            account.sync_token = False
            self.sync(account)

        self.assertTrue(meeting.exists(), "Vic's meeting is not merged away")
        meeting.invalidate_recordset()
        after = (meeting.name, meeting.location, meeting.user_id, sorted(meeting.partner_ids.ids))
        self.assertEqual(after, before)
        bobs = self.event_of(forged["id"])
        self.assertEqual(len(bobs), 1, "Bob's event stays his own")
        self.assertEqual(bobs.user_id, self.bob)
        self.assertEqual(self.google_events(VIC)[meeting.google_id]["summary"], "Layoff plan")
        self.assertEqual(self.google_events(VIC)[meeting.google_id].get("status"), "confirmed")
