"""Recurring series: RRULE/EXDATE lines, time zones, instance ids, splits.

Everything here works on the neutral representation of a series:

* ``lines``: Google ``recurrence`` lines (``RRULE:...``, ``EXDATE:...``), no DTSTART;
* ``start``: the neutral start of the series' first occurrence (UTC ``...Z`` for a
  timed series, ``YYYY-MM-DD`` for an all-day one);
* ``timezone_name``: the IANA zone the series is anchored to (ignored when all-day);
* ``allday``: whether occurrences are dates.

A timed series repeats in *wall-clock* time of its zone: a weekly 09:00
Europe/Brussels meeting is at 09:00 local on both sides of a DST change, so its
UTC time moves. That is why the expansion runs on zone-aware datetimes and only
converts to UTC at the end: repeating in UTC is the classic DST bug of calendar syncs.

Canonical lines (what :func:`normalize_lines` returns) let the two sides compare
a series by plain equality: RRULE parts in a fixed order, ``INTERVAL=1`` and a
meaningless ``WKST`` dropped, ``UNTIL`` in UTC (timed) or as a DATE (all-day),
the weekday / day of month a bare weekly / monthly rule implies written out (when
the start is known), then one EXDATE per line, in UTC (timed) or as a DATE, sorted.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as dateutil_rrule


class InvalidRecurrence(ValueError):
    """A recurrence that cannot be understood; the message says which part and why."""


# Odoo's "forever" series are stored with this COUNT (calendar's MAX_RECURRENT_EVENT);
# expansions of endless series stop there too, so both sides see the same occurrences.
MAX_OCCURRENCES = 720
# No expansion reaches further than this many years after the first occurrence.
# Odoo's "forever" (720 repetitions) spans 720 years for a yearly series, the
# sparsest rule Odoo makes: ten years more, and every "forever" series Odoo's form
# makes (interval 1) is held whole on both sides, while a rule that repeats once in
# centuries, or only on leap days, stops here rather than at year 9999.
HORIZON_YEARS = MAX_OCCURRENCES + 10
# The longest INTERVAL of each frequency: a monthly or yearly rule repeats within the
# horizon; a daily or weekly one at least once a year, because dateutil (ours, and Odoo's
# on the stored rule) walks month by month through each interval of days: a longer one
# would make Odoo's 720 repetitions walk to year 9999.
_MAX_INTERVAL = {"DAILY": 366, "WEEKLY": 52, "MONTHLY": 12 * HORIZON_YEARS, "YEARLY": HORIZON_YEARS}
# The BY parts each frequency may have to be expanded (and stored in Odoo); see
# _check_bounded_search.
_EXPANDABLE_BY_PARTS = {"WEEKLY": {"BYDAY"}, "MONTHLY": {"BYDAY", "BYMONTHDAY"}}
# Odoo keeps COUNT in an integer column.
_MAX_ODOO_INTEGER = 2**31 - 1

_UTC_FORMAT = "%Y%m%dT%H%M%SZ"
# The neutral UTC stamp, strictly: datetime.fromisoformat alone takes more forms.
_NEUTRAL_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)
_DATE_FORMAT = "%Y%m%d"
_PART_ORDER = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
_SUB_DAILY = {"SECONDLY", "MINUTELY", "HOURLY"}
_FREQUENCIES = _SUB_DAILY | {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_NUMBER = re.compile(r"^[+-]?\d{1,3}$")
# RFC 5545 ranges of the numeric rule parts: (lowest, highest, negatives count from the end).
# A value outside them never matches: dateutil would search to year 9999 for it.
_NUMBER_RANGES = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_INSTANCE_SUFFIX = re.compile(r"^(?P<series>.+)_(?P<stamp>\d{8}(?:T\d{6}Z)?)$")


# --- small parsing helpers ---------------------------------------------------------------


def zone(name):
    """The ``ZoneInfo`` for an IANA name ("" means UTC); unknown names raise."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidRecurrence(f"unknown time zone {name!r}") from error


def parse_neutral_start(value, allday):
    """A neutral start string as a ``date`` (all-day) or an aware UTC ``datetime``."""
    try:
        if allday:
            return date.fromisoformat(value)
        if not _NEUTRAL_STAMP.fullmatch(value):
            raise ValueError("not a UTC time")
        # fromisoformat: several times faster than strptime on a large import.
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except (TypeError, ValueError, AttributeError) as error:
        expected = "YYYY-MM-DD" if allday else "YYYY-MM-DDTHH:MM:SSZ"
        raise InvalidRecurrence(f"start {value!r} is not {expected}") from error


def format_neutral_start(value):
    """Inverse of :func:`parse_neutral_start` (accepts a date or an aware datetime)."""
    if isinstance(value, datetime):
        utc = value.astimezone(UTC).replace(tzinfo=None)
        return utc.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


def _parse_ical_time(text, tzid, allday, series_zone):
    """An iCalendar DATE or DATE-TIME as a date (all-day) or an aware datetime.

    A DATE-TIME without ``Z`` or TZID is floating: it is read in the series' zone.
    A DATE for a timed series means that local day; a DATE-TIME for an all-day
    series keeps only its local date.
    """
    text = text.strip()
    value_zone = zone(tzid) if tzid else series_zone
    try:
        if len(text) == 8:
            day = datetime.strptime(text, _DATE_FORMAT).date()
            return day if allday else datetime.combine(day, time(), series_zone)
        if text.endswith("Z"):
            moment = datetime.strptime(text, _UTC_FORMAT).replace(tzinfo=UTC)
        else:
            moment = datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=value_zone)
    except ValueError as error:
        raise InvalidRecurrence(f"{text!r} is neither a DATE nor a DATE-TIME") from error
    return moment.astimezone(series_zone).date() if allday else moment


def _format_ical_time(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(_UTC_FORMAT)
    return value.strftime(_DATE_FORMAT)


def parse_rule(line):
    """``RRULE:FREQ=...`` (prefix optional) as an ordered dict of upper-case parts."""
    body = line.strip()
    if ":" in body:
        name, body = body.split(":", 1)
        if name.split(";")[0].upper() not in ("RRULE", "EXRULE"):
            raise InvalidRecurrence(f"{line!r} is not a rule")
    parts = {}
    for item in filter(None, body.split(";")):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not value.strip():
            raise InvalidRecurrence(f"rule part {item!r} in {line!r} has no value")
        if key.startswith("X-"):
            continue  # vendor extensions carry nothing either side understands
        if key not in _PART_ORDER:
            raise InvalidRecurrence(f"unknown rule part {key!r} in {line!r}")
        parts[key] = value.strip().upper()
    if parts.get("FREQ") not in _FREQUENCIES:
        raise InvalidRecurrence(f"rule {line!r} has no valid FREQ")
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidRecurrence(f"rule {line!r} has both COUNT and UNTIL")
    for key in ("COUNT", "INTERVAL"):
        if key in parts and (not parts[key].isdigit() or int(parts[key]) < 1):
            raise InvalidRecurrence(f"{key} in {line!r} must be a positive integer")
    for day in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else ():
        match = _WEEKDAY.match(day)
        if not match:
            raise InvalidRecurrence(f"BYDAY value {day!r} in {line!r} is not a weekday")
        if match[1] and not 1 <= abs(int(match[1])) <= 53:
            raise InvalidRecurrence(f"BYDAY value {day!r} in {line!r} has no such week")
    for key, (lowest, highest, from_end) in _NUMBER_RANGES.items():
        for value in parts[key].split(",") if key in parts else ():
            number = int(value) if _NUMBER.match(value) else None
            if number is None or not (
                lowest <= number <= highest or (from_end and -highest <= number <= -lowest)
            ):
                allowed = f"{lowest} to {highest}" + (
                    f" or -{highest} to -{lowest}" if from_end else ""
                )
                raise InvalidRecurrence(f"{key} value {value!r} in {line!r} is not {allowed}")
    if parts.get("WKST", "MO") not in _WEEKDAY_CODES:
        raise InvalidRecurrence(f"WKST in {line!r} is not a weekday")
    return parts


def format_rule(parts, prefix="RRULE:"):
    ordered = sorted(parts.items(), key=lambda item: _PART_ORDER.index(item[0]))
    return prefix + ";".join(f"{key}={value}" for key, value in ordered)


# --- canonical lines ---------------------------------------------------------------------


def _canonical_rule(parts, *, allday, series_zone):
    parts = dict(parts)
    if parts.get("INTERVAL") == "1":
        del parts["INTERVAL"]
    if "BYDAY" in parts:
        parts["BYDAY"] = parts["BYDAY"].replace("+", "")  # "+1MO" is "1MO"
    # WKST changes the result only for weekly rules with INTERVAL > 1; elsewhere it is
    # noise that differs between Odoo (language's first day) and Google.
    if "WKST" in parts and (
        parts["FREQ"] != "WEEKLY" or "INTERVAL" not in parts or parts["WKST"] == "MO"
    ):
        del parts["WKST"]
    if "UNTIL" in parts:
        until = _parse_ical_time(parts["UNTIL"], None, allday, series_zone)
        if not allday and len(parts["UNTIL"]) == 8:
            # A date-only UNTIL on a timed series includes that whole local day.
            until = datetime.combine(until.date(), time(23, 59, 59), series_zone)
        parts["UNTIL"] = _format_ical_time(until)
    return parts


def _split_lines(lines):
    """Rules (as parsed dicts, with their line name) and the other lines, validated."""
    if not isinstance(lines, list | tuple) or not all(isinstance(x, str) for x in lines):
        raise InvalidRecurrence(f"recurrence must be a list of strings, not {lines!r}")
    rules, exdates, others = [], [], []
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
        if name in ("RRULE", "EXRULE"):
            rules.append((name, parse_rule(line)))
        elif name == "EXDATE":
            exdates.append(line.strip())
        elif name == "RDATE":
            others.append(line.strip())
        elif name == "DTSTART" or not line.strip():
            continue  # DTSTART is the event's start, never part of Google's lines
        else:
            raise InvalidRecurrence(f"unknown recurrence line {line!r}")
    return rules, exdates, others


def _exdate_values(line, *, allday, series_zone):
    head, _, values = line.partition(":")
    tzid = None
    for param in head.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().upper() == "TZID":
            tzid = value.strip()
    return [_parse_ical_time(v, tzid, allday, series_zone) for v in values.split(",") if v]


def exdates(lines, *, timezone_name, allday):
    """Excluded occurrence starts of a series: dates (all-day) or aware UTC datetimes."""
    series_zone = zone(timezone_name)
    _rules, lines_exdate, _others = _split_lines(lines)
    found = set()
    for line in lines_exdate:
        found.update(_exdate_values(line, allday=allday, series_zone=series_zone))
    return sorted(found)


def _explicit_days(parts, first_local):
    """Spell out the day a rule takes implicitly from DTSTART.

    ``FREQ=WEEKLY`` alone repeats on DTSTART's weekday and ``FREQ=MONTHLY`` alone on
    its day of month. Odoo always stores them explicitly (and would read a bare rule
    against its naive UTC start, which can be the wrong day), so the canonical form
    names them too. ``first_local`` is the first occurrence's local date.
    """
    parts = dict(parts)
    by_parts = {key for key in parts if key.startswith("BY")}
    if parts["FREQ"] == "WEEKLY" and "BYDAY" not in parts:
        parts["BYDAY"] = _WEEKDAY_CODES[first_local.weekday()]
    elif parts["FREQ"] == "MONTHLY" and not by_parts:
        parts["BYMONTHDAY"] = str(first_local.day)
    return parts


def normalize_lines(lines, *, timezone_name, allday, start=None):
    """Canonical form of Google ``recurrence`` lines (see the module docstring).

    With the series' neutral ``start``, a weekday or day of month the rule implies
    is written out (see :func:`_explicit_days`). Raises :class:`InvalidRecurrence`
    for lines that cannot be understood.
    """
    series_zone = zone(timezone_name)
    rules, _exdate_lines, others = _split_lines(lines)
    first_local = None
    if start is not None and rules:
        first = parse_neutral_start(start, allday)
        first_local = first if allday else first.astimezone(series_zone).date()
    rendered = []
    for name, parts in rules:
        parts = _canonical_rule(parts, allday=allday, series_zone=series_zone)
        if first_local is not None:
            parts = _explicit_days(parts, first_local)
        rendered.append(format_rule(parts, f"{name}:"))
    # RRULEs first (Google shows the first one), then EXRULEs, then RDATEs, then EXDATEs.
    rendered.sort(key=lambda line: not line.startswith("RRULE:"))
    excluded = exdates(lines, timezone_name=timezone_name, allday=allday)
    prefix = "EXDATE;VALUE=DATE:" if allday else "EXDATE:"
    return rendered + sorted(others) + [prefix + _format_ical_time(day) for day in excluded]


# --- Odoo <-> Google ---------------------------------------------------------------------


@dataclass(frozen=True)
class OdooRule:
    """What Odoo's ``calendar.recurrence`` needs for a Google series.

    ``rrule`` is a rule body Odoo's ``_rrule_parse`` understands (``UNTIL`` as the
    local *date* of the last occurrence, matching ``calendar.recurrence.until``);
    ``endless`` maps to ``end_type='forever'``; ``excluded`` lists the neutral starts
    of occurrences to remove (Odoo has no EXDATE: it deletes those events).
    """

    rrule: str
    endless: bool
    excluded: tuple[str, ...]


def odoo_to_google(rrule_text, *, timezone_name, allday, endless=False, excluded=()):
    """Google lines for an Odoo recurrence.

    ``rrule_text`` is ``calendar.recurrence.rrule`` (a ``DTSTART:`` line in it is
    ignored: Google takes the series' start from the event's start). Odoo writes
    ``UNTIL`` as a naive local time and stores "forever" as ``COUNT=720``: pass ``endless=True`` for
    ``end_type == 'forever'`` so Google gets a really endless rule. ``excluded`` are
    neutral starts of deleted occurrences, emitted as EXDATEs.
    """
    rules = [line for line in rrule_text.splitlines() if line.strip()]
    rule_lines = [line for line in rules if not line.upper().startswith("DTSTART")]
    if len(rule_lines) != 1:
        raise InvalidRecurrence(f"expected exactly one rule in {rrule_text!r}")
    parts = parse_rule(rule_lines[0])
    if endless:
        parts.pop("COUNT", None)
        parts.pop("UNTIL", None)
    # Odoo's naive UNTIL (local end of the "until" day) becomes UTC or a DATE below,
    # in normalize_lines, which reads floating times in the series' zone.
    lines = [format_rule(parts)]
    for value in excluded:
        day = parse_neutral_start(value, allday)
        lines.append(("EXDATE;VALUE=DATE:" if allday else "EXDATE:") + _format_ical_time(day))
    return normalize_lines(lines, timezone_name=timezone_name, allday=allday)


def _check_odoo_can_store(parts):
    """Refuse a rule ``calendar.recurrence`` would store as a different one.

    Odoo keeps: a frequency from daily to yearly, an interval, COUNT or UNTIL, plain
    weekdays for weekly rules, and for monthly rules one day of month or one
    "first..fourth/last weekday". Anything else would be imported wrongly without a
    word, so it is an error here.
    """
    rule = format_rule(parts)
    frequency = parts["FREQ"]
    by_parts = {key for key in parts if key.startswith("BY")}
    allowed = _EXPANDABLE_BY_PARTS.get(frequency, set())
    if frequency not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise InvalidRecurrence(f"Odoo cannot repeat {frequency.lower()}: {rule}")
    if by_parts - allowed or len(by_parts) > 1:
        raise InvalidRecurrence(f"Odoo cannot store the parts {sorted(by_parts)} of {rule}")
    days = parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []
    if frequency == "WEEKLY" and any(not day.isalpha() for day in days):
        raise InvalidRecurrence(f"Odoo cannot store numbered weekdays in weekly {rule}")
    if frequency == "MONTHLY" and days:
        ordinal = _WEEKDAY.match(days[0])[1] or ""
        if len(days) > 1 or ordinal.lstrip("+") not in ("1", "2", "3", "4", "-1"):
            raise InvalidRecurrence(
                f"Odoo stores one first..fourth or last weekday per month, not {rule}"
            )
    if frequency == "MONTHLY" and "," in parts.get("BYMONTHDAY", ""):
        raise InvalidRecurrence(f"Odoo stores one day of the month, not {rule}")
    if parts.get("BYMONTHDAY", "").startswith("-"):
        # Odoo's parser drops a day counted from the month's end: the 1st would be stored.
        raise InvalidRecurrence(f"Odoo stores a day of the month from 1 to 31, not {rule}")
    if int(parts.get("COUNT", "0")) > _MAX_ODOO_INTEGER:
        raise InvalidRecurrence(f"Odoo cannot store a COUNT above {_MAX_ODOO_INTEGER}: {rule}")


def google_to_odoo(lines, *, start, timezone_name, allday):
    """The :class:`OdooRule` for Google lines.

    Raises :class:`InvalidRecurrence` for what ``calendar.recurrence`` cannot hold
    (EXRULE/RDATE, several RRULEs, rules like ``BYSETPOS`` or ``BYDAY=1MO,3MO``)
    rather than letting Odoo store a different series.
    """
    rules, _exdates, others = _split_lines(lines)
    if len(rules) != 1 or rules[0][0] != "RRULE" or others:
        raise InvalidRecurrence(f"Odoo supports exactly one RRULE per series, got {list(lines)!r}")
    series_zone = zone(timezone_name)
    first = parse_neutral_start(start, allday)
    parts = _explicit_days(
        _canonical_rule(rules[0][1], allday=allday, series_zone=series_zone),
        first if allday else first.astimezone(series_zone).date(),
    )
    _check_odoo_can_store(parts)
    endless = "COUNT" not in parts and "UNTIL" not in parts
    # Expanding also refuses what could make Odoo's own expansion of the stored rule
    # search for years (see _check_bounded_search); a series without any occurrence
    # would be imported as nothing at all.
    starts = expand(
        lines,
        start=start,
        timezone_name=timezone_name,
        allday=allday,
        limit=MAX_OCCURRENCES if "UNTIL" in parts else 1,
        apply_exdates=False,
    )
    if not starts:
        raise InvalidRecurrence(f"rule {lines!r} has no occurrence")
    if "UNTIL" in parts:
        # Odoo's "until" is a local date that includes the whole day: use the date of
        # the last real occurrence (inside the horizon), so an UNTIL just before a split
        # occurrence does not pull that occurrence back in.
        last = starts[-1]
        parts["UNTIL"] = (last if allday else last.date()).strftime(_DATE_FORMAT)
    excluded = tuple(
        format_neutral_start(day)
        for day in exdates(lines, timezone_name=timezone_name, allday=allday)
    )
    return OdooRule(rrule=format_rule(parts, prefix=""), endless=endless, excluded=excluded)


# --- expansion ---------------------------------------------------------------------------


def expand(
    lines, *, start, timezone_name, allday, until=None, limit=MAX_OCCURRENCES, apply_exdates=True
):
    """Occurrence starts of a series, in order.

    Timed series: aware datetimes in the series' zone (same wall-clock time across
    DST; a time that does not exist on a spring-forward day is read with the offset
    before the gap, as RFC 5545 says). All-day series: dates. ``until`` (a date or an
    aware datetime) bounds the expansion inclusively; ``limit`` caps endless series.
    Every expansion also stops at the horizon (:data:`HORIZON_YEARS` after the first
    occurrence), and refuses a rule whose search for occurrences could run for years
    (see :func:`_check_bounded_search`) rather than let it run.
    """
    series_zone = zone(timezone_name)
    first = parse_neutral_start(start, allday)
    rules, _exdate_lines, others = _split_lines(lines)
    if not rules:
        raise InvalidRecurrence(f"recurrence {list(lines)!r} has no RRULE")
    dtstart = datetime.combine(first, time()) if allday else first.astimezone(series_zone)
    rule_set = dateutil_rrule.rruleset()
    for name, parts in rules:
        if parts["FREQ"] in _SUB_DAILY:
            # Calendars repeat at most daily; a sub-daily rule that never matches
            # (e.g. BYMONTHDAY=30;BYMONTH=2) would make dateutil search for ages.
            raise InvalidRecurrence(f"{format_rule(parts)} repeats more often than daily")
        if name == "EXRULE":
            # RFC 5545 deprecated it, and dateutil's rule set searches to year 9999
            # past one that excludes every occurrence.
            raise InvalidRecurrence(
                f"cannot expand {format_rule(parts, 'EXRULE:')}: EXRULE is not supported"
            )
        canonical = _canonical_rule(parts, allday=allday, series_zone=series_zone)
        _check_bounded_search(canonical, dtstart.date())
        try:
            rule = dateutil_rrule.rrulestr(format_rule(canonical, prefix=""), dtstart=dtstart)
        except (ValueError, TypeError) as error:
            raise InvalidRecurrence(f"cannot expand {format_rule(canonical)}: {error}") from error
        rule_set.rrule(rule)
    for line in others:
        for value in _exdate_values(line, allday=allday, series_zone=series_zone):
            rule_set.rdate(datetime.combine(value, time()) if allday else value)
    excluded = set(
        exdates(lines, timezone_name=timezone_name, allday=allday) if apply_exdates else ()
    )
    end = horizon(first)
    if until is not None:
        end = min(end, until)
    result = []
    for moment in rule_set:
        try:
            value = moment.date() if allday else _real_time(moment)
        except OverflowError:
            break  # its UTC time is past year 9999
        if value > end:
            break
        if value in excluded:
            continue
        result.append(value)
        if len(result) >= limit:
            break
    return result


def horizon(first):
    """The latest start an occurrence of a series whose first occurrence is ``first``
    (a date, or an aware UTC datetime) may have: :data:`HORIZON_YEARS` later."""
    year = first.year + HORIZON_YEARS
    if year > MAXYEAR:
        return date.max if type(first) is date else datetime.max.replace(tzinfo=UTC)
    if (first.month, first.day) == (2, 29) and not calendar.isleap(year):
        return first.replace(year=year, day=28)
    return first.replace(year=year)


def _check_bounded_search(parts, first_local):
    """Refuse a rule whose search for its next occurrence could run for years.

    dateutil looks for an occurrence period by period (the day, week, month or year
    of FREQ, INTERVAL apart) and stops only at one, at the rule's end, or at year
    9999: for a rule whose periods are all empty (BYMONTHDAY=30 in a rule that only
    visits February) it runs for seconds and finds nothing, and so does Odoo's own
    expansion of the rule once stored. So only the shapes whose periods hold an
    occurrence at least every few periods are expanded: daily; weekly (on weekdays);
    monthly on weekdays (any, or the 1st to 4th from either end of the month) or on
    days of the month that a month the rule visits within the horizon has; yearly on
    the first occurrence's day (February 29: leap years). An INTERVAL is bounded too
    (see _MAX_INTERVAL). ``parts`` is canonical, ``first_local`` the first
    occurrence's local date.
    """
    rule = format_rule(parts)
    frequency = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    if interval > _MAX_INTERVAL[frequency]:
        every = "a year" if frequency in ("DAILY", "WEEKLY") else f"in {HORIZON_YEARS} years"
        raise InvalidRecurrence(f"{rule} repeats less often than once {every}")
    by_parts = {key for key in parts if key.startswith("BY")}
    if by_parts - _EXPANDABLE_BY_PARTS.get(frequency, set()) or len(by_parts) > 1:
        raise InvalidRecurrence(
            f"cannot expand {rule}: with {', '.join(sorted(by_parts))} the search for its "
            "occurrences could run for years"
        )
    if frequency != "MONTHLY":
        return
    if "BYDAY" in parts:
        ordinals = [_WEEKDAY.match(day)[1] for day in parts["BYDAY"].split(",")]
        if any(ordinal and abs(int(ordinal)) > 4 for ordinal in ordinals):
            raise InvalidRecurrence(f"cannot expand {rule}: most months lack a fifth weekday")
        return
    days = parts["BYMONTHDAY"].split(",") if "BYMONTHDAY" in parts else [first_local.day]
    nearest = min(abs(int(day)) for day in days)
    if nearest > 28 and not _visits_month_with_day(first_local, interval, nearest):
        raise InvalidRecurrence(
            f"{rule} has no occurrence within {HORIZON_YEARS} years of {first_local}: "
            f"no month it visits has a day {nearest}"
        )


def _visits_month_with_day(first_local, interval, day):
    """Whether a monthly rule from ``first_local``, ``interval`` months apart, visits a
    month with at least ``day`` days within the horizon (at most 8,760 months)."""
    first_month = first_local.year * 12 + first_local.month - 1
    last_month = min(first_month + HORIZON_YEARS * 12, MAXYEAR * 12 + 11)
    for month in range(first_month, last_month + 1, interval):
        year, month_of_year = divmod(month, 12)
        if calendar.monthrange(year, month_of_year + 1)[1] >= day:
            return True
    return False


def _real_time(moment):
    """Round-trip through UTC so a wall time inside a DST gap gets its real offset."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo)


def neutral_occurrences(lines, *, start, timezone_name, allday, until=None, limit=MAX_OCCURRENCES):
    """:func:`expand` as neutral start strings (UTC ``Z`` or ``YYYY-MM-DD``)."""
    return [
        format_neutral_start(value)
        for value in expand(
            lines, start=start, timezone_name=timezone_name, allday=allday, until=until, limit=limit
        )
    ]


# --- instance ids ------------------------------------------------------------------------


def instance_id(series_id, original_start):
    """Google's id of one occurrence: ``<series>_<YYYYMMDDTHHMMSSZ>`` or ``<series>_<YYYYMMDD>``.

    ``original_start`` is the occurrence's neutral start, a date or an aware datetime.
    This is Google's observed convention, not a contract: use it to *recognise*
    instances, and prefer ids Google returns when there are any.
    """
    if isinstance(original_start, str):
        original_start = parse_neutral_start(original_start, allday=len(original_start) == 10)
    return f"{series_id}_{_format_ical_time(original_start)}"


def parse_instance_id(event_id):
    """``(series_id, neutral original start)`` for an instance id, else None."""
    match = _INSTANCE_SUFFIX.match(event_id or "")
    if not match:
        return None
    stamp = match["stamp"]
    try:
        if len(stamp) == 8:
            original = datetime.strptime(stamp, _DATE_FORMAT).date()
        else:
            original = datetime.strptime(stamp, _UTC_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return match["series"], format_neutral_start(original)


# --- "this and following" ----------------------------------------------------------------


def split(lines, *, start, timezone_name, allday, split_at):
    """Split a series before the occurrence starting at ``split_at`` (neutral string).

    Returns ``(old_lines, new_lines)``: the old series ends with an ``UNTIL`` just
    before ``split_at`` (one second before for a timed series, the previous day for an
    all-day one); the new series, whose first occurrence is ``split_at``, keeps the
    rule, with the remaining ``COUNT`` when the old one had a COUNT. EXDATEs go to the
    side they fall on.
    """
    rules, _exdates, others = _split_lines(lines)
    if len(rules) != 1 or others:
        raise InvalidRecurrence(f"can only split a single-RRULE series, got {list(lines)!r}")
    series_zone = zone(timezone_name)
    boundary = parse_neutral_start(split_at, allday)
    all_starts = expand(
        lines, start=start, timezone_name=timezone_name, allday=allday, apply_exdates=False
    )
    if boundary not in all_starts:
        raise InvalidRecurrence(f"{split_at} is not an occurrence of the series")
    if boundary == all_starts[0]:
        raise InvalidRecurrence("splitting at the first occurrence would leave nothing behind")
    parts = _canonical_rule(rules[0][1], allday=allday, series_zone=series_zone)
    old_parts, new_parts = dict(parts), dict(parts)
    old_parts.pop("COUNT", None)
    old_parts["UNTIL"] = _format_ical_time(
        boundary - timedelta(days=1) if allday else boundary - timedelta(seconds=1)
    )
    if "COUNT" in parts:
        before = sum(1 for value in all_starts if value < boundary)
        new_parts["COUNT"] = str(int(parts["COUNT"]) - before)
    excluded = exdates(lines, timezone_name=timezone_name, allday=allday)
    prefix = "EXDATE;VALUE=DATE:" if allday else "EXDATE:"
    old_lines = [format_rule(old_parts)] + [
        prefix + _format_ical_time(day) for day in excluded if day < boundary
    ]
    new_lines = [format_rule(new_parts)] + [
        prefix + _format_ical_time(day) for day in excluded if day >= boundary
    ]
    return old_lines, new_lines
