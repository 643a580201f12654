"""A meeting organized in Odoo by a colleague who does not sync reaches the
Google calendar of a guest who does (issue 14)."""

from odoo.tests import new_test_user, tagged

from ..models.calendar_event import FROM_GOOGLE
from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
OLGA = "olga@outside.example"


@tagged("post_install", "-at_install")
class TestColleagueMeeting(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carl = new_test_user(
            cls.env, "carl", email="carl@example.com", tz="UTC", groups="base.group_user"
        )

    def test_guest_connecting_later_gets_the_colleague_meeting_once(self):
        meeting = self.odoo_meeting(
            self.carl, "Carl's plan", self.carl.partner_id + self.bob.partner_id
        )
        self.assertFalse(meeting.google_id, "nobody syncs it yet")
        bob_account = self.connect(self.bob)

        self.sync(bob_account)
        self.sync(bob_account)

        held = [e for e in self.google_events(BOB).values() if e.get("summary") == "Carl's plan"]
        self.assertEqual([e["id"] for e in held], [meeting.google_id], "once in Bob's calendar")
        self.assertEqual(meeting.google_account_id, bob_account)
        self.assertEqual(meeting.user_id, self.carl, "Carl still organizes it in Odoo")
        inserts = [w for w in self.writes(BOB) if w["operation"] == "events.insert"]
        self.assertEqual(len(inserts), 1)

        # Carl's edit in Odoo follows; Bob's calendar does not rename it back.
        meeting.with_user(self.carl).write({"name": "Carl's plan v2"})
        self.sync(bob_account)
        self.assertEqual(self.google_events(BOB)[meeting.google_id]["summary"], "Carl's plan v2")
        self.google_client_of(BOB).patch_event(
            "primary", meeting.google_id, {"summary": "Bob's title"}, send_updates="none"
        )
        self.sync(bob_account)
        self.assertEqual(meeting.name, "Carl's plan v2", "a guest's calendar renames nothing")

    def test_meeting_of_a_colleague_who_syncs_stays_with_the_organizer(self):
        carl_account, bob_account = self.connect(self.carl), self.connect(self.bob)
        self.sync(carl_account)
        self.sync(bob_account)
        meeting = self.odoo_meeting(
            self.carl, "Carl's own", self.carl.partner_id + self.bob.partner_id
        )
        self.sync(bob_account)
        self.sync(carl_account)
        self.assertEqual(meeting.google_account_id, carl_account)
        self.assertFalse([w for w in self.writes(BOB) if w["operation"] == "events.insert"])

    @staticmethod
    def answer_on_google(client, google_id, email, status):
        """``client``'s calendar sets ``email``'s answer on its copy of the meeting."""
        copy = client.get_event("primary", google_id)
        attendees = [
            {**attendee, "responseStatus": status} if attendee["email"] == email else attendee
            for attendee in copy["attendees"]
        ]
        client.patch_event("primary", google_id, {"attendees": attendees}, send_updates="none")

    def test_outsider_answers_arrive_but_the_keeper_cannot_answer_for_a_colleague(self):
        """Bob's calendar keeps Carl's meeting, where Google makes Bob the
        organizer: the answer of Olga (no Odoo user) arriving there reaches
        Odoo; an answer Bob writes there for Ann (a user) does not."""
        olga_client = self.connect_google_only(OLGA)
        olga = self.env["res.partner"].create({"name": "Olga", "email": OLGA})
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        meeting = self.odoo_meeting(
            self.carl,
            "Carl's offsite",
            self.carl.partner_id + self.bob.partner_id + self.ann.partner_id + olga,
        )
        self.sync(bob_account)
        self.assertEqual(meeting.google_account_id, bob_account)

        self.answer_on_google(olga_client, meeting.google_id, OLGA, "accepted")
        self.answer_on_google(self.google_client_of(BOB), meeting.google_id, ANN, "declined")
        self.sync(bob_account)

        answers = {attendee.partner_id: attendee.state for attendee in meeting.attendee_ids}
        self.assertEqual(answers[olga], "accepted", "Olga's answer arrived")
        self.assertEqual(answers[self.ann.partner_id], "needsAction", "Bob cannot answer for Ann")
        # Ann's own answer in Odoo goes out through Bob's calendar and stands.
        meeting.attendee_ids.filtered(lambda a: a.partner_id == self.ann.partner_id).with_context(
            **{FROM_GOOGLE: False}
        ).write({"state": "accepted"})
        self.sync(bob_account)
        self.sync(bob_account)
        listed = {
            a["email"]: a.get("responseStatus")
            for a in self.google_events(BOB)[meeting.google_id]["attendees"]
        }
        self.assertEqual(listed[ANN], "accepted")
        self.assertEqual(listed[OLGA], "accepted")
