"""Pacing of requests to Google: a per-user budget of quota units and the retry backoff.

Both take their clock, sleep and randomness as arguments, so tests drive them
with a fake clock instead of waiting.
"""

import bisect
import random
import threading
import time

from .errors import RateBudgetExhausted

# Google allows 600 requests per minute per user and project.
DEFAULT_REQUESTS_PER_MINUTE = 600
# Google's quota counts units: one per call (alone or inside a batch), but
# three for a patch ("each patch request consumes three quota units", Calendar
# API reference of events.patch and calendars.patch).
PATCH_QUOTA_UNITS = 3
# The dearest single call: a budget smaller than this could never send it.
MAX_CALL_QUOTA_UNITS = PATCH_QUOTA_UNITS


def quota_units(method):
    """The units of Google's per-minute quota one call with HTTP ``method`` consumes."""
    return PATCH_QUOTA_UNITS if method.upper() == "PATCH" else 1


class TokenBucket:
    """A user's budget: ``max_requests_per_minute`` quota units, refilled continuously.

    The bucket holds at most one minute's worth of units, matching Google's
    per-minute window. ``acquire(n)`` reserves ``n`` units (a batch costs the
    units of its calls, see ``quota_units``); when the budget is short it sleeps
    until the reservation
    is covered, unless that would take longer than ``max_wait`` seconds: then
    it reserves nothing and raises ``RateBudgetExhausted`` so the caller can
    keep what it has done and resume later (``max_wait=0`` never sleeps,
    ``max_wait=None`` waits as long as needed).
    """

    def __init__(
        self,
        max_requests_per_minute=DEFAULT_REQUESTS_PER_MINUTE,
        *,
        max_wait=60.0,
        clock=time.monotonic,
        sleep=time.sleep,
    ):
        if max_requests_per_minute <= 0:
            raise ValueError("max_requests_per_minute must be positive")
        self.capacity = float(max_requests_per_minute)
        self.rate = max_requests_per_minute / 60.0  # requests per second
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def available(self):
        """Requests that could be sent right now without waiting."""
        with self._lock:
            self._refill()
            return max(self._tokens, 0.0)

    def acquire(self, count=1):
        """Reserve ``count`` units, sleeping up to ``max_wait`` if needed."""
        with self._lock:
            self._refill()
            wait = max(count - self._tokens, 0.0) / self.rate
            if self.max_wait is not None and wait > self.max_wait:
                raise RateBudgetExhausted(
                    f"request budget of {self.capacity:g} units/min spent: "
                    f"{count} more unit(s) possible in {wait:.1f}s",
                    reason="localRateBudget",
                    retry_after=wait,
                )
            # Reserving before sleeping lets the balance go negative, so a
            # concurrent caller queues behind this one instead of jumping in.
            self._tokens -= count
        if wait > 0:
            self._sleep(wait)
        return wait

    def _refill(self):
        now = self._clock()
        elapsed = max(now - self._updated, 0.0)
        self._updated = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)


class MinuteWindow:
    """A user's request budget counted as Google counts it: at most
    ``max_requests_per_minute`` quota units (``quota_units``) in any sliding
    minute.

    Same interface as ``TokenBucket``. A continuously refilled bucket lets a
    full bucket's burst and then a minute's refill through within one
    minute, up to twice the quota, which Google answers with 403
    ``userRateLimitExceeded``; here a spent request comes back only once it
    has left the window. The window is ``margin`` seconds longer than a
    minute because Google stamps a request when it arrives, a little after
    it was counted here. A reservation that cannot be covered within
    ``max_wait`` seconds raises ``RateBudgetExhausted`` and reserves nothing.
    """

    def __init__(
        self,
        max_requests_per_minute=DEFAULT_REQUESTS_PER_MINUTE,
        *,
        max_wait=60.0,
        margin=1.0,
        clock=time.monotonic,
        sleep=time.sleep,
    ):
        if max_requests_per_minute <= 0:
            raise ValueError("max_requests_per_minute must be positive")
        self.capacity = int(max_requests_per_minute)
        self.window = 60.0 + margin
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        # (moment the requests count from, how many), sorted by moment.
        self._spent = []
        self._in_window = 0
        self._lock = threading.Lock()

    def available(self):
        """Requests that could be sent right now without waiting."""
        with self._lock:
            self._expire(self._clock())
            return max(self.capacity - self._in_window, 0)

    def acquire(self, count=1):
        """Reserve ``count`` units, sleeping up to ``max_wait`` if needed."""
        if count > self.capacity:
            raise ValueError(f"{count} units can never fit in a budget of {self.capacity}/min")
        with self._lock:
            now = self._clock()
            self._expire(now)
            short = self._in_window + count - self.capacity
            ready = now
            for moment, spent in self._spent:
                if short <= 0:
                    break
                short -= spent
                ready = moment + self.window
            wait = ready - now
            if self.max_wait is not None and wait > self.max_wait:
                raise RateBudgetExhausted(
                    f"request budget of {self.capacity} units/min spent: "
                    f"{count} more unit(s) possible in {wait:.1f}s",
                    reason="localRateBudget",
                    retry_after=wait,
                )
            # Reserved before sleeping, so a concurrent caller queues behind.
            bisect.insort(self._spent, (ready, count))
            self._in_window += count
        if wait > 0:
            self._sleep(wait)
        return wait

    def _expire(self, now):
        while self._spent and self._spent[0][0] + self.window <= now:
            self._in_window -= self._spent.pop(0)[1]


class RateLimiters:
    """One budget per user, kept for the life of the process.

    ``budget`` is the class of each user's budget (``TokenBucket`` or
    ``MinuteWindow``), built with ``bucket_options``.
    """

    def __init__(
        self,
        max_requests_per_minute=DEFAULT_REQUESTS_PER_MINUTE,
        *,
        budget=TokenBucket,
        **bucket_options,
    ):
        self.max_requests_per_minute = max_requests_per_minute
        self._budget = budget
        self._bucket_options = bucket_options
        self._buckets = {}
        self._lock = threading.Lock()

    def for_user(self, key):
        """The bucket of the user identified by ``key`` (created on first use)."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._budget(self.max_requests_per_minute, **self._bucket_options)
                self._buckets[key] = bucket
            return bucket


class RetryPolicy:
    """When to send a failed request again, and after how long.

    Exponential backoff with full jitter as Google recommends:
    ``random() * base_delay * 2**attempt``, capped at ``max_delay``. A
    ``Retry-After`` from Google is honoured as given. At most ``max_attempts``
    sends in all, and no retry whose delay would end past ``max_total``
    seconds after the first send.
    """

    def __init__(
        self,
        *,
        max_attempts=5,
        base_delay=1.0,
        max_delay=32.0,
        max_total=120.0,
        clock=time.monotonic,
        sleep=time.sleep,
        jitter=random.random,
    ):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_total = max_total
        self.clock = clock
        self.sleep = sleep
        self._jitter = jitter

    def delay(self, attempt, error, started):
        """Seconds to wait before send number ``attempt + 1``, or None to give up.

        ``attempt`` counts the sends so far (1 after the first), ``started``
        is the clock value at the first send.
        """
        if not error.retryable or attempt >= self.max_attempts:
            return None
        if error.retry_after is not None:
            wait = error.retry_after
        else:
            wait = min(self._jitter() * self.base_delay * 2**attempt, self.max_delay)
        if self.clock() + wait - started > self.max_total:
            return None
        return wait


class BudgetWatch:
    """A request budget that remembers when it ran out, so that the sync
    knows to schedule its own continuation."""

    def __init__(self, budget):
        self.budget = budget
        self.retry_after = None

    def acquire(self, count=1):
        try:
            return self.budget.acquire(count)
        except RateBudgetExhausted as exc:
            self.retry_after = exc.retry_after
            raise

    @property
    def capacity(self):
        return self.budget.capacity

    def available(self):
        return self.budget.available()
