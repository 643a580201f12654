"""The sync's decision core: last agreed values + both sides' current values -> a decision.

Pure: nothing here reads a clock, a database or the network. The caller computes
every decision first (the plan), checks it (e.g. :func:`deletion_ratio_exceeds`),
then applies it and stores ``Decision.values`` as the new agreed state.

A side *changed* iff its current neutral values differ from the agreed ones.
Change times (Odoo ``write_date``, Google ``updated``) are consulted only to break a
tie when both sides changed the same field to different values.

Inputs per event: ``agreed`` (neutral values both sides last agreed on, None if never
synced), ``odoo`` (current, None if deleted in Odoo or absent) and ``google``
(current, None or :data:`CANCELLED` if deleted on Google or absent). In an
incremental sync an event Google did not list is unchanged: pass ``agreed`` for it.

======= ======== ========= ========================================================
agreed  odoo     google    decision
======= ======== ========= ========================================================
none    none     none      FORGET (nothing on either side)
none    values   none      CREATE_ON_GOOGLE
none    none     values    CREATE_IN_ODOO
none    values   values    first meeting (e.g. after a full resync): equal -> NOOP,
                           else every differing field is a tie -> CONFLICT
values  none     none      FORGET (deleted on both sides)
values  none     = agreed  DELETE_ON_GOOGLE
values  none     edited    CREATE_IN_ODOO (Google's edit wins over Odoo's delete)
values  = agreed none      DELETE_IN_ODOO
values  edited   none      CREATE_ON_GOOGLE (Odoo's edit wins; Google refuses a
                           deleted id again, so the caller must use a new id)
values  values   values    field by field, below
======= ======== ========= ========================================================

Field by field (``o`` Odoo, ``g`` Google, ``a`` agreed):

* ``o == g``: nothing to do for that field (even if both changed it alike);
* only ``o`` changed: Odoo's value goes to Google; only ``g`` changed: the reverse;
* both changed differently: attendees merge per attendee (below); any other field
  is a tie: the side with the later change time wins (Odoo when the times are
  equal or unknown) and the loser's value is reported in ``Decision.lost``.

``allday``, ``start``, ``stop`` and ``timezone`` move as one block: mixing Odoo's
start with Google's stop could produce an event that ends before it starts.

Attendees (keyed by e-mail) merge with the same three-way rule per attendee, and
per attribute (``name``, ``status``) of an attendee present on both sides; an
attendee removed on one side and edited on the other is kept (the edit wins).

Outcome: ``CONFLICT`` if a value was lost, else ``MERGE`` if both sides receive
fields, ``PUSH``/``PULL`` if one does, else ``NOOP``.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from .mapping import NEUTRAL_KEYS, diff_fields


class Action(StrEnum):
    NOOP = "noop"
    PUSH = "push"
    PULL = "pull"
    MERGE = "merge"
    CONFLICT = "conflict"
    CREATE_ON_GOOGLE = "create_on_google"
    CREATE_IN_ODOO = "create_in_odoo"
    DELETE_ON_GOOGLE = "delete_on_google"
    DELETE_IN_ODOO = "delete_in_odoo"
    FORGET = "forget"


class _Cancelled:
    """Marker for an event Google reports as cancelled (same meaning as None)."""

    def __repr__(self):
        return "CANCELLED"


CANCELLED = _Cancelled()

TIMING_FIELDS = ("allday", "start", "stop", "timezone")
_SIDE_LABELS = {"google": "On Google", "odoo": "In Odoo"}


@dataclass(frozen=True)
class LostValue:
    """A value overwritten by a tie: post :meth:`message` to the event's chatter."""

    field: str
    lost_side: str  # "google" or "odoo": where the overwritten value was
    lost: object
    kept: object

    def message(self):
        return (
            f"{self.field}: {_SIDE_LABELS[self.lost_side]}: {describe(self.lost)}; "
            f"kept {describe(self.kept)}"
        )


@dataclass(frozen=True)
class Decision:
    """What to do with one event.

    ``values``: the neutral values both sides hold once the decision is applied
    (store them as the new agreed state; None when the record is to be forgotten or
    deleted). ``push_fields``: neutral fields to write on Google (all of them for
    CREATE_ON_GOOGLE). ``pull_fields``: neutral fields to write in Odoo.
    """

    action: Action
    values: dict | None
    push_fields: frozenset = field(default_factory=frozenset)
    pull_fields: frozenset = field(default_factory=frozenset)
    lost: tuple = ()


def describe(value):
    """Human text for a neutral value, for chatter messages."""
    if isinstance(value, dict) and "email" in value:
        name = f"{value['name']} " if value.get("name") else ""
        return f"{name}<{value['email']}> ({value.get('status', 'removed')})"
    if isinstance(value, dict) and "minutes" in value:
        return f"{value.get('method')} {value['minutes']} min before"
    if isinstance(value, list):
        return ", ".join(describe(item) for item in value) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(empty)"
    return str(value)


def _as_utc(moment):
    """Odoo's naive UTC datetime or Google's RFC 3339 string as an aware datetime."""
    if moment is None:
        return None
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError as error:
            raise ValueError(f"change time {moment!r} is not an RFC 3339 date-time") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _google_wins_ties(odoo_changed_at, google_changed_at):
    odoo_time, google_time = _as_utc(odoo_changed_at), _as_utc(google_changed_at)
    return odoo_time is not None and google_time is not None and google_time > odoo_time


def reconcile(
    agreed, odoo, google, *, odoo_changed_at=None, google_changed_at=None, merge_rules=None
):
    """The :class:`Decision` for one event (rules in the module docstring).

    ``merge_rules(agreed, odoo, google)``, for a series: the ``recurrence`` lines
    that keep both sides' changes when both changed them, or None for a tie.
    """
    if google is CANCELLED:
        google = None
    if odoo is None and google is None:
        return Decision(Action.FORGET, None)
    if agreed is None and google is None:
        return Decision(Action.CREATE_ON_GOOGLE, odoo, push_fields=frozenset(NEUTRAL_KEYS))
    if agreed is None and odoo is None:
        return Decision(Action.CREATE_IN_ODOO, google, pull_fields=frozenset(NEUTRAL_KEYS))
    if odoo is None:
        if diff_fields(agreed, google):
            return Decision(Action.CREATE_IN_ODOO, google, pull_fields=frozenset(NEUTRAL_KEYS))
        return Decision(Action.DELETE_ON_GOOGLE, None)
    if google is None:
        if diff_fields(agreed, odoo):
            return Decision(Action.CREATE_ON_GOOGLE, odoo, push_fields=frozenset(NEUTRAL_KEYS))
        return Decision(Action.DELETE_IN_ODOO, None)
    return _merge(
        agreed,
        odoo,
        google,
        _google_wins_ties(odoo_changed_at, google_changed_at),
        merge_rules,
    )


def _merge(agreed, odoo, google, google_wins, merge_rules=None):
    result, lost = {}, []
    groups = [TIMING_FIELDS] + [(key,) for key in NEUTRAL_KEYS if key not in TIMING_FIELDS]
    for keys in groups:
        base = {key: agreed[key] for key in keys} if agreed is not None else None
        mine = {key: odoo.get(key) for key in keys}
        theirs = {key: google.get(key) for key in keys}
        if mine == theirs or theirs == base:
            result.update(mine)
        elif mine == base:
            result.update(theirs)
        elif keys == ("attendees",):
            merged, attendee_losses = _merge_attendees(
                base and base["attendees"], mine["attendees"], theirs["attendees"], google_wins
            )
            result["attendees"] = merged
            lost.extend(attendee_losses)
        elif (
            keys == ("recurrence",)
            and merge_rules
            and base is not None
            and (rules := merge_rules(agreed, odoo, google)) is not None
        ):
            result["recurrence"] = rules
        else:
            winner, loser, loser_side = (
                (theirs, mine, "odoo") if google_wins else (mine, theirs, "google")
            )
            result.update(winner)
            lost.extend(
                LostValue(key, loser_side, loser[key], winner[key])
                for key in keys
                if loser[key] != winner[key]
            )
    push, pull = frozenset(diff_fields(result, google)), frozenset(diff_fields(result, odoo))
    if lost:
        action = Action.CONFLICT
    elif push and pull:
        action = Action.MERGE
    elif push:
        action = Action.PUSH
    elif pull:
        action = Action.PULL
    else:
        action = Action.NOOP
    return Decision(action, result, push, pull, tuple(lost))


def _merge_attendees(base, odoo, google, google_wins):
    """Three-way merge of attendee lists keyed by e-mail; returns (merged, losses)."""
    base = {a["email"]: a for a in base} if base is not None else None
    odoo = {a["email"]: a for a in odoo or []}
    google = {a["email"]: a for a in google or []}
    merged, lost = {}, []
    for email in sorted(set(odoo) | set(google) | set(base or ())):
        was = base.get(email) if base is not None else None
        mine, theirs = odoo.get(email), google.get(email)
        if mine == theirs or theirs == was:
            chosen = mine
        elif mine == was:
            chosen = theirs
        elif mine is None or theirs is None:
            chosen = mine or theirs  # removed on one side, edited on the other: keep
        else:
            chosen, tied = {}, False
            for key in ("email", "name", "status"):
                old = was.get(key) if was else None
                if mine[key] == theirs[key] or theirs[key] == old:
                    chosen[key] = mine[key]
                elif mine[key] == old:
                    chosen[key] = theirs[key]
                else:
                    chosen[key] = theirs[key] if google_wins else mine[key]
                    tied = True
            if tied:
                loser, loser_side = (mine, "odoo") if google_wins else (theirs, "google")
                lost.append(LostValue("attendees", loser_side, loser, chosen))
        if chosen is not None:
            merged[email] = chosen
    return [merged[email] for email in sorted(merged)], lost


def deletion_ratio_exceeds(total_synced, to_delete, threshold):
    """Whether a plan deletes more than ``threshold`` (a fraction, 0..1) of the synced events.

    A sync whose plan trips this should stop and ask: mass deletions are more often
    a broken token, a wrong calendar or a bug than the user's intent.
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be a fraction between 0 and 1, got {threshold!r}")
    if to_delete <= 0:
        return False
    if total_synced <= 0:
        return True  # deleting what was never synced is always suspicious
    return to_delete / total_synced > threshold


class PullAction(StrEnum):
    """What a pull does with one Google item (an event or a series master)."""

    CREATE = "create"  # new on Google: create it in Odoo
    MERGE = "merge"  # known: reconcile it with the Odoo record (:func:`reconcile`)
    DELETE = "delete"  # deleted on Google: delete it in Odoo
    DECLINE = "decline"  # a guest's deletion: decline the user's attendance only
    RECREATE = "recreate"  # deleted on Google, edited in Odoo since: send it again, new id
    SKIP = "skip"  # another account keeps it, or there is nothing to apply


def pull_action(*, cancelled, known, kept_here, may_delete=False, edited_in_odoo=False):
    """The :class:`PullAction` for one listed item.

    ``known``: the item matched an Odoo record within the account's reach;
    ``kept_here``: this account keeps that record in step (or takes it over,
    or no syncing account does); ``may_delete``: the account's user may delete
    it (they organize it); ``edited_in_odoo``: Odoo changed it since both
    sides last agreed. A cancelled item that matches nothing is a deletion
    Odoo never saw: nothing to do.
    """
    if known and not kept_here:
        return PullAction.SKIP
    if cancelled:
        if not known:
            return PullAction.SKIP
        if not may_delete:
            return PullAction.DECLINE
        return PullAction.RECREATE if edited_in_odoo else PullAction.DELETE
    return PullAction.MERGE if known else PullAction.CREATE


def deletion_needs_confirmation(total_synced, to_delete, *, threshold, minimum):
    """Whether a sync must stop and ask an administrator before deleting ``to_delete``
    of a user's ``total_synced`` events.

    Only a mass deletion is held: at least ``minimum`` events *and* more than
    ``threshold`` of them. A user deleting two of their three meetings is not an
    incident; Google suddenly reporting most of a calendar gone is.
    """
    if minimum < 1:
        raise ValueError(f"minimum must be at least 1, got {minimum!r}")
    return to_delete >= minimum and deletion_ratio_exceeds(total_synced, to_delete, threshold)


# --- what Odoo last sent, kept on Google ----------------------------------------------
#
# A write stores its outcome in Odoo only when Google's answer comes back in the
# same transaction. When that transaction is lost (the worker killed, the
# connection dropped after Google applied the write), Odoo cannot tell its own
# write from an edit made on Google: an insert leaves no base for the next
# three-way merge, a patch leaves an etag Odoo never saw. Every insert and patch
# therefore also writes a digest of the values it sent onto the Google event (a
# private extended property, which stays on the writer's copy): for each field
# sent (all of them for an insert), a short hash, and one per attendee.

DIGEST_MAX_LENGTH = 1024  # Google's limit for one extended property value
_HASH_LENGTH = 8
_DIGEST_HASH = re.compile(rf"^[0-9a-f]{{{_HASH_LENGTH}}}$")


class _Unknown:
    """A base value equal to neither side: both changed it, a tie."""

    def __repr__(self):
        return "UNKNOWN"


_UNKNOWN = _Unknown()


def _short_hash(value):
    payload = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:_HASH_LENGTH]


def sent_digest(values, keys=NEUTRAL_KEYS):
    """The digest of the ``keys`` of neutral ``values`` a write sends, as a string
    for an extended property; None when it would exceed Google's limit (hundreds
    of attendees): such a write, if lost, is taken for an edit made on Google."""
    digest = {key: _short_hash(values.get(key)) for key in keys if key != "attendees"}
    if "attendees" in keys:
        digest["attendees"] = "".join(
            sorted(_short_hash(attendee) for attendee in values.get("attendees") or ())
        )
    text = json.dumps(digest, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= DIGEST_MAX_LENGTH else None


def _parse_digest(text):
    """{key: hash} (attendees: a set of hashes) of a digest, None if damaged."""
    try:
        digest = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(digest, dict) or not digest or not set(digest) <= set(NEUTRAL_KEYS):
        return None
    attendees = digest.pop("attendees", None)
    if not all(isinstance(value, str) and _DIGEST_HASH.match(value) for value in digest.values()):
        return None
    if attendees is not None:
        if not isinstance(attendees, str) or len(attendees) % _HASH_LENGTH:
            return None
        digest["attendees"] = {
            attendees[i : i + _HASH_LENGTH] for i in range(0, len(attendees), _HASH_LENGTH)
        }
    return digest


def base_from_digest(text, odoo, google):
    """The agreed values a lost insert would have stored, rebuilt from its digest
    ``text`` and both sides' current values: per field (and per attendee) the side
    still holding what was sent shows the base; a field both sides changed gets a
    base equal to neither, a tie for :func:`reconcile`. None when ``text`` is not
    an insert's digest (absent, partial or damaged): the caller has no base."""
    digest = _parse_digest(text)
    if digest is None or set(digest) != set(NEUTRAL_KEYS):
        return None
    base = {}
    for key in NEUTRAL_KEYS:
        if key == "attendees":
            continue
        sent = digest[key]
        if _short_hash(google.get(key)) == sent:
            base[key] = google.get(key)
        elif _short_hash(odoo.get(key)) == sent:
            base[key] = odoo.get(key)
        else:
            base[key] = _UNKNOWN
    by_email = {}
    for attendee in [*(odoo.get("attendees") or ()), *(google.get("attendees") or ())]:
        if _short_hash(attendee) in digest["attendees"]:
            by_email[attendee["email"]] = attendee
    base["attendees"] = [by_email[email] for email in sorted(by_email)]
    return base


def digest_matches(text, values):
    """Whether ``values`` hold, in every field the digest ``text`` covers, what
    was sent: Google's copy shows the write and no later edit of those fields."""
    digest = _parse_digest(text)
    if digest is None:
        return False
    for key, sent in digest.items():
        if key == "attendees":
            if {_short_hash(attendee) for attendee in values.get("attendees") or ()} != sent:
                return False
        elif _short_hash(values.get(key)) != sent:
            return False
    return True


def base_after_own_write(text, agreed, google):
    """The ``agreed`` values with the write that left the digest ``text`` counted
    in: that write reached Google but its answer never reached Odoo (its
    transaction was lost, or a save made meanwhile refused its write-back).
    Per field the digest covers, Google's value when Google still holds what
    was sent (Odoo's own write, not an edit made on Google), else the agreed
    one; per attendee likewise. None when ``text`` is damaged."""
    digest = _parse_digest(text)
    if digest is None:
        return None
    base = dict(agreed)
    for key, sent in digest.items():
        if key != "attendees" and _short_hash(google.get(key)) == sent:
            base[key] = google.get(key)
    if "attendees" in digest:
        sent = digest["attendees"]
        on_google = {attendee["email"]: attendee for attendee in google.get("attendees") or ()}
        by_email = {
            attendee["email"]: attendee
            for attendee in agreed.get("attendees") or ()
            # One the write left out is no longer in the base: the write removed it.
            if attendee["email"] in on_google or _short_hash(attendee) in sent
        }
        by_email.update(
            (email, attendee)
            for email, attendee in on_google.items()
            if _short_hash(attendee) in sent
        )
        base["attendees"] = [by_email[email] for email in sorted(by_email)]
    return base
