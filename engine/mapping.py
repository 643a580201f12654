"""Google event JSON <-> neutral values (see docs/architecture.md, "The neutral event").

Pure functions. Google's input is untrusted: anything that cannot be mapped raises
:class:`InvalidEvent` with a message naming the event and the field; things that
can be skipped without losing the event (an attendee without e-mail, a reminder
with an unknown method) are skipped and described in the optional ``notes`` list,
so the caller can show them instead of losing them silently.
"""

import hashlib
import html
import json
import re
from datetime import UTC, date, datetime, timedelta

from . import recurrence
from .recurrence import InvalidRecurrence

NEUTRAL_KEYS = (
    "name",
    "description",
    "location",
    "allday",
    "start",
    "stop",
    "timezone",
    "attendees",
    "organizer",
    "alarms",
    "privacy",
    "show_as",
    "videocall",
    "recurrence",
)
ATTENDEE_STATUSES = ("needsAction", "accepted", "declined", "tentative")
ALARM_METHODS = ("email", "popup")
PRIVACIES = ("public", "private")
# "confidential" means "private" on both sides' terms: Google documents it as an
# older name of "private"; Odoo's "confidential" ("only internal users") has no
# Google counterpart, and the narrower of Google's two keeps it from being shown
# more widely on Google than in Odoo. Folded here, both read the same, so an event
# Google holds as confidential and Odoo as private is no change on either side.
_PRIVACY_ALIASES = {"confidential": "private"}
# Google refuses more overrides, and minutes outside 0..40320 (four weeks).
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 40320

_GOOGLE_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_MEET_PREFIX = "https://meet.google.com/"
# Neutral keys -> the Google keys a patch of them must send. Start and end are sent
# together because Google validates them as a pair; a recurrence needs them for its
# timeZone.
_GOOGLE_KEYS = {
    "name": ("summary",),
    "description": ("description",),
    "location": ("location",),
    "allday": ("start", "end"),
    "start": ("start", "end"),
    "stop": ("start", "end"),
    "timezone": ("start", "end"),
    "recurrence": ("recurrence", "start", "end"),
    "attendees": ("attendees",),
    "organizer": ("organizer",),
    "alarms": ("reminders",),
    "privacy": ("visibility",),
    "show_as": ("transparency",),
    "videocall": ("conferenceData",),
}


class InvalidEvent(ValueError):
    """An event (from Google or Odoo) that cannot be mapped; the message says why."""


# --- helpers -----------------------------------------------------------------------------


# Google holds a description as HTML (its own editor) or as plain text (other
# calendar clients, the API): plain text has neither a tag nor an entity.
_MARKUP = re.compile(r"<[a-zA-Z/!?]|&#?\w+;")


def has_markup(text):
    """Whether ``text`` holds a tag or an entity (else it is plain text)."""
    return bool(_MARKUP.search(text))


def is_plain_text(text):
    """Whether Odoo's HTML sanitizer keeps ``text`` as it is in a paragraph, its
    line breaks as ``<br>``: only printable characters, tabs and line breaks, no
    ``<``, ``>`` or ``&``, and no leading white space (which it strips)."""
    return (
        bool(text)
        and not text[0].isspace()
        and all(char in "\n\t" or (char.isprintable() and char not in "<>&") for char in text)
    )


def plain_text_paragraph(text):
    """Plain ``text`` as one HTML paragraph, its line breaks kept."""
    escaped = html.escape(text, quote=False).replace("\n", "<br>")
    return f"<p>{escaped}</p>"


def without_lone_organizer(values):
    """``values`` with an attendee list that holds only the organizer, accepted,
    read as no guest list: Google lists no attendee on an event without
    guests, while Odoo keeps its owner among the attendees (or the calendar
    view hides it from them). Both mean the same meeting."""
    attendees = values.get("attendees") or []
    if (
        len(attendees) == 1
        and attendees[0]["email"] == values.get("organizer")
        and attendees[0]["status"] == "accepted"
    ):
        return {**values, "attendees": []}
    return values


def normalize_email(value):
    """Lower-cased, stripped e-mail, or "" when there is none (``mailto:`` dropped)."""
    if not isinstance(value, str):
        return ""
    value = value.strip().lower()
    return value.removeprefix("mailto:").strip()


def google_id_is_valid_for_insert(event_id):
    """Whether Google accepts ``event_id`` as a client-chosen id (base32hex, 5-1024)."""
    return isinstance(event_id, str) and bool(_GOOGLE_ID.match(event_id))


def fingerprint(values):
    """Stable hash of the neutral values (keys outside the neutral set are ignored)."""
    relevant = {key: values.get(key) for key in NEUTRAL_KEYS}
    payload = json.dumps(relevant, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def diff_fields(a, b):
    """Neutral keys whose values differ between ``a`` and ``b``."""
    return {key for key in NEUTRAL_KEYS if a.get(key) != b.get(key)}


def is_cancelled(event):
    """Whether a Google event (or tombstone) is deleted."""
    return isinstance(event, dict) and event.get("status") == "cancelled"


def _is_https(link):
    return link.lower().startswith("https://") and not any(char.isspace() for char in link)


def _note(notes, message):
    if notes is not None:
        notes.append(message)


# --- Google -> neutral -------------------------------------------------------------------


class _Reader:
    """Reads one Google event, turning every failure into an InvalidEvent naming it."""

    def __init__(self, event, calendar_tz, notes):
        if not isinstance(event, dict):
            raise InvalidEvent(f"a Google event must be a JSON object, got {type(event).__name__}")
        self.event = event
        self.label = f"Google event {event.get('id') or '(no id)'}"
        self.calendar_tz = calendar_tz
        self.notes = notes

    def fail(self, reason):
        raise InvalidEvent(f"{self.label}: {reason}")

    def note(self, message):
        _note(self.notes, f"{self.label}: {message}")

    def text(self, key):
        value = self.event.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(f"{key} must be text, got {type(value).__name__}")
        return value

    def mapping(self, key):
        value = self.event.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{key} must be an object, got {type(value).__name__}")
        return value

    def zone_name(self, name):
        """An IANA zone Python knows; an unknown one falls back to the calendar's zone."""
        for candidate in (name, self.calendar_tz, "UTC"):
            if not candidate:
                continue
            try:
                recurrence.zone(candidate)
            except InvalidRecurrence:
                self.note(f"unknown time zone {candidate!r} ignored")
                continue
            return candidate
        return "UTC"

    def times(self):
        """``(allday, start, stop, timezone)`` in neutral form."""
        start, end = self.mapping("start"), self.mapping("end")
        if not start:
            self.fail("it has no start")
        end = end or start  # Google's endTimeUnspecified: an instant / a single day
        kinds = {("date" in part and "dateTime" not in part) for part in (start, end)}
        if len(kinds) != 1:
            self.fail(
                "start and end must both be dates or both be date-times "
                f"(start {start!r}, end {end!r})"
            )
        if kinds == {True}:
            first, after = self.day(start, "start"), self.day(end, "end")
            # Google's end date is exclusive; neutral stop is the last day itself.
            last = max(first, after - timedelta(days=1))
            return True, first.isoformat(), last.isoformat(), ""
        zone_name = self.zone_name(start.get("timeZone") or self.calendar_tz)
        first = self.moment(start, "start", zone_name)
        last = self.moment(end, "end", self.zone_name(end.get("timeZone") or zone_name))
        if last < first:
            self.fail(f"it ends ({end.get('dateTime')}) before it starts ({start.get('dateTime')})")
        return (
            False,
            recurrence.format_neutral_start(first),
            recurrence.format_neutral_start(last),
            zone_name,
        )

    def day(self, part, which):
        try:
            return date.fromisoformat(part["date"])
        except (TypeError, ValueError):
            return self.fail(f"{which} date {part.get('date')!r} is not YYYY-MM-DD")

    def moment(self, part, which, zone_name):
        raw = part.get("dateTime")
        try:
            parsed = datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            return self.fail(f"{which} {raw!r} is not an RFC 3339 date-time")
        if parsed.tzinfo is None:
            # RFC 3339 wants an offset; without one Google reads it in timeZone.
            parsed = parsed.replace(tzinfo=recurrence.zone(zone_name))
        return parsed.astimezone(UTC)

    def attendees(self):
        raw = self.event.get("attendees") or []
        if not isinstance(raw, list):
            self.fail(f"attendees must be a list, got {type(raw).__name__}")
        by_email = {}
        for attendee in raw:
            if not isinstance(attendee, dict):
                self.note(f"attendee {attendee!r} is not an object: skipped")
                continue
            email = normalize_email(attendee.get("email"))
            name = attendee.get("displayName")
            if attendee.get("resource"):
                self.note(f"resource {name or email or '(unnamed)'} is not synced")
                continue
            if not email:
                self.note(f"attendee {name or '(unnamed)'} has no e-mail: skipped")
                continue
            status = attendee.get("responseStatus")
            if status not in ATTENDEE_STATUSES:
                if status is not None:
                    self.note(f"unknown answer {status!r} of {email} read as needsAction")
                status = "needsAction"
            if email in by_email:
                self.note(f"{email} is listed twice: the first entry is kept")
                continue
            by_email[email] = {
                "email": email,
                "name": name.strip() if isinstance(name, str) else "",
                "status": status,
            }
        return [by_email[email] for email in sorted(by_email)]

    def alarms(self, default_reminders):
        reminders = self.mapping("reminders")
        # Google omits reminders when the calendar's defaults apply.
        if reminders.get("useDefault", not reminders.get("overrides")):
            chosen = default_reminders or []
        else:
            chosen = reminders.get("overrides") or []
        if not isinstance(chosen, list | tuple):
            self.fail(f"reminder overrides must be a list, got {type(chosen).__name__}")
        return normalize_alarms(chosen, notes=self.notes, label=self.label)

    def privacy(self):
        visibility = self.text("visibility")
        visibility = _PRIVACY_ALIASES.get(visibility, visibility)
        if visibility in PRIVACIES:
            return visibility
        if visibility not in ("", "default"):
            self.note(f"unknown visibility {visibility!r} read as the calendar default")
        return ""

    def videocall(self):
        # Shown in Odoo as a link to open: only https, never javascript: or data:.
        link = self.text("hangoutLink")
        if link:
            return link if _is_https(link) else self._unsafe_link(link)
        conference = self.mapping("conferenceData")
        entry_points = conference.get("entryPoints") or []
        if not isinstance(entry_points, list):
            self.note("conferenceData.entryPoints is not a list: ignored")
            return ""
        for entry in entry_points:
            if not isinstance(entry, dict):
                continue
            if (entry.get("entryPointType") or entry.get("type")) == "video" and entry.get("uri"):
                link = str(entry["uri"])
                return link if _is_https(link) else self._unsafe_link(link)
        return ""

    def _unsafe_link(self, link):
        self.note(f"video link {link[:80]!r} is not an https address: ignored")
        return ""

    def recurrence(self, allday, zone_name, start):
        lines = self.event.get("recurrence") or []
        try:
            return recurrence.normalize_lines(
                lines, timezone_name=zone_name, allday=allday, start=start
            )
        except InvalidRecurrence as error:
            return self.fail(f"recurrence: {error}")


def from_google(event, *, default_reminders=(), calendar_tz="UTC", notes=None):
    """Neutral values of a Google event.

    ``default_reminders`` is the calendar's ``defaultReminders`` (from the list
    response or calendarList), used when the event says ``useDefault``;
    ``calendar_tz`` is the calendar's zone, used when the event names none.
    Skipped details are appended to ``notes`` (a list) when given.
    Raises :class:`InvalidEvent` (cancelled events included: check
    :func:`is_cancelled` first).
    """
    reader = _Reader(event, calendar_tz, notes)
    if is_cancelled(event):
        reader.fail("it is cancelled and has no values to map")
    return without_lone_organizer(_read_event(reader, default_reminders))


def _read_event(reader, default_reminders):
    try:
        allday, start, stop, zone_name = reader.times()
    except OverflowError:
        # A date Python cannot shift by a day or a time zone (year 1 or 9999).
        reader.fail("its dates are out of range")
    return {
        "name": reader.text("summary"),
        "description": reader.text("description"),
        "location": reader.text("location"),
        "allday": allday,
        "start": start,
        "stop": stop,
        "timezone": zone_name,
        "attendees": reader.attendees(),
        "organizer": normalize_email(reader.mapping("organizer").get("email")),
        "alarms": reader.alarms(default_reminders),
        "privacy": reader.privacy(),
        "show_as": "free" if reader.text("transparency") == "transparent" else "busy",
        "videocall": reader.videocall(),
        # Recurrence lines of a timed series are read in its zone (floating EXDATEs).
        "recurrence": reader.recurrence(allday, zone_name or "UTC", start),
    }


def video_link(event):
    """The video-call link of a Google event, as ``from_google`` reads it
    (raises :class:`InvalidEvent`), without reading the rest of it."""
    return _Reader(event, "UTC", None).videocall()


def original_start(event, *, calendar_tz="UTC"):
    """``(series_id, neutral original start)`` of an instance/exception, else None.

    Works on tombstones of cancelled occurrences too (they keep these two fields).
    """
    reader = _Reader(event, calendar_tz, None)
    series_id = event.get("recurringEventId")
    if not series_id:
        return None
    part = reader.mapping("originalStartTime")
    if "date" in part and "dateTime" not in part:
        return series_id, reader.day(part, "originalStartTime").isoformat()
    if "dateTime" not in part:
        reader.fail("an occurrence without originalStartTime")
    zone_name = reader.zone_name(part.get("timeZone") or calendar_tz)
    moment = reader.moment(part, "originalStartTime", zone_name)
    return series_id, recurrence.format_neutral_start(moment)


def normalize_alarms(alarms, *, notes=None, label="event"):
    """Sorted, de-duplicated ``{"method", "minutes"}`` dicts; invalid ones are noted."""
    kept = set()
    for alarm in alarms:
        method = alarm.get("method") if isinstance(alarm, dict) else None
        minutes = alarm.get("minutes") if isinstance(alarm, dict) else None
        if method not in ALARM_METHODS:
            _note(notes, f"{label}: reminder {alarm!r} has an unsupported method: skipped")
            continue
        if isinstance(minutes, bool) or not isinstance(minutes, int | str):
            _note(notes, f"{label}: reminder {alarm!r} has no minutes: skipped")
            continue
        try:
            minutes = int(minutes)
        except ValueError:
            _note(notes, f"{label}: reminder {alarm!r} has no minutes: skipped")
            continue
        if not 0 <= minutes <= MAX_REMINDER_MINUTES:
            _note(notes, f"{label}: reminder {alarm!r} is out of range: skipped")
            continue
        kept.add((minutes, method))
    return [{"method": method, "minutes": minutes} for minutes, method in sorted(kept)]


# --- neutral -> Google -------------------------------------------------------------------


def normalize_values(values, *, notes=None):
    """Canonical neutral values, validated: what the Odoo side should hand to the engine.

    Sorts and de-duplicates attendees and alarms, normalizes e-mails and recurrence
    lines, and fills missing optional keys, so that equal events compare equal.
    Raises :class:`InvalidEvent` for values that do not describe an event.
    """
    label = f"event {values.get('name')!r}"

    def fail(reason):
        raise InvalidEvent(f"{label}: {reason}")

    allday = bool(values.get("allday"))
    zone_name = values.get("timezone") or ""
    try:
        if zone_name:
            recurrence.zone(zone_name)
        first = recurrence.parse_neutral_start(values.get("start"), allday)
        last = recurrence.parse_neutral_start(values.get("stop"), allday)
    except InvalidRecurrence as error:
        return fail(str(error))
    if last < first:
        fail(f"stop {values.get('stop')} is before start {values.get('start')}")
    attendees = {}
    for attendee in values.get("attendees") or []:
        email = normalize_email(attendee.get("email"))
        if not email:
            _note(notes, f"{label}: attendee {attendee.get('name')!r} has no e-mail: skipped")
            continue
        status = attendee.get("status") or "needsAction"
        if status not in ATTENDEE_STATUSES:
            fail(f"attendee {email} has unknown status {status!r}")
        attendees.setdefault(
            email, {"email": email, "name": attendee.get("name") or "", "status": status}
        )
    privacy = values.get("privacy") or ""
    privacy = _PRIVACY_ALIASES.get(privacy, privacy)
    if privacy not in (*PRIVACIES, ""):
        fail(f"unknown privacy {privacy!r}")
    show_as = values.get("show_as") or "busy"
    if show_as not in ("busy", "free"):
        fail(f"unknown show_as {show_as!r}")
    start = recurrence.format_neutral_start(first)
    try:
        lines = (
            recurrence.normalize_lines(
                values["recurrence"], timezone_name=zone_name, allday=allday, start=start
            )
            if values.get("recurrence")
            else []
        )
    except InvalidRecurrence as error:
        return fail(f"recurrence: {error}")
    return without_lone_organizer(
        {
            "name": values.get("name") or "",
            "description": values.get("description") or "",
            "location": values.get("location") or "",
            "allday": allday,
            "start": start,
            "stop": recurrence.format_neutral_start(last),
            # A timed event always has a zone (Google answers "UTC" when it was given
            # none); an all-day one has none, its dates mean the same everywhere.
            "timezone": "" if allday else zone_name or "UTC",
            "attendees": [attendees[email] for email in sorted(attendees)],
            "organizer": normalize_email(values.get("organizer")),
            "alarms": normalize_alarms(values.get("alarms") or [], notes=notes, label=label),
            "privacy": privacy,
            "show_as": show_as,
            "videocall": values.get("videocall") or "",
            "recurrence": lines,
        }
    )


def _google_times(values):
    try:
        return _google_times_or_overflow(values)
    except OverflowError as error:
        raise InvalidEvent("its dates are out of range") from error


def _google_times_or_overflow(values):
    if values["allday"]:
        last = date.fromisoformat(values["stop"])
        return (
            {"date": values["start"]},
            {"date": (last + timedelta(days=1)).isoformat()},
        )  # Google's end is exclusive
    zone_name = values["timezone"] or "UTC"
    local = recurrence.zone(zone_name)

    def part(neutral):
        moment = recurrence.parse_neutral_start(neutral, allday=False).astimezone(local)
        return {"dateTime": moment.isoformat(timespec="seconds"), "timeZone": zone_name}

    return part(values["start"]), part(values["stop"])


def _google_reminders(alarms, notes):
    if len(alarms) > MAX_REMINDERS:
        dropped = alarms[MAX_REMINDERS:]
        _note(notes, f"Google keeps at most {MAX_REMINDERS} reminders; not sent: {dropped}")
    return {"useDefault": False, "overrides": [dict(alarm) for alarm in alarms[:MAX_REMINDERS]]}


def _google_conference(link):
    """conferenceData for a non-Meet video link (send with ``conferenceDataVersion=1``)."""
    if not link:
        return None
    return {
        "conferenceSolution": {"key": {"type": "addOn"}, "name": "Video call"},
        "entryPoints": [{"entryPointType": "video", "uri": link, "label": link}],
    }


def to_google(
    values, *, changed_fields=None, extended_shared=None, extended_private=None, notes=None
):
    """A Google event body: for insert (``changed_fields=None``: everything) or patch.

    ``values`` are full neutral values (normalized on the way). For a patch only the
    Google keys of ``changed_fields`` are emitted. Not written, by design:
    ``organizer`` on a patch (Google changes it only with ``move``) and Meet links
    (``https://meet.google.com/...``: Google owns them). Other video links go to
    ``conferenceData``, so the request needs ``conferenceDataVersion=1``.
    ``extended_shared`` (str -> str) goes to ``extendedProperties.shared``, which
    Google shows on every attendee's copy of the event; ``extended_private`` to
    ``extendedProperties.private``, which stays on the organizer's copy only.
    """
    values = normalize_values(values, notes=notes)
    if changed_fields is None:
        wanted = {key for keys in _GOOGLE_KEYS.values() for key in keys}
    else:
        unknown = set(changed_fields) - set(_GOOGLE_KEYS)
        if unknown:
            raise InvalidEvent(f"not neutral fields: {sorted(unknown)}")
        wanted = {key for field in changed_fields for key in _GOOGLE_KEYS[field]}
        wanted.discard("organizer")
    start, end = _google_times(values)
    videocall = values["videocall"]
    body = {
        "summary": values["name"],
        "description": values["description"],
        "location": values["location"],
        "start": start,
        "end": end,
        "recurrence": values["recurrence"],
        "attendees": [
            {"email": a["email"], "displayName": a["name"], "responseStatus": a["status"]}
            if a["name"]
            else {"email": a["email"], "responseStatus": a["status"]}
            for a in values["attendees"]
        ],
        "organizer": {"email": values["organizer"]},
        "reminders": _google_reminders(values["alarms"], notes),
        "visibility": values["privacy"] or "default",
        "transparency": "transparent" if values["show_as"] == "free" else "opaque",
    }
    if not videocall.startswith(_MEET_PREFIX):
        body["conferenceData"] = _google_conference(videocall)
    body = {key: value for key, value in body.items() if key in wanted}
    if changed_fields is None:
        # An insert has nothing to clear: leave out empty optional parts.
        body = {
            key: value
            for key, value in body.items()
            if value not in (None, []) and value != {"email": ""}
        }
    properties = {
        visibility: {str(key): str(value) for key, value in extended.items()}
        for visibility, extended in (("shared", extended_shared), ("private", extended_private))
        if extended
    }
    if properties:
        body["extendedProperties"] = properties
    return body
