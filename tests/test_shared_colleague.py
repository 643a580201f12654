"""A meeting organized in Odoo by a colleague who does not sync reaches the
Google calendar of a guest who does (issue 14)."""

from odoo.tests import new_test_user, tagged

from .sync_common import SyncCase

BOB = "bob@example.com"


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
