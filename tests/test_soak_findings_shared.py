"""Shared-meeting bugs the convergence soak found, each kept as a test (issue 14).

Each test is the smallest deterministic scenario of one divergence that
``make soak`` (``tests/test_convergence.py``) found on single meetings shared
between syncing users; the history of each is in
``docs/reliability-history.md``.
"""

from datetime import UTC, datetime, timedelta

from odoo.tests import new_test_user, tagged

from ..models.calendar_event import FROM_GOOGLE
from .sync_common import SyncCase

BOB = "bob@example.com"
CAROL = "carol@example.com"


@tagged("post_install", "-at_install")
class TestSoakFindingsShared(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carol = new_test_user(
            cls.env, "carol", email=CAROL, tz="Asia/Tokyo", groups="base.group_user"
        )

    def settle(self, *accounts):
        """Everyone syncs, three rounds (the meeting needs its organizer's push,
        then the guests' pulls)."""
        for _round in range(3):
            for account in accounts:
                self.sync(account)

    def twin_of(self, meeting, account):
        """The copy of ``meeting`` an older version's two syncs at once imported
        (see tests/test_shared_twins.py), kept by ``account``."""
        return meeting.with_context(**{FROM_GOOGLE: True}).copy(
            {
                "google_id": meeting.google_id,
                "google_ical_uid": meeting.google_ical_uid,
                "google_etag": meeting.google_etag,
                "google_agreed_values": meeting.google_agreed_values,
                "google_timezone": meeting.google_timezone,
                "google_agreed_permissions": meeting.google_agreed_permissions,
                "google_account_id": account.id,
                "google_push_pending": False,
            }
        )

    def test_meeting_deleted_in_odoo_with_a_twin_left_keeps_the_move_made_on_google(self):
        """Bob's meeting from Google with Carol invited; Bob moves it an hour
        earlier on Google; Carol's calendar had left a twin; Bob deletes the
        meeting in Odoo. Google's move wins over the deletion, or the deletion
        goes through: never the meeting back at its old time.

        The soak found it back an hour later: its twin, made with ``copy``,
        lacked the event's zone that an import writes, so it read as moved to
        Bob's zone in Odoo, a later change than Google's move. A twin as an
        import makes it reads as unchanged, even when written after the move."""
        ann, bob, carol = self.connect(self.ann), self.connect(self.bob), self.connect(self.carol)
        self.sync(ann)
        self.sync(bob)
        self.sync(carol)
        start = self.future(days=3, hour=14)
        (item,) = self.seed(
            BOB,
            {
                **self.timed_event("Review", start, tz="UTC"),
                "attendees": [{"email": BOB}, {"email": CAROL}],
            },
        )
        self.settle(ann, bob, carol)
        meeting = self.event_of(item["id"])
        self.assertEqual(len(meeting), 1)
        moved = start - timedelta(hours=1)
        self.google_client_of(BOB).patch_event(
            "primary",
            item["id"],
            {
                "start": {"dateTime": moved.isoformat() + "Z", "timeZone": "UTC"},
                "end": {"dateTime": start.isoformat() + "Z"},
            },
            send_updates="none",
        )
        # The twin and the deletion come after Google's move.
        self.env.cr._now = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
        self.twin_of(meeting, carol)
        meeting.with_user(self.bob).unlink()

        self.settle(ann, bob, carol)

        events = self.env["calendar.event"].search([("google_ical_uid", "=", item["iCalUID"])])
        on_google = self.google_events(BOB)
        live = [i for i in on_google.values() if i.get("status") != "cancelled"]
        self.assertLessEqual(len(events), 1)
        if events:
            self.assertEqual(events.start, moved)
            self.assertEqual([i["start"]["dateTime"][:16] for i in live], [moved.isoformat()[:16]])
        else:
            self.assertFalse(live)

    def killed_sync(self, account):
        """A sync whose worker dies before its commit: Google keeps its writes."""
        savepoint = self.env.cr.savepoint()
        self.sync(account)
        savepoint.close(rollback=True)
        self.env.invalidate_all()

    def test_save_during_an_upload_that_took_the_meeting_over_from_a_guest_calendar(self):
        """Ann's meeting from Google with Carol invited, brought into Odoo by
        Carol's calendar. Ann renames its location in Odoo; the sync that
        takes the meeting over into Ann's calendar uploads it, and Ann saves
        another location before its answer came back (the sync's transaction is
        lost). The save is the value, and no conflict with the upload."""
        ann, carol = self.connect(self.ann), self.connect(self.carol)
        self.sync(ann)
        self.sync(carol)
        (item,) = self.seed(
            "ann@example.com",
            {**self.timed_event("Review", self.future(days=3)), "attendees": [{"email": CAROL}]},
        )
        self.sync(carol)
        meeting = self.event_of(item["id"])
        self.assertEqual(meeting.google_account_id, carol, "Carol's calendar brought it in")
        meeting.with_user(self.ann).write({"location": "Uploaded room"})
        self.killed_sync(ann)
        self.assertEqual(
            self.google_events("ann@example.com")[item["id"]]["location"], "Uploaded room"
        )
        meeting.with_user(self.ann).write({"location": "Saved room"})

        self.settle(ann, carol)

        self.assertEqual(meeting.location, "Saved room")
        self.assertEqual(
            self.google_events("ann@example.com")[item["id"]]["location"], "Saved room"
        )
        self.assertFalse([body for body in self.chatter(meeting) if "Saved room" in str(body)])
