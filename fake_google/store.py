"""The fake's whole state: users, calendars, events, OAuth grants, channels.

One re-entrant lock guards everything; handlers hold it for the length of one
API call, which keeps every call atomic like a Google write.
"""

import secrets
import threading

from .timeutil import Clock

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


def new_event_id():
    """An id in Google's own style: 26 base32hex characters."""
    return "".join(secrets.choice(BASE32HEX) for _ in range(26))


class StoredEvent:
    """One event (or occurrence exception) as one calendar holds it.

    `seq` is the store-wide change number of its last change (sync tokens and
    etags derive from it); `origin` is the organizer's (owner, calendar id)
    when this record is an attendee's copy, else None; `copies` lists the
    attendees holding a copy of an organizer's record; `removed_by_owner`
    marks a copy its attendee deleted, which organizer updates keep deleted.
    """

    __slots__ = ("copies", "created_no", "data", "origin", "removed_by_owner", "seq")

    def __init__(self, data, seq, created_no, origin=None):
        self.data = data
        self.seq = seq
        self.created_no = created_no
        self.origin = origin
        self.copies = set()
        self.removed_by_owner = False

    @property
    def etag(self):
        return f'"3{self.seq:015d}"'

    @property
    def cancelled(self):
        return self.data.get("status") == "cancelled"

    def to_json(self):
        return {
            "data": self.data,
            "seq": self.seq,
            "created_no": self.created_no,
            "origin": list(self.origin) if self.origin else None,
            "copies": sorted(self.copies),
            "removed_by_owner": self.removed_by_owner,
        }

    @classmethod
    def from_json(cls, raw):
        record = cls(
            raw["data"],
            raw["seq"],
            raw["created_no"],
            tuple(raw["origin"]) if raw.get("origin") else None,
        )
        record.copies = set(raw.get("copies") or ())
        record.removed_by_owner = raw.get("removed_by_owner", False)
        return record


DEFAULT_CALENDAR_COLOR = "#9fe1e7"
# calendarList access roles, weakest first.
ACCESS_ROLES = ("freeBusyReader", "reader", "writer", "owner")
WRITER_ROLES = ("writer", "owner")


class Calendar:
    def __init__(self, calendar_id, owner, summary, time_zone, primary=False, color=None):
        self.id = calendar_id
        self.owner = owner
        self.summary = summary
        self.time_zone = time_zone
        self.primary = primary
        self.color = color or DEFAULT_CALENDAR_COLOR
        self.events = {}
        self.updated = None
        # Bumped to invalidate every sync token issued for this calendar.
        self.sync_epoch = 0

    def to_json(self):
        return {
            "id": self.id,
            "owner": self.owner,
            "summary": self.summary,
            "time_zone": self.time_zone,
            "primary": self.primary,
            "color": self.color,
            "updated": self.updated,
            "sync_epoch": self.sync_epoch,
            "events": [record.to_json() for record in self.events.values()],
        }

    @classmethod
    def from_json(cls, raw):
        calendar = cls(
            raw["id"],
            raw["owner"],
            raw["summary"],
            raw["time_zone"],
            raw["primary"],
            raw.get("color"),
        )
        calendar.updated = raw.get("updated")
        calendar.sync_epoch = raw.get("sync_epoch", 0)
        for item in raw["events"]:
            record = StoredEvent.from_json(item)
            calendar.events[calendar.free_key(record.data["id"])] = record
        return calendar

    def free_key(self, event_id):
        """Where an event with ``event_id`` is stored: the id itself, or, for a
        twin stored while id collisions went undetected, a key of its own."""
        key, number = event_id, 1
        while key in self.events:
            number += 1
            key = f"{event_id}#twin{number}"
        return key


class User:
    def __init__(self, email, time_zone="UTC", default_reminders=None):
        self.email = email
        self.time_zone = time_zone
        self.default_reminders = list(default_reminders or [])
        self.calendars = {email: Calendar(email, email, email, time_zone, primary=True)}
        # Other users' calendars shared with this one: {calendar id: {"owner", "role"}}.
        self.shared = {}
        # This user's calendarList changes: {calendar id: [seq of the change,
        # removed]}, what an incremental calendarList listing returns.
        self.list_changes = {}

    @property
    def primary(self):
        return self.calendars[self.email]

    def calendar(self, calendar_id):
        if calendar_id == "primary":
            return self.primary
        return self.calendars.get(calendar_id)

    def to_json(self):
        return {
            "email": self.email,
            "time_zone": self.time_zone,
            "default_reminders": self.default_reminders,
            "calendars": [calendar.to_json() for calendar in self.calendars.values()],
            "shared": self.shared,
            "list_changes": self.list_changes,
        }

    @classmethod
    def from_json(cls, raw):
        user = cls(raw["email"], raw["time_zone"], raw["default_reminders"])
        user.calendars = {}
        for item in raw["calendars"]:
            calendar = Calendar.from_json(item)
            user.calendars[calendar.id] = calendar
        user.shared = raw.get("shared") or {}
        user.list_changes = raw.get("list_changes") or {}
        return user


class Store:
    """Everything the fake remembers; see the module docstring for locking."""

    def __init__(self):
        self.lock = threading.RLock()
        self.clock = Clock()
        self.clients = {}
        self._clear_data()

    def _clear_data(self):
        self.seq = 0
        self.created_no = 0
        self.users = {}
        self.codes = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        # (email, client_id) -> the scopes the account granted the client, as
        # Google keeps them (every consent adds to them, until revoked). A pair
        # that consented once gets no new refresh token unless the client asks
        # for prompt=consent.
        self.grants = {}
        self.channels = {}
        # Google "cannot guarantee" to detect an id collision when an event is
        # created: switched off, an insert of a taken id stores a twin (not
        # copied to attendees) instead of answering 409.
        self.detect_id_collisions = True
        # Google creates a Meet link asynchronously: switched on, an insert
        # answers createRequest "pending" and the link comes with the next read.
        self.conference_pending = False

    def reset(self, keep_clients=True):
        with self.lock:
            clients = self.clients if keep_clients else {}
            self._clear_data()
            self.clients = clients

    def next_seq(self):
        self.seq += 1
        return self.seq

    def next_created_no(self):
        self.created_no += 1
        return self.created_no

    def add_user(self, email, time_zone="UTC", default_reminders=None):
        email = email.strip().lower()
        user = self.users.get(email)
        if user is None:
            user = self.users[email] = User(email, time_zone, default_reminders)
        return user

    def find_calendar(self, owner, calendar_id):
        user = self.users.get(owner)
        return user.calendar(calendar_id) if user else None

    def accessible(self, email, calendar_id):
        """(calendar, access role) of a calendar ``email`` sees, else (None, None)."""
        user = self.users.get(email)
        if user is None:
            return None, None
        own = user.calendar(calendar_id)
        if own is not None:
            return own, "owner"
        share = user.shared.get(calendar_id)
        if share is None:
            return None, None
        return self.find_calendar(share["owner"], calendar_id), share["role"]

    def note_list_change(self, calendar_id, removed=False, emails=None):
        """Record a change of ``calendar_id`` in the calendarList of its owner and
        of every user it is shared with (or of ``emails`` only)."""
        seq = self.next_seq()
        for user in self.users.values():
            concerned = calendar_id in user.calendars or calendar_id in user.shared
            if (emails is None and concerned) or (emails is not None and user.email in emails):
                user.list_changes[calendar_id] = [seq, removed]

    def share_calendar(self, owner, calendar_id, email, role):
        if role not in ACCESS_ROLES or role == "owner":
            raise ValueError(f"unknown access role {role!r}")
        user = self.add_user(email)
        user.shared[calendar_id] = {"owner": owner, "role": role}
        self.note_list_change(calendar_id, emails={user.email})

    def unshare_calendar(self, calendar_id, email):
        user = self.users[email]
        if user.shared.pop(calendar_id, None) is not None:
            self.note_list_change(calendar_id, removed=True, emails={email})

    def delete_calendar(self, owner, calendar_id):
        """A secondary calendar deleted by its owner: gone for every subscriber."""
        user = self.users[owner]
        calendar = user.calendars.get(calendar_id)
        if calendar is None or calendar.primary:
            raise ValueError("only an existing secondary calendar can be deleted")
        emails = {owner} | {
            other.email for other in self.users.values() if calendar_id in other.shared
        }
        del user.calendars[calendar_id]
        for email in emails - {owner}:
            self.users[email].shared.pop(calendar_id, None)
        self.note_list_change(calendar_id, removed=True, emails=emails)

    def to_json(self):
        with self.lock:
            return {
                "seq": self.seq,
                "created_no": self.created_no,
                "clients": self.clients,
                "users": [user.to_json() for user in self.users.values()],
                "codes": self.codes,
                "access_tokens": self.access_tokens,
                "refresh_tokens": self.refresh_tokens,
                "grants": sorted([*key, sorted(scopes)] for key, scopes in self.grants.items()),
                "channels": self.channels,
            }

    def load_json(self, raw):
        with self.lock:
            self._clear_data()
            self.seq = raw["seq"]
            self.created_no = raw["created_no"]
            # Clients configured at start (CLI flags) win over the saved ones.
            self.clients = {**(raw.get("clients") or {}), **self.clients}
            for item in raw["users"]:
                user = User.from_json(item)
                self.users[user.email] = user
            self.codes = raw.get("codes") or {}
            self.access_tokens = raw.get("access_tokens") or {}
            self.refresh_tokens = raw.get("refresh_tokens") or {}
            # A state saved before scopes were kept lists bare (email, client_id) pairs.
            self.grants = {
                (grant[0], grant[1]): set(grant[2] if len(grant) > 2 else ())
                for grant in raw.get("grants") or ()
            }
            self.channels = raw.get("channels") or {}
