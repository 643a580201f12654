"""RFC 3339 parsing and formatting, and the fake's monotonic clock."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC


def format_rfc3339(moment):
    """`2024-01-02T03:04:05.678Z`, as Google writes `created`/`updated`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_rfc3339(value):
    """An aware datetime, or None when the text is not RFC 3339 with an offset."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def parse_local(value):
    """A naive datetime from `YYYY-MM-DDTHH:MM:SS` (no offset), else None."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is None else None


def parse_date(value):
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def zone(name):
    """ZoneInfo for an IANA name, or None if unknown."""
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class Clock:
    """Wall clock that never returns the same or an earlier instant twice.

    `updated` must strictly increase so clients ordering by it never see a tie.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._last = dt.datetime.min.replace(tzinfo=UTC)

    def now(self):
        with self._lock:
            moment = dt.datetime.now(UTC)
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
            if moment <= self._last:
                moment = self._last + dt.timedelta(milliseconds=1)
            self._last = moment
            return moment
