"""Google push notifications, delivered for real: the fake POSTs to the Odoo test server.

The fake's notifier thread calls ``/google_calendar_sync/notify`` over HTTP
on the test server's loopback address, as Google calls a public one. Odoo's
test server serves a request only while the test releases its cursor
(``allow_requests``): a notification waits until ``deliver`` does, while
it waits for the fake's deliveries. The cron thread does not run under tests: ``run_due_jobs``
runs what Odoo's cron runner would, the ready job of the push cron (ready
only through a trigger: its own schedule is pushed far away), with Odoo's
own ``_acquire_one_job``/``_process_job``.
"""

import time
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from ..engine import push_channels
from .sync_common import SyncCase

PARAM = "google_calendar_sync."


@tagged("post_install", "-at_install")
class TestPushNotifications(SyncCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_param = cls.env["ir.config_parameter"].sudo().set_param
        set_param("web.base.url", cls.base_url())
        set_param(PARAM + "push_enabled", "True")
        cls.push_cron = cls.env.ref("google_calendar_sync.ir_cron_push_sync")
        # Ready only through a trigger, as after its first run.
        cls.push_cron.nextcall = fields.Datetime.now() + timedelta(days=1)

    def setUp(self):
        super().setUp()
        # The fake's notifications carry no test cookie: let them in, each one
        # waiting for the test to release the cursor (``deliver``).
        self.http_request_allow_all = True
        self.addCleanup(setattr, self, "http_request_allow_all", False)
        self.Channel = self.env["google.calendar.channel"].sudo()
        self.ann_account = self.connect(self.ann)
        self.open_channels(self.ann_account)

    def open_channels(self, account):
        """A sync, then the renewal cron it triggers opens the account's channel."""
        renew_cron = self.env.ref("google_calendar_sync.ir_cron_push_renew")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", renew_cron.id)])
        account._run_sync()
        self.assertEqual(Trigger.search_count([("cron_id", "=", renew_cron.id)]), triggers + 1)
        self.as_cron(self.Channel._cron_renew)
        self.deliver(len(self.fake_control.notifications()) + 1)  # the new channel's handshake

    # -- helpers ------------------------------------------------------------------

    def deliver(self, count, timeout=10):
        """Let the test server answer the fake until ``count`` notifications in
        all were delivered and none waits; returns the deliveries."""
        self.env.flush_all()
        self.env.invalidate_all()
        deadline = time.monotonic() + timeout
        with self.allow_requests(all_requests=True):
            while True:
                delivered = self.fake_control.notifications()
                idle = self.fake.notifier.idle()
                if (len(delivered) >= count and idle) or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
        self.env.invalidate_all()
        self.assertGreaterEqual(len(delivered), count, delivered)
        return delivered

    def as_cron(self, method, *args):
        """Run a cron method as its own transaction would see the database."""
        self.env.flush_all()
        result = method(*args)
        self.env.invalidate_all()
        return result

    def seed_and_sync(self, events):
        """Events on Google, imported by a plain sync; the sync the seeding's
        notification asked for is dropped (that sync read it already)."""
        ids = self.fake_control.seed_events(self.ann.email, events)
        self.deliver(0)
        self.ann_account._run_sync()
        self.ann_account.channel_ids.write({"sync_due_at": False})
        self.push_triggers().unlink()
        return ids

    def push_triggers(self):
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", self.push_cron.id)])

    def run_due_jobs(self, wait=5):
        """Odoo's cron runner on the push cron: run it once it is ready (waiting up
        to ``wait`` seconds for its trigger to fall due); whether it ran."""
        IrCron = type(self.env["ir.cron"])
        self.env.flush_all()
        deadline = time.monotonic() + wait
        while True:
            with self.registry.cursor() as cron_cr:
                job = IrCron._acquire_one_job(cron_cr, self.push_cron.id)
                if job:
                    IrCron._process_job(cron_cr, job)
            if job or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.env.invalidate_all()
        return bool(job)

    def list_calls(self, email, since=0):
        return [
            entry
            for entry in self.fake_control.log(email)[since:]
            if entry.get("operation") == "events.list"
        ]

    def event_named(self, name):
        return self.env["calendar.event"].sudo().search([("name", "=", name)])

    def writes_so_far(self):
        """Rows inserted, updated or deleted in any table by this transaction so far."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) "
            "FROM pg_stat_xact_all_tables"
        )
        return self.env.cr.fetchone()[0]

    def post_notification(self, headers):
        self.env.flush_all()
        return self.url_open(
            push_channels.NOTIFY_PATH, data=b"", headers=headers, timeout=10, method="POST"
        )

    def genuine_headers(self, state="exists"):
        (channel,) = self.fake_control.channels()
        return {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Token": channel["token"],
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": "99",
        }

    # -- tests ----------------------------------------------------------------------

    def test_channel_opened_after_sync_token_kept_hashed(self):
        (channel,) = self.ann_account.channel_ids
        (google_channel,) = self.fake_control.channels()
        self.assertEqual(channel.channel_id, google_channel["id"])
        self.assertEqual(channel.resource_id, google_channel["resourceId"])
        self.assertEqual(channel.calendar_google_id, "primary")
        self.assertEqual(google_channel["address"], self.base_url() + push_channels.NOTIFY_PATH)
        # Only the digest is kept: the token itself is nowhere in Odoo.
        self.assertEqual(channel.token_hash, push_channels.hash_token(google_channel["token"]))
        self.assertNotIn(google_channel["token"], str(channel.read()[0]))
        self.assertTrue(channel.last_message_at, "the sync message was received")
        self.assertFalse(self.push_triggers(), "a sync message schedules nothing")

    def test_google_edit_reaches_odoo_within_seconds(self):
        (event,) = self.seed_and_sync(
            [
                {
                    "summary": "Before",
                    "start": {"dateTime": "2030-01-07T10:00:00Z"},
                    "end": {"dateTime": "2030-01-07T11:00:00Z"},
                }
            ],
        )
        self.assertTrue(self.event_named("Before"))
        before = len(self.fake_control.notifications())
        edited_at = time.monotonic()
        self.fake_control.edit_event(self.ann.email, event, {"summary": "Moved on a phone"})
        self.deliver(before + 1)
        self.assertEqual(len(self.push_triggers()), 1, "the notification triggered the cron")
        self.assertTrue(self.run_due_jobs())
        elapsed = time.monotonic() - edited_at
        self.assertTrue(self.event_named("Moved on a phone"))
        self.assertFalse(self.push_triggers())
        self.assertLess(elapsed, 10)
        self.assertFalse(self.run_due_jobs(wait=0), "nothing else pending")

    def test_burst_of_fifty_changes_gives_at_most_two_syncs(self):
        ids = self.seed_and_sync(
            [
                {
                    "summary": f"Burst {n}",
                    "start": {"dateTime": "2030-02-04T10:00:00Z"},
                    "end": {"dateTime": "2030-02-04T11:00:00Z"},
                }
                for n in range(50)
            ],
        )
        since = len(self.fake_control.log(self.ann.email))
        before = len(self.fake_control.notifications())
        for n, event_id in enumerate(ids):
            self.fake_control.edit_event(self.ann.email, event_id, {"summary": f"Edited {n}"})
            if n % 10 == 0:
                self.deliver(before + 1)  # notifications arrive during the burst
        self.deliver(before + 1)
        syncs = 0
        while self.run_due_jobs(wait=3):
            syncs += 1
            self.deliver(0)
        self.assertLessEqual(syncs, 2)
        self.assertLessEqual(len(self.list_calls(self.ann.email, since)), 2)
        self.assertEqual(
            len(self.env["calendar.event"].sudo().search([("name", "=like", "Edited %")])), 50
        )

    def test_replayed_notifications_schedule_one_sync(self):
        """Someone replaying a genuine notification cannot make Odoo call Google."""
        headers = self.genuine_headers()
        responses = [self.post_notification(headers).status_code for _ in range(20)]
        self.assertEqual(set(responses), {200})
        self.assertEqual(len(self.push_triggers()), 1)
        since = len(self.fake_control.log(self.ann.email))
        self.assertTrue(self.run_due_jobs())
        self.assertEqual(len(self.list_calls(self.ann.email, since)), 1)
        # Right after that sync, a new notification waits for the minimum interval.
        self.post_notification(headers)
        (channel,) = self.ann_account.channel_ids
        self.assertGreaterEqual(
            channel.sync_due_at,
            channel.last_push_sync_at
            + timedelta(seconds=push_channels.DEFAULT_MIN_INTERVAL_SECONDS - 1),
        )

    def test_forged_notifications_get_404_no_work_no_write(self):
        genuine = self.genuine_headers()
        (channel,) = self.ann_account.channel_ids
        forgeries = {
            "unknown channel": dict(genuine, **{"X-Goog-Channel-ID": "not-a-channel"}),
            "wrong token": dict(genuine, **{"X-Goog-Channel-Token": "guessed"}),
            "no token": {k: v for k, v in genuine.items() if k != "X-Goog-Channel-Token"},
            "wrong resource": dict(genuine, **{"X-Goog-Resource-ID": "other-resource"}),
            "unknown state": dict(genuine, **{"X-Goog-Resource-State": "delete-all"}),
        }
        since = len(self.fake_control.log(self.ann.email))
        writes = self.writes_so_far()
        for what, headers in forgeries.items():
            with self.subTest(what):
                self.assertEqual(self.post_notification(headers).status_code, 404)
        self.assertEqual(self.writes_so_far(), writes, "no row written anywhere")
        self.assertFalse(self.push_triggers())
        self.assertFalse(channel.sync_due_at)
        self.assertFalse(self.run_due_jobs(wait=0))
        self.assertEqual(self.fake_control.log(self.ann.email)[since:], [], "Google not called")

    def test_expired_channel_or_stopped_account_gets_404(self):
        genuine = self.genuine_headers()
        (channel,) = self.ann_account.channel_ids
        channel.expiration = fields.Datetime.now() - timedelta(seconds=1)
        writes = self.writes_so_far()
        self.assertEqual(self.post_notification(genuine).status_code, 404)
        self.assertEqual(self.writes_so_far(), writes)
        self.assertFalse(self.push_triggers())

    def test_renewal_before_expiry(self):
        (old,) = self.ann_account.channel_ids
        old_id = old.channel_id
        # Within the renewal margin: the hourly cron replaces it.
        old.expiration = fields.Datetime.now() + timedelta(hours=1)
        self.as_cron(self.Channel._cron_renew)
        self.deliver(2)  # the new channel's handshake
        (new,) = self.ann_account.channel_ids
        self.assertNotEqual(new.channel_id, old_id)
        self.assertGreater(new.expiration, fields.Datetime.now() + timedelta(days=6))
        self.assertTrue(new.last_message_at)
        self.assertEqual([c["id"] for c in self.fake_control.channels()], [new.channel_id])
        # A channel far from its expiry is left alone.
        self.as_cron(self.Channel._cron_renew)
        self.assertEqual(self.ann_account.channel_ids, new)
        self.assertEqual(len(self.fake_control.channels()), 1)

    def test_silent_channel_is_replaced(self):
        (old,) = self.ann_account.channel_ids
        self.env.cr.execute(
            "UPDATE google_calendar_channel SET last_message_at = NULL, "
            "create_date = create_date - interval '1 hour' WHERE id = %s",
            [old.id],
        )
        self.env.invalidate_all()
        self.assertFalse(self.ann_account._channels_healthy(fields.Datetime.now()))
        self.as_cron(self.Channel._cron_renew)
        self.deliver(2)
        self.assertNotEqual(self.ann_account.channel_ids, old)
        self.assertTrue(self.ann_account._channels_healthy(fields.Datetime.now()))

    def test_stop_and_disconnect_stop_the_channel(self):
        self.assertEqual(len(self.fake_control.channels()), 1)
        self.ann_account._stop()
        self.assertFalse(self.fake_control.channels())
        self.assertFalse(self.ann_account.channel_ids)
        self.ann_account._restart()
        self.open_channels(self.ann_account)
        self.assertEqual(len(self.fake_control.channels()), 1)
        self.ann_account._disconnect()
        self.assertFalse(self.fake_control.channels())
        self.assertFalse(self.Channel.search([]))

    def test_each_synced_calendar_is_watched_and_unticking_stops_its_channel(self):
        projects = "projects-ann@group.calendar.google.com"
        self.fake_control.add_user(
            self.ann.email, calendars=[{"summary": "Projects", "id": projects}]
        )
        self.ann_account._google_refresh_calendars()
        calendar = (
            self.env["google.calendar.calendar"]
            .with_user(self.ann)
            .search([("google_id", "=", projects)])
        )
        calendar.write({"selected": True})
        (google_id,) = self.fake_control.seed_events(
            self.ann.email,
            [self.timed_event("Roadmap", self.future(days=2))],
            calendar_id=projects,
        )
        self.deliver(0)
        self.open_channels(self.ann_account)
        watched = {c["calendar"] for c in self.fake_control.channels()}
        self.assertEqual(len(watched), 2, "the primary and the chosen calendar")
        self.assertIn(projects, watched)
        self.assertEqual(
            set(self.ann_account.channel_ids.mapped("calendar_google_id")), {"primary", projects}
        )
        # A change in the secondary calendar is notified and brought in.
        self.push_triggers().unlink()
        self.ann_account.channel_ids.write({"sync_due_at": False, "last_push_sync_at": False})
        self.fake_control.edit_event(
            self.ann.email, google_id, {"summary": "Roadmap v2"}, calendar_id=projects
        )
        self.deliver(len(self.fake_control.notifications()) + 1)
        self.assertTrue(self.push_triggers(), "the secondary calendar's change asks for a sync")
        self.assertTrue(self.run_due_jobs())
        self.assertTrue(self.event_named("Roadmap v2"))
        # Unticked: Google stops notifying it; the primary's channel stays.
        calendar.write({"selected": False})
        self.assertEqual([c["calendar"] for c in self.fake_control.channels()], [self.ann.email])
        self.assertEqual(self.ann_account.channel_ids.mapped("calendar_google_id"), ["primary"])
        # The renewal cron does not open it again.
        self.as_cron(self.Channel._cron_renew)
        self.assertEqual(len(self.fake_control.channels()), 1)

    def test_setting_off_stops_channels(self):
        self.assertEqual(len(self.fake_control.channels()), 1)
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.google_calendar_push_enabled)
        self.assertEqual(
            settings.google_calendar_notify_url, self.base_url() + push_channels.NOTIFY_PATH
        )
        settings.google_calendar_push_enabled = False
        settings.execute()
        self.assertFalse(self.fake_control.channels())
        self.assertFalse(self.Channel.search([]))
        # Off: a sync asks for none, the renewal cron opens none.
        self.ann_account._run_sync()
        self.as_cron(self.Channel._cron_renew)
        self.assertFalse(self.fake_control.channels())

    def test_fallback_polling_converges_when_notifications_are_lost(self):
        (event,) = self.seed_and_sync(
            [
                {
                    "summary": "Lost",
                    "start": {"dateTime": "2030-03-04T10:00:00Z"},
                    "end": {"dateTime": "2030-03-04T11:00:00Z"},
                }
            ],
        )
        Account = self.env["google.calendar.account"]
        # Healthy channels: the 10-minute cron leaves a freshly synced account alone.
        self.assertNotIn(self.ann_account, Account._accounts_to_poll())
        self.fake.notifier.stop()  # Google's notifications get lost from now on
        try:
            self.fake_control.edit_event(self.ann.email, event, {"summary": "Found by polling"})
            self.as_cron(Account._cron_sync)
            self.assertFalse(self.event_named("Found by polling"))
            # push_poll_minutes later, the cron polls it anyway.
            self.ann_account.last_sync = fields.Datetime.now() - timedelta(minutes=61)
            self.assertIn(self.ann_account, Account._accounts_to_poll())
            self.as_cron(Account._cron_sync)
            self.assertTrue(self.event_named("Found by polling"))
        finally:
            self.fake.notifier.start()
        self.assertFalse(self.push_triggers())

    def test_non_https_base_url_refused(self):
        self.env["ir.config_parameter"].sudo().set_param(PARAM + "push_enabled", False)
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://odoo.example.com")
        settings = self.env["res.config.settings"].create({"google_calendar_push_enabled": True})
        with self.assertRaisesRegex(Exception, "public HTTPS"):
            settings.execute()
        # Off without a reachable address: the channels stop at the next renewal.
        self.assertFalse(self.Channel._push_active())
