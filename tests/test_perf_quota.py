"""The per-user request budget against a quota the fake enforces (issue 7, item 3).

The benchmark exports 1,000 events under Google's default 600/minute; here
the same is scaled down to 60 events under 30/minute. Time is a fake clock
that moves only when the budget sleeps: each sleep also opens a new minute
at the fake (``set_quota`` again clears its window), so the test takes no
real minute while both sides still count the same requests.
"""

from datetime import timedelta
from unittest.mock import patch

import pytest

from odoo import fields
from odoo.tests import tagged

from ..engine.errors import RateBudgetExhausted
from ..engine.ratelimit import MinuteWindow, RateLimiters
from ..models import google_calendar_account
from .sync_common import SyncCase

QUOTA = 30


class FakeClock:
    """Time that moves only when someone sleeps; ``on_sleep`` follows each sleep."""

    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.slept = []
        self.on_sleep = on_sleep

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep()


# -- the budget alone ---------------------------------------------------------------


def test_window_lets_a_full_minute_through_at_once_then_waits_for_the_oldest():
    clock = FakeClock()
    window = MinuteWindow(60, clock=clock, sleep=clock.sleep)
    assert window.acquire(50) == 0
    clock.now += 30
    assert window.acquire(10) == 0
    # Full: the next request waits until the first 50 leave the window
    # (a minute and the one-second margin after they were counted).
    assert window.acquire(5) == pytest.approx(31.0)
    assert window.available() == 60 - 10 - 5


def test_window_never_counts_more_than_its_quota_in_any_minute():
    clock = FakeClock()
    window = MinuteWindow(100, clock=clock, sleep=clock.sleep, max_wait=None)
    sent = []
    for size in [50, 30, 40, 10, 50, 50, 20, 70, 1, 99] * 3:
        window.acquire(size)
        sent.append((clock.now, size))
    for moment, _size in sent:
        in_minute = sum(size for at, size in sent if moment <= at < moment + 60)
        assert in_minute <= 100


def test_window_refuses_a_wait_beyond_max_wait_and_reserves_nothing():
    clock = FakeClock()
    window = MinuteWindow(10, clock=clock, sleep=clock.sleep, max_wait=5)
    window.acquire(10)
    with pytest.raises(RateBudgetExhausted) as caught:
        window.acquire(1)
    assert caught.value.retry_after == pytest.approx(61.0)
    assert clock.slept == []
    clock.now += 61
    assert window.available() == 10


def test_window_refuses_a_batch_larger_than_the_quota():
    with pytest.raises(ValueError):
        MinuteWindow(10).acquire(11)


# -- the sync against the fake's quota -------------------------------------------


@tagged("post_install", "-at_install")
class TestSyncUnderQuota(SyncCase):
    def setUp(self):
        super().setUp()
        self.fake_control.set_quota(QUOTA)
        self.env["ir.config_parameter"].sudo().set_param(
            "google_calendar_sync.max_requests_per_minute", str(QUOTA)
        )
        self.account = self.connect(self.ann)
        self.account.last_sync = fields.Datetime.now()
        start = self.future()
        self.env["calendar.event"].with_user(self.ann).create(
            [
                {
                    "name": f"Quota {index}",
                    "start": start + timedelta(hours=index),
                    "stop": start + timedelta(hours=index, minutes=30),
                }
                for index in range(60)
            ]
        )
        # A new minute at the fake whenever the budget has waited one out.
        self.clock = FakeClock(on_sleep=lambda: self.fake_control.set_quota(QUOTA))

    def budgets(self, **options):
        """Patch the process's budgets with ones on the test's clock."""
        limiters = RateLimiters(
            QUOTA, budget=MinuteWindow, clock=self.clock, sleep=self.clock.sleep, **options
        )
        return patch.dict(google_calendar_account._RATE_LIMITERS, {QUOTA: limiters})

    def refused_by_quota(self):
        return [r for r in self.fake_control.log(self.ann.email) if r["status"] in (403, 429)]

    def on_google(self):
        return [
            event
            for event in self.fake_control.events(self.ann.email)
            if event["status"] != "cancelled"
        ]

    def test_export_waits_for_the_budget_and_never_hits_the_quota(self):
        with self.budgets(max_wait=65):
            answer = self.account._run_sync()

        self.assertEqual(answer["status"], "synced")
        self.assertEqual(answer["google_created"], 60)
        self.assertEqual(len(self.on_google()), 60)
        self.assertEqual(self.refused_by_quota(), [])
        # 1 list + 60 inserts at 30 a minute: two full windows waited out.
        self.assertEqual(len(self.clock.slept), 2)
        self.assertGreaterEqual(sum(self.clock.slept), 120)

    def test_spent_budget_defers_the_sync_to_a_cron_run(self):
        cron = self.env.ref("google_calendar_sync.ir_cron_sync")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        with self.budgets(max_wait=0):
            # Another sync of the same user spent the minute's budget.
            self.account._rate_budget(QUOTA).acquire(QUOTA)
            answer = self.account._run_sync()

        self.assertEqual(answer["status"], "deferred")
        self.assertEqual(self.account.state, "connected")
        self.assertEqual(self.fake_control.log(self.ann.email), [])
        new_triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(len(new_triggers - triggers), 1)
        self.assertGreater((new_triggers - triggers).call_at, fields.Datetime.now())

        # The cron run that was triggered, a minute later, does the whole export.
        self.clock.sleep(61)
        with self.budgets(max_wait=65):
            answer = self.account._run_sync()
        self.assertEqual(answer["status"], "synced")
        self.assertEqual(answer["google_created"], 60)
        self.assertEqual(len(self.on_google()), 60)
        self.assertEqual(self.refused_by_quota(), [])


@tagged("post_install", "-at_install")
class TestEditBurstUnderQuota(SyncCase):
    """A burst of Odoo edits: each patch costs Google three quota units."""

    EDITS = 20  # 60 units, twice the quota

    def setUp(self):
        super().setUp()
        self.fake_control.set_quota(QUOTA)
        self.env["ir.config_parameter"].sudo().set_param(
            "google_calendar_sync.max_requests_per_minute", str(QUOTA)
        )
        self.account = self.connect(self.ann)
        start = self.future()
        self.seed(
            self.ann.email,
            *(
                self.timed_event(f"Burst {index}", start + timedelta(hours=index))
                for index in range(self.EDITS)
            ),
        )
        self.clock = FakeClock(on_sleep=lambda: self.fake_control.set_quota(QUOTA))

    def test_edit_burst_waits_for_the_budget_in_units_and_never_hits_the_quota(self):
        limiters = RateLimiters(
            QUOTA, budget=MinuteWindow, clock=self.clock, sleep=self.clock.sleep, max_wait=65
        )
        with patch.dict(google_calendar_account._RATE_LIMITERS, {QUOTA: limiters}):
            self.assertEqual(self.account._run_sync()["status"], "synced")
            events = self.env["calendar.event"].search([("name", "=like", "Burst %")])
            self.assertEqual(len(events), self.EDITS)
            for event in events:
                event.with_user(self.ann).name = f"{event.name} (moved)"
            answer = self.account._run_sync()

        self.assertEqual(answer["status"], "synced")
        self.assertEqual(answer["google_updated"], self.EDITS)
        refused = [r for r in self.fake_control.log(self.ann.email) if r["status"] in (403, 429)]
        self.assertEqual(refused, [])
        on_google = self.fake_control.events(self.ann.email)
        self.assertEqual({e["summary"].endswith("(moved)") for e in on_google}, {True})
        patches = [r for r in self.fake_control.log(self.ann.email) if r["operation"] == "batch"]
        # 10 patches (30 units) per batch: the budget's capacity in units.
        self.assertEqual([r["batch_size"] for r in patches], [10, 10])
        # 2 lists + 20 patches = 62 units at 30 a minute: two full windows waited out.
        self.assertEqual(len(self.clock.slept), 2)
