"""The token bucket and the retry backoff, driven by a fake clock."""

import pytest

from engine.client import ApiCall
from engine.errors import BadRequest, QuotaExceeded, RateBudgetExhausted, RateLimited
from engine.ratelimit import MinuteWindow, RateLimiters, RetryPolicy, TokenBucket, quota_units


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_allows_a_minute_of_requests_then_waits():
    clock = FakeClock()
    bucket = TokenBucket(60, clock=clock, sleep=clock.sleep)
    for _ in range(60):
        assert bucket.acquire() == 0
    assert clock.slept == []
    # The 61st request must wait for one refill: 60/min = one per second.
    assert bucket.acquire() == pytest.approx(1.0)
    assert clock.slept == [pytest.approx(1.0)]


def test_bucket_refills_with_time_up_to_its_capacity():
    clock = FakeClock()
    bucket = TokenBucket(120, clock=clock, sleep=clock.sleep)
    bucket.acquire(120)
    assert bucket.available() == 0
    clock.now += 15
    assert bucket.available() == pytest.approx(30)
    clock.now += 3600
    assert bucket.available() == 120


def test_batch_costs_one_per_call_and_may_exceed_capacity():
    clock = FakeClock()
    bucket = TokenBucket(600, max_wait=None, clock=clock, sleep=clock.sleep)
    assert bucket.acquire(500) == 0
    # 700 more with 100 left: 600 short at 10/s.
    assert bucket.acquire(700) == pytest.approx(60.0)
    # The next caller queues behind the reservation.
    assert bucket.acquire(10) == pytest.approx(1.0)


def test_bucket_refuses_to_wait_longer_than_max_wait_and_reserves_nothing():
    clock = FakeClock()
    bucket = TokenBucket(60, max_wait=5, clock=clock, sleep=clock.sleep)
    bucket.acquire(60)
    with pytest.raises(RateBudgetExhausted) as caught:
        bucket.acquire(10)
    assert caught.value.retry_after == pytest.approx(10.0)
    assert clock.slept == []
    # Nothing was reserved by the refused call: 5 s later, 5 requests fit.
    clock.now += 5
    assert bucket.acquire(5) == 0


def test_bucket_with_zero_max_wait_never_sleeps():
    clock = FakeClock()
    bucket = TokenBucket(600, max_wait=0, clock=clock, sleep=clock.sleep)
    bucket.acquire(600)
    with pytest.raises(RateBudgetExhausted):
        bucket.acquire()
    assert clock.slept == []


def test_limiters_keep_one_bucket_per_user():
    limiters = RateLimiters(60, max_wait=0)
    alice = limiters.for_user("alice")
    assert limiters.for_user("alice") is alice
    alice.acquire(60)
    with pytest.raises(RateBudgetExhausted) as caught:
        alice.acquire()
    assert caught.value.attempts == 0
    assert limiters.for_user("bob").acquire(60) == 0


def test_limiters_build_the_chosen_kind_of_budget():
    limiters = RateLimiters(30, budget=MinuteWindow, max_wait=0)
    assert isinstance(limiters.for_user("alice"), MinuteWindow)
    assert limiters.for_user("alice").capacity == 30


def test_minute_window_never_lets_more_than_the_quota_into_any_minute():
    clock = FakeClock()
    window = MinuteWindow(10, max_wait=None, margin=1.0, clock=clock, sleep=clock.sleep)
    sent_at = []
    for _ in range(35):
        window.acquire()
        sent_at.append(clock())
    # Wherever a minute starts, it holds at most 10 of the requests.
    for start in sent_at:
        assert sum(start <= moment < start + 60 for moment in sent_at) <= 10
    # A bucket refilled continuously would have let twice that through.
    bucket_clock = FakeClock()
    bucket = TokenBucket(10, max_wait=None, clock=bucket_clock, sleep=bucket_clock.sleep)
    bucket_sent = []
    for _ in range(20):
        bucket.acquire()
        bucket_sent.append(bucket_clock())
    assert sum(moment < bucket_sent[0] + 60 for moment in bucket_sent) > 10


def test_minute_window_gives_back_a_request_once_it_left_the_window():
    clock = FakeClock()
    window = MinuteWindow(3, max_wait=None, margin=1.0, clock=clock, sleep=clock.sleep)
    window.acquire()
    clock.now += 10
    window.acquire(2)
    assert window.available() == 0
    # The first request leaves the 61 s window first.
    assert window.acquire() == pytest.approx(51.0)
    clock.now += 10
    assert window.available() == 2


def test_minute_window_refuses_long_waits_and_impossible_reservations():
    clock = FakeClock()
    window = MinuteWindow(5, max_wait=30, clock=clock, sleep=clock.sleep)
    window.acquire(5)
    with pytest.raises(RateBudgetExhausted) as caught:
        window.acquire()
    assert caught.value.retry_after == pytest.approx(61.0)
    assert clock.slept == []
    clock.now += 61
    assert window.available() == 5
    with pytest.raises(ValueError):
        window.acquire(6)


def test_rejects_nonsense_budget():
    with pytest.raises(ValueError):
        TokenBucket(0)


def policy(clock, **options):
    return RetryPolicy(clock=clock, sleep=clock.sleep, jitter=lambda: 0.5, **options)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    clock = FakeClock()
    retry = policy(clock, max_attempts=10, base_delay=1.0, max_delay=5.0, max_total=1e6)
    error = RateLimited("slow down", status=429)
    delays = [retry.delay(attempt, error, clock()) for attempt in range(1, 6)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_honours_retry_after():
    clock = FakeClock()
    retry = policy(clock, max_delay=1.0)
    error = RateLimited("slow down", status=429, retry_after=3.0)
    assert retry.delay(1, error, clock()) == 3.0


def test_backoff_stops_after_max_attempts():
    clock = FakeClock()
    retry = policy(clock, max_attempts=3)
    error = RateLimited("slow down", status=429)
    assert retry.delay(2, error, clock()) is not None
    assert retry.delay(3, error, clock()) is None


def test_backoff_stops_when_the_total_time_would_be_exceeded():
    clock = FakeClock()
    retry = policy(clock, max_total=10.0)
    started = clock()
    clock.now += 9.5
    assert retry.delay(1, RateLimited("x", status=429), started) is None
    assert retry.delay(1, RateLimited("x", status=429, retry_after=0.5), started) == 0.5
    # A Retry-After longer than the time left is not waited for.
    assert retry.delay(1, RateLimited("x", status=429, retry_after=2), started) is None


def test_no_retry_for_errors_that_cannot_succeed():
    clock = FakeClock()
    retry = policy(clock)
    assert retry.delay(1, BadRequest("bad", status=400), clock()) is None
    assert retry.delay(1, QuotaExceeded("stop", status=403), clock()) is None


def test_a_patch_costs_three_quota_units_every_other_call_one():
    body = {"summary": "x"}
    assert ApiCall.patch("primary", "abc", body, etag='"1"', send_updates="none").units == 3
    for call in (
        ApiCall.get("primary", "abc"),
        ApiCall("list", "GET", "calendars/primary/events"),
        ApiCall.insert("primary", dict(body, id="abcde"), send_updates="none"),
        ApiCall.update("primary", "abc", body, etag='"1"', send_updates="none"),
        ApiCall.delete("primary", "abc", send_updates="none"),
    ):
        assert call.units == 1, call.kind
    assert quota_units("patch") == 3


def test_window_spends_units_so_ten_patches_fill_a_budget_of_thirty():
    clock = FakeClock()
    window = MinuteWindow(30, max_wait=None, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        assert window.acquire(quota_units("PATCH")) == 0
    # The eleventh patch waits for the first ones to leave the window.
    assert window.acquire(quota_units("PATCH")) == pytest.approx(61.0)
