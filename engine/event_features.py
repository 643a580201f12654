"""What Google's events carry beyond the neutral values: event types, rooms and
resources, guest permissions, Meet links and the reminder limit.

Pure functions (no odoo). Google's input is untrusted: every reader below
accepts only the shapes Google documents and falls back to the harmless
default otherwise, so that a malformed field never costs the event.
"""

import re

from .mapping import MAX_REMINDERS, normalize_alarms, normalize_email

# --- event types ---------------------------------------------------------------------------

DEFAULT_TYPE = "default"
# The types a sync lists (events.list ``eventTypes``): birthdays (a contact's
# birthday, a yearly series of Google's own) and working locations (where the
# user works that day) are no meetings, and are never asked for.
LISTED_TYPES = ("default", "focusTime", "fromGmail", "outOfOffice")
SKIPPED_TYPES = ("birthday", "workingLocation")
# Busy blocks of their owner: Google keeps their own rules (auto-decline,
# chat status); Odoo shows them and never changes them.
READ_ONLY_TYPES = ("focusTime", "outOfOffice")
# Google refuses extendedProperties on these (400).
NO_PROPERTIES_TYPES = ("birthday", "fromGmail")
# What a client may change of an event Gmail made (neutral keys): its
# reminders, visibility and free/busy. Google refuses anything else.
FROM_GMAIL_WRITABLE = frozenset({"alarms", "privacy", "show_as"})
KNOWN_TYPES = (*LISTED_TYPES, *SKIPPED_TYPES)


def event_type(item):
    """The ``eventType`` of a Google item; an unknown or malformed one reads as
    ``default`` (tombstones carry none)."""
    kind = item.get("eventType") if isinstance(item, dict) else None
    return kind if kind in KNOWN_TYPES else DEFAULT_TYPE


def is_skipped(item):
    """Whether a Google item is no meeting for Odoo (a birthday, a working location)."""
    return event_type(item) in SKIPPED_TYPES


def writable_keys(kind, changed):
    """Those of the neutral keys ``changed`` Google lets a client write on an
    event of type ``kind`` (None: everything, as for an insert)."""
    if kind in READ_ONLY_TYPES:
        return set()
    if kind == "fromGmail":
        return set(FROM_GMAIL_WRITABLE if changed is None else FROM_GMAIL_WRITABLE & set(changed))
    return changed


# --- rooms and resources -------------------------------------------------------------------

# Enough for any real meeting; a flood in an invitation stops here.
MAX_RESOURCES = 50
_MAX_NAME = 200
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+$")
_STATUSES = ("needsAction", "accepted", "declined", "tentative")


def resources(item):
    """The rooms and resources (``resource: true`` attendees) of a Google item:
    ``[{"email", "name", "status"}]`` sorted by e-mail, at most ``MAX_RESOURCES``.
    They are no people: the caller never makes contacts of them."""
    attendees = item.get("attendees") if isinstance(item, dict) else None
    found = {}
    for attendee in attendees if isinstance(attendees, list) else ():
        if not isinstance(attendee, dict) or attendee.get("resource") is not True:
            continue
        email = normalize_email(attendee.get("email"))
        if not _EMAIL.match(email) or email in found:
            continue
        name = attendee.get("displayName")
        status = attendee.get("responseStatus")
        found[email] = {
            "email": email,
            "name": name.strip()[:_MAX_NAME] if isinstance(name, str) else "",
            "status": status if status in _STATUSES else "needsAction",
        }
    return [found[email] for email in sorted(found)[:MAX_RESOURCES]]


def resource_attendees(kept):
    """Google attendee entries of the ``kept`` resources, to send with a guest list."""
    return [
        {
            "email": resource["email"],
            "responseStatus": resource["status"],
            "resource": True,
            **({"displayName": resource["name"]} if resource["name"] else {}),
        }
        for resource in kept
    ]


# --- guest permissions ---------------------------------------------------------------------

# Neutral key -> (Google field, Google's default when the event omits it).
PERMISSIONS = {
    "guests_can_modify": ("guestsCanModify", False),
    "guests_can_invite_others": ("guestsCanInviteOthers", True),
    "guests_can_see_other_guests": ("guestsCanSeeOtherGuests", True),
}


def permissions(item):
    """{neutral key: bool} of a Google item's guest permissions, defaults filled in."""
    return {
        key: value if isinstance(value := item.get(field), bool) else default
        for key, (field, default) in PERMISSIONS.items()
    }


def permissions_to_google(values, keys=None):
    """The Google fields of the guest permissions ``values`` (only ``keys``)."""
    return {
        field: bool(values[key])
        for key, (field, _default) in PERMISSIONS.items()
        if keys is None or key in keys
    }


def merge_permissions(agreed, odoo, google):
    """Three-way merge of guest permissions: ``(to_odoo, to_google)``, the keys
    each side must take. Google wins a key both sides changed (its organizer
    set it there). Without ``agreed`` (never synced), Google's values stand."""
    if agreed is None:
        return {key: google[key] for key in PERMISSIONS if odoo[key] != google[key]}, set()
    to_odoo, to_google = {}, set()
    for key in PERMISSIONS:
        google_changed = google[key] != agreed.get(key, google[key])
        if google_changed and odoo[key] != google[key]:
            to_odoo[key] = google[key]
        elif not google_changed and odoo[key] != google[key]:
            to_google.add(key)
    return to_odoo, to_google


# --- Meet links ----------------------------------------------------------------------------


def meet_request(request_id):
    """``conferenceData`` asking Google for a new Meet link (send with
    ``conferenceDataVersion=1``); ``request_id`` makes a resent insert ask
    for the same conference, not a second one."""
    return {
        "createRequest": {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
        }
    }


def wants_meet(values, *, enabled, opted_out):
    """Whether an insert of neutral ``values`` asks Google for a Meet link: the
    setting is on, the meeting did not opt out, and it has neither a video
    link (an Odoo one is never replaced) nor a place."""
    return enabled and not opted_out and not values.get("videocall") and not values.get("location")


def conference_status(item):
    """``pending``, ``success``, ``failure`` of a Meet link Google was asked
    for, "" when none was."""
    conference = item.get("conferenceData") if isinstance(item, dict) else None
    request = conference.get("createRequest") if isinstance(conference, dict) else None
    status = request.get("status") if isinstance(request, dict) else None
    code = status.get("statusCode") if isinstance(status, dict) else None
    return code if code in ("pending", "success", "failure") else ""


# --- reminders -----------------------------------------------------------------------------


def alarms_beyond_limit(alarms):
    """The reminders Google does not take (it keeps ``MAX_REMINDERS``)."""
    return alarms[MAX_REMINDERS:]


def google_alarms_as_agreed(agreed_alarms, google_alarms):
    """Google's reminders read as the agreed ones when Google holds exactly the
    first ``MAX_REMINDERS`` of them: the rest were never Google's to drop."""
    if len(agreed_alarms) > MAX_REMINDERS and google_alarms == agreed_alarms[:MAX_REMINDERS]:
        return agreed_alarms
    return google_alarms


def reminders_body(alarms, default_reminders):
    """Google's ``reminders`` for neutral ``alarms``: the calendar's defaults
    when they are exactly those (so a change of the defaults on Google still
    applies), else at most ``MAX_REMINDERS`` overrides."""
    defaults = normalize_alarms(default_reminders or [])
    if defaults and alarms == defaults:
        return {"useDefault": True, "overrides": []}
    return {"useDefault": False, "overrides": [dict(alarm) for alarm in alarms[:MAX_REMINDERS]]}
