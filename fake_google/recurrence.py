"""Event times and recurring series: RRULE/RDATE/EXRULE/EXDATE expansion.

Timed series expand in the event's own time zone, so an occurrence keeps its
wall-clock time across a daylight-saving change, as Google does.
"""

import datetime as dt
import itertools
import re

from dateutil.rrule import rruleset, rrulestr

from .errors import bad_request
from .timeutil import UTC, parse_date, parse_local, parse_rfc3339, zone

# Guard against runaway expansion of an unbounded series.
MAX_INSTANCES = 5000
HORIZON = dt.timedelta(days=730)

_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)", re.IGNORECASE)
# RFC 5545 ranges of the numeric rule parts (negatives count from the end). dateutil
# takes BYMONTHDAY=32 or BYMONTH=13 and searches until the year 9999 for a match.
_RANGES = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
}
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _never_matches(rule):
    """Whether a rule body that dateutil accepted can never produce an occurrence
    because of a value out of range, or a day of the month none of its months has
    (BYMONTH=2;BYMONTHDAY=30): known without the search, which would run to year 9999."""
    parts = {}
    for item in rule.upper().split(";"):
        key, _, value = item.partition("=")
        if key.strip() in _RANGES:
            parts[key.strip()] = [int(number) for number in value.split(",") if number.strip()]
    for key, numbers in parts.items():
        lowest, highest, from_end = _RANGES[key]
        for number in numbers:
            if not (lowest <= number <= highest or (from_end and -highest <= number <= -lowest)):
                return True
    months = parts.get("BYMONTH") or range(1, 13)
    days = parts.get("BYMONTHDAY")
    return bool(days) and not any(
        abs(day) <= _MONTH_DAYS[month - 1] for month in months for day in days
    )


class EventTime:
    """One `start`/`end` value: a date (all-day) or an aware datetime in a zone."""

    __slots__ = ("allday", "tz_name", "value")

    def __init__(self, allday, value, tz_name):
        self.allday = allday
        self.value = value
        self.tz_name = tz_name

    def instant(self, calendar_tz):
        """The UTC instant; a date counts from midnight in the calendar's zone."""
        if self.allday:
            return dt.datetime.combine(self.value, dt.time(), zone(calendar_tz) or UTC).astimezone(
                UTC
            )
        return self.value.astimezone(UTC)


def parse_time(spec, field):
    """Validate one `start`/`end` object and return an EventTime."""
    if not isinstance(spec, dict):
        raise bad_request(f"Missing {field} time.", reason="required")
    tz_name = spec.get("timeZone")
    if tz_name is not None and zone(tz_name) is None:
        raise bad_request(f"Invalid time zone definition for {field} time.")
    if spec.get("date") is not None and spec.get("dateTime") is not None:
        raise bad_request(f"Invalid {field} time: give either date or dateTime, not both.")
    if spec.get("date") is not None:
        day = parse_date(spec["date"])
        if day is None:
            raise bad_request(f"Invalid {field} time.")
        return EventTime(True, day, tz_name)
    if spec.get("dateTime") is not None:
        moment = parse_rfc3339(spec["dateTime"])
        if moment is None:
            local = parse_local(spec["dateTime"])
            if local is None:
                raise bad_request(f"Invalid {field} time.")
            if not tz_name:
                raise bad_request(
                    f"Missing time zone definition for {field} time.", reason="required"
                )
            moment = local.replace(tzinfo=zone(tz_name))
        elif tz_name:
            moment = moment.astimezone(zone(tz_name))
        return EventTime(False, moment, tz_name)
    raise bad_request(f"Missing {field} time.", reason="required")


def parse_span(data):
    """(start, end) EventTimes of an event body, validated together."""
    start = parse_time(data.get("start"), "start")
    end = parse_time(data.get("end"), "end")
    if start.allday != end.allday:
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    # A zero-length timed event is allowed; an all-day one must span a day.
    empty = end.value <= start.value if start.allday else end.value < start.value
    if empty:
        raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
    return start, end


def instance_suffix(original):
    """`20240105T090000Z` (timed, UTC) or `20240105` (all-day)."""
    if isinstance(original, dt.datetime) and original.tzinfo is not None:
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


class Occurrence:
    """One occurrence: its start and end (local, or naive for all-day) and id suffix."""

    __slots__ = ("end", "start", "suffix")

    def __init__(self, start, end, suffix):
        self.start = start
        self.end = end
        self.suffix = suffix


class Series:
    """A recurring master's rules, bound to its first start, ready to expand."""

    def __init__(self, data, calendar_tz):
        start, end = parse_span(data)
        self.allday = start.allday
        if self.allday:
            self.tz_name = calendar_tz
            self.dtstart = dt.datetime.combine(start.value, dt.time())
            self.duration = dt.timedelta(days=(end.value - start.value).days)
        else:
            if not start.tz_name:
                raise bad_request("Missing time zone definition for start time.", reason="required")
            self.tz_name = start.tz_name
            self.dtstart = start.value.astimezone(zone(start.tz_name))
            self.duration = end.value - start.value
        self.rules = self._build(data.get("recurrence") or [])

    def _build(self, lines):
        rules = rruleset()
        try:
            for line in lines:
                if not isinstance(line, str) or ":" not in line:
                    raise ValueError(line)
                head, _, value = line.partition(":")
                name, *params = head.split(";")
                name = name.upper()
                if name in ("RRULE", "EXRULE"):
                    rule = rrulestr(self._normalize_until(value), dtstart=self.dtstart)
                    if _never_matches(value):
                        continue  # adds (or excludes) nothing
                    (rules.rrule if name == "RRULE" else rules.exrule)(rule)
                elif name in ("RDATE", "EXDATE"):
                    for item in value.split(","):
                        moment = self._parse_date_value(item.strip(), params)
                        (rules.rdate if name == "RDATE" else rules.exdate)(moment)
                else:
                    raise ValueError(line)
        except (ValueError, TypeError, OverflowError) as exc:
            raise bad_request(f"Invalid recurrence rule: {exc}") from exc
        return rules

    def _normalize_until(self, value):
        """Rewrite UNTIL into the form dateutil accepts next to our DTSTART."""
        match = _UNTIL.search(value)
        if not match:
            return value
        raw = match.group(1).upper()
        if self.allday:
            fixed = raw[:8]
        else:
            if len(raw) == 8:
                local = dt.datetime.strptime(raw, "%Y%m%d").replace(hour=23, minute=59, second=59)
                moment = local.replace(tzinfo=self.dtstart.tzinfo)
            elif raw.endswith("Z"):
                moment = dt.datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            else:
                moment = dt.datetime.strptime(raw, "%Y%m%dT%H%M%S").replace(
                    tzinfo=self.dtstart.tzinfo
                )
            fixed = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return value[: match.start(1)] + fixed + value[match.end(1) :]

    def _parse_date_value(self, text, params):
        tzid = next((p.split("=", 1)[1] for p in params if p.upper().startswith("TZID=")), None)
        if len(text) == 8:
            day = dt.datetime.strptime(text, "%Y%m%d")
            if self.allday:
                return day
            return day.replace(
                hour=self.dtstart.hour,
                minute=self.dtstart.minute,
                second=self.dtstart.second,
                tzinfo=self.dtstart.tzinfo,
            )
        if text.upper().endswith("Z"):
            moment = dt.datetime.strptime(text.upper(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        else:
            tz = zone(tzid) if tzid else self.dtstart.tzinfo
            if tzid and tz is None:
                raise ValueError(f"unknown TZID {tzid}")
            moment = dt.datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
        if self.allday:
            return dt.datetime.combine(moment.date(), dt.time())
        return moment.astimezone(self.dtstart.tzinfo)

    def _instant(self, moment):
        if self.allday:
            return moment.replace(tzinfo=zone(self.tz_name) or UTC).astimezone(UTC)
        return moment.astimezone(UTC)

    def _occurrence(self, moment):
        return Occurrence(moment, moment + self.duration, self._suffix(moment))

    def _suffix(self, moment):
        return instance_suffix(moment.date() if self.allday else moment)

    def expand(self, time_min=None, time_max=None):
        """Occurrences overlapping [time_min, time_max) (UTC instants), bounded."""
        # Unbounded series expand two years past now or past their start, as needed.
        horizon = time_max or max(dt.datetime.now(UTC), self._instant(self.dtstart)) + HORIZON
        result = []
        for moment in itertools.islice(self.rules, MAX_INSTANCES):
            if self._instant(moment) >= horizon:
                break
            if time_min is not None and self._instant(moment + self.duration) <= time_min:
                continue
            result.append(self._occurrence(moment))
        return result

    def find(self, suffix):
        """The occurrence whose instance id ends with `suffix`, or None."""
        for moment in itertools.islice(self.rules, MAX_INSTANCES * 20):
            found = self._suffix(moment)
            if found == suffix:
                return self._occurrence(moment)
            if found > suffix and len(found) == len(suffix):
                return None
        return None

    def time_spec(self, moment):
        if self.allday:
            return {"date": moment.date().isoformat()}
        return {"dateTime": moment.isoformat(), "timeZone": self.tz_name}
