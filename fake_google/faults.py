"""Injected faults, a per-user request quota and the request log."""

import collections
import random
import re
import threading
import time

from .errors import ApiError

# Google's usual reason and message for each status a test may inject.
_DEFAULTS = {
    400: ("badRequest", "Bad Request", "global"),
    401: ("authError", "Invalid Credentials", "global"),
    403: ("rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
    404: ("notFound", "Not Found", "global"),
    409: ("duplicate", "The requested identifier already exists.", "global"),
    410: (
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        "calendar",
    ),
    412: ("conditionNotMet", "Precondition Failed", "global"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
    500: ("backendError", "Backend Error", "global"),
    503: ("backendError", "Service Unavailable", "global"),
}
# Message and domain Google sends with a reason, when a test names only the reason.
_REASONS = {
    "quotaExceeded": ("Calendar usage limits exceeded.", "usageLimits"),
    "userRateLimitExceeded": ("User Rate Limit Exceeded", "usageLimits"),
    "rateLimitExceeded": ("Rate Limit Exceeded", "usageLimits"),
    "insufficientPermissions": ("Insufficient Permission", "global"),
    "forbiddenForNonOrganizer": (
        "Shared properties can only be changed by the organizer of the event.",
        "calendar",
    ),
    "fullSyncRequired": ("Sync token is no longer valid, a full sync is required.", "calendar"),
    "deleted": ("Resource has been deleted", "global"),
    "required": ("Login Required.", "global"),
    "authError": ("Invalid Credentials", "global"),
}
MODES = ("error", "drop", "drop_after_apply", "latency", "slow_answer")


class Fault:
    """One injected misbehaviour, applied to matching requests."""

    def __init__(
        self,
        mode="error",
        status=None,
        reason=None,
        message=None,
        count=None,
        probability=None,
        method=None,
        path=None,
        email=None,
        latency_ms=0,
        retry_after=None,
        seed=None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        # A 2xx "error" is allowed on purpose: it answers with a body no client expects.
        if status is not None and (not isinstance(status, int) or not 200 <= status <= 599):
            raise ValueError("status must be an HTTP status code (200-599)")
        for name, value in (("count", count), ("latency_ms", latency_ms)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative integer")
        if mode == "error" and status is None:
            raise ValueError("an error fault needs a status")
        if probability is not None and (
            not isinstance(probability, (int, float)) or not 0 <= probability <= 1
        ):
            raise ValueError("probability must be between 0 and 1")
        self.mode = mode
        self.status = status
        reason_default, message_default, self.domain = _DEFAULTS.get(
            status, ("backendError", "Backend Error", "global")
        )
        self.reason = reason or reason_default
        if reason in _REASONS:
            message_default, self.domain = _REASONS[reason]
        self.message = message or message_default
        # Neither count nor probability: the next request only.
        self.remaining = count if count is not None else (None if probability is not None else 1)
        self.probability = probability
        self.method = method.upper() if method else None
        try:
            self.path = re.compile(path) if path else None
        except re.error as exc:
            raise ValueError(f"path is not a valid regular expression: {exc}") from exc
        self.email = email
        self.latency_ms = latency_ms or 0
        self.retry_after = retry_after
        self.rng = random.Random(seed)
        self.spec = {
            "mode": mode,
            "status": status,
            "reason": self.reason,
            "count": count,
            "probability": probability,
            "method": method,
            "path": path,
            "email": email,
            "latency_ms": latency_ms,
            "retry_after": retry_after,
        }

    def matches(self, method, path, email):
        if self.method and self.method != method:
            return False
        if self.path and not self.path.search(path):
            return False
        return not (self.email and self.email != email)

    def api_error(self):
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return ApiError(self.status, self.reason, self.message, domain=self.domain, headers=headers)


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, fault):
        with self._lock:
            self._faults.append(fault)

    def clear(self):
        with self._lock:
            self._faults = []

    def list(self):
        with self._lock:
            return [dict(f.spec, remaining=f.remaining) for f in self._faults]

    def pick(self, method, path, email):
        """(total latency in ms, the error/drop fault to apply or None) for one request."""
        latency, chosen = 0, None
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(method, path, email):
                    continue
                if fault.mode != "latency" and chosen is not None:
                    continue
                if fault.probability is not None and fault.rng.random() >= fault.probability:
                    continue
                if fault.mode != "slow_answer":
                    latency += fault.latency_ms
                if fault.mode != "latency":
                    chosen = fault
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
        return latency, chosen


# Google's quota counts units: one per call (a batch's parts each count, the
# batch itself does not), three for a patch ("each patch request consumes
# three quota units", reference of events.patch and calendars.patch).
PATCH_UNITS = 3


def quota_units(method):
    """Units of the per-minute quota one Calendar call with ``method`` consumes."""
    return PATCH_UNITS if method == "PATCH" else 1


class Quota:
    """Quota units per user per sliding minute, like Google's per-user quota."""

    def __init__(self):
        self._lock = threading.Lock()
        self.per_minute = None
        self.status = 403
        # email -> (moment, units) of the calls in the last minute, and their sum.
        self._seen = collections.defaultdict(collections.deque)
        self._spent = collections.Counter()

    def configure(self, per_minute, status=403):
        if per_minute is not None and (not isinstance(per_minute, int) or per_minute < 1):
            raise ValueError("per_minute must be a positive integer or None")
        if status not in (403, 429):
            raise ValueError("quota status must be 403 or 429")
        with self._lock:
            self.per_minute = per_minute
            self.status = status
            self._seen.clear()
            self._spent.clear()

    def check(self, email, units=1):
        """Count ``units`` for ``email``, or raise Google's rate-limit error when
        they do not fit in the last minute (a refused call counts nothing)."""
        with self._lock:
            if not self.per_minute:
                return
            now = time.monotonic()
            seen = self._seen[email]
            while seen and seen[0][0] <= now - 60:
                self._spent[email] -= seen.popleft()[1]
            if self._spent[email] + units > self.per_minute:
                reason = "userRateLimitExceeded" if self.status == 403 else "rateLimitExceeded"
                raise ApiError(self.status, reason, "Rate Limit Exceeded", domain="usageLimits")
            seen.append((now, units))
            self._spent[email] += units


class RequestLog:
    """Every request the fake answered (control API excluded), oldest first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._records = []

    def add(self, record):
        with self._lock:
            record["seq"] = len(self._records) + 1
            self._records.append(record)

    def clear(self):
        with self._lock:
            self._records = []

    def records(self, email=None):
        with self._lock:
            return [dict(r) for r in self._records if email is None or r.get("email") == email]

    def counters(self, email=None):
        counts = {
            "requests": 0,
            "batch_parts": 0,
            "quota_units": 0,
            "by_operation": collections.Counter(),
            "by_status": collections.Counter(),
            "by_user": collections.Counter(),
            "by_send_updates": collections.Counter(),
        }
        for record in self.records(email):
            counts["requests"] += 1
            counts["batch_parts"] += int(record["batch_part"])
            counts["quota_units"] += record.get("units", 0)
            counts["by_operation"][record["operation"]] += 1
            counts["by_status"][str(record["status"])] += 1
            if record.get("email"):
                counts["by_user"][record["email"]] += 1
            if record.get("send_updates"):
                counts["by_send_updates"][record["send_updates"]] += 1
        return {k: dict(v) if isinstance(v, collections.Counter) else v for k, v in counts.items()}
