"""The sync history (one row per run, the meetings concerned, kept N days,
each user reading their own), the meeting's sync state and "Synchronize now",
and the conflict note as the user reads it."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .sync_common import SyncCase

ANN = "ann@example.com"
BOB = "bob@example.com"
TRIGGER = "google_calendar_sync_trigger"


@tagged("post_install", "-at_install")
class TestSyncHistory(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.boss = new_test_user(
            cls.env, "boss", email="boss@example.com", groups="base.group_system"
        )
        cls.History = cls.env["google.calendar.sync.history"]

    def history_of(self, user):
        return self.History.sudo().search([("user_id", "=", user.id)])

    def test_every_run_leaves_a_row_with_what_moved_each_way(self):
        account = self.connect(self.ann)
        account._run_sync()
        self.seed(ANN, self.timed_event("From Google", self.future()))
        self.odoo_meeting(self.ann, "From Odoo", start=self.future(days=12))

        answer = account.with_context(**{TRIGGER: "button"})._run_sync()

        self.assertEqual(answer["status"], "synced")
        self.assertNotIn("problems", answer, "no record ids in the route's answer")
        runs = self.history_of(self.ann)
        self.assertEqual(len(runs), 2)
        run = runs[0]
        self.assertEqual(run.id, answer["history_id"])
        self.assertEqual(run.trigger, "button")
        self.assertEqual(runs[1].trigger, "cron")
        self.assertEqual(run.status, "synced")
        self.assertEqual((run.odoo_created, run.google_created), (1, 1))
        self.assertEqual((run.received_count, run.sent_count), (1, 1))
        self.assertEqual((run.conflict_count, run.error_count), (0, 0))
        self.assertGreater(run.duration, 0)
        self.assertEqual(
            answer["summary"], "Synchronized: 1 change(s) from Google, 1 sent to Google."
        )

    def test_an_idle_scheduled_run_leaves_no_row(self):
        # Every account is visited every few minutes: a row for each visit
        # that found nothing would bury the runs that matter, and weigh on
        # the database (a thousand users make 144,000 rows a day).
        account = self.connect(self.ann)
        account._run_sync()
        [first] = self.history_of(self.ann)
        first.start -= timedelta(minutes=10)

        answer = account._run_sync()

        self.assertEqual(answer["status"], "synced")
        self.assertNotIn("history_id", answer)
        self.assertEqual(self.history_of(self.ann), first, "the first sync only")
        # The Google button's menu tells when the account last synced.
        summary = account._last_run_summary()
        self.assertEqual(summary["start"], fields.Datetime.to_string(account.last_sync))
        self.assertEqual(
            (summary["status"], summary["received"], summary["sent"]), ("synced", 0, 0)
        )

        # A run that moves something, one the user asked for, and a failed one are kept.
        self.seed(ANN, self.timed_event("From Google", self.future()))
        moved = account._run_sync()
        asked = account.with_context(**{TRIGGER: "button"})._run_sync()
        self.fake_control.inject_fault(status=400, method="GET", path=r"/events$", count=5)
        failed = account._run_sync()
        runs = self.history_of(self.ann)
        self.assertEqual(len(runs), 4)
        self.assertEqual(
            runs[:3].mapped("id"), [failed["history_id"], asked["history_id"], moved["history_id"]]
        )
        self.assertEqual(runs[0].status, "error")
        self.assertEqual(account._last_run_summary()["id"], failed["history_id"])

    def test_failed_run_recorded_with_the_plain_message(self):
        account = self.connect(self.ann)
        self.fake_control.inject_fault(status=400, method="GET", path=r"/events$", count=5)

        answer = account._run_sync()

        run = self.history_of(self.ann)
        self.assertEqual(run.status, "error")
        self.assertEqual(run.error_count, 1)
        self.assertEqual(run.message, answer["message"])
        self.assertIn("Nothing is lost", run.message)

    def test_refused_meeting_named_in_the_run_and_shown_on_the_meeting(self):
        account = self.connect(self.ann)
        account._run_sync()
        event = self.odoo_meeting(self.ann, "Refused by Google")
        self.assertEqual(event.google_sync_state, "pending")
        self.fake_control.inject_fault(
            status=400, method="POST", path=r"/calendars/primary/events$", email=ANN
        )

        answer = account._run_sync()

        run = self.History.sudo().browse(answer["history_id"])
        self.assertEqual(run.status, "partial")
        self.assertEqual(run.error_count, 1)
        self.assertEqual(run.line_ids.event_id, event)
        self.assertEqual(run.line_ids.kind, "error")
        self.assertEqual(run.line_ids.event_name, "Refused by Google")
        self.assertIn("could not be synchronized", answer["summary"])
        self.env.invalidate_all()
        self.assertEqual(event.with_user(self.ann).google_sync_state, "error")
        self.assertIn("refused", event.with_user(self.ann).google_sync_reason)

        # Changed again, the meeting goes; the error is over.
        event.with_user(self.ann).write({"name": "Accepted by Google"})
        account._run_sync()
        self.env.invalidate_all()
        self.assertEqual(event.with_user(self.ann).google_sync_state, "synced")
        self.assertFalse(event.google_sync_error)

    def test_user_cannot_read_another_users_history(self):
        ann_account, bob_account = self.connect(self.ann), self.connect(self.bob)
        ann_account._run_sync()
        bob_account._run_sync()
        self.env.invalidate_all()
        ann_run = self.history_of(self.ann)

        as_bob = self.History.with_user(self.bob)
        self.assertEqual(as_bob.search([]), self.history_of(self.bob))
        self.assertEqual(as_bob.search_count([("user_id", "=", self.ann.id)]), 0)
        with self.assertRaises(AccessError):
            as_bob.browse(ann_run.id).read(["status"])
        ann_run.line_ids = [fields.Command.create({"kind": "error", "message": "Ann's"})]
        Line = self.env["google.calendar.sync.history.line"]
        self.assertFalse(Line.with_user(self.bob).search([]))
        with self.assertRaises(AccessError):
            Line.with_user(self.bob).browse(ann_run.line_ids.id).read(["message"])
        with self.assertRaises(AccessError):
            as_bob.browse(ann_run.id).unlink()
        with self.assertRaises(AccessError):
            as_bob.create(
                {"user_id": self.bob.id, "start": fields.Datetime.now(), "status": "synced"}
            )
        # An administrator reads everyone's.
        self.assertEqual(
            self.History.with_user(self.boss).search([]),
            self.history_of(self.ann) | self.history_of(self.bob),
        )

    def test_history_kept_the_configured_number_of_days(self):
        account = self.connect(self.ann)
        account._run_sync()
        account.with_context(**{TRIGGER: "button"})._run_sync()
        old, recent = self.history_of(self.ann)[1], self.history_of(self.ann)[0]
        old.start = fields.Datetime.now() - timedelta(days=8)
        self.env["ir.config_parameter"].sudo().set_param("google_calendar_sync.history_days", "7")

        self.History._gc_history()

        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())


@tagged("post_install", "-at_install")
class TestMeetingSyncState(SyncCase):
    def test_states_and_reasons(self):
        carol = new_test_user(self.env, "carol", email="carol@example.com")
        not_syncing = self.odoo_meeting(carol, "Carol's")
        self.assertEqual(not_syncing.google_sync_state, "not_synced")
        self.assertIn("does not synchronize", not_syncing.google_sync_reason)

        account = self.connect(self.ann)
        account._run_sync()
        event = self.odoo_meeting(self.ann, "Ann's")
        self.assertEqual(event.google_sync_state, "pending")
        account._run_sync()
        self.env.invalidate_all()
        self.assertEqual(event.google_sync_state, "synced")

        self.env["ir.config_parameter"].sudo().set_param("google_calendar_sync.paused", "True")
        self.env.invalidate_all()
        self.assertEqual(not_syncing.google_sync_state, "not_synced")
        self.assertIn("paused", not_syncing.google_sync_reason)

    def test_reason_of_a_private_meeting_hidden_from_others(self):
        account = self.connect(self.ann)
        account._run_sync()
        event = self.odoo_meeting(self.ann, "Secret talks", privacy="private")
        self.fake_control.inject_fault(
            status=400, method="POST", path=r"/calendars/primary/events$", email=ANN
        )
        account._run_sync()
        self.env.invalidate_all()
        self.assertIn("refused", event.with_user(self.ann).google_sync_reason)
        self.env.invalidate_all()
        as_bob = event.with_user(self.bob)
        self.assertEqual(as_bob.google_sync_state, "error")
        self.assertFalse(as_bob.google_sync_reason)
        self.env.invalidate_all()  # another request: nothing read as superuser in cache
        # The stored error is for administrators only (and masked for them too).
        with self.assertRaises(AccessError):
            as_bob.read(["google_sync_error"])

    def test_an_attendee_sends_the_meeting_through_its_organizers_calendar(self):
        account = self.connect(self.ann)
        account._run_sync()
        event = self.odoo_meeting(self.ann, "Shared", [self.ann.partner_id, self.bob.partner_id])
        account._run_sync()
        event.with_user(self.bob).write({"location": "Room 2"})
        self.assertTrue(event.with_user(self.bob).user_can_edit)

        action = event.with_user(self.bob).action_google_sync_now()

        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("through the calendar of", action["params"]["message"])
        self.assertFalse(
            self.env["google.calendar.sync.history"].sudo().search([("user_id", "=", self.bob.id)]),
            "Bob has no calendar of his own to sync",
        )

    def test_synchronize_now_sends_the_meeting_and_records_the_run(self):
        account = self.connect(self.ann)
        account._run_sync()
        event = self.odoo_meeting(self.ann, "Send me now")

        action = event.with_user(self.ann).action_google_sync_now()

        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 sent to Google", action["params"]["message"])
        self.assertIn(event.google_id, self.google_events(ANN))
        run = (
            self.env["google.calendar.sync.history"]
            .sudo()
            .search([("user_id", "=", self.ann.id)], limit=1)
        )
        self.assertEqual(run.trigger, "meeting")

    def test_synchronize_now_refused_to_who_may_not_edit(self):
        account = self.connect(self.ann)
        account._run_sync()
        event = self.odoo_meeting(self.ann, "Ann's own", privacy="public")
        self.assertFalse(event.with_user(self.bob).user_can_edit)
        with self.assertRaises(AccessError):
            event.with_user(self.bob).action_google_sync_now()
        self.assertNotIn(event.google_id, self.google_events(ANN), "nothing was sent")


@tagged("post_install", "-at_install")
class TestConflictNote(SyncCase):
    def test_note_names_the_field_by_its_label_and_is_posted_by_odoobot(self):
        account = self.connect(self.ann)
        account._run_sync()
        [seeded] = self.seed(ANN, self.timed_event("Kick-off", self.future()))
        account._run_sync()
        event = self.event_of(seeded["id"])
        event.with_user(self.ann).write({"name": "Odoo title"})
        # Odoo's edit an hour ago, Google's now: Google's is the most recent.
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = write_date - interval '1 hour' WHERE id = %s",
            [event.id],
        )
        event.invalidate_recordset(["write_date"])
        self.google_client_of(ANN).patch_event(
            "primary", seeded["id"], {"summary": "Google title"}, send_updates="none"
        )

        answer = account._run_sync()

        self.assertEqual(event.name, "Google title")
        note = event.message_ids.filtered(
            lambda message: "both in Odoo and on Google" in message.body
        )
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.env.ref("base.partner_root"), "OdooBot, not Ann")
        self.assertIn(
            "Meeting Subject: “Odoo title”, changed in Odoo, was replaced by “Google title” "
            "from Google.",
            note.body,
        )
        self.assertNotIn("name:", note.body)
        run = self.env["google.calendar.sync.history"].sudo().browse(answer["history_id"])
        self.assertEqual(run.status, "conflict")
        self.assertEqual(run.line_ids.kind, "conflict")
        self.assertEqual(run.line_ids.event_id, event)
        self.assertIn("the most recent change was kept", answer["summary"])
