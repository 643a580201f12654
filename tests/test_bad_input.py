"""Bad input from Google: each bad event is reported, in the log and to the user,
and the sync goes on with the others and for the other users.

Google's own validation would refuse most of this on the way in, so the
events are stored in the fake first, then altered in its store (the real
in-process fake, not a mock): the sync then reads them over HTTP as Google
would serve events written by older clients or other products. The users
have synced once before, so that the altered events come in an incremental
listing (the fake filters a full listing by time and refuses dates it cannot
read, where Google would not have stored them).
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from odoo.tests import tagged

from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
SYNC_LOGGER = "odoo.addons.google_calendar_sync.sync.run"
MEGABYTE = 1024 * 1024


@contextmanager
def captured(logger_name, level=logging.INFO):
    """Messages ``logger_name`` logs at ``level`` and above meanwhile."""
    logger = logging.getLogger(logger_name)
    messages = []
    handler = logging.Handler(level)
    handler.emit = lambda record: messages.append(record.getMessage())
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def malformed(data):
    """An event whose title is an object: the JSON parses, the event makes no sense.

    (Invalid dates cannot be served this way: the fake, like Google, reads an
    event's times to list it and refuses the whole listing instead; mapping
    invalid dates is covered by test_mapping.py.)
    """
    data["summary"] = {"unexpected": ["object"]}


@tagged("post_install", "-at_install")
class TestBadInputFromGoogle(SyncCase):
    def alter(self, email, event_id, change):
        """Apply ``change(data)`` to the stored event, as a newer change on Google."""
        store = self.fake.store
        with store.lock:
            record = store.users[email].primary.events[event_id]
            change(record.data)
            record.seq = store.next_seq()

    def seed_named(self, email, *names, **extra):
        start = self.future()
        return self.seed(
            email,
            *(
                {**self.timed_event(name, start + timedelta(days=n)), **extra}
                for n, name in enumerate(names)
            ),
        )

    def connected_and_synced(self, user):
        account = self.connect(user)
        self.sync(account)
        return account

    def imported(self, seeded):
        return self.env["calendar.event"].search(
            [("google_id", "in", [event["id"] for event in seeded])]
        )

    def test_each_bad_event_reported_and_the_others_imported(self):
        account = self.connected_and_synced(self.ann)
        good, malformed_event, with_room, unknown, huge = self.seed_named(
            ANN, "Good", "Malformed", "With a room", "Unknown fields", "Huge"
        )
        self.alter(ANN, malformed_event["id"], malformed)
        # A room among the guests is not a person: it is not made an Odoo
        # attendee and the user is told. (A guest with no e-mail at all cannot
        # be served by the fake, which needs one to render an attendee; the
        # mapping's note for it is covered by test_mapping.py.)
        self.alter(
            ANN,
            with_room["id"],
            lambda d: d.update(
                attendees=[
                    {"email": ANN},
                    {"email": "room-7@resource.calendar.google.com", "resource": True},
                ]
            ),
        )
        self.alter(
            ANN,
            unknown["id"],
            lambda d: d.update(
                futureField={"nested": [1, 2]}, colorRgb="#123456", summary="Unknown fields"
            ),
        )
        self.alter(ANN, huge["id"], lambda d: d.update(description="x" * MEGABYTE))

        with captured(SYNC_LOGGER, logging.WARNING) as warnings:
            counts = self.sync(account)

        names = set(self.imported([good, malformed_event, with_room, unknown, huge]).mapped("name"))
        self.assertEqual(names, {"Good", "With a room", "Unknown fields", "Huge"})
        self.assertEqual(counts["errors"], 1)
        [error] = [m for m in counts["messages"] if "Not imported" in m]
        self.assertIn("summary must be text", error, "the user is told what is wrong")
        self.assertTrue(any("summary must be text" in line for line in warnings), warnings)
        self.assertTrue(
            any("not synced" in m or "e-mail" in m for m in counts["messages"]),
            counts["messages"],
        )
        [guestless] = self.imported([with_room])
        self.assertEqual(guestless.attendee_ids.partner_id.mapped("email"), [ANN])
        [big] = self.imported([huge])
        self.assertIn("x" * 1000, str(big.description))
        # The sync completed: the next one starts from Google's sync token.
        self.assertTrue(account.sync_token)

    def test_event_fixed_on_google_comes_in_on_the_next_sync(self):
        account = self.connected_and_synced(self.ann)
        [event] = self.seed_named(ANN, "Fixed later")
        original_summary = event["summary"]
        self.alter(ANN, event["id"], malformed)
        self.assertEqual(self.sync(account)["errors"], 1)
        self.assertFalse(self.imported([event]))
        self.alter(ANN, event["id"], lambda d: d.update(summary=original_summary))
        self.assertEqual(self.sync(account)["odoo_created"], 1)
        self.assertEqual(self.imported([event]).name, "Fixed later")

    def test_a_ten_megabyte_page(self):
        account = self.connected_and_synced(self.ann)
        seeded = self.seed_named(ANN, *(f"Big {n}" for n in range(10)))
        for event in seeded:
            self.alter(ANN, event["id"], lambda d: d.update(description="y" * MEGABYTE))
        log_before = len(self.fake_control.log(ANN))
        counts = self.sync(account)
        lists = [
            r for r in self.fake_control.log(ANN)[log_before:] if r["operation"] == "events.list"
        ]
        self.assertEqual(len(lists), 1, "one page of more than 10 MB")
        self.assertEqual(counts["odoo_created"], 10)
        self.assertEqual(counts["errors"], 0)

    def test_bad_event_of_one_user_leaves_the_others_syncing(self):
        ann_account = self.connected_and_synced(self.ann)
        bob_account = self.connected_and_synced(self.bob)
        [bad] = self.seed_named(ANN, "Broken")
        self.alter(ANN, bad["id"], malformed)
        [fine] = self.seed_named(BOB, "Bob's meeting")
        with self.enter_registry_test_mode():
            self.env["google.calendar.account"]._cron_sync()
        self.assertEqual(self.imported([fine]).name, "Bob's meeting")
        self.assertTrue(bob_account.last_sync)
        self.assertTrue(ann_account.last_sync, "Ann's sync completed around the bad event")
        self.assertEqual(ann_account.state, "connected")
        self.assertFalse(self.imported([bad]))
