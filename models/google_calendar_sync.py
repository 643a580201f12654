"""The two-way sync of one Google account: pull, reconcile, push.

Every decision is taken by the pure functions of ``engine`` (mapping,
reconcile); this model only reads the records the decisions need, applies
the plans to the ORM, and sends the resulting writes to Google in batches.
"""

import functools
import json
import logging
import time
from collections import Counter
from datetime import timedelta
from functools import partial

from odoo import SUPERUSER_ID, api, fields, models
from odoo.modules.registry import Registry

from ..engine import ownership, reconcile
from ..engine.client import ApiCall
from ..engine.errors import (
    Forbidden,
    GoogleApiError,
    SyncTokenExpired,
)
from ..engine.mapping import (
    NEUTRAL_KEYS,
    InvalidEvent,
    diff_fields,
    fingerprint,
    from_google,
    is_cancelled,
    to_google,
)
from ..engine.outcomes import Outcome, classify
from ..engine.people import ContactBudget
from ..engine.references import EXT_EVENT_ID
from .calendar_event import CONTACT_BUDGET, FROM_GOOGLE, SYNCING_STATES
from .google_calendar_sync_recurrence import RecurringSync

_logger = logging.getLogger(__name__)

PARAM_PREFIX = "google_calendar_sync."

DEFAULT_RANGE_DAYS = 365
# Key of the transaction-scoped advisory lock that lets one sync of an account
# run at a time (second key: the account id).
_LOCK_NAMESPACE = 0x6763_7331  # "gcs1"
# Extended shared properties the module writes on the Google events it creates.
_POSTCOMMIT_KEY = "google_calendar_sync.push_accounts"
# Safety guard defaults (system parameters deletion_guard_ratio and
# deletion_guard_minimum): a pull deleting at least 10 events and more than
# half of the account's synced ones waits for an administrator.
DELETION_GUARD_RATIO = 0.5
DELETION_GUARD_MINIMUM = 10
# How long writes stop after Google's quotaExceeded: Google says "hours" and
# publishes no figure; an hour, then one try tells whether it lifted.
QUOTA_PAUSE = timedelta(hours=1)


class DeletionHeld(Exception):
    """The pull would delete more than the safety guard lets through.

    Raised out of ``_sync_account`` with the pull half applied: the caller
    rolls its transaction (or savepoint) back, then holds the account.
    """

    def __init__(self, count, total):
        super().__init__(f"{count} of {total} synced events to delete")
        self.count = count
        self.total = total


def _empty_counts():
    return Counter(
        {
            "odoo_created": 0,
            "odoo_updated": 0,
            "odoo_deleted": 0,
            "google_created": 0,
            "google_updated": 0,
            "google_deleted": 0,
            "conflicts": 0,
            "errors": 0,
        }
    )


class GoogleCalendarSync(models.AbstractModel):
    _name = "google.calendar.sync"
    _description = "Google Calendar two-way sync"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _sync_account(self, account, client):
        """Pull then push ``account``'s primary calendar.

        Returns the counts of what changed on each side, plus ``messages``:
        the readable errors and notes for the user. When another transaction
        is syncing the same account, returns ``{"skipped": "running"}`` at
        once and sends nothing; ``{"skipped": "deletion_hold"}`` while the
        safety guard holds the account. Raises ``DeletionHeld`` when the pull
        would delete too much (see ``google.calendar.account._run_sync``).
        """
        account = account.sudo()
        if not self._try_lock(account):
            return {"skipped": "running"}
        if account.deletion_hold:
            # Nothing moves either way until an administrator confirms.
            return {"skipped": "deletion_hold", "messages": [account.last_error]}
        started = time.monotonic()
        run = _Run(self.env, account, client)
        run.pull()
        if account.deletions_confirmed:
            account.deletions_confirmed = False
        run.push()
        run.log(time.monotonic() - started)
        return run.result()

    @api.model
    def _push_account(self, account, client):
        """Push only (the fast path after a commit); same answer as ``_sync_account``."""
        account = account.sudo()
        if not self._try_lock(account):
            return {"skipped": "running"}
        if account.deletion_hold:
            return {"skipped": "deletion_hold", "messages": [account.last_error]}
        run = _Run(self.env, account, client)
        run.push()
        return run.result()

    @api.model
    def _try_lock(self, account):
        """Take the account's sync lock for this transaction, without waiting.

        A transaction-scoped advisory lock rather than ``SELECT ... FOR UPDATE
        SKIP LOCKED`` on the account row: it skips a concurrent sync the same
        way, but does not make writers of the account row (the Sync button
        storing ``last_sync``, a user stopping the sync, a token refresh)
        wait for a long sync to end.
        """
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, account.id]
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _schedule_push(self, account_ids=(), user_ids=()):
        """Push the given accounts (or users' accounts) after the current commit."""
        if not (account_ids or user_ids):
            return
        postcommit = self.env.cr.postcommit
        pending = postcommit.data.get(_POSTCOMMIT_KEY)
        if pending is None:
            pending = postcommit.data[_POSTCOMMIT_KEY] = {"accounts": set(), "users": set()}
            postcommit.add(partial(_push_after_commit, self.env.cr.dbname, pending))
        pending["accounts"].update(account_ids)
        pending["users"].update(user_ids)


def _push_after_commit(dbname, pending):
    """Postcommit callback: one push per concerned account, each in its own
    transaction. Failures only log: the cron pushes whatever is still dirty."""
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Account = env["google.calendar.account"]
        config = Account._get_google_config()
        if config["paused"]:
            return
        account_ids = Account.search(
            [
                ("state", "=", "connected"),
                ("user_may_sync", "=", True),
                "|",
                ("id", "in", list(pending["accounts"])),
                ("user_id", "in", list(pending["users"])),
            ]
        ).ids
    for account_id in account_ids:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            account = env["google.calendar.account"].browse(account_id)
            try:
                env["google.calendar.sync"]._push_account(account, account._get_client())
            except Exception:
                _logger.warning(
                    "Google Calendar: immediate push of account %s failed; the cron retries it",
                    account_id,
                    exc_info=True,
                )
                cr.rollback()


class _Run:
    """One sync of one account: the state shared by its pull and its push."""

    def __init__(self, env, account, client):
        self.env = env
        self.account = account
        self.client = client
        self.counts = _empty_counts()
        self.messages = []
        get_param = env["ir.config_parameter"].sudo().get_param
        self.send_updates_setting = get_param(PARAM_PREFIX + "send_updates") or "all"
        self.range_days = int(get_param(PARAM_PREFIX + "range_days") or DEFAULT_RANGE_DAYS)
        # Before the first sync completes, nobody is e-mailed: the events are
        # known to their attendees already.
        self.first_sync = not account.last_sync
        self.now = fields.Datetime.now()
        self.user = account.user_id
        self.email = (account.google_email or self.user.email_normalized or "").lower()
        # The new contacts this whole sync may still create, shared by all its
        # pulls (calendar.event._google_resolve_partners reads the limit).
        self.contact_budget = ContactBudget(messages=self.messages)
        self.Event = (
            env["calendar.event"]
            .sudo()
            .with_context(active_test=False, **{CONTACT_BUDGET: self.contact_budget})
        )
        self.default_reminders = []
        self.listed_tz = None
        # Google answered quotaExceeded to a write of this run (event or series).
        self.over_quota = False
        self.recurring = RecurringSync(self)

    @property
    def calendar_tz(self):
        """The calendar's zone as Google listed it, else the user's: read only
        when an event needs it, so that an idle sync does not load the user."""
        return self.listed_tz or self.user.tz or "UTC"

    @functools.cached_property
    def references(self):
        """What the module wrote on Google is trusted only when it carries a
        signature made with this database's secret (read when first needed)."""
        return self.Event._google_references()

    @functools.cached_property
    def own_emails(self):
        """The user's addresses in attendee lists: the connected Google address
        and their partner's (read only when an event needs it)."""
        return {self.email, self.user.partner_id.email_normalized} - {"", False, None}

    def result(self):
        return {**self.counts, "messages": self.messages}

    def log(self, seconds):
        """The one line per sync an operator reads: what moved each way, how fast."""
        counts = self.counts
        _logger.info(
            "Google Calendar sync of account %s: Odoo +%d ~%d -%d, Google +%d ~%d -%d, "
            "%d conflict(s), %d error(s), %.2fs",
            self.account.id,
            counts["odoo_created"],
            counts["odoo_updated"],
            counts["odoo_deleted"],
            counts["google_created"],
            counts["google_updated"],
            counts["google_deleted"],
            counts["conflicts"],
            counts["errors"],
            seconds,
        )

    def error(self, message, event=None):
        """A problem with one event: logged, told to the user, and the sync goes on."""
        _logger.warning("Google Calendar sync of %s: %s", self.email, message)
        self.counts["errors"] += 1
        self.messages.append(message)
        if event:
            event._google_post_note(message)

    # ------------------------------------------------------------------
    # Pull: Google -> Odoo
    # ------------------------------------------------------------------

    def pull(self):
        listing = self._list()
        self.default_reminders = listing.default_reminders
        self.listed_tz = listing.time_zone
        items = [item for item in listing.items if isinstance(item, dict) and item.get("id")]
        self._apply_items(items, guard=True)
        self.account.sync_token = listing.next_sync_token or False

    def _list(self):
        if self.account.sync_token:
            try:
                return self.client.list_events("primary", sync_token=self.account.sync_token)
            except SyncTokenExpired:
                _logger.info("Google Calendar: sync token of %s expired, full resync", self.email)
        window = timedelta(days=self.range_days)
        return self.client.list_events(
            "primary", time_min=self.now - window, time_max=self.now + window
        )

    def _without_pending_deletions(self, items):
        """Leave out the events deleted in Odoo that Google still shows as agreed:
        the push deletes them. One edited on Google since is kept (the edit wins
        over the deletion) and its pending deletion dropped."""
        deletions = (
            self.env["google.calendar.outbox"]
            .sudo()
            .search(
                [
                    ("account_id", "=", self.account.id),
                    ("google_id", "in", [i["id"] for i in items]),
                ]
            )
        )
        if not deletions:
            return items
        agreed_etag = {deletion.google_id: deletion.google_etag for deletion in deletions}
        # Without an agreed etag (an insert whose answer was lost, or a deletion
        # sent through the organizer's calendar) nothing shows an edit on Google:
        # the deletion stands.
        edited = {
            item["id"]
            for item in items
            if agreed_etag.get(item["id"])
            and not is_cancelled(item)
            and item.get("etag") != agreed_etag[item["id"]]
            and not self._holds_what_odoo_sent(item)
        }
        deletions.filtered(lambda deletion: deletion.google_id in edited).unlink()
        # Tombstones stay: if another account's pull brought the event back
        # into Odoo meanwhile, Google's deletion is what removes it again.
        return [
            item
            for item in items
            if item["id"] not in agreed_etag or item["id"] in edited or is_cancelled(item)
        ]

    def _match(self, items):
        """{google id: Odoo event} for the items: by id, by iCalUID, then by the
        Odoo id the module wrote (signed) into the event, so a full resync finds
        every event it already knows instead of creating a twin.

        Only events within this account's reach are candidates (``_within_reach``):
        whatever an item claims, it never reaches another user's meeting. When
        several copies share an id, the one this account keeps comes first.
        """
        if not items:
            return {}
        ids = [item["id"] for item in items]
        ical_uids = [item["iCalUID"] for item in items if item.get("iCalUID")]
        odoo_ids = [ref for ref in map(self._odoo_ref, items) if ref]
        events = self._within_reach(
            self.Event.search(
                [
                    "|",
                    "|",
                    ("google_id", "in", ids),
                    ("google_ical_uid", "in", ical_uids),
                    ("id", "in", odoo_ids),
                ]
            )
        ).sorted(lambda event: event.google_account_id != self.account)
        by_google_id, by_ical = {}, {}
        for event in events:
            if event.google_id:
                by_google_id.setdefault(event.google_id, event)
            if event.google_ical_uid:
                by_ical.setdefault(event.google_ical_uid, event)
        by_odoo_id = {event.id: event for event in events}
        matches = {}
        for item in items:
            ref = self._odoo_ref(item)
            event = (
                by_google_id.get(item["id"])
                or by_ical.get(item.get("iCalUID"))
                or (by_odoo_id.get(ref) if ref else None)
            )
            if event:
                matches[item["id"]] = event
        return matches

    def _within_reach(self, events):
        """Those of ``events`` a Google item of this account may be matched to:
        the ones it keeps, and those its user organizes or attends in Odoo."""
        if not events:
            return events
        partner = self.user.partner_id
        return events.filtered(
            lambda event: event.google_account_id == self.account
            or self._speaks_for(event)
            or partner in event.partner_ids
        )

    def _speaks_for(self, event, keeper=None):
        """Whether this calendar's copy of ``event`` speaks for the whole meeting
        (its title, times, guests, organizer): its user organizes it in Odoo, or
        no Odoo user does and this is the copy Odoo follows it by (this account
        keeps it, or Google named this account's address as its organizer).
        Any other copy is a guest's: it brings the guest's own answer only.
        ``keeper``: the account of the series the event is the first of."""
        if event.user_id:
            return event.user_id == self.user
        return (keeper if keeper is not None else event.google_account_id) == self.account or (
            event.google_organizer_email or ""
        ).lower() == self.email

    def as_guest(self, base, google_values):
        """Google's ``google_values`` as a guest's pull may take them: ``base``
        (what was agreed, else what Odoo holds) with the guest's own answer
        from Google, and nothing else: a guest's calendar never renames, moves,
        re-invites or re-organizes someone else's meeting."""
        answers = {
            attendee["email"]: attendee["status"]
            for attendee in google_values.get("attendees") or ()
            if attendee["email"] in self.own_emails
        }
        answer = next(iter(answers.values()), None)
        restricted = dict(base)
        restricted["attendees"] = [
            {**attendee, "status": answer}
            if answer and attendee["email"] in self.own_emails
            else attendee
            for attendee in base.get("attendees") or ()
        ]
        return restricted

    def _holds_what_odoo_sent(self, item):
        """Whether Google's copy holds exactly what Odoo last wrote: then a new
        etag is Odoo's own write whose answer was lost, not an edit on Google."""
        digest = self.references.sent_digest(item)
        if not digest:
            return False
        try:
            values = self.google_values(item)
        except InvalidEvent:
            return False
        return reconcile.digest_matches(digest, values)

    def google_values(self, item, notes=None):
        """A Google event's neutral values as Odoo would hold them (raises
        ``InvalidEvent``), so that they compare with what Odoo holds."""
        return self.Event._google_held_form(
            from_google(
                item,
                default_reminders=self.default_reminders,
                calendar_tz=self.calendar_tz,
                notes=notes,
            )
        )

    def _odoo_ref(self, item):
        """The Odoo event id this database signed on ``item``, else None."""
        return self.references.record_id(item, EXT_EVENT_ID)

    def _apply_items(self, items, guard=False):
        """Apply Google's ``items``; with ``guard``, raise ``DeletionHeld``
        before a mass deletion (the pull's listing, not a single re-read)."""
        items = self._without_pending_deletions(items)
        recurring, items = self.recurring.take(items)
        self.recurring.pull(recurring, guard=guard)
        matches = self._match(items)
        # When the sync that re-created a meeting under a successor id was lost
        # before its commit, the next listing holds both the old id's tombstone
        # and the live successor, matched to the same event: the live copy wins,
        # or the tombstone would re-create the meeting once more.
        live = {
            matches[item["id"]].id
            for item in items
            if item["id"] in matches and not is_cancelled(item)
        }
        keepers = self._keepers(matches.values())
        to_create, to_update = [], {}
        to_delete = to_decline = to_recreate = self.Event
        for item in items:
            event = matches.get(item["id"])
            if (
                event
                and keepers[event.id] not in (None, self.account)
                and not self._takes_over(event, item)
                # A tombstone names no organizer: one in the organizer's own
                # calendar is the meeting deleted for everyone.
                and not (is_cancelled(item) and event.user_id == self.user)
            ):
                # Another synced user's calendar holds this meeting: that account
                # keeps it in step; one Odoo event per Google event.
                continue
            if is_cancelled(item):
                if not event or event.id in live:
                    continue
                if not (
                    event.user_id == self.user
                    or not (event.user_id or event.google_organizer_email)
                ):
                    to_decline |= event
                elif self._edited_in_odoo(event):
                    to_recreate |= event
                else:
                    to_delete |= event
                continue
            notes = []
            try:
                values = self.google_values(item, notes)
            except InvalidEvent as exc:
                self.error(self.env._("Not imported from Google: %(error)s", error=exc), event)
                continue
            self.messages.extend(notes)
            if event:
                to_update[event] = (item, values)
            else:
                to_create.append((item, values))
        if guard and to_delete:
            self._guard_deletions(len(to_delete))
        self._create_from_google(to_create)
        self._reconcile_items(to_update)
        if to_recreate:
            # Edited in Odoo after Google deleted it: the edit wins, under a new
            # id since Google never takes a deleted one again. This calendar
            # sends it: its organizer's (a guest's calendar that brought the
            # meeting in would make the guest its organizer on Google), or the
            # one keeping an event no Odoo user organizes.
            for event in to_recreate:
                event.with_context(**{FROM_GOOGLE: True}).write(
                    {
                        "google_id": event._google_successor_id(),
                        "google_etag": False,
                        "google_agreed_values": False,
                        "google_push_pending": True,
                        "google_account_id": self.account.id,
                    }
                )
        if to_delete:
            to_delete.with_context(**{FROM_GOOGLE: True}).unlink()
            self.counts["odoo_deleted"] += len(to_delete)
        if to_decline:
            attendees = to_decline.attendee_ids.filtered(
                lambda attendee: attendee.partner_id == self.user.partner_id
            )
            attendees.with_context(**{FROM_GOOGLE: True}).write({"state": "declined"})
            self.counts["odoo_updated"] += len(to_decline)

    def _keepers(self, events):
        """{event id: the account that keeps it in step, or None}: the calendar it
        was agreed with, else its organizer's when the organizer syncs, as the push
        has it. A meeting whose insert Google stored before the organizer's sync
        lost its transaction has no calendar yet: a guest's pull must not take it,
        or the guest's copy, which takes only the guest's own answer, would become
        the one that sends the organizer's edits and the other guests' answers."""
        account_of = self._organizer_accounts(
            event.user_id for event in events if not event.google_account_id
        )
        return {
            event.id: ownership.keeper(event.google_account_id, account_of.get(event.user_id.id))
            for event in events
        }

    def _organizer_accounts(self, organizers):
        """{user id: syncing account} of the ``organizers`` other than this user."""
        user_ids = {user.id for user in organizers if user and user != self.user}
        if not user_ids:
            return {}
        accounts = (
            self.env["google.calendar.account"]
            .sudo()
            .search([("state", "in", SYNCING_STATES), ("user_id", "in", list(user_ids))])
        )
        return {account.user_id.id: account for account in accounts}

    def _guard_deletions(self, count):
        if self.account.deletions_confirmed:
            return
        get_param = self.env["ir.config_parameter"].sudo().get_param
        ratio = float(get_param(PARAM_PREFIX + "deletion_guard_ratio") or DELETION_GUARD_RATIO)
        minimum = int(get_param(PARAM_PREFIX + "deletion_guard_minimum") or DELETION_GUARD_MINIMUM)
        total = self.Event.search_count(
            [("google_account_id", "=", self.account.id), ("google_etag", "!=", False)]
        )
        if reconcile.deletion_needs_confirmation(total, count, threshold=ratio, minimum=minimum):
            raise DeletionHeld(count, total)

    def _edited_in_odoo(self, event):
        agreed = event._google_agreed()
        return bool(
            event.google_push_pending
            and agreed is not None
            and diff_fields(agreed, event._google_neutral_values()[event.id])
        )

    def _organizes(self, values):
        """Whether this calendar's user organizes the event of neutral ``values``."""
        return values.get("organizer") in ("", self.email)

    def _takes_over(self, event, item, keeper=None):
        """Whether this account becomes the one that syncs ``event`` from another
        calendar: only when its user organizes the meeting both in Odoo (what a
        Google item says of itself proves nothing) and on Google (its copy is
        the organizer's)."""
        organizer = item.get("organizer")
        email = organizer.get("email") if isinstance(organizer, dict) else None
        return (
            isinstance(email, str)
            and email.lower() == self.email
            and self._speaks_for(event, keeper)
        )

    def _google_state(self, item, values):
        return {
            "google_id": item["id"],
            "google_ical_uid": item.get("iCalUID") or False,
            "google_etag": item.get("etag") or False,
            "google_updated": item.get("updated") or False,
            "google_account_id": self.account.id,
        }

    def _create_from_google(self, items):
        if not items:
            return
        events = self.Event._google_create_from_values(
            [
                (
                    values,
                    {
                        **self._google_state(item, values),
                        "google_push_pending": False,
                        # Expected to be what Odoo holds once created: only the
                        # events for which it is not are written again.
                        "google_agreed_values": json.dumps(values, sort_keys=True),
                    },
                )
                for item, values in items
            ]
        )
        events._google_store_agreed()
        self.counts["odoo_created"] += len(events)

    def _reconcile_items(self, to_update):
        """Decide, per event, what each side must take; apply the Odoo side now
        and leave the Google side to the push (marked dirty with the values)."""
        if not to_update:
            return
        events = self.Event.browse([event.id for event in to_update])
        odoo_values = events._google_neutral_values()
        writes, extras = {}, {}
        for event, (item, google_values) in to_update.items():
            agreed = event._google_agreed()
            state = self._google_state(item, google_values)
            if agreed is not None and item.get("etag") == event.google_etag:
                # Google did not change since we agreed: compare nothing on its side.
                google_values = agreed
            if event.google_refused_fingerprint:
                state["google_refused_fingerprint"] = False
                # Google refused this calendar's edits (a guest's copy takes only
                # the guest's own answer): what Google holds is the truth. When
                # the organizer's calendar takes the meeting over, that refusal
                # is not its own: the agreed values stand, and it sends the
                # edits (another attendee's answer) the guest's copy could not.
                if event.google_account_id == self.account:
                    agreed = odoo_values[event.id]
            google_changed_at = item.get("updated")
            if not self._speaks_for(event):
                google_values = self.as_guest(
                    agreed if agreed is not None else odoo_values[event.id], google_values
                )
            if agreed is None and self._odoo_ref(item) == event.id:
                # Odoo's own insert whose answer was lost (the sync that sent it
                # was rolled back). The digest it left on the event tells which
                # side changed what since: an answer a guest gave on Google
                # meanwhile stays, Odoo's later edits go.
                if not event.google_etag:
                    agreed = reconcile.base_from_digest(
                        self.references.sent_digest(item), odoo_values[event.id], google_values
                    )
                if agreed is None:
                    # No digest: Google holds what Odoo sent, so the values Odoo
                    # holds now are the newer ones, whatever Google's stamp.
                    google_changed_at = None
            decision = reconcile.reconcile(
                agreed,
                odoo_values[event.id],
                google_values,
                odoo_changed_at=event.write_date,
                google_changed_at=google_changed_at,
            )
            if decision.lost:
                self.counts["conflicts"] += 1
                event._google_post_note(
                    self.env._(
                        "Changed on both sides; the most recent change was kept. %(lost)s",
                        lost=" / ".join(lost.message() for lost in decision.lost),
                    )
                )
            if decision.pull_fields:
                writes[event.id] = decision.values
                self.counts["odoo_updated"] += 1
            # An Odoo change the merge left nothing of (it lost a tie, or Google
            # holds it already) is no change to send: the event is in step and
            # stores what it holds as agreed. A pending push the values cannot
            # show (an archived event) stays.
            state["google_push_pending"] = bool(decision.push_fields) or (
                event.google_push_pending and not event.active
            )
            if state["google_push_pending"]:
                # The next patch sends what differs from Google's current values.
                state["google_agreed_values"] = json.dumps(google_values, sort_keys=True)
            extras[event.id] = state
        with_writes = events.filtered(lambda event: event.id in writes)
        with_writes._google_write_values(writes, extras)
        for event in events - with_writes:
            changed = {
                key: value
                for key, value in extras[event.id].items()
                # The account is a record and the state holds its id.
                if (event[key].id if key == "google_account_id" else event[key]) != value
            }
            if changed:
                event.with_context(**{FROM_GOOGLE: True}).write(changed)
        # What Odoo now holds is what Google holds or is about to receive.
        events.filtered(lambda event: not event.google_push_pending)._google_store_agreed()

    # ------------------------------------------------------------------
    # Push: Odoo -> Google
    # ------------------------------------------------------------------

    def push(self):
        paused_until = self.account.writes_paused_until
        if paused_until and paused_until > self.now:
            self.messages.append(self.account.last_error)
            return
        self._adopt_unsynced_events()
        self.recurring.push()
        self._push_events()
        if self.over_quota:
            # The calendar is read-only at Google for hours: sending more
            # would only be refused. The changes stay pending meanwhile.
            self.account._pause_writes(self.now + QUOTA_PAUSE)
            self.messages.append(self.account.last_error)

    def execute(self, calls, handlers):
        """Send ``calls`` in batches and hand each result to its handler; the
        one place where a write's outcome is first looked at (events, series
        and deletions alike)."""
        if not calls:
            return
        results = self.client.execute_batch(calls)
        for handler, result in zip(handlers, results, strict=True):
            self.note(result)
            handler(result)

    def note(self, result):
        """Remember what concerns the whole calendar in a write's ``result``."""
        if classify(result) is Outcome.PAUSE:
            self.over_quota = True

    def _push_events(self):
        events = self.Event.search(
            [
                ("google_push_pending", "=", True),
                *ownership.pushed_domain(self.account.id, self.user.id),
            ]
        )
        deletions = (
            self.env["google.calendar.outbox"].sudo().search([("account_id", "=", self.account.id)])
        )
        calls, handlers = [], []
        values_by_event = events.filtered("active")._google_neutral_values()
        for event in events:
            if event.recurrency:
                event.google_push_pending = False
                continue
            if not event.active:
                self._plan_archive(event, calls, handlers)
                continue
            self._plan_event_push(event, values_by_event[event.id], calls, handlers)
        for deletion in deletions:
            send_updates = self._send_updates(over=deletion.event_over)
            calls.append(
                ApiCall.delete(
                    "primary",
                    deletion.google_id,
                    etag=deletion.google_etag or None,
                    send_updates=send_updates,
                )
            )
            handlers.append(partial(self._after_delete, deletion))
        self.execute(calls, handlers)

    def _adopt_unsynced_events(self):
        """On the first sync, the user's own Odoo events in the window go to Google."""
        if not self.first_sync:
            return
        window = timedelta(days=self.range_days)
        self.Event.with_context(active_test=True).search(
            [
                ("user_id", "=", self.user.id),
                ("google_id", "=", False),
                ("recurrency", "=", False),
                ("stop", ">=", self.now - window),
                ("start", "<=", self.now + window),
            ]
        )._google_adopt()

    def _send_updates(self, over):
        if self.first_sync or over:
            return "none"
        return self.send_updates_setting

    def _plan_event_push(self, event, values, calls, handlers):
        current = fingerprint(values)
        if event.google_refused_fingerprint == current:
            event.google_push_pending = False
            return
        over = event.stop < self.now
        if not event.google_etag:
            references = self.references
            try:
                body = to_google(
                    values,
                    extended_shared=references.shared_properties(
                        EXT_EVENT_ID, event.id, event.google_id
                    ),
                    extended_private=references.private_properties(
                        reconcile.sent_digest(values), event.google_id
                    ),
                )
            except InvalidEvent as exc:
                self._refuse(event, current, self.env._("Not sent to Google: %(error)s", error=exc))
                return
            body["id"] = event.google_id
            calls.append(ApiCall.insert("primary", body, send_updates=self._send_updates(over)))
            handlers.append(partial(self._after_insert, event, values))
            return
        agreed = event._google_agreed()
        changed = diff_fields(agreed, values) if agreed else None
        if agreed is not None and not changed:
            event.google_push_pending = False
            return
        # Only the organizer's copy, the one deletions and edits go through,
        # needs to recognise its own lost write; a guest's patch carries its
        # answer and nothing else.
        digest = (
            reconcile.sent_digest(values, changed or NEUTRAL_KEYS)
            if self._organizes(values)
            else None
        )
        try:
            body = to_google(
                values,
                changed_fields=changed,
                extended_private=self.references.private_properties(digest, event.google_id),
            )
        except InvalidEvent as exc:
            self._refuse(event, current, self.env._("Not sent to Google: %(error)s", error=exc))
            return
        calls.append(
            ApiCall.patch(
                "primary",
                event.google_id,
                body,
                etag=event.google_etag,
                send_updates=self._send_updates(over),
            )
        )
        handlers.append(partial(self._after_patch, event, values))

    def _plan_archive(self, event, calls, handlers):
        if not event.google_etag:
            event.google_push_pending = False
            return
        calls.append(
            ApiCall.delete(
                "primary",
                event.google_id,
                send_updates=self._send_updates(over=event.stop < self.now),
            )
        )
        handlers.append(partial(self._after_archive, event))

    def _agree(self, event, values, answer, created):
        event.with_context(**{FROM_GOOGLE: True}).write(
            {
                "google_etag": answer.get("etag") or False,
                "google_updated": answer.get("updated") or False,
                "google_ical_uid": answer.get("iCalUID") or event.google_ical_uid,
                "google_account_id": self.account.id,
                "google_agreed_values": json.dumps(values, sort_keys=True),
                "google_push_pending": False,
                "google_refused_fingerprint": False,
            }
        )
        self.counts["google_created" if created else "google_updated"] += 1

    def _after_insert(self, event, values, outcome):
        if classify(outcome) is not Outcome.DUPLICATE:
            self._handle_write_outcome(event, values, outcome, created=True)
            return
        # An earlier attempt was stored by Google before its answer got lost:
        # the event is there. Reconcile with what Google holds (a guest may have
        # answered since), then send what Odoo changed since that attempt.
        try:
            answer = self.client.get_event("primary", event.google_id)
        except GoogleApiError as exc:
            self.note(exc)
            self._keep_for_retry(event, exc)
            return
        if is_cancelled(answer):
            self.error(
                self.env._(
                    "Google keeps a deleted event under the id of %(name)s; it cannot "
                    "be sent again.",
                    name=event.name,
                ),
                event,
            )
            event.google_push_pending = False
            return
        self._apply_items([answer])
        self.counts["google_created"] += 1
        if event.exists() and event.google_push_pending:
            self._repush(event)

    def _after_patch(self, event, values, outcome):
        kind = classify(outcome)
        if kind is Outcome.CHANGED:
            # Google changed meanwhile: read it and reconcile, never overwrite.
            try:
                item = self.client.get_event("primary", event.google_id)
            except GoogleApiError as exc:
                self.note(exc)
                self._keep_for_retry(event, exc)
                return
            self._apply_items([item])
            if event.exists() and event.google_push_pending:
                self._repush(event)
            return
        if kind is Outcome.GONE:
            self._apply_items([{"id": event.google_id, "status": "cancelled"}])
            return
        self._handle_write_outcome(event, values, outcome, created=False)

    def _repush(self, event):
        """Send the reconciled values (one more patch, with the fresh etag)."""
        values = event._google_neutral_values()[event.id]
        calls, handlers = [], []
        self._plan_event_push(event, values, calls, handlers)
        if calls:
            # Once: a second 412 waits for the next sync's pull.
            self.execute(
                calls,
                [
                    lambda outcome: self._keep_for_retry(event, outcome)
                    if classify(outcome) is Outcome.CHANGED
                    else handlers[0](outcome)
                ],
            )

    def _handle_write_outcome(self, event, values, outcome, created):
        kind = classify(outcome)
        if kind is Outcome.AGREED:
            self._agree(event, values, outcome, created)
        elif kind is Outcome.REFUSED and isinstance(outcome, Forbidden):
            self._refuse(
                event,
                fingerprint(values),
                self.env._(
                    "Google refused this change (%(reason)s): only the organizer can change this "
                    "event on Google. The change stays in Odoo only and is not sent again.",
                    reason=outcome.reason or outcome.message,
                ),
            )
        elif kind is Outcome.REFUSED:
            self._refuse(
                event,
                fingerprint(values),
                self.env._("Google refused this event: %(error)s", error=outcome),
            )
        else:
            self._keep_for_retry(event, outcome)

    def _refuse(self, event, current_fingerprint, message):
        """Tell the user once, in the event, and stop sending these values."""
        if event.google_refused_fingerprint != current_fingerprint:
            self.error(message, event)
        event.with_context(**{FROM_GOOGLE: True}).write(
            {
                "google_refused_fingerprint": current_fingerprint,
                "google_push_pending": False,
            }
        )

    def _keep_for_retry(self, event, outcome):
        self.counts["errors"] += 1
        _logger.info("Google Calendar: push of event %s kept for retry: %s", event.id, outcome)
        self.messages.append(
            self.env._("Will retry %(name)s: %(error)s", name=event.name, error=outcome)
        )

    def _after_archive(self, event, outcome):
        if classify(outcome) in (Outcome.AGREED, Outcome.GONE):
            # Google never takes a deleted id again: restoring the event in
            # Odoo gives it a new one.
            event.with_context(**{FROM_GOOGLE: True}).write(
                {
                    "google_id": False,
                    "google_etag": False,
                    "google_agreed_values": False,
                    "google_push_pending": False,
                }
            )
            self.counts["google_deleted"] += 1
        else:
            self._handle_write_outcome(event, {}, outcome, created=False)

    def _after_delete(self, deletion, outcome, retried=False):
        kind = classify(outcome)
        if kind in (Outcome.AGREED, Outcome.GONE):
            self.counts["google_deleted"] += outcome is None
            deletion.unlink()
        elif kind is Outcome.CHANGED:
            try:
                item = self.client.get_event("primary", deletion.google_id)
            except GoogleApiError as exc:
                self.note(exc)
                deletion.write({"attempts": deletion.attempts + 1, "last_error": str(exc)})
                return
            if not retried and not is_cancelled(item) and self._holds_what_odoo_sent(item):
                # The new etag is Odoo's own edit whose answer was lost before
                # the deletion: the deletion stands.
                deletion.google_etag = item.get("etag") or False
                call = ApiCall.delete(
                    "primary",
                    deletion.google_id,
                    etag=deletion.google_etag or None,
                    send_updates=self._send_updates(over=deletion.event_over),
                )
                self.execute([call], [partial(self._after_delete, deletion, retried=True)])
                return
            # Edited on Google after the deletion in Odoo: the edit wins and the
            # event comes back to Odoo rather than being lost.
            deletion.unlink()
            self._apply_items([item])
        elif kind is Outcome.REFUSED:
            # Not the organizer's to delete (a guest's deletion Google refuses):
            # asking again would not change Google's answer.
            _logger.info(
                "Google Calendar: deletion of %s refused (%s)", deletion.google_id, outcome
            )
            deletion.unlink()
        else:
            deletion.write({"attempts": deletion.attempts + 1, "last_error": str(outcome)})
            self.counts["errors"] += 1
