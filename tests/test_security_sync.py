"""Security of the sync itself: a Google event reaches only its own user's meetings.

Each test plays an attacker as a user would, over real HTTP to the local
Google: another internal user writing on his own Google calendar, or an
outsider sending an invitation to a connected user. What a Google event says
of itself (the Odoo id the module writes, an iCalUID, an id, its organizer)
is untrusted: the victim's meeting must come out of every attack unchanged,
in Odoo and on Google.
"""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..engine.references import EXT_DB, EXT_EVENT_ID, EXT_SERIES_ID
from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
MALLORY = "mallory@outside.example"


@tagged("post_install", "-at_install")
class TestForgedGoogleEvents(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vic = new_test_user(
            cls.env, "vic", email="vic@example.com", tz="Europe/Brussels", groups="base.group_user"
        )
        cls.db_uuid = cls.env["ir.config_parameter"].sudo().get_param("database.uuid")

    # -- the victim's meetings ----------------------------------------------------------

    def private_meeting(self):
        """Vic's private meeting, never synced (Vic has no Google account)."""
        return self.odoo_meeting(
            self.vic,
            "Layoff plan",
            self.vic.partner_id,
            privacy="private",
            description="<p>Names inside</p>",
            location="Board room",
        )

    @staticmethod
    def snapshot(meeting):
        """What a meeting holds that an attack would change."""
        meeting.invalidate_recordset()
        return {
            "exists": bool(meeting.exists()),
            "name": meeting.name,
            "description": str(meeting.description or ""),
            "location": meeting.location,
            "start": meeting.start,
            "organizer": meeting.user_id,
            "attendees": sorted(meeting.partner_ids.ids),
            "privacy": meeting.privacy,
        }

    def forged(self, summary, key, record_id, **extra):
        """A Google event body naming Odoo record ``record_id`` as the module does,
        without the signature only the database can make."""
        return {
            **self.timed_event(summary, self.future(days=12)),
            "extendedProperties": {"shared": {EXT_DB: self.db_uuid, key: str(record_id)}},
            **extra,
        }

    def assert_not_leaked(self, email, google_id):
        held = self.google_events(email)[google_id]
        for secret in ("Layoff", "Names inside", "Board room"):
            self.assertNotIn(secret, str(held), "nothing of the victim's meeting reaches Google")

    # -- attacks ------------------------------------------------------------------------

    def test_internal_user_cannot_claim_a_colleague_meeting_by_reference(self):
        meeting = self.private_meeting()
        before = self.snapshot(meeting)
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        [claim] = self.seed(BOB, self.forged("Bob's claim", EXT_EVENT_ID, meeting.id))
        self.sync(bob_account)
        self.assertEqual(self.snapshot(meeting), before)
        self.assertFalse(meeting.google_id, "the victim's meeting is not linked to Google")
        self.assert_not_leaked(BOB, claim["id"])
        own = self.event_of(claim["id"])
        self.assertEqual((own.name, own.user_id), ("Bob's claim", self.bob), "Bob's own event")
        # Bob's later edits and his deletion reach only his own event.
        bob = self.google_client_of(BOB)
        bob.patch_event("primary", claim["id"], {"summary": "Renamed"}, send_updates="none")
        self.sync(bob_account)
        self.assertEqual(self.snapshot(meeting), before)
        self.assertEqual(own.name, "Renamed")
        bob.delete_event("primary", claim["id"], send_updates="none")
        self.sync(bob_account)
        self.assertEqual(self.snapshot(meeting), before)
        self.assertFalse(own.exists())

    def test_outsider_invitation_cannot_claim_a_meeting_by_reference(self):
        meeting = self.private_meeting()
        before = self.snapshot(meeting)
        ann_account = self.connect(self.ann)
        self.sync(ann_account)
        mallory = self.connect_google_only(MALLORY)
        sent = mallory.insert_event(
            "primary",
            self.forged(
                "Mallory's invitation",
                EXT_EVENT_ID,
                meeting.id,
                attendees=[{"email": MALLORY}, {"email": ANN}],
            ),
            send_updates="all",
        )
        self.sync(ann_account)
        self.assertEqual(self.snapshot(meeting), before)
        self.assert_not_leaked(ANN, sent["id"])
        self.assert_not_leaked(MALLORY, sent["id"])
        invitation = self.event_of(sent["id"])
        self.assertEqual(invitation.name, "Mallory's invitation")
        self.assertIn(self.ann.partner_id, invitation.partner_ids)
        # Mallory cancels: Ann's copy of her invitation is declined, nothing else moves.
        mallory.delete_event("primary", sent["id"], send_updates="all")
        self.sync(ann_account)
        self.assertEqual(self.snapshot(meeting), before)

    def test_internal_user_cannot_claim_a_colleague_series_by_reference(self):
        first = self.future(days=14)
        meeting = self.odoo_meeting(
            self.vic,
            "Layoff plan",
            self.vic.partner_id,
            start=first,
            privacy="private",
            recurrency=True,
            rrule_type="weekly",
            interval=1,
            end_type="count",
            count=3,
            event_tz="Europe/Brussels",
            **{first.strftime("%a").lower(): True},
        )
        series = meeting.recurrence_id
        occurrences = series.calendar_event_ids
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        [claim] = self.seed(
            BOB,
            self.forged(
                "Bob's series", EXT_SERIES_ID, series.id, recurrence=["RRULE:FREQ=DAILY;COUNT=4"]
            ),
        )
        self.sync(bob_account)
        series.invalidate_recordset()
        self.assertFalse(series.google_id, "the victim's series is not linked to Google")
        self.assertEqual(series.calendar_event_ids, occurrences)
        self.assertEqual(set(occurrences.mapped("name")), {"Layoff plan"})
        self.assertEqual(occurrences.user_id, self.vic)
        self.assert_not_leaked(BOB, claim["id"])
        bobs = self.env["calendar.recurrence"].search([("google_id", "=", claim["id"])])
        self.assertEqual(len(bobs.calendar_event_ids), 4, "Bob's series is his own")
        self.google_client_of(BOB).delete_event("primary", claim["id"], send_updates="none")
        self.sync(bob_account)
        self.assertEqual(series.calendar_event_ids, occurrences, "Bob's deletion spares it")

    def test_guest_cannot_take_a_meeting_over_by_its_ical_uid(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.sync(ann_account)
        self.sync(bob_account)
        meeting = self.odoo_meeting(self.ann, "Board", self.ann.partner_id + self.bob.partner_id)
        self.sync(ann_account)
        before = self.snapshot(meeting)
        ical_uid = self.google_events(ANN)[meeting.google_id]["iCalUID"]
        self.sync(bob_account)
        # Bob makes his own event (he is its organizer) carrying the meeting's iCalUID.
        bob = self.google_client_of(BOB)
        twin = bob.insert_event(
            "primary",
            {
                **self.timed_event("Bob's board now", self.future(days=20)),
                "iCalUID": ical_uid,
            },
            send_updates="none",
        )
        self.sync(bob_account)
        self.assertEqual(self.snapshot(meeting), before)
        self.assertEqual(meeting.google_account_id, ann_account, "Ann's calendar keeps it")
        self.sync(ann_account)
        self.assertEqual(self.google_events(ANN)[meeting.google_id]["summary"], "Board")
        # By its iCalUID Bob's event is that meeting, which Ann's calendar keeps:
        # it is neither imported as a twin nor allowed to change the meeting.
        self.assertFalse(self.event_of(twin["id"]))

    def test_colliding_google_id_neither_takes_over_nor_deletes_a_colleague_meeting(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.sync(ann_account)
        self.sync(bob_account)
        meeting = self.odoo_meeting(self.ann, "Board", self.ann.partner_id)
        self.sync(ann_account)
        before = self.snapshot(meeting)
        # Bob, who is not invited, stores an event of his own under the same id.
        bob = self.google_client_of(BOB)
        bob.insert_event(
            "primary",
            {**self.timed_event("Hijack", self.future(days=3)), "id": meeting.google_id},
            send_updates="none",
        )
        self.sync(bob_account)
        self.assertEqual(self.snapshot(meeting), before)
        self.assertEqual(meeting.google_account_id, ann_account)
        copies = self.env["calendar.event"].search([("google_id", "=", meeting.google_id)])
        self.assertEqual(
            sorted(copies.mapped("name")), ["Board", "Hijack"], "Bob's event is his own"
        )
        # Ann keeps syncing her meeting as before.
        meeting.with_user(self.ann).write({"name": "Board (moved)"})
        self.sync(ann_account)
        self.assertEqual(self.google_events(ANN)[meeting.google_id]["summary"], "Board (moved)")
        # Bob's deletion, then his recurring event under the same id, spare it.
        bob.delete_event("primary", meeting.google_id, send_updates="none")
        self.sync(bob_account)
        self.assertTrue(meeting.exists())
        self.assertEqual(meeting.name, "Board (moved)")

    def test_colliding_series_id_does_not_replace_a_colleague_meeting(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.sync(ann_account)
        self.sync(bob_account)
        meeting = self.odoo_meeting(self.ann, "Board", self.ann.partner_id)
        self.sync(ann_account)
        before = self.snapshot(meeting)
        self.seed(
            BOB,
            {
                **self.timed_event("Hijack", self.future(days=3)),
                "id": meeting.google_id,
                "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
            },
        )
        self.sync(bob_account)
        self.assertEqual(
            self.snapshot(meeting), before, "a series under the same id replaces nothing of Ann's"
        )

    def test_signed_reference_copied_to_another_event_does_not_verify(self):
        """Bob, a guest, sees the signed reference on his copy of Ann's meeting;
        copied onto an event of his own, it names nothing."""
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        self.sync(ann_account)
        self.sync(bob_account)
        meeting = self.odoo_meeting(
            self.ann, "Board", self.ann.partner_id + self.bob.partner_id, privacy="private"
        )
        self.sync(ann_account)
        before = self.snapshot(meeting)
        shared = self.google_events(BOB)[meeting.google_id]["extendedProperties"]["shared"]
        self.assertEqual(shared[EXT_EVENT_ID], str(meeting.id))
        [copy] = self.seed(
            BOB,
            {
                **self.timed_event("Bob's copy", self.future(days=4)),
                "extendedProperties": {"shared": dict(shared)},
            },
        )
        self.sync(bob_account)
        self.assertEqual(self.snapshot(meeting), before)
        self.assertEqual(self.event_of(copy["id"]).name, "Bob's copy")
        self.assertEqual(self.google_events(ANN)[meeting.google_id]["summary"], "Board")

    def test_guest_copy_brings_only_the_guest_answer(self):
        """A meeting Vic organizes in Odoo that Bob's calendar keeps (Vic does
        not sync): whatever Bob's copy says, Bob's pull changes only his answer."""
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        [seeded] = self.seed(
            BOB,
            {
                **self.timed_event("Vic's review", self.future(days=6)),
                "attendees": [{"email": BOB, "responseStatus": "needsAction"}],
            },
        )
        self.sync(bob_account)
        meeting = self.event_of(seeded["id"])
        # Vic takes the meeting over in Odoo (say an administrator reassigned it).
        meeting.with_context(google_calendar_sync_from_google=True).write(
            {"user_id": self.vic.id, "partner_ids": [Command.link(self.vic.partner_id.id)]}
        )
        meeting._google_store_agreed()
        bob = self.google_client_of(BOB)
        bob.patch_event(
            "primary",
            seeded["id"],
            {
                "summary": "Bob renamed it",
                "attendees": [
                    {"email": BOB, "responseStatus": "accepted"},
                    {"email": "stranger@outside.example"},
                ],
            },
            send_updates="none",
        )
        self.sync(bob_account)
        meeting.invalidate_recordset()
        self.assertEqual(meeting.name, "Vic's review")
        self.assertEqual(meeting.user_id, self.vic)
        self.assertNotIn("stranger@outside.example", meeting.partner_ids.mapped("email"))
        mine = meeting.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id)
        self.assertEqual(mine.state, "accepted", "Bob's own answer is taken")
        # Bob deletes his copy: he declines, Vic's meeting stays.
        bob.delete_event("primary", seeded["id"], send_updates="none")
        self.sync(bob_account)
        self.assertTrue(meeting.exists())
        self.assertEqual(mine.state, "declined")

    def test_shared_meeting_survives_a_lost_insert_with_its_signed_reference(self):
        """The legitimate use of references still works: an insert Google stored
        whose answer was lost is recognised (no twin), through the signature."""
        ann_account = self.connect(self.ann)
        self.sync(ann_account)
        start = self.future()
        meeting = (
            self.env["calendar.event"]
            .with_user(self.ann)
            .create({"name": "Once only", "start": start, "stop": start + timedelta(hours=1)})
            .sudo()
        )
        self.fake_control.inject_fault(
            mode="drop_after_apply", method="POST", path="batch", count=1
        )
        self.Sync._push_account(ann_account, ann_account._get_client())
        self.sync(ann_account)
        held = self.google_events(ANN)[meeting.google_id]
        self.assertEqual(held["extendedProperties"]["shared"][EXT_EVENT_ID], str(meeting.id))
        self.assertIn("odoo_sig", held["extendedProperties"]["shared"])
        self.assertEqual(
            len([e for e in self.google_events(ANN).values() if e.get("summary") == "Once only"]),
            1,
        )
        self.assertEqual(meeting.google_etag, held["etag"])


@tagged("post_install", "-at_install")
class TestSyncStateUnreadable(SyncCase):
    """The sync state of meetings holds their content (the agreed values) and
    names Google accounts: colleagues and portal users read none of it."""

    def test_colleague_and_portal_user_cannot_read_the_sync_state(self):
        account = self.connect(self.ann)
        self.sync(account)
        start = self.future(days=7)
        series = self.odoo_meeting(
            self.ann,
            "Merger talks",
            self.ann.partner_id,
            start=start,
            privacy="private",
            description="<p>Target: Initech</p>",
            recurrency=True,
            rrule_type="weekly",
            interval=1,
            end_type="count",
            count=2,
            event_tz="Europe/Brussels",
            **{start.strftime("%a").lower(): True},
        )
        single = self.odoo_meeting(self.ann, "Public sync", self.ann.partner_id)
        self.sync(account)
        recurrence = series.recurrence_id
        self.assertIn("Initech", recurrence.google_agreed_values, "the state holds the content")
        portal = new_test_user(self.env, "pat", email="pat@example.com", groups="base.group_portal")
        technical = {
            "calendar.recurrence": (recurrence, ["google_agreed_values", "google_account_id"]),
            "calendar.event": (single, ["google_agreed_values", "google_account_id", "google_id"]),
        }
        for intruder in (self.bob, portal):
            for model, (record, names) in technical.items():
                Model = self.env[model].with_user(intruder)
                attempts = {
                    "read": lambda record=record, names=names, intruder=intruder: record.with_user(
                        intruder
                    ).read(names),
                    "search_read": lambda Model=Model, names=names: Model.search_read([], names),
                    "web_read": lambda record=record,
                    names=names,
                    intruder=intruder: record.with_user(intruder).web_read(
                        {name: {} for name in names}
                    ),
                    "search": lambda Model=Model: Model.search(
                        [("google_agreed_values", "ilike", "Initech")]
                    ),
                }
                for call, attempt in attempts.items():
                    with (
                        self.subTest(user=intruder.login, model=model, call=call),
                        self.assertRaises(AccessError),
                    ):
                        attempt()
            fields = self.env["calendar.recurrence"].with_user(intruder).fields_get()
            self.assertNotIn("google_agreed_values", fields)
        # The owner works as before: creating, editing and deleting marks for the
        # sync without reading the sync state herself.
        single.with_user(self.ann).write({"name": "Renamed by Ann"})
        self.sync(account)
        self.assertEqual(self.google_events(ANN)[single.google_id]["summary"], "Renamed by Ann")


@tagged("post_install", "-at_install")
class TestGuestSeries(SyncCase):
    def test_guest_copy_of_a_series_brings_only_the_guest_answer(self):
        """A series Vic organizes in Odoo that Bob's calendar keeps: Bob's copy
        neither renames nor deletes it; his deletion declines every occurrence."""
        vic = new_test_user(self.env, "vic", email="vic@example.com", groups="base.group_user")
        bob_account = self.connect(self.bob)
        self.sync(bob_account)
        [master] = self.seed(
            BOB,
            {
                **self.timed_event("Vic's weekly", self.future(days=5)),
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
                "attendees": [{"email": BOB, "responseStatus": "needsAction"}],
            },
        )
        self.sync(bob_account)
        series = self.env["calendar.recurrence"].search([("google_id", "=", master["id"])])
        occurrences = series.calendar_event_ids
        self.assertEqual(len(occurrences), 3)
        # Vic takes the series over in Odoo (say an administrator reassigned it).
        occurrences.with_context(google_calendar_sync_from_google=True).write(
            {"user_id": vic.id, "partner_ids": [Command.link(vic.partner_id.id)]}
        )
        series._google_store_agreed()
        bob = self.google_client_of(BOB)
        bob.patch_event(
            "primary",
            master["id"],
            {
                "summary": "Bob renamed it",
                "attendees": [
                    {"email": BOB, "responseStatus": "accepted"},
                    {"email": "stranger@outside.example"},
                ],
            },
            send_updates="none",
        )
        self.sync(bob_account)
        occurrences.invalidate_recordset()
        self.assertEqual(set(occurrences.mapped("name")), {"Vic's weekly"})
        self.assertEqual(occurrences.user_id, vic)
        self.assertNotIn("stranger@outside.example", occurrences.partner_ids.mapped("email"))
        bob.delete_event("primary", master["id"], send_updates="none")
        self.sync(bob_account)
        self.assertEqual(series.calendar_event_ids, occurrences, "Bob's deletion spares it")
        mine = occurrences.attendee_ids.filtered(lambda a: a.partner_id == self.bob.partner_id)
        self.assertEqual(set(mine.mapped("state")), {"declined"})
