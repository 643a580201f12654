"""Calendar v3: calendarList, calendars, colors, events and channels.

Handlers run under the store lock and either return `(status, headers, body)`
or raise `ApiError`. Attendees who are fake users get their own copy of an
organizer's event (same id and iCalUID), kept in step both ways.
"""

import base64
import copy
import datetime as dt
import hashlib
import json
import re
import secrets
import urllib.parse
import zlib

from .errors import ApiError, bad_request, not_found
from .recurrence import Series, parse_span
from .store import WRITER_ROLES, StoredEvent, new_event_id
from .timeutil import UTC, format_rfc3339, parse_rfc3339, zone

SCOPE_ROOT = "https://www.googleapis.com/auth/"
# Any one of a set lets a token call the operations it guards, as Google's
# reference lists them per method.
READ_SCOPES = {
    SCOPE_ROOT + name
    for name in ("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly")
}
WRITE_SCOPES = {SCOPE_ROOT + "calendar", SCOPE_ROOT + "calendar.events"}
# calendars.get: a calendar's own properties (its id, summary, time zone).
CALENDAR_SCOPES = {
    SCOPE_ROOT + name
    for name in (
        "calendar",
        "calendar.readonly",
        "calendar.calendars",
        "calendar.calendars.readonly",
    )
}
# calendarList.*: the calendars the account subscribes to.
CALENDAR_LIST_SCOPES = {
    SCOPE_ROOT + name
    for name in (
        "calendar",
        "calendar.readonly",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
    )
}

# Operations that only read a calendar's events: a reader may call them.
READ_OPERATIONS = {"events.list", "events.get", "events.instances", "events.watch"}
# What a freeBusyReader sees of an event.
FREE_BUSY_KEYS = (
    "kind",
    "etag",
    "id",
    "status",
    "start",
    "end",
    "transparency",
    "recurringEventId",
    "originalStartTime",
)

_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESPONSE_STATUSES = {"needsAction", "declined", "tentative", "accepted"}
# Fields the server owns: whatever a client sends for them is ignored.
READ_ONLY = {
    "kind",
    "etag",
    "id",
    "htmlLink",
    "created",
    "updated",
    "creator",
    "organizer",
    "hangoutLink",
    "recurringEventId",
    "originalStartTime",
    "iCalUID",
    "sequence",
}
BOOKKEEPING = ("created", "updated", "sequence")
# Fields each attendee keeps for themself on their copy.
PERSONAL = ("reminders", "colorId", "transparency")
EVENT_TYPES = ("default", "birthday", "focusTime", "fromGmail", "outOfOffice", "workingLocation")
# Google refuses extendedProperties on these event types (400).
NO_PROPERTIES_TYPES = ("birthday", "fromGmail")
# What a client may change of an event Gmail made; anything else is a 400.
FROM_GMAIL_WRITABLE = ("reminders", "colorId", "visibility", "transparency", "status")
# Busy blocks of their owner: Google takes no guests on them.
NO_GUESTS_TYPES = ("focusTime", "outOfOffice", "workingLocation")
# Only the organizer sets what guests may do.
PERMISSION_FIELDS = ("guestsCanModify", "guestsCanInviteOthers", "guestsCanSeeOtherGuests")
# An attendee may change these on their own attendee entry only.
OWN_ATTENDEE_FIELDS = ("responseStatus", "comment", "additionalGuests")
# Parameters Google refuses next to a syncToken.
FORBIDDEN_WITH_SYNC = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
PAGE_SIGNATURE = (
    "syncToken",
    "showDeleted",
    "singleEvents",
    "orderBy",
    "timeMin",
    "timeMax",
    "updatedMin",
    "q",
    "iCalUID",
    "privateExtendedProperty",
    "sharedExtendedProperty",
    "eventTypes",
)
# JSON types of the writable fields the fake interprets or stores.
FIELD_TYPES = {
    **dict.fromkeys(
        (
            "summary",
            "description",
            "location",
            "colorId",
            "status",
            "visibility",
            "transparency",
            "eventType",
        ),
        str,
    ),
    **dict.fromkeys(
        ("start", "end", "reminders", "extendedProperties", "conferenceData", "source"), dict
    ),
    **dict.fromkeys(("recurrence", "attendees", "attachments"), list),
    **dict.fromkeys(
        (
            "guestsCanModify",
            "guestsCanInviteOthers",
            "guestsCanSeeOtherGuests",
            "anyoneCanAddSelf",
            "locked",
        ),
        bool,
    ),
}
EVENT_COLORS = {
    "1": "#a4bdfc",
    "2": "#7ae7bf",
    "3": "#dbadff",
    "4": "#ff887c",
    "5": "#fbd75b",
    "6": "#ffb878",
    "7": "#46d6db",
    "8": "#e1e1e1",
    "9": "#5484ed",
    "10": "#51b749",
    "11": "#dc2127",
}

ROUTES = [
    ("GET", r"users/me/calendarList", "calendarList.list"),
    ("GET", r"users/me/calendarList/([^/]+)", "calendarList.get"),
    ("GET", r"colors", "colors.get"),
    ("GET", r"calendars/([^/]+)", "calendars.get"),
    ("GET", r"calendars/([^/]+)/events", "events.list"),
    ("POST", r"calendars/([^/]+)/events", "events.insert"),
    ("POST", r"calendars/([^/]+)/events/watch", "events.watch"),
    ("GET", r"calendars/([^/]+)/events/([^/]+)", "events.get"),
    ("PATCH", r"calendars/([^/]+)/events/([^/]+)", "events.patch"),
    ("PUT", r"calendars/([^/]+)/events/([^/]+)", "events.update"),
    ("DELETE", r"calendars/([^/]+)/events/([^/]+)", "events.delete"),
    ("GET", r"calendars/([^/]+)/events/([^/]+)/instances", "events.instances"),
    ("POST", r"calendars/([^/]+)/events/([^/]+)/move", "events.move"),
    ("POST", r"channels/stop", "channels.stop"),
]
_COMPILED = [(method, re.compile(f"^{pattern}$"), name) for method, pattern, name in ROUTES]


def route(method, path):
    """(operation name, decoded path arguments) for a path under /calendar/v3/."""
    known_path = False
    for route_method, pattern, name in _COMPILED:
        match = pattern.match(path)
        if match:
            known_path = True
            if route_method == method:
                return name, [urllib.parse.unquote(arg) for arg in match.groups()]
    if known_path:
        raise ApiError(405, "httpMethodNotAllowed", f"Method {method} not allowed on this path.")
    raise not_found()


class Call:
    """One API request, as the handlers see it."""

    def __init__(self, operation, args, query, headers, body, email, scope):
        self.operation = operation
        self.args = args
        self.query = query
        self.headers = headers
        self.body = body
        self.email = email
        self.scope = set(scope.split())
        # Who Google would have e-mailed about this call (sendUpdates).
        self.notified = []

    def param(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name):
        value = self.param(name)
        if value is None:
            return False
        if value.lower() not in ("true", "false"):
            raise bad_request(f"Invalid boolean value: '{value}'.", location=name)
        return value.lower() == "true"

    def json_body(self):
        if not self.body:
            return {}
        try:
            body = json.loads(self.body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, "parseError", "Parse Error") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "parseError", "Parse Error")
        return body


def _encode_token(payload):
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token):
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def _full_sync_required():
    message = "Sync token is no longer valid, a full sync is required."
    return ApiError(410, "fullSyncRequired", message, domain="calendar", location="syncToken")


def _forbidden_for_non_organizer():
    return ApiError(
        403,
        "forbiddenForNonOrganizer",
        "Shared properties can only be changed by the organizer of the event.",
        domain="calendar",
    )


def _merge(target, patch):
    """Patch semantics: objects merge, lists and scalars replace, null clears."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            if key in ("start", "end") and "date" in value:
                target[key] = copy.deepcopy(value)
                continue
            if key in ("start", "end") and "dateTime" in value:
                target[key].pop("date", None)
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def shared_view(data):
    """What every copy of a meeting shares: all but personal and bookkeeping fields."""
    view = {k: v for k, v in data.items() if k not in PERSONAL and k not in BOOKKEEPING}
    properties = view.pop("extendedProperties", None) or {}
    if properties.get("shared"):
        view["extendedProperties"] = {"shared": properties["shared"]}
    return view


class CalendarApi:
    def __init__(self, store, notifier, root_url):
        self.store = store
        self.notifier = notifier
        self.root_url = root_url

    # ---- dispatch -------------------------------------------------------

    def handle(self, call):
        operation = call.operation
        if operation.startswith("calendarList."):
            if not call.scope & CALENDAR_LIST_SCOPES:
                raise _insufficient_scope()
        elif operation.startswith("calendars."):
            if not call.scope & CALENDAR_SCOPES:
                raise _insufficient_scope()
        elif operation in (
            "events.list",
            "events.get",
            "events.instances",
            "events.watch",
            "channels.stop",
            "colors.get",
        ):
            if not call.scope & READ_SCOPES:
                raise _insufficient_scope()
        elif not call.scope & WRITE_SCOPES:
            raise _insufficient_scope()
        send_updates = call.param("sendUpdates")
        if send_updates is not None and send_updates not in ("all", "externalOnly", "none"):
            raise bad_request(
                f"Invalid value for sendUpdates: {send_updates}", location="sendUpdates"
            )
        handler = getattr(self, "op_" + operation.replace(".", "_"))
        status, headers, payload = handler(call, *call.args)
        limit = call.param("maxAttendees")
        if limit is not None and payload is not None and operation.startswith("events."):
            _limit_attendees(payload, limit)
        return status, headers, payload

    def _user(self, call):
        user = self.store.users.get(call.email)
        if user is None:
            raise not_found()
        return user

    def _calendar(self, call, calendar_id):
        """The calendar ``calendar_id`` as the caller may use it: its own, or one
        shared with it, for reading only unless the caller is a writer."""
        user = self._user(call)
        calendar, role = self.store.accessible(user.email, calendar_id)
        if calendar is None:
            raise not_found()
        if role not in WRITER_ROLES and call.operation not in READ_OPERATIONS:
            raise ApiError(
                403, "requiredAccessLevel", "You need to have writer access to this calendar."
            )
        if role == "freeBusyReader" and call.operation != "events.list":
            raise not_found()
        return calendar

    def _role(self, call, calendar):
        return self.store.accessible(call.email, calendar.id)[1]

    # ---- calendarList, calendars, colors ---------------------------------

    def _list_entry(self, user, calendar, role="owner"):
        entry = {
            "kind": "calendar#calendarListEntry",
            "etag": _stable_etag(calendar.id),
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "colorId": "14",
            "backgroundColor": calendar.color,
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": role,
            "defaultReminders": user.default_reminders
            if calendar.primary and calendar.owner == user.email
            else [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.primary and calendar.owner == user.email:
            entry["primary"] = True
        return entry

    def _entries_of(self, user):
        """{calendar id: list entry} of every calendar ``user`` sees."""
        entries = {cid: self._list_entry(user, cal) for cid, cal in user.calendars.items()}
        for calendar_id in user.shared:
            calendar, role = self.store.accessible(user.email, calendar_id)
            if calendar is not None:
                entries[calendar_id] = self._list_entry(user, calendar, role)
        return entries

    def op_calendarList_list(self, call):
        """Every calendar of the list, or, with a ``syncToken``, those changed
        since (a removed one as ``{"id", "deleted": true}``), as Google does."""
        user = self._user(call)
        entries = self._entries_of(user)
        token = call.param("syncToken")
        if token:
            payload = _decode_token(token)
            if (
                not payload
                or payload.get("calendarList") != call.email
                or not isinstance(payload.get("s"), int)
                or payload["s"] > self.store.seq
            ):
                raise _full_sync_required()
            items = []
            for calendar_id, (seq, removed) in sorted(user.list_changes.items()):
                if seq <= payload["s"]:
                    continue
                if removed or calendar_id not in entries:
                    items.append(
                        {"kind": "calendar#calendarListEntry", "id": calendar_id, "deleted": True}
                    )
                else:
                    items.append(entries[calendar_id])
        else:
            items = list(entries.values())
        return (
            200,
            {},
            {
                "kind": "calendar#calendarList",
                "etag": f'"p{self.store.seq:015d}"',
                "nextSyncToken": _encode_token({"calendarList": call.email, "s": self.store.seq}),
                "items": items,
            },
        )

    def op_calendarList_get(self, call, calendar_id):
        user = self._user(call)
        calendar, role = self.store.accessible(user.email, calendar_id)
        if calendar is None:
            raise not_found()
        return 200, {}, self._list_entry(user, calendar, role)

    def op_calendars_get(self, call, calendar_id):
        calendar = self._calendar(call, calendar_id)
        return (
            200,
            {},
            {
                "kind": "calendar#calendar",
                "etag": _stable_etag(calendar.id),
                "id": calendar.id,
                "summary": calendar.summary,
                "timeZone": calendar.time_zone,
                "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
            },
        )

    def op_colors_get(self, call):
        palette = {
            key: {"background": color, "foreground": "#1d1d1d"}
            for key, color in EVENT_COLORS.items()
        }
        return (
            200,
            {},
            {
                "kind": "calendar#colors",
                "updated": "2012-02-14T00:00:00.000Z",
                "calendar": palette,
                "event": palette,
            },
        )

    # ---- rendering --------------------------------------------------------

    def render(self, calendar, record):
        data = record.data
        out = {"kind": "calendar#event", "etag": record.etag}
        out.update(data)
        out["htmlLink"] = "https://www.google.com/calendar/event?eid=" + base64.urlsafe_b64encode(
            f"{data['id']} {calendar.id}".encode()
        ).decode().rstrip("=")
        organizer_email = data["organizer"]["email"]
        out["organizer"] = dict(data["organizer"])
        if organizer_email == calendar.id:
            out["organizer"]["self"] = True
        out["creator"] = dict(data["creator"])
        if data["creator"]["email"] == calendar.owner:
            out["creator"]["self"] = True
        if data.get("attendees"):
            attendees = []
            for attendee in data["attendees"]:
                attendee = dict(attendee)
                if attendee["email"] == organizer_email:
                    attendee["organizer"] = True
                if attendee["email"] == calendar.owner:
                    attendee["self"] = True
                attendees.append(attendee)
            out["attendees"] = attendees
        out.setdefault("reminders", {"useDefault": True})
        out.setdefault("eventType", "default")
        return out

    def tombstone(self, calendar, record):
        out = {
            "kind": "calendar#event",
            "etag": record.etag,
            "id": record.data["id"],
            "status": "cancelled",
        }
        master_id = record.data.get("recurringEventId")
        if master_id:
            master = calendar.events.get(master_id)
            if master is not None and not master.cancelled:
                out["recurringEventId"] = master_id
                out["originalStartTime"] = record.data["originalStartTime"]
        return out

    # ---- validation ---------------------------------------------------------

    def _clean_body(self, body):
        return {
            k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY and v is not None
        }

    def _validate(self, calendar, data):
        """Raise a 400 for anything Google would refuse; normalize attendees."""
        for field, expected in FIELD_TYPES.items():
            if field in data and not isinstance(data[field], expected):
                raise bad_request(f"Invalid value for: {field}", location=field)
        _enum(data, "status", ("confirmed", "tentative", "cancelled"))
        _enum(data, "visibility", ("default", "public", "private", "confidential"))
        _enum(data, "transparency", ("opaque", "transparent"))
        _enum(data, "eventType", EVENT_TYPES)
        kind = data.get("eventType", "default")
        if kind in NO_GUESTS_TYPES and any(
            isinstance(a, dict) and a.get("email") != data.get("organizer", {}).get("email")
            for a in data.get("attendees") or ()
        ):
            raise bad_request(f"Events of type {kind} cannot have attendees.", reason="invalid")
        if "colorId" in data and data["colorId"] not in EVENT_COLORS:
            raise bad_request("Invalid color ID.", location="colorId")
        parse_span(data)
        recurrence = data.get("recurrence")
        if recurrence:
            if not isinstance(recurrence, list) or data.get("recurringEventId"):
                raise bad_request("Invalid recurrence rule.", location="recurrence")
            Series(data, calendar.time_zone)
        elif "recurrence" in data:
            del data["recurrence"]
        self._validate_reminders(data.get("reminders"))
        self._validate_properties(data.get("extendedProperties"))
        attendees = data.get("attendees")
        if attendees is not None:
            if not isinstance(attendees, list):
                raise bad_request("Invalid attendees.", location="attendees")
            normalized = {}
            for attendee in attendees:
                if not isinstance(attendee, dict) or not _EMAIL.match(
                    str(attendee.get("email", ""))
                ):
                    raise bad_request("Invalid attendee email.", location="attendees")
                clean = {k: v for k, v in attendee.items() if k not in ("self", "organizer", "id")}
                clean["email"] = clean["email"].strip().lower()
                clean.setdefault("responseStatus", "needsAction")
                if clean["responseStatus"] not in RESPONSE_STATUSES:
                    raise bad_request("Invalid attendee response status.", location="attendees")
                normalized[clean["email"]] = clean
            data["attendees"] = list(normalized.values())
            if not data["attendees"]:
                del data["attendees"]

    def _validate_reminders(self, reminders):
        if reminders is None:
            return
        if not isinstance(reminders, dict):
            raise bad_request("Invalid reminders.", location="reminders")
        overrides = reminders.get("overrides") or []
        if not isinstance(overrides, list) or not all(isinstance(o, dict) for o in overrides):
            raise bad_request("Invalid reminders.", location="reminders.overrides")
        if reminders.get("useDefault") and overrides:
            raise bad_request(
                "Cannot specify both default reminders and overrides at the same time.",
                reason="cannotUseDefaultRemindersAndSpecifyOverride",
            )
        if len(overrides) > 5:
            raise bad_request(
                "The maximum number of override reminders is 5.", reason="tooManyReminders"
            )
        for override in overrides:
            minutes = override.get("minutes") if isinstance(override, dict) else None
            if (
                override.get("method") not in ("email", "popup")
                or not isinstance(minutes, int)
                or not 0 <= minutes <= 40320
            ):
                raise bad_request("Invalid reminder.", location="reminders.overrides")

    def _validate_properties(self, properties):
        if properties is None:
            return
        if not isinstance(properties, dict):
            raise bad_request("Invalid extended properties.", location="extendedProperties")
        for visibility, values in properties.items():
            if (
                visibility not in ("private", "shared")
                or not isinstance(values, dict)
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
            ):
                raise bad_request("Invalid extended properties.", location="extendedProperties")

    def _conference(self, call, data, previous=None):
        """Honour conferenceData only with conferenceDataVersion=1, as Google does."""
        previous = previous or {}
        if call.param("conferenceDataVersion", "0") != "1":
            for field in ("conferenceData", "hangoutLink"):
                data.pop(field, None)
                if field in previous:
                    data[field] = previous[field]
            return
        conference = data.get("conferenceData")
        if not conference:
            data.pop("conferenceData", None)
            data.pop("hangoutLink", None)
            return
        request = conference.get("createRequest")
        if request is not None and not isinstance(request, dict):
            raise bad_request("Invalid conference create request.", location="conferenceData")
        previous_request = (previous.get("conferenceData") or {}).get("createRequest") or {}
        if (
            request
            and previous_request
            and request.get("requestId") == previous_request.get("requestId")
        ):
            # The same request id asks for the conference already created.
            data["conferenceData"] = previous["conferenceData"]
            if "hangoutLink" in previous:
                data["hangoutLink"] = previous["hangoutLink"]
            return
        if request:
            key = request.get("conferenceSolutionKey")
            kind = key.get("type") if isinstance(key, dict) else None
            if kind != "hangoutsMeet":
                raise bad_request("Invalid conference type value.", location="conferenceData")
            request_id = request.get("requestId", "")
            if self.store.conference_pending:
                data.pop("hangoutLink", None)
                data["conferenceData"] = {
                    "createRequest": {
                        "requestId": request_id,
                        "conferenceSolutionKey": {"type": "hangoutsMeet"},
                        "status": {"statusCode": "pending"},
                    }
                }
            else:
                _create_meet(data, request_id)

    def _settle_conferences(self, calendar):
        """Create the Meet links still pending in ``calendar`` (Google does it a
        moment after the write that asked): a new version of each event."""
        for record in list(calendar.events.values()):
            request = (record.data.get("conferenceData") or {}).get("createRequest") or {}
            if record.cancelled or (request.get("status") or {}).get("statusCode") != "pending":
                continue
            data = copy.deepcopy(record.data)
            _create_meet(data, request.get("requestId", ""))
            record = self._write(calendar, data, origin=record.origin)
            if record.origin is None:
                self._propagate(calendar, record)

    # ---- storage with bookkeeping ----------------------------------------------

    def _write(self, calendar, data, origin=None, key=None):
        """Store `data` as the new state of its event (under `key`, by default its
        id); bump etag, sequence, updated."""
        store = self.store
        stamp = format_rfc3339(store.clock.now())
        key = key or data["id"]
        record = calendar.events.get(key)
        if record is None:
            data["created"] = stamp
            data["sequence"] = 0
            data["updated"] = stamp
            record = StoredEvent(data, store.next_seq(), store.next_created_no(), origin)
            calendar.events[key] = record
        else:
            old = record.data
            data["created"] = old["created"]
            data["sequence"] = old.get("sequence", 0) + 1
            # Google leaves `updated` alone when only the reminders changed.
            only_reminders = {
                k: v for k, v in data.items() if k not in (*BOOKKEEPING, "reminders")
            } == {
                k: v for k, v in old.items() if k not in (*BOOKKEEPING, "reminders")
            } and data.get("reminders") != old.get("reminders")
            data["updated"] = old["updated"] if only_reminders else stamp
            record.data = data
            record.seq = store.next_seq()
        calendar.updated = stamp
        self.notifier.calendar_changed(calendar)
        return record

    def _new_event_data(self, calendar, body, event_id):
        data = self._clean_body(body)
        data["id"] = event_id
        ical_uid = body.get("iCalUID")
        if ical_uid is not None and not isinstance(ical_uid, str):
            raise bad_request("Invalid iCalUID.", location="iCalUID")
        data["iCalUID"] = ical_uid or f"{event_id}@google.com"
        data.setdefault("status", "confirmed")
        organizer = {"email": calendar.id}
        if not calendar.primary:
            organizer["displayName"] = calendar.summary
        data["organizer"] = organizer
        data["creator"] = {"email": calendar.owner}
        return data

    def _seeded_invitation(self, calendar, body, data):
        """Seeding only: an event organized outside the fake, as its invitee sees it.

        Returns the record origin to use (None for the calendar's own event).
        """
        organizer = body.get("organizer")
        if not organizer or not isinstance(organizer, dict):
            return None
        email = str(organizer.get("email") or "").strip().lower()
        if not _EMAIL.match(email):
            raise bad_request("Invalid organizer email.", location="organizer")
        if email == calendar.id:
            return None
        if email in self.store.users:
            raise bad_request(
                f"{email} is a fake user: seed the event in their calendar, the attendees' "
                "copies follow.",
                location="organizer",
            )
        data["organizer"] = {k: v for k, v in organizer.items() if k != "self"}
        data["organizer"]["email"] = email
        data["creator"] = {"email": email}
        return (email, email)

    def insert(self, call, calendar, body):
        """events.insert, also used by the control API's bulk seeding."""
        event_id = body.get("id")
        if event_id is None:
            event_id = new_event_id()
        elif not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
            raise bad_request("Invalid resource id value.", location="id")
        twin = event_id in calendar.events
        if twin and (call is None or self.store.detect_id_collisions):
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        data = self._new_event_data(calendar, body, event_id)
        origin = None
        if call is None:
            # Seeding may store what a client cannot send: a Meet link, an outside organizer.
            if "hangoutLink" in body:
                data["hangoutLink"] = body["hangoutLink"]
            origin = self._seeded_invitation(calendar, body, data)
        self._validate(calendar, data)
        if call is not None:
            if data.get("eventType") == "fromGmail":
                raise bad_request("Events from Gmail cannot be created.", reason="invalid")
            _check_event_type_rules({}, data, body)
            self._conference(call, data)
        if twin:
            # Undetected collision: a second event under the same id, which
            # every later call by id misses.
            record = self._write(calendar, data, key=calendar.free_key(event_id))
        else:
            record = self._write(calendar, data, origin=origin)
            if origin is None:
                self._propagate(calendar, record)
        if call is not None:
            self._note_recipients(call, calendar, data, None)
        return record

    # ---- attendee copies ---------------------------------------------------------

    def _propagate(self, calendar, record):
        """Bring every attendee's copy of this organizer record in line with it."""
        data = record.data
        attendees = {a["email"] for a in data.get("attendees") or ()}
        targets = {
            email
            for email in attendees
            if email in self.store.users and email not in (calendar.owner, calendar.id)
        }
        shared = shared_view(data)
        for email in sorted(targets | record.copies):
            copy_calendar = self.store.users[email].primary
            existing = copy_calendar.events.get(data["id"])
            if existing is not None and existing.origin != (calendar.owner, calendar.id):
                continue  # an unrelated event of theirs that happens to share the id
            attending = email in targets and not record.cancelled
            if existing is None and not attending:
                continue
            new = copy.deepcopy(shared)
            if existing is not None:
                for field in PERSONAL:
                    if field in existing.data:
                        new[field] = existing.data[field]
                private = (existing.data.get("extendedProperties") or {}).get("private")
                if private:
                    new.setdefault("extendedProperties", {})["private"] = private
            if not attending or (existing is not None and existing.removed_by_owner):
                new["status"] = "cancelled"
            if (
                existing is not None
                and shared_view(existing.data) == shared_view(new)
                and all(existing.data.get(f) == new.get(f) for f in PERSONAL)
            ):
                continue
            self._write(copy_calendar, new, origin=(calendar.owner, calendar.id))
            record.copies.add(email)

    def _attendee_change(self, call, calendar, record, new_data):
        """An attendee edits their copy: only their response and personal fields."""
        old_view = _neutral_own_entry(shared_view(record.data), calendar.owner)
        new_view = _neutral_own_entry(shared_view(new_data), calendar.owner)
        if old_view != new_view:
            if not record.data.get("guestsCanModify") or any(
                old_view.get(field) != new_view.get(field) for field in PERMISSION_FIELDS
            ):
                raise _forbidden_for_non_organizer()
            record = self._guest_modifies(calendar, record, new_data)
        own = next(
            (a for a in new_data.get("attendees") or () if a["email"] == calendar.owner), None
        )
        personal = dict(record.data)
        for field in PERSONAL:
            personal.pop(field, None)
            if field in new_data:
                personal[field] = new_data[field]
        private = (new_data.get("extendedProperties") or {}).get("private")
        shared = (record.data.get("extendedProperties") or {}).get("shared")
        personal.pop("extendedProperties", None)
        if private or shared:
            personal["extendedProperties"] = {
                k: v for k, v in (("private", private), ("shared", shared)) if v
            }
        personal = copy.deepcopy(personal)
        changed_response = own is not None and own != next(
            (a for a in record.data.get("attendees") or () if a["email"] == calendar.owner), None
        )
        if changed_response:
            personal["attendees"] = _with_answer(personal["attendees"], own)
        record = self._write(calendar, personal, origin=record.origin)
        if changed_response:
            self._answer_organizer(call, record, own)
        return record

    def _guest_modifies(self, calendar, record, new_data):
        """A guest edits a meeting whose organizer lets guests modify it: the
        organizer's event takes the change, and every copy follows. Returns the
        guest's copy as it now stands (their personal fields still to apply)."""
        organizer_calendar = self.store.find_calendar(*record.origin)
        resolved = (
            self._resolve(organizer_calendar, record.data["id"]) if organizer_calendar else None
        )
        if resolved is None:
            # Organized outside the fake: the guest's copy is all it holds.
            return self._write(calendar, copy.deepcopy(new_data), origin=record.origin)
        organizer_record = self._materialize(organizer_calendar, resolved)
        data = copy.deepcopy(shared_view(new_data))
        data.pop("extendedProperties", None)
        for field in (*PERSONAL, "extendedProperties"):
            if field in organizer_record.data:
                data[field] = copy.deepcopy(organizer_record.data[field])
        organizer_record = self._write(organizer_calendar, data)
        self._propagate(organizer_calendar, organizer_record)
        return calendar.events[record.data["id"]]

    def _answer_organizer(self, call, record, own):
        """Carry an attendee's answer to the organizer's event and the other copies."""
        if call is not None and _send_updates(call) == "all":
            call.notified.append(record.data["organizer"]["email"])
        organizer_calendar = self.store.find_calendar(*record.origin)
        if organizer_calendar is None:
            return  # organized outside the fake: only the e-mail would tell them
        resolved = self._resolve(organizer_calendar, record.data["id"])
        if resolved is None:
            return
        organizer_record = self._materialize(organizer_calendar, resolved)
        data = copy.deepcopy(organizer_record.data)
        data["attendees"] = _with_answer(data.get("attendees") or [], own)
        organizer_record = self._write(organizer_calendar, data)
        self._propagate(organizer_calendar, organizer_record)

    # ---- single events ---------------------------------------------------------

    def _resolve(self, calendar, event_id):
        """A stored record, or (master record, occurrence, series) for an unmodified instance."""
        record = calendar.events.get(event_id)
        if record is not None:
            return record
        master_id, _, suffix = event_id.rpartition("_")
        master = calendar.events.get(master_id)
        if master is None or master.cancelled or not master.data.get("recurrence"):
            return None
        series = Series(master.data, calendar.time_zone)
        occurrence = series.find(suffix)
        if occurrence is None:
            return None
        return master, occurrence, series

    def _instance_data(self, master, occurrence, series):
        data = {k: copy.deepcopy(v) for k, v in master.data.items() if k != "recurrence"}
        data["id"] = f"{master.data['id']}_{occurrence.suffix}"
        data["start"] = series.time_spec(occurrence.start)
        data["end"] = series.time_spec(occurrence.end)
        data["recurringEventId"] = master.data["id"]
        data["originalStartTime"] = series.time_spec(occurrence.start)
        return data

    def _materialize(self, calendar, resolved):
        """Turn an unmodified instance into a stored exception record."""
        if isinstance(resolved, StoredEvent):
            return resolved
        master, occurrence, series = resolved
        data = self._instance_data(master, occurrence, series)
        record = self._write(calendar, data, origin=master.origin)
        return record

    def _check_if_match(self, call, etag):
        expected = call.headers.get("if-match")
        if expected and expected != "*" and expected != etag:
            raise ApiError(
                412,
                "conditionNotMet",
                "Precondition Failed",
                location="If-Match",
                location_type="header",
            )

    def op_events_get(self, call, calendar_id, event_id):
        calendar = self._calendar(call, calendar_id)
        self._settle_conferences(calendar)
        resolved = self._resolve(calendar, event_id)
        if resolved is None:
            raise not_found()
        if isinstance(resolved, StoredEvent):
            record = resolved
            body = self.render(calendar, record)
        else:
            master, occurrence, series = resolved
            record = master
            data = self._instance_data(master, occurrence, series)
            body = self.render(calendar, StoredEvent(data, master.seq, master.created_no))
        if call.headers.get("if-none-match") == body["etag"]:
            return 304, {"ETag": body["etag"]}, None
        return 200, {"ETag": body["etag"]}, body

    def op_events_insert(self, call, calendar_id):
        calendar = self._calendar(call, calendar_id)
        record = self.insert(call, calendar, call.json_body())
        return 200, {"ETag": record.etag}, self.render(calendar, record)

    def op_events_patch(self, call, calendar_id, event_id):
        return self._modify(call, calendar_id, event_id, replace=False)

    def op_events_update(self, call, calendar_id, event_id):
        return self._modify(call, calendar_id, event_id, replace=True)

    def _modify(self, call, calendar_id, event_id, replace):
        calendar = self._calendar(call, calendar_id)
        body = call.json_body()
        resolved = self._resolve(calendar, event_id)
        if resolved is None:
            raise not_found()
        base = _base_record(resolved)
        self._check_if_match(call, base.etag)
        old = resolved.data if isinstance(resolved, StoredEvent) else self._instance_data(*resolved)
        fixed = {k: old[k] for k in READ_ONLY if k in old}
        if replace:
            data = self._clean_body(body)
            for field in PERSONAL:
                # An attendee's update that omits personal fields keeps them.
                if field not in data and base.origin and field in old:
                    data[field] = old[field]
        else:
            data = _merge(
                copy.deepcopy({k: v for k, v in old.items() if k not in READ_ONLY}),
                self._clean_body_for_patch(body),
            )
        data.update(fixed)
        _check_event_type_rules(old, data, body)
        self._validate(calendar, data)
        self._conference(call, data, previous=old)
        if base.origin:
            record = self._materialize(calendar, resolved)
            record = self._attendee_change(call, calendar, record, data)
        else:
            previous_attendees = list(old.get("attendees") or ())
            # Writing an unmodified instance stores it as an exception.
            record = self._write(calendar, data)
            self._propagate(calendar, record)
            self._note_recipients(call, calendar, record.data, previous_attendees)
        return 200, {"ETag": record.etag}, self.render(calendar, record)

    def _clean_body_for_patch(self, body):
        # In a patch, an explicit null clears a field; read-only fields are ignored.
        return {k: v for k, v in body.items() if k not in READ_ONLY}

    def op_events_delete(self, call, calendar_id, event_id):
        calendar = self._calendar(call, calendar_id)
        resolved = self._resolve(calendar, event_id)
        if resolved is None:
            raise not_found()
        if isinstance(resolved, StoredEvent) and resolved.cancelled:
            raise ApiError(410, "deleted", "Resource has been deleted")
        self._check_if_match(call, _base_record(resolved).etag)
        record = self._materialize(calendar, resolved)
        if record.origin:
            # An attendee removing the meeting from their calendar declines it.
            record.removed_by_owner = True
            data = dict(record.data, status="cancelled")
            own = next(
                (a for a in data.get("attendees") or () if a["email"] == calendar.owner), None
            )
            if own is not None:
                own = dict(own, responseStatus="declined")
                data["attendees"] = _with_answer(data["attendees"], own)
            record = self._write(calendar, data, origin=record.origin)
            if own is not None:
                self._answer_organizer(call, record, own)
            return 204, {}, None
        self._note_recipients(call, calendar, record.data, None)
        self._cancel(calendar, record)
        return 204, {}, None

    def _cancel(self, calendar, record):
        record = self._write(calendar, dict(record.data, status="cancelled"))
        self._propagate(calendar, record)
        if record.data.get("recurrence"):
            prefix = record.data["id"] + "_"
            for other in list(calendar.events.values()):
                if (
                    other.data["id"].startswith(prefix)
                    and not other.cancelled
                    and other.data.get("recurringEventId") == record.data["id"]
                ):
                    exception = self._write(calendar, dict(other.data, status="cancelled"))
                    self._propagate(calendar, exception)

    def op_events_move(self, call, calendar_id, event_id):
        calendar = self._calendar(call, calendar_id)
        destination_id = call.param("destination")
        if not destination_id:
            raise bad_request(
                "Required parameter: destination", reason="required", location="destination"
            )
        destination = self._calendar(call, destination_id)
        record = calendar.events.get(event_id)
        if record is None:
            raise not_found()
        if record.cancelled:
            raise ApiError(410, "deleted", "Resource has been deleted")
        if record.origin:
            raise _forbidden_for_non_organizer()
        if record.data.get("recurringEventId"):
            raise bad_request(
                "Cannot change the organizer of an instance.",
                reason="cannotChangeOrganizerOfInstance",
            )
        if destination is calendar:
            return 200, {"ETag": record.etag}, self.render(calendar, record)
        target = destination.events.get(event_id)
        if target is not None and not target.cancelled:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        data = copy.deepcopy(record.data)
        data["organizer"] = {"email": destination.id}
        if not destination.primary:
            data["organizer"]["displayName"] = destination.summary
        moved = self._write(destination, data)
        moved.copies, record.copies = record.copies, set()
        for email in moved.copies:
            copy_record = self.store.users[email].primary.events.get(event_id)
            if copy_record is not None:
                copy_record.origin = (destination.owner, destination.id)
        self._write(calendar, dict(record.data, status="cancelled"))
        self._propagate(destination, moved)
        self._note_recipients(call, destination, moved.data, None)
        return 200, {"ETag": moved.etag}, self.render(destination, moved)

    def _note_recipients(self, call, calendar, data, previous_attendees):
        """Record who Google would e-mail for this write, following sendUpdates."""
        mode = _send_updates(call)
        if mode in (None, "none"):
            return
        organizer = data["organizer"]["email"]
        domain = organizer.rpartition("@")[2]
        emails = {a["email"] for a in data.get("attendees") or ()}
        emails |= {a["email"] for a in previous_attendees or ()}
        for email in sorted(emails - {organizer, calendar.owner}):
            if mode == "all" or email.rpartition("@")[2] != domain:
                call.notified.append(email)

    # ---- lists ----------------------------------------------------------------------

    def op_events_list(self, call, calendar_id):
        calendar = self._calendar(call, calendar_id)
        if not call.param("pageToken"):
            self._settle_conferences(calendar)
        listing = EventListing(self, call, calendar).run()
        if self._role(call, calendar) == "freeBusyReader":
            # Free/busy only: when, and whether it is busy; nothing else.
            listing["items"] = [
                {key: item[key] for key in FREE_BUSY_KEYS if key in item}
                for item in listing["items"]
            ]
            listing["accessRole"] = "freeBusyReader"
        return 200, {}, listing

    def op_events_instances(self, call, calendar_id, event_id):
        calendar = self._calendar(call, calendar_id)
        master = calendar.events.get(event_id)
        if master is None:
            raise not_found()
        if master.cancelled:
            raise ApiError(410, "deleted", "Resource has been deleted")
        return 200, {}, EventListing(self, call, calendar, master=master).run()

    # ---- push channels ----------------------------------------------------------------

    def op_events_watch(self, call, calendar_id):
        calendar = self._calendar(call, calendar_id)
        body = call.json_body()
        channel_id = body.get("id")
        if not channel_id or not isinstance(channel_id, str):
            raise bad_request("Required: channel id.", reason="required", location="id")
        if body.get("type") not in ("web_hook", "webhook"):
            raise bad_request("Unsupported channel type.", location="type")
        address = body.get("address") or ""
        parsed = urllib.parse.urlparse(address)
        loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
            raise bad_request(
                f"WebHook callback must be HTTPS: {address}", reason="push.webhookUrlNotHttps"
            )
        if channel_id in self.store.channels:
            raise bad_request(f"Channel id {channel_id} not unique", reason="channelIdNotUnique")
        try:
            ttl = int((body.get("params") or {}).get("ttl", 604800))
        except (TypeError, ValueError) as exc:
            raise bad_request("Invalid ttl.", location="params.ttl") from exc
        now_ms = int(dt.datetime.now(UTC).timestamp() * 1000)
        expiration = now_ms + ttl * 1000
        if body.get("expiration"):
            expiration = min(expiration, int(body["expiration"]))
        resource_id = secrets.token_urlsafe(20)
        resource_uri = (
            f"{self.root_url}/calendar/v3/calendars/"
            f"{urllib.parse.quote(calendar.id)}/events?alt=json"
        )
        channel = {
            "id": channel_id,
            "resourceId": resource_id,
            "resourceUri": resource_uri,
            "token": body.get("token"),
            "expiration": expiration,
            "address": address,
            "owner": calendar.owner,
            "calendar": calendar.id,
            "message_number": 0,
        }
        self.store.channels[channel_id] = channel
        self.notifier.send(channel, "sync")
        result = {
            "kind": "api#channel",
            "id": channel_id,
            "resourceId": resource_id,
            "resourceUri": resource_uri,
            "expiration": str(expiration),
        }
        if channel["token"] is not None:
            result["token"] = channel["token"]
        return 200, {}, result

    def op_channels_stop(self, call):
        body = call.json_body()
        channel = self.store.channels.get(body.get("id"))
        if (
            channel is None
            or channel["resourceId"] != body.get("resourceId")
            or channel["owner"] != call.email
        ):
            raise ApiError(
                404, "notFound", f"Channel '{body.get('id')}' not found for project 'fake-project'"
            )
        del self.store.channels[channel["id"]]
        return 204, {}, None


class EventListing:
    """events.list and events.instances: filters, expansion, paging, sync tokens."""

    def __init__(self, api, call, calendar, master=None):
        self.api = api
        self.call = call
        self.calendar = calendar
        self.master = master

    def run(self):
        call = self.call
        max_results = self._int_param("maxResults", 250, 1, 2500)
        sync_token = call.param("syncToken")
        if sync_token is not None:
            for name in FORBIDDEN_WITH_SYNC:
                if call.param(name) is not None:
                    raise bad_request(
                        f"The parameter '{name}' is not allowed with syncToken.", location=name
                    )
        self.show_deleted = call.flag("showDeleted")
        self.single = call.flag("singleEvents") or self.master is not None
        order_by = call.param("orderBy")
        if order_by not in (None, "startTime", "updated"):
            raise bad_request(f"Invalid value for orderBy: {order_by}", location="orderBy")
        if order_by == "startTime" and not self.single:
            raise bad_request(
                "The requested ordering is not available for the particular query.",
                location="orderBy",
            )
        self.order_by = order_by
        self.time_min = self._time_param("timeMin")
        self.time_max = self._time_param("timeMax")
        if self.time_min and self.time_max and self.time_min >= self.time_max:
            raise bad_request(
                "The specified time range is empty.", reason="timeRangeEmpty", location="timeMax"
            )
        self.updated_min = self._time_param("updatedMin")
        self.text = (call.param("q") or "").lower()
        self.ical_uid = call.param("iCalUID")
        self.private_props = self._property_filters("privateExtendedProperty")
        self.shared_props = self._property_filters("sharedExtendedProperty")
        self.event_types = set(call.query.get("eventTypes") or ())
        signature = hashlib.sha256(
            json.dumps([call.query.get(name) for name in PAGE_SIGNATURE]).encode()
        ).hexdigest()[:12]

        page_token = call.param("pageToken")
        cursor = None
        snapshot = self.api.store.seq
        self.since = None
        if sync_token is not None:
            self.since = self._read_sync_token(sync_token)
        if page_token is not None:
            page = _decode_token(page_token)
            if not page or page.get("c") != self.calendar.id or page.get("g") != signature:
                raise bad_request("Invalid page token.", location="pageToken")
            snapshot, cursor = page["s"], tuple(page["k"])

        entries = self._entries()
        original_start = call.param("originalStart") if self.master is not None else None
        if original_start is not None:
            suffix = _suffix_of(original_start)
            entries = [entry for entry in entries if entry[0][-1] == suffix]
        if cursor is not None:
            entries = [entry for entry in entries if entry[0] > cursor]
        entries.sort(key=lambda entry: entry[0])
        page_entries = entries[:max_results]
        items = [build() for _key, build in page_entries]
        result = {
            "kind": "calendar#events",
            "etag": f'"p{self.api.store.seq:015d}"',
            "summary": self.calendar.summary,
            "description": "",
            "updated": self.calendar.updated or format_rfc3339(dt.datetime.now(UTC)),
            "timeZone": call.param("timeZone") or self.calendar.time_zone,
            "accessRole": self.api._role(self.call, self.calendar) or "owner",
            "defaultReminders": self.api.store.users[self.calendar.owner].default_reminders
            if self.calendar.primary
            else [],
            "items": items,
        }
        if len(entries) > max_results:
            result["nextPageToken"] = _encode_token(
                {
                    "c": self.calendar.id,
                    "s": snapshot,
                    "k": list(page_entries[-1][0]),
                    "g": signature,
                }
            )
        elif self.master is None:
            result["nextSyncToken"] = _encode_token(
                {
                    "c": self.calendar.id,
                    "o": self.calendar.owner,
                    "s": snapshot,
                    "e": self.calendar.sync_epoch,
                }
            )
        return result

    def _int_param(self, name, default, low, high):
        raw = self.call.param(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise bad_request(
                f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]",
                location=name,
            )
        return value

    def _time_param(self, name):
        raw = self.call.param(name)
        if raw is None:
            return None
        moment = parse_rfc3339(raw)
        if moment is None:
            raise bad_request(f"Bad Request: invalid {name}", reason="badRequest", location=name)
        return moment.astimezone(UTC)

    def _property_filters(self, name):
        filters = []
        for raw in self.call.query.get(name) or ():
            key, sep, value = raw.partition("=")
            if not sep:
                raise bad_request(f"Invalid {name}.", location=name)
            filters.append((key, value))
        return filters

    def _read_sync_token(self, token):
        payload = _decode_token(token)
        if (
            not payload
            or payload.get("c") != self.calendar.id
            or payload.get("o") != self.calendar.owner
            or payload.get("e") != self.calendar.sync_epoch
            or not isinstance(payload.get("s"), int)
            or payload["s"] > self.api.store.seq
        ):
            raise _full_sync_required()
        return payload["s"]

    # -- candidate entries: (sort key, builder) -------------------------------------

    def _entries(self):
        calendar = self.calendar
        records = calendar.events.values()
        if self.master is not None:
            prefix = self.master.data["id"] + "_"
            records = [
                r
                for r in records
                if r.data["id"].startswith(prefix)
                and r.data.get("recurringEventId") == self.master.data["id"]
            ]
            return self._single_entries([self.master], records)
        if self.since is not None:
            records = [r for r in records if r.seq > self.since]
        if self.single:
            masters = [r for r in records if r.data.get("recurrence")]
            exceptions = [r for r in records if r.data.get("recurringEventId")]
            others = [
                r
                for r in records
                if not r.data.get("recurrence") and not r.data.get("recurringEventId")
            ]
            entries = self._single_entries(masters, exceptions)
            entries.extend(self._plain_entries(others))
            return entries
        return self._plain_entries(records)

    def _include_deleted(self, record):
        if self.since is not None or self.show_deleted:
            return True
        return self.updated_min is not None

    def _matches(self, record):
        data = record.data
        if self.updated_min is not None and parse_rfc3339(data["updated"]) < self.updated_min:
            return False
        if record.cancelled:
            return self._include_deleted(record)
        if (
            self.text
            and self.text
            not in " ".join(
                str(data.get(f, "")) for f in ("summary", "description", "location")
            ).lower()
        ):
            return False
        if self.ical_uid and data.get("iCalUID") != self.ical_uid:
            return False
        properties = data.get("extendedProperties") or {}
        for key, value in self.private_props:
            if (properties.get("private") or {}).get(key) != value:
                return False
        for key, value in self.shared_props:
            if (properties.get("shared") or {}).get(key) != value:
                return False
        return not self.event_types or data.get("eventType", "default") in self.event_types

    def _in_range(self, start, end):
        tz = self.calendar.time_zone
        if self.time_max is not None and start.instant(tz) >= self.time_max:
            return False
        return self.time_min is None or end.instant(tz) > self.time_min

    def _key(self, record, suffix, start_instant):
        if self.order_by == "startTime":
            return (start_instant, record.created_no, suffix)
        if self.order_by == "updated":
            return (record.data["updated"], record.created_no, suffix)
        return (record.created_no, suffix)

    def _plain_entries(self, records):
        entries = []
        api, calendar = self.api, self.calendar
        for record in records:
            if not self._matches(record):
                continue
            if record.cancelled:
                entries.append(
                    (self._key(record, "", ""), lambda r=record: api.tombstone(calendar, r))
                )
                continue
            start, end = parse_span(record.data)
            if record.data.get("recurrence"):
                if (self.time_min or self.time_max) and not Series(
                    record.data, calendar.time_zone
                ).expand(self.time_min, self.time_max):
                    continue
            elif not self._in_range(start, end):
                continue
            start_instant = format_rfc3339(start.instant(calendar.time_zone))
            entries.append(
                (
                    self._key(record, "", start_instant),
                    lambda r=record: api.render(calendar, r),
                )
            )
        return entries

    def _single_entries(self, masters, exceptions):
        """Expanded instances of `masters` plus the stored exceptions given."""
        api, calendar, tz = self.api, self.calendar, self.calendar.time_zone
        entries = []
        exception_ids = (
            {r.data["id"] for r in calendar.events.values() if r.data.get("recurringEventId")}
            if masters
            else set()
        )
        for master in masters:
            if master.cancelled:
                if self._matches(master):
                    entries.append(
                        (self._key(master, "", ""), lambda r=master: api.tombstone(calendar, r))
                    )
                continue
            if not self._matches(master):
                continue
            series = Series(master.data, tz)
            for occurrence in series.expand(self.time_min, self.time_max):
                instance_id = f"{master.data['id']}_{occurrence.suffix}"
                if instance_id in exception_ids:
                    continue
                start_instant = format_rfc3339(_instant(occurrence.start, tz))
                entries.append(
                    (
                        self._key(master, occurrence.suffix, start_instant),
                        lambda m=master, o=occurrence, s=series: api.render(
                            calendar, StoredEvent(api._instance_data(m, o, s), m.seq, m.created_no)
                        ),
                    )
                )
        for record in exceptions:
            if not self._matches(record):
                continue
            master = calendar.events.get(record.data["recurringEventId"])
            order_record = master or record
            suffix = record.data["id"].rpartition("_")[2]
            if record.cancelled:
                entries.append(
                    (
                        self._key(order_record, suffix, ""),
                        lambda r=record: api.tombstone(calendar, r),
                    )
                )
                continue
            start, end = parse_span(record.data)
            if not self._in_range(start, end):
                continue
            entries.append(
                (
                    self._key(order_record, suffix, format_rfc3339(start.instant(tz))),
                    lambda r=record: api.render(calendar, r),
                )
            )
        return entries


def _check_event_type_rules(old, data, body):
    """The 400s Google answers to writes its event types do not allow."""
    kind = old.get("eventType", "default") if old else data.get("eventType", "default")
    if old and data.get("eventType", "default") != kind:
        raise bad_request("The event type cannot be changed.", reason="invalid")
    if kind in NO_PROPERTIES_TYPES and body.get("extendedProperties"):
        raise bad_request(
            f"Extended properties cannot be set on events of type {kind}.",
            reason="invalid",
            location="extendedProperties",
        )
    if old and kind == "fromGmail":
        changed = {
            field
            for field in set(old) | set(data)
            if field not in (*BOOKKEEPING, *FROM_GMAIL_WRITABLE, "attendees")
            and old.get(field) != data.get(field)
        }
        emails = [[a.get("email") for a in d.get("attendees") or ()] for d in (old, data)]
        if changed or emails[0] != emails[1]:
            raise bad_request(
                "Only reminders, color, visibility, transparency, status and answers "
                f"can be changed on events from Gmail, not: {sorted(changed) or ['attendees']}",
                reason="invalid",
            )


def _create_meet(data, request_id):
    """A new Meet link on ``data``, its conference created ("success")."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    code = "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    link = f"https://meet.google.com/{code}"
    data["hangoutLink"] = link
    data["conferenceData"] = {
        "createRequest": {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [{"entryPointType": "video", "uri": link, "label": link.split("//", 1)[1]}],
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        "conferenceId": code,
    }


def _instant(moment, tz_name):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz_name) or UTC)
    return moment.astimezone(UTC)


def _enum(data, field, allowed):
    if field in data and data[field] not in allowed:
        raise bad_request(f"Invalid value for: {field}", location=field)


def _insufficient_scope():
    return ApiError(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )


def _send_updates(call):
    mode = call.param("sendUpdates")
    if mode is None and call.param("sendNotifications") is not None:
        mode = "all" if call.param("sendNotifications").lower() == "true" else "none"
    return mode


def _neutral_own_entry(view, owner):
    """The view with the owner's own answer blanked, to compare what else changed."""
    view = copy.deepcopy(view)
    for attendee in view.get("attendees") or ():
        if attendee["email"] == owner:
            for field in OWN_ATTENDEE_FIELDS:
                attendee.pop(field, None)
    return view


def _suffix_of(original_start):
    """The instance id suffix for an `originalStart` parameter (RFC 3339 or a date)."""
    moment = parse_rfc3339(original_start)
    if moment is not None:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        return dt.date.fromisoformat(original_start).strftime("%Y%m%d")
    except ValueError as exc:
        raise bad_request("Invalid originalStart.", location="originalStart") from exc


def _limit_attendees(payload, limit):
    """maxAttendees: keep the first attendees (and always the viewer), flag the rest."""
    try:
        limit = int(limit)
    except ValueError as exc:
        raise bad_request(f"Invalid value '{limit}'.", location="maxAttendees") from exc
    for event in payload.get("items", [payload]):
        attendees = event.get("attendees") or []
        if len(attendees) > limit:
            kept = attendees[:limit]
            own = next((a for a in attendees[limit:] if a.get("self")), None)
            if own is not None and kept:
                kept[-1] = own
            event["attendees"] = kept
            event["attendeesOmitted"] = True


def _stable_etag(text):
    return f'"{zlib.crc32(text.encode()):015d}"'


def _with_answer(attendees, own):
    """The attendee list with one attendee's entry replaced by their answer."""
    return [dict(own) if a["email"] == own["email"] else a for a in attendees]


def _base_record(resolved):
    """The stored record behind a resolved id: itself, or its series master."""
    return resolved if isinstance(resolved, StoredEvent) else resolved[0]
