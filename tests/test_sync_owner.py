"""A meeting made on Google without guests is in its owner's calendar in Odoo.

Odoo's calendar shows a user the meetings they attend; Google lists no
attendee on an event without guests. The import makes the owner its attendee,
and the two sides still hold the same meeting: nothing is written back.
"""

from datetime import timedelta

from odoo.tests import tagged

from .sync_common import SyncCase

ANN = "ann@example.com"


@tagged("post_install", "-at_install")
class TestOwnerAttends(SyncCase):
    def mine(self, user):
        """What the Calendar app's default filter shows ``user``."""
        return (
            self.env["calendar.event"]
            .with_user(user)
            .search([("partner_ids", "in", user.partner_id.ids)])
        )

    def test_guest_less_event_and_series_are_in_their_owner_calendar(self):
        account = self.connect(self.ann)
        self.sync(account)
        single, series = self.seed(
            ANN,
            self.timed_event("Focus", self.future(days=3)),
            {
                **self.timed_event("Gym", self.future(days=4, hour=7)),
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            },
        )
        self.sync(account)
        event = self.event_of(single["id"])
        occurrences = (
            self.env["calendar.recurrence"]
            .search([("google_id", "=", series["id"])])
            .calendar_event_ids
        )
        self.assertEqual(len(occurrences), 3)
        for record in event | occurrences:
            self.assertEqual(record.partner_ids, self.ann.partner_id)
            self.assertEqual(record.attendee_ids.state, "accepted")
        self.assertLessEqual(event | occurrences, self.mine(self.ann))
        # Nothing to send back: Google still holds them without guests.
        self.sync(account)
        self.assertEqual(self.writes(ANN), [], "the owner's attendance is no change for Google")
        self.assertFalse(self.google_events(ANN)[single["id"]].get("attendees"))
        # A title edited in Odoo goes to Google without adding the owner as a guest.
        event.with_user(self.ann).write({"name": "Deep focus"})
        self.sync(account)
        held = self.google_events(ANN)[single["id"]]
        self.assertEqual(held["summary"], "Deep focus")
        self.assertFalse(held.get("attendees"))

    def test_guest_less_event_moved_on_google_stays_accepted_by_its_owner(self):
        """Odoo resets the organizer's answer when someone else moves a meeting;
        the sync is someone else, and Google lists no attendee to restore it."""
        account = self.connect(self.ann)
        self.sync(account)
        (single,) = self.seed(ANN, self.timed_event("Focus", self.future(days=3)))
        self.sync(account)
        before = self.event_of(single["id"]).start
        later = self.timed_event("Focus", self.future(days=3, hour=15))
        self.google_client_of(ANN).patch_event(
            "primary",
            single["id"],
            {"start": later["start"], "end": later["end"]},
            send_updates="none",
        )
        self.sync(account)
        event = self.event_of(single["id"])
        self.assertEqual(event.start - before, timedelta(hours=6))
        self.assertEqual(event.attendee_ids.partner_id, self.ann.partner_id)
        self.assertEqual(event.attendee_ids.state, "accepted")
        # Nothing to send back: Google still holds it without guests.
        self.sync(account)
        self.assertFalse(self.google_events(ANN)[single["id"]].get("attendees"))
