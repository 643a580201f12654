"""Meetings shared by several users, synced at the same moment (issue 14).

Real parallel transactions (``parallel_common``) over real HTTP to the fake.
"""

import time
from datetime import datetime, timedelta

import psycopg2.errors

from odoo import fields
from odoo.tests import tagged

from .common import TEST_CLIENT_ID
from .parallel_common import ParallelCase


def _google_body(summary, start, guests=()):
    return {
        "summary": summary,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "UTC"},
        "end": {
            "dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeZone": "UTC",
        },
        "attendees": [{"email": guest} for guest in guests],
    }


@tagged("post_install", "-at_install")
class TestSimultaneousSyncs(ParallelCase):
    ANN = "conc_ann@example.com"
    BOB = "conc_bob@example.com"

    def seed_shared(self, count=3):
        """``count`` meetings Ann organizes on Google with Bob invited."""
        start = (datetime.utcnow() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
        self.fake_control.seed_events(
            self.ANN,
            [
                _google_body(f"Shared {index}", start + timedelta(days=index), [self.BOB])
                for index in range(count)
            ],
        )
        return {event["iCalUID"] for event in self.live_events(self.ANN)}

    def odoo_copies(self, ical_uids):
        """{iCalUID: [(event id, attendee e-mails)]} of the committed Odoo events."""

        def read(env):
            events = env["calendar.event"].search([("google_ical_uid", "in", list(ical_uids))])
            copies = {uid: [] for uid in ical_uids}
            for event in events:
                copies[event.google_ical_uid].append(
                    (event.id, sorted(event.partner_ids.mapped("email")))
                )
            return copies

        return self.in_transaction(read)

    def assert_once_each(self, ical_uids):
        copies = self.odoo_copies(ical_uids)
        for uid, events in copies.items():
            self.assertEqual(len(events), 1, f"meeting {uid} once in Odoo, got {events}")
            self.assertIn(self.BOB, events[0][1])

    def test_two_users_syncing_at_once_import_each_meeting_once(self):
        ical_uids = self.seed_shared()
        # Google answers slowly, so that both syncs are inside their pull at once.
        self.fake_control.inject_fault(mode="latency", latency_ms=300, count=40)

        results = self.run_parallel(self.click_work(0), self.click_work(1))

        for result in results:
            self.assertNotIsInstance(result, Exception)
            self.assertEqual(result["status"], "synced")
        self.assert_once_each(ical_uids)
        # Later syncs keep it so, and write nothing to Google.
        self.run_parallel(self.click_work(0), self.click_work(1))
        self.assert_once_each(ical_uids)

    def test_two_users_and_the_cron_at_once_import_each_meeting_once(self):
        ical_uids = self.seed_shared()
        self.fake_control.inject_fault(mode="latency", latency_ms=300, count=60)

        results = self.run_parallel(
            self.click_work(0), self.click_work(1), self.cron_work(), self.cron_work()
        )

        for result in results:
            self.assertNotIsInstance(result, Exception)
        self.assert_once_each(ical_uids)
        self.run_parallel(self.cron_work())
        self.assert_once_each(ical_uids)


@tagged("post_install", "-at_install")
class TestSaveDuringUpload(ParallelCase):
    ANN = "conc_ann@example.com"

    def synced_event(self):
        """Ann's event, on Google as "v1", renamed "v2" in Odoo and pending."""
        event_id, google_id = self.create_event(0, "v1")
        self.in_transaction(self.sync_work(0))
        self.set_paused(True)
        self.rename(event_id, "v2")
        self.set_paused(False)
        return event_id, google_id

    def rename(self, event_id, name):
        def save(env):
            user = env["res.users"].browse(self.user_ids[0])
            env["calendar.event"].with_user(user).browse(event_id).write({"name": name})

        return self.in_transaction(save)

    def save_once_google_holds(self, google_id, uploaded, name, event_id):
        """The user's save of ``name`` in another tab, made once Google stored
        the upload of ``uploaded`` (whose answer is still on its way)."""

        def work(env):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                held = {e["id"]: e for e in self.fake_control.events(self.ANN)}.get(google_id)
                if held and held.get("summary") == uploaded:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the upload never reached Google")
            user = env["res.users"].browse(self.user_ids[0])
            env["calendar.event"].with_user(user).browse(event_id).write({"name": name})
            env["calendar.event"].browse(event_id).name  # noqa: B018 read back
            return "saved"

        return work

    def assert_settled(self, event_id, google_id, name):
        def odoo_side(env):
            event = env["calendar.event"].browse(event_id)
            notes = [body for body in event.message_ids.mapped("body") if "both sides" in body]
            return event.name, event.google_push_pending, notes

        self.assertEqual(self.in_transaction(odoo_side), (name, False, []), "no conflict note")
        self.assertEqual(
            [(e["id"], e["summary"]) for e in self.live_events(self.ANN)], [(google_id, name)]
        )

    def test_save_during_the_sync_upload_reaches_google_without_conflict(self):
        event_id, google_id = self.synced_event()
        self.fake_control.inject_fault(
            mode="slow_answer", latency_ms=1500, method="POST", path="^/batch/", count=1
        )

        sync, save = self.run_parallel(
            self.sync_work(0), self.save_once_google_holds(google_id, "v2", "v3", event_id)
        )

        self.assertEqual(save, "saved")
        if isinstance(sync, Exception):
            # PostgreSQL refused the sync's write-back of the event the user
            # saved meanwhile: the sync is rolled back, Google keeps v2.
            self.assertIsInstance(sync, psycopg2.errors.SerializationFailure)
        self.in_transaction(self.sync_work(0))
        self.assert_settled(event_id, google_id, "v3")

    def test_save_during_the_upload_after_a_save_neither_fails_nor_is_lost(self):
        event_id, google_id = self.create_event(0, "v1")
        self.in_transaction(self.sync_work(0))
        self.fake_control.inject_fault(
            mode="slow_answer", latency_ms=1500, method="POST", path="^/batch/", count=1
        )

        # The save of v2 pushes it right after its commit; v3 is saved meanwhile.
        first, second = self.run_parallel(
            lambda env: self.rename(event_id, "v2") or "saved",
            self.save_once_google_holds(google_id, "v2", "v3", event_id),
        )

        self.assertEqual((first, second), ("saved", "saved"), "both saves succeed")
        self.in_transaction(self.cron_work())
        self.assert_settled(event_id, google_id, "v3")


@tagged("post_install", "-at_install")
class TestColleagueWhoDoesNotSync(ParallelCase):
    parallel_users = (("ann", True), ("bob", True), ("carl", False))
    ANN = "conc_ann@example.com"
    BOB = "conc_bob@example.com"
    CARL = "conc_carl@example.com"

    def carl_saves(self, event_id=None, **vals):
        """Carl (who does not sync) creates or edits his meeting with Ann and Bob;
        the push after the commit runs as after any save."""

        def save(env):
            users = env["res.users"].browse(self.user_ids)
            Event = env["calendar.event"].with_user(users[2])
            if event_id:
                Event.browse(event_id).write(vals)
                return event_id
            start = (datetime.now() + timedelta(days=6)).replace(microsecond=0)
            return Event.create(
                {
                    "name": "Carl's review",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [(6, 0, users.partner_id.ids)],
                    **vals,
                }
            ).id

        return self.in_transaction(save)

    def copies(self, email, name_prefix="Carl's"):
        return [
            event
            for event in self.live_events(email)
            if (event.get("summary") or "").startswith(name_prefix)
        ]

    def test_colleague_meeting_reaches_the_guests_google_calendars_once(self):
        event_id = self.carl_saves()
        self.fake_control.inject_fault(mode="latency", latency_ms=200, count=40)
        results = self.run_parallel(self.click_work(0), self.click_work(1), self.cron_work())
        for result in results:
            self.assertNotIsInstance(result, Exception)

        google_id = self.in_transaction(
            lambda env: env["calendar.event"].browse(event_id).google_id
        )
        for email in (self.ANN, self.BOB):
            held = self.copies(email)
            self.assertEqual([e["id"] for e in held], [google_id], f"once in {email}'s calendar")
            self.assertEqual(held[0]["summary"], "Carl's review")
        inserts = [r for r in self.fake_control.log() if r["operation"] == "events.insert"]
        self.assertEqual(len(inserts), 1, "one guest's calendar sends it")
        self.assertEqual(inserts[0]["send_updates"], "none", "Google mails nobody for Carl")

        # Carl's later edit follows, from his save.
        self.carl_saves(event_id, name="Carl's review (moved)")
        for email in (self.ANN, self.BOB):
            self.assertEqual([e["summary"] for e in self.copies(email)], ["Carl's review (moved)"])
        # Bob accepts in Odoo: his answer reaches Google too.
        self.in_transaction(
            lambda env: env["calendar.event"]
            .browse(event_id)
            .attendee_ids.filtered(lambda a: a.partner_id.email == self.BOB)
            .write({"state": "accepted"})
        )
        self.run_parallel(self.click_work(0), self.click_work(1))
        guests = {
            a["email"]: a.get("responseStatus") for a in self.copies(self.ANN)[0]["attendees"]
        }
        self.assertEqual(guests[self.BOB], "accepted")

        # Carl connects later: still one meeting, in Odoo and in every calendar.
        self.connect_later(2)
        self.run_parallel(self.click_work(2), self.click_work(0), self.click_work(1))
        self.run_parallel(self.click_work(2))

        def odoo_copies(env):
            return env["calendar.event"].search_count([("name", "like", "Carl's review")])

        self.assertEqual(self.in_transaction(odoo_copies), 1)
        for email in (self.ANN, self.BOB, self.CARL):
            self.assertLessEqual(len(self.copies(email)), 1, f"no twin in {email}'s calendar")
        self.assertEqual(len(self.copies(self.ANN)), 1)

    def connect_later(self, index):
        def connect(env):
            user = env["res.users"].browse(self.user_ids[index])
            if user.email not in [u["email"] for u in self.fake_control.users()]:
                self.fake_control.add_user(user.email, time_zone="UTC")
            tokens = self.fake_control.issue_tokens(user.email, TEST_CLIENT_ID)
            account = env["google.calendar.account"].create(
                {
                    "user_id": user.id,
                    "state": "connected",
                    "google_email": user.email,
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "access_token_expiry": fields.Datetime.now() + timedelta(hours=1),
                }
            )
            self.account_ids.append(account.id)

        self.in_transaction(connect)
