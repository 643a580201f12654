"""Several Google calendars per account: what each one may do (pure functions).

A calendar of the user's calendarList is synchronized in one direction or
both, shares everything or only busy blocks, and is read-only when Google
gives the user less than writer access. Every rule about a calendar is
decided here once; ``sync`` and ``models`` apply it.
"""

import re

TWO_WAY = "two_way"
GOOGLE_TO_ODOO = "google_to_odoo"
ODOO_TO_GOOGLE = "odoo_to_google"
DIRECTIONS = (TWO_WAY, GOOGLE_TO_ODOO, ODOO_TO_GOOGLE)

EVERYTHING = "everything"
BUSY_ONLY = "busy_only"
SHARES = (EVERYTHING, BUSY_ONLY)

# What becomes of Odoo's copies when a calendar leaves the sync.
KEEP = "keep"
REMOVE = "remove"

# calendarList access roles, weakest first: below writer, Google refuses writes.
ACCESS_ROLES = ("freeBusyReader", "reader", "writer", "owner")
READ_ONLY_ROLES = ("freeBusyReader", "reader")
DEFAULT_COLOR = "#9fe1e7"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_NAME_LENGTH = 255

# Neutral keys a busy block keeps: when, how long, whether busy, and the
# user's own reminders; everything that says what the meeting is goes.
BUSY_BLOCK_CLEARED = {
    "description": "",
    "location": "",
    "videocall": "",
    "organizer": "",
}


def read_only(role):
    """Whether Google refuses the user's writes to a calendar of ``role``."""
    return role not in ("writer", "owner")


def direction(role, chosen):
    """The direction a calendar actually syncs: a read-only one only from Google."""
    if read_only(role):
        return GOOGLE_TO_ODOO
    return chosen if chosen in DIRECTIONS else TWO_WAY


def pulls(role, chosen):
    return direction(role, chosen) != ODOO_TO_GOOGLE


def pushes(role, chosen):
    return direction(role, chosen) != GOOGLE_TO_ODOO


def share(role, chosen):
    """What a calendar shares: a free/busy reader only ever sees busy blocks."""
    if role == "freeBusyReader":
        return BUSY_ONLY
    return chosen if chosen in SHARES else EVERYTHING


def edit_refusal(role, chosen):
    """Why an Odoo edit of a calendar's events cannot be accepted, or None:
    ``"read_only"`` (Google would refuse it) or ``"from_google"`` (the user
    chose to take this calendar from Google only: the edit would never leave
    Odoo and the next change on Google would undo it)."""
    if read_only(role):
        return "read_only"
    if direction(role, chosen) == GOOGLE_TO_ODOO:
        return "from_google"
    return None


def busy_block(values, title):
    """Neutral ``values`` reduced to a private busy block named ``title``."""
    return {
        **values,
        **BUSY_BLOCK_CLEARED,
        "attendees": [],
        "name": title,
        "privacy": "private",
        "show_as": "busy",
    }


def calendar_for_new_meeting(calendars):
    """Which calendar a meeting created in Odoo goes to: the user's default
    one when it is synchronized and takes Odoo's meetings, else the primary.
    ``calendars``: dicts with ``id``, ``primary``, ``selected``, ``default``,
    ``role`` and ``direction``. Returns an id, or None (the primary, as before
    calendars were listed)."""
    usable = [
        calendar
        for calendar in calendars
        if calendar["selected"] and pushes(calendar["role"], calendar["direction"])
    ]
    for wanted in ("default", "primary"):
        for calendar in usable:
            if calendar[wanted]:
                return calendar["id"]
    return None


def may_move(source, destination):
    """Whether a meeting may move from calendar ``source`` to ``destination``
    (dicts with ``role`` and ``direction``): Google moves it out of one
    calendar into the other, so both must take the user's writes."""
    return all(
        calendar is not None and pushes(calendar["role"], calendar["direction"])
        for calendar in (source, destination)
    )


def list_entry(entry):
    """A calendarList entry (untrusted) as the values the module keeps, or
    None when it cannot be read. A removed entry reads ``{"google_id",
    "deleted": True}``; an unknown access role reads as the weakest."""
    if not isinstance(entry, dict):
        return None
    google_id = entry.get("id")
    if not isinstance(google_id, str) or not google_id or len(google_id) > 1024:
        return None
    if entry.get("deleted") is True:
        return {"google_id": google_id, "deleted": True}
    name = entry.get("summaryOverride") or entry.get("summary") or google_id
    color = entry.get("backgroundColor")
    role = entry.get("accessRole")
    return {
        "google_id": google_id,
        "deleted": False,
        "name": str(name)[:MAX_NAME_LENGTH],
        "color": color if isinstance(color, str) and _COLOR.match(color) else DEFAULT_COLOR,
        "access_role": role if role in ACCESS_ROLES else "freeBusyReader",
        "primary": entry.get("primary") is True,
    }
