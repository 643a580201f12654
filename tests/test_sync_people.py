"""Who a Google event's people are in Odoo, and who may read it there.

Each test plays the attacker or the stranger: a colleague who takes someone
else's address as her own Odoo e-mail, an outsider whose invitation would be
shown to every colleague, an invitation naming a flood of made-up guests. Real
HTTP to the local Google fake; both sides are asserted.
"""

from odoo import Command
from odoo.tests import new_test_user, tagged

from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
CAROL = "carol@external.example"
BOSS = "boss@outside.example"
CAP_PARAM = "google_calendar_sync.max_new_contacts_per_sync"


def emails_of(partners):
    return set(partners.mapped("email_normalized"))


class PeopleCase(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mallory = new_test_user(
            cls.env, "mallory", email="mallory@example.com", groups="base.group_user"
        )

    def setUp(self):
        super().setUp()
        self.account = self.connect(self.ann)
        self.sync(self.account)  # the first sync is behind us

    def invitation(self, summary, organizer, guests):
        """An invitation from ``organizer`` (no Odoo user, no fake user) as it
        stands in Ann's calendar, with ``guests`` besides Ann."""
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event(summary, self.future()),
                "organizer": {"email": organizer},
                "attendees": [{"email": email} for email in (organizer, ANN, *guests)],
            },
        )
        return seeded

    def read_as(self, user, event, fields):
        # Read from the database as that user, not from what the sync cached.
        self.env.invalidate_all()
        return event.with_user(user).read(fields)[0]

    def contacts_made_by_the_sync(self):
        tag = self.env.ref("google_calendar_sync.partner_category_google_contact")
        return self.env["res.partner"].search([("category_id", "in", tag.id)])


@tagged("post_install", "-at_install")
class TestPrivacyFromGoogle(PeopleCase):
    def test_confidential_on_google_is_private_in_odoo_and_never_flips(self):
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("Restructuring", self.future()),
                "visibility": "confidential",
                "description": "Who leaves",
            },
        )
        self.sync(self.account)
        event = self.event_of(seeded["id"])
        # Odoo's "confidential" means every internal user; Google's means private.
        self.assertEqual(event.privacy, "private")
        seen = self.read_as(self.bob, event, ["name", "description"])
        self.assertEqual((seen["name"], seen["description"]), ("Busy", False))
        # Ann renames it in Odoo: only the title goes; Google keeps its word.
        event.with_user(self.ann).write({"name": "Reorganisation"})
        self.sync(self.account)
        on_google = self.google_events(ANN)[seeded["id"]]
        self.assertEqual(
            (on_google["summary"], on_google["visibility"]), ("Reorganisation", "confidential")
        )
        writes = len(self.writes(ANN))
        self.sync(self.account)
        self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), writes, "private and confidential are no change")
        self.assertFalse(event.google_push_pending)
        self.assertEqual(event.privacy, "private")

    def test_outsiders_invitation_takes_the_users_default_privacy(self):
        self.ann.with_user(self.ann).write({"calendar_default_privacy": "private"})
        carol = self.connect_google_only(CAROL)
        created = carol.insert_event(
            "primary",
            {
                **self.timed_event("Offer for Ann", self.future()),
                "description": "Salary: 120k",
                "attendees": [{"email": CAROL}, {"email": ANN}],
            },
            send_updates="none",
        )
        self.sync(self.account)
        event = self.event_of(created["id"])
        self.assertFalse(event.user_id, "the organizer is no Odoo user")
        self.assertEqual(event.privacy, "private", "Ann's default privacy")
        for colleague in (self.bob, self.mallory):
            seen = self.read_as(colleague, event, ["name", "description"])
            self.assertEqual((seen["name"], seen["description"]), ("Busy", False))
        self.assertEqual(self.read_as(self.ann, event, ["name"])["name"], "Offer for Ann")
        # Odoo's choice is no change to send: Google's default is what both hold.
        self.assertEqual(event._google_agreed()["privacy"], "")
        self.assertEqual(event._google_neutral_values()[event.id]["privacy"], "")
        # Ann sets a reminder, which a guest may: that alone goes to Google,
        # which would refuse a privacy of Odoo's making in Carol's event.
        alarm = self.env.ref("calendar.alarm_notif_1")
        event.with_user(self.ann).write({"alarm_ids": [Command.link(alarm.id)]})
        self.sync(self.account)
        self.assertEqual([w["status"] for w in self.writes(ANN)], [200])
        ann_copy = self.google_events(ANN)[created["id"]]
        self.assertEqual(
            ann_copy["reminders"]["overrides"],
            [{"method": "popup", "minutes": alarm.duration_minutes}],
        )
        self.assertEqual(ann_copy.get("visibility", "default"), "default")
        self.assertFalse([body for body in self.chatter(event) if "refused" in body])
        writes = len(self.writes(ANN))
        self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), writes)
        # The organizer decides on Google: public, then the default again.
        carol.patch_event("primary", created["id"], {"visibility": "public"}, send_updates="none")
        self.sync(self.account)
        self.assertEqual(event.privacy, "public")
        carol.patch_event("primary", created["id"], {"visibility": "default"}, send_updates="none")
        self.sync(self.account)
        self.assertEqual(event.privacy, "private")
        self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), writes, "nothing sent back to Carol's event")
        self.assertFalse(event.google_push_pending)
        self.assertEqual(self.google_events(CAROL)[created["id"]]["visibility"], "default")


@tagged("post_install", "-at_install")
class TestPeopleMatchedByConfirmedAddress(PeopleCase):
    def test_user_who_takes_an_outsiders_address_gets_nothing_of_the_invitations(self):
        # Mallory makes the outsider's address her own (My Preferences allow it),
        # and so did a colleague who has left since.
        self.mallory.with_user(self.mallory).write({"email": BOSS})
        self.assertEqual(self.mallory.partner_id.email_normalized, BOSS)
        former = new_test_user(self.env, "former", email=BOSS, groups="base.group_user")
        former.active = False
        organized = self.invitation("Board meeting", BOSS, [])
        guest = self.invitation("Audit", CAROL, [BOSS])
        self.sync(self.account)
        for seeded in (organized, guest):
            event = self.event_of(seeded["id"])
            with self.subTest(event=event.name):
                self.assertNotIn(self.mallory.partner_id, event.partner_ids)
                self.assertNotIn(former.partner_id, event.partner_ids)
                self.assertNotEqual(event.user_id, self.mallory)
                boss = event.partner_ids.filtered(lambda p: p.email_normalized == BOSS)
                self.assertEqual(len(boss), 1)
                self.assertFalse(boss.user_ids, "a contact, not a user's partner")
        board = self.event_of(organized["id"])
        self.assertFalse(board.user_id)
        self.assertEqual(board.google_organizer_email, BOSS)
        mine = (
            self.env["calendar.event"]
            .with_user(self.mallory)
            .search(
                [
                    "|",
                    ("user_id", "=", self.mallory.id),
                    ("partner_ids", "in", self.mallory.partner_id.id),
                ]
            )
        )
        self.assertFalse(mine, "nothing in Mallory's calendar")
        # Both meetings got the same contact, and Odoo sends nothing back.
        contacts = self.env["res.partner"].search(
            [("email_normalized", "=", BOSS), ("user_ids", "=", False)]
        )
        self.assertEqual(len(contacts), 1)
        for seeded in (organized, guest):
            self.assertIn(contacts, self.event_of(seeded["id"]).partner_ids)
        self.assertEqual(self.writes(ANN), [])

    def test_address_read_from_google_again_after_a_new_connection(self):
        # Ann connected another Google account since: the address Odoo knew is
        # no longer hers to claim.
        self.account.write({"google_email": "ann.old@gmail.example", "last_sync": False})
        self.assertEqual(self.account._run_sync()["status"], "synced")
        self.assertEqual(self.account.google_email, ANN)
        seeded = self.invitation("Old friends", CAROL, ["ann.old@gmail.example"])
        self.sync(self.account)
        event = self.event_of(seeded["id"])
        self.assertIn(self.ann.partner_id, event.partner_ids)
        old = event.partner_ids.filtered(lambda p: p.email_normalized == "ann.old@gmail.example")
        self.assertTrue(old)
        self.assertFalse(old.user_ids, "a contact, no longer Ann")

    def test_colleague_matched_by_the_google_address_he_connected(self):
        bob_account = self.connect(self.bob)
        # Bob's Odoo e-mail is not his Google address (any more): the Google
        # address he connected is the one that counts.
        self.bob.with_user(self.bob).write({"email": "robert@example.com"})
        seeded = self.invitation("Partner review", CAROL, [BOB])
        self.sync(self.account)
        event = self.event_of(seeded["id"])
        self.assertIn(self.bob.partner_id, event.partner_ids)
        self.assertFalse(self.env["res.partner"].search([("email_normalized", "=", BOB)]))
        # Odoo names Bob by the address Google knows: the guest lists agree.
        self.assertEqual(
            {a["email"] for a in event._google_neutral_values()[event.id]["attendees"]},
            {CAROL, ANN, BOB},
        )
        # A meeting Ann sets up in Odoo reaches Bob's Google calendar.
        meeting = self.odoo_meeting(self.ann, "Planning", self.ann.partner_id + self.bob.partner_id)
        self.sync(self.account)
        on_google = self.google_events(ANN)[meeting.google_id]
        self.assertEqual({a["email"] for a in on_google["attendees"]}, {ANN, BOB})
        self.assertIn(meeting.google_id, self.google_events(BOB))
        # And a meeting Bob organizes on Google is Bob's in Odoo.
        [bobs] = self.seed(
            BOB,
            {
                **self.timed_event("Bob's sync-up", self.future(days=3)),
                "attendees": [{"email": BOB}, {"email": ANN}],
            },
        )
        self.sync(self.account)
        self.assertEqual(self.event_of(bobs["id"]).user_id, self.bob)
        self.sync(bob_account)
        self.assertEqual(self.event_of(bobs["id"]).user_id, self.bob)


@tagged("post_install", "-at_install")
class TestContactFlood(PeopleCase):
    CAP = 5

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param(CAP_PARAM, str(self.CAP))
        self.flood = [f"made-up{n:02d}@spam.example" for n in range(12)]

    def test_invitation_flooding_guests_creates_at_most_the_cap(self):
        carol = self.connect_google_only(CAROL)
        created = carol.insert_event(
            "primary",
            {
                **self.timed_event("Webinar", self.future()),
                "attendees": [{"email": email} for email in (CAROL, ANN, *self.flood)],
            },
            send_updates="none",
        )
        # An ordinary meeting in the same sync gets its new guest first.
        [ordinary] = self.seed(
            ANN,
            {
                **self.timed_event("Client call", self.future(days=2)),
                "attendees": [{"email": ANN}, {"email": "dave@client.example"}],
            },
        )
        counts = self.sync(self.account)
        made = self.contacts_made_by_the_sync()
        self.assertEqual(len(made), self.CAP, "exactly the cap, all tagged")
        self.assertFalse(made.user_ids)
        self.assertIn("dave@client.example", emails_of(made))
        self.assertIn("dave@client.example", emails_of(self.event_of(ordinary["id"]).partner_ids))
        event = self.event_of(created["id"])
        imported = emails_of(event.partner_ids)
        left_out = {guest["email"] for guest in event._google_left_out()}
        self.assertEqual(len(imported), 1 + self.CAP - 1, "Ann and the rest of the cap")
        self.assertEqual(imported | left_out, {CAROL, ANN, *self.flood})
        notes = [body for body in self.chatter(event) if "not imported" in body]
        self.assertEqual(len(notes), 1)
        self.assertTrue(any("new contacts" in message for message in counts["messages"]))
        # The guests left out are the event's all the same: nothing to send.
        self.assertEqual(
            {a["email"] for a in event._google_neutral_values()[event.id]["attendees"]},
            {CAROL, ANN, *self.flood},
        )
        self.assertFalse(event.google_push_pending)
        # The next syncs, one after an edit on Google, create no contact silently.
        carol.patch_event(
            "primary", created["id"], {"summary": "Webinar (new)"}, send_updates="none"
        )
        self.sync(self.account)
        self.sync(self.account)
        self.assertEqual(event.name, "Webinar (new)")
        self.assertEqual(self.contacts_made_by_the_sync(), made)
        self.assertEqual({guest["email"] for guest in event._google_left_out()}, left_out)
        self.assertEqual(len([b for b in self.chatter(event) if "not imported" in b]), 1)
        self.assertEqual(self.writes(ANN), [])
        on_google = self.google_events(CAROL)[created["id"]]
        self.assertEqual({a["email"] for a in on_google["attendees"]}, {CAROL, ANN, *self.flood})
        # A guest Carol adds later is one like any other; one she drops is gone.
        late = "late@client.example"
        dropped = sorted(left_out)[-1]
        guests = [{"email": e} for e in (CAROL, ANN, *self.flood, late) if e != dropped]
        carol.patch_event("primary", created["id"], {"attendees": guests}, send_updates="none")
        self.sync(self.account)
        self.assertEqual(emails_of(self.contacts_made_by_the_sync()), emails_of(made) | {late})
        self.assertIn(late, emails_of(event.partner_ids))
        self.assertEqual(
            {guest["email"] for guest in event._google_left_out()}, left_out - {dropped}
        )
        self.assertEqual(len([b for b in self.chatter(event) if "not imported" in b]), 1)

    def test_own_meeting_keeps_its_guests_on_google_when_edited_in_odoo(self):
        [seeded] = self.seed(
            ANN,
            {
                **self.timed_event("All hands", self.future()),
                "attendees": [{"email": email} for email in (ANN, *self.flood)],
            },
        )
        self.sync(self.account)
        event = self.event_of(seeded["id"])
        self.assertEqual(len(event.partner_ids), 1 + self.CAP)
        colleague = self.env["res.partner"].create({"name": "Erin", "email": "erin@example.com"})
        event.with_user(self.ann).write(
            {"name": "All hands (moved)", "partner_ids": [Command.link(colleague.id)]}
        )
        self.sync(self.account)
        on_google = self.google_events(ANN)[seeded["id"]]
        self.assertEqual(on_google["summary"], "All hands (moved)")
        self.assertEqual(
            {a["email"] for a in on_google["attendees"]}, {ANN, "erin@example.com", *self.flood}
        )
        self.assertFalse(event.google_push_pending)
        writes = len(self.writes(ANN))
        self.sync(self.account)
        self.assertEqual(len(self.writes(ANN)), writes)
