"""One synchronization of one Google account: pull, reconcile, push.

Every decision is taken by the pure functions of ``engine`` (mapping,
reconcile, ownership, outcomes); this class reads the records the decisions
need, applies the plans to the ORM, and sends the resulting writes to Google
in batches. Single events (``EventPull``, ``EventPush``) and recurring series
(``RecurringSync``) share its state, its ownership rules and its handling of
write outcomes.
"""

import functools
import logging
import time
from collections import Counter
from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from ..engine import calendars as calendar_rules
from ..engine import ownership, reconcile
from ..engine.errors import (
    EventGone,
    GoogleApiError,
    NotFound,
    SyncTokenExpired,
)
from ..engine.mapping import (
    from_google,
)
from ..engine.outcomes import Outcome, classify
from ..engine.ownership import SYNCING_STATES
from ..engine.people import ContactBudget
from ..models.calendar_event import CONTACT_BUDGET, FROM_GOOGLE
from . import event_features
from .events_pull import EventPull
from .events_push import EventPush
from .guests import adopt_colleague_series, keep_in_guest_calendars
from .keepers import release_removed
from .series import RecurringSync

_logger = logging.getLogger(__name__)

PARAM_PREFIX = "google_calendar_sync."

DEFAULT_RANGE_DAYS = 365
# Safety guard defaults (system parameters deletion_guard_ratio and
# deletion_guard_minimum): a pull deleting at least 10 events and more than
# half of the account's synced ones waits for an administrator.
DELETION_GUARD_RATIO = 0.5
DELETION_GUARD_MINIMUM = 10
# How long writes stop after Google's quotaExceeded: Google says "hours" and
# publishes no figure; an hour, then one try tells whether it lifted.
QUOTA_PAUSE = timedelta(hours=1)
# Google's largest page of events.list; a smaller one (system parameter
# page_size) makes smaller steps.
MAX_PAGE_SIZE = 2500
# A push in one transaction reads the values of this many pending events at
# once (a handful of queries), then sends them batch by batch.
PLAN_AHEAD = 1000


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


class SyncRun(EventPull, EventPush):
    """One sync of one calendar of an account: the state shared by its pull and
    its push. ``calendar``: a ``google.calendar.calendar`` of the account, or
    none (the primary calendar, its calendar list not read). The primary
    calendar keeps its listing state on the account, every other on its own
    record (``sync_state``)."""

    def __init__(self, env, account, client, calendar=None, checkpoint=None):
        self.env = env
        # Commits the work done so far (``SyncSteps.commit``), called after
        # each page of the pull and each batch of the push; None: one
        # transaction for the whole run.
        self.checkpoint = checkpoint
        self.account = account
        self.client = client
        self.calendar = calendar if calendar is not None else env["google.calendar.calendar"]
        secondary = bool(self.calendar) and not self.calendar.primary
        self.calendar_gid = self.calendar.google_id if secondary else "primary"
        self.sync_state = self.calendar.sudo() if secondary else account
        self.pulls = not self.calendar or self.calendar._pulls
        self.pushes = not self.calendar or self.calendar._pushes
        self.busy_only = bool(self.calendar) and self.calendar._busy_only
        # The organizer address Google gives the events of a secondary calendar
        # the user may write to: the calendar's own id.
        self.organizer_alias = (
            self.calendar_gid.lower() if secondary and self.calendar._pushes else None
        )
        self.counts = _empty_counts()
        self.messages = []
        # (kind, message, event) of every error and conflict: the run's history.
        self.problems = []
        self.get_param = get_param = env["ir.config_parameter"].sudo()._google_param
        self.send_updates_setting = get_param(PARAM_PREFIX + "send_updates") or "all"
        self.range_days = int(get_param(PARAM_PREFIX + "range_days") or DEFAULT_RANGE_DAYS)
        # Before the first sync completes, nobody is e-mailed: the events are
        # known to their attendees already.
        self.first_sync = not account.last_sync
        self.now = fields.Datetime.now()
        self.user = account.user_id
        self.email = (account.google_email or self.user.email_normalized or "").lower()
        # The new contacts this whole sync may still create, shared by all its
        # pulls (``odoo_writer.resolve_partners`` reads the limit).
        self.contact_budget = ContactBudget(messages=self.messages)
        self.Event = (
            env["calendar.event"]
            .sudo()
            .with_context(active_test=False, **{CONTACT_BUDGET: self.contact_budget})
        )
        # The calendar's default reminders as listed by this run's pull; a
        # push alone reads those the last pull stored (``google_values``).
        self.default_reminders = None
        self.listed_tz = None
        # Google answered quotaExceeded to a write of this run (event or series).
        self.over_quota = False
        # Events of this push kept for a colleague (``kept_for_colleagues``).
        self.quiet_ids = set()
        self.recurring = RecurringSync(self)
        # The listing this run's pull continues or starts (``pull``): the page
        # to ask next, the window of a full listing, the safety guard's count.
        self.listing = {}
        self.pages_listed = 0

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

    def result(self, continuing=False):
        """What the run did; ``continuing``: it stopped at its time budget and
        the next run goes on where it stopped."""
        problems = [(kind, message, event.id or False) for kind, message, event in self.problems]
        answer = {**self.counts, "messages": self.messages, "problems": problems}
        if continuing:
            answer["continuing"] = True
        return answer

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
        self.problems.append(("error", message, event or self.Event))
        if event:
            event._google_post_note(message)
            event._google_set_sync_error(message)

    def conflict(self, event, lost, series=False):
        """Both sides changed ``event`` (or its ``series``): the most recent change
        was kept; the values it replaced (``lost``) are told in the meeting."""
        self.counts["conflicts"] += 1
        note, text = event._google_conflict_note(lost, self.user, series=series)
        event._google_post_note(note)
        self.problems.append(("conflict", text, event))

    # ------------------------------------------------------------------
    # Pull: Google -> Odoo
    # ------------------------------------------------------------------

    def pull(self, deadline=None):
        """Apply Google's listing page by page, as each arrives. Past
        ``deadline`` (``time.monotonic()``), stop between pages with the place
        reached saved on the account (``sync_progress``): the next pull
        resumes there. The sync token is stored after the last page only.
        Returns whether the listing was applied to its end."""
        if not self.pulls:
            return True
        self.listing = dict(self.sync_state.sync_progress or {})
        try:
            return self._pull_pages(deadline, self.listing.pop("waiting", []))
        except GoogleApiError as error:
            if error.status != 400 or self.pages_listed or "page_token" not in self.listing:
                raise
        # Google no longer takes the page token the listing stopped at: the
        # listing starts over, and finds by their ids the events already applied.
        _logger.info("Google Calendar: page token of %s refused, listing again", self.email)
        self.listing = {}
        return self._pull_pages(deadline, [])

    def _pull_pages(self, deadline, waiting):
        """``pull`` from the place in ``self.listing``; ``waiting``: the
        occurrences of a series whose master is on a later page."""
        for page in self._listing_pages():
            self.pages_listed += 1
            self.default_reminders = page.default_reminders
            event_features.remember_defaults(self, page.default_reminders)
            self.listed_tz = page.time_zone
            items = waiting + [item for item in page.items if isinstance(item, dict)]
            if page.next_page_token:
                items, waiting = self._without_orphans(items)
            self._apply_items(items, guard=True)
            if not page.next_page_token:
                done = {"sync_token": page.next_sync_token or False}
                if self.sync_state.sync_progress:
                    done["sync_progress"] = False
                self.sync_state.write(done)
                return True
            self.listing["page_token"] = page.next_page_token
            stop = deadline is not None and time.monotonic() >= deadline
            if stop or self.checkpoint:
                self.sync_state.sync_progress = {**self.listing, "waiting": waiting}
            if stop:
                return False
            if self.checkpoint:
                self.checkpoint()
        return True  # pragma: no cover - a listing ends with a page without next page

    def _listing_pages(self):
        """The pages of the listing this pull continues or starts: incremental
        with the account's sync token, else the full window (kept in
        ``self.listing`` so that a resumed listing asks the same)."""
        listing = self.listing
        page_size = int(self.get_param(PARAM_PREFIX + "page_size") or MAX_PAGE_SIZE)
        options = {
            "event_types": event_features.LISTED_TYPES,
            "max_results": min(max(page_size, 1), MAX_PAGE_SIZE),
        }
        if self.sync_state.sync_token and "window" not in listing:
            try:
                yield from self.client.list_event_pages(
                    self.calendar_gid,
                    sync_token=self.sync_state.sync_token,
                    page_token=listing.get("page_token"),
                    **options,
                )
                return
            except SyncTokenExpired:
                _logger.info("Google Calendar: sync token of %s expired, full resync", self.email)
                listing.pop("page_token", None)
        if "window" not in listing:
            window = timedelta(days=self.range_days)
            listing["window"] = [
                fields.Datetime.to_string(self.now - window),
                fields.Datetime.to_string(self.now + window),
            ]
        time_min, time_max = (fields.Datetime.to_datetime(bound) for bound in listing["window"])
        yield from self.client.list_event_pages(
            self.calendar_gid,
            time_min=time_min,
            time_max=time_max,
            page_token=listing.get("page_token"),
            **options,
        )

    def _without_orphans(self, items):
        """(items to apply now, occurrences to hold for a later page): an
        exception or cancelled occurrence whose series is neither on this page
        nor known in Odoo waits for the page that brings its master."""
        masters = {item["id"] for item in items if item.get("recurrence")}
        series_ids = {
            item["recurringEventId"]
            for item in items
            if isinstance(item.get("recurringEventId"), str)
            and item["recurringEventId"] not in masters
        }
        if not series_ids:
            return items, []
        known = set(self.recurring._series_by_google_id(series_ids))
        waiting_ids = series_ids - known
        now, later = [], []
        for item in items:
            (later if item.get("recurringEventId") in waiting_ids else now).append(item)
        return now, later

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

    def as_guest(self, base, google_values, outsiders=()):
        """Google's ``google_values`` as a guest's pull may take them: ``base``
        (what was agreed, else what Odoo holds) with the guest's own answer
        from Google, and nothing else: a guest's calendar never renames, moves,
        re-invites or re-organizes someone else's meeting. ``outsiders``: the
        addresses of guests who are no Odoo user whose answers it takes too
        (this calendar keeps a colleague's meeting: Google makes it the
        organizer's copy, where those guests' answers arrive; a user's answer
        is that user's own, in Odoo or from their own calendar)."""
        answers = {
            attendee["email"]: attendee["status"]
            for attendee in google_values.get("attendees") or ()
        }
        answer = next(
            (status for email, status in answers.items() if email in self.own_emails), None
        )
        restricted = dict(base)
        restricted["attendees"] = [
            {**attendee, "status": answer}
            if answer and attendee["email"] in self.own_emails
            else {**attendee, "status": answers[attendee["email"]]}
            if attendee["email"] in outsiders and attendee["email"] in answers
            else attendee
            for attendee in base.get("attendees") or ()
        ]
        return restricted

    def google_values(self, item, notes=None):
        """A Google event's neutral values as Odoo would hold them (raises
        ``InvalidEvent``), so that they compare with what Odoo holds."""
        values = self.Event._google_held_form(
            from_google(
                item,
                default_reminders=event_features.default_reminders(self),
                calendar_tz=self.calendar_tz,
                notes=notes,
            )
        )
        if self.organizer_alias and values.get("organizer") == self.organizer_alias:
            # Google names a secondary calendar the organizer of its own events:
            # the user organizes them.
            values = {**values, "organizer": self.email}
        return self._busy_block(values) if self.busy_only else values

    def _busy_block(self, values):
        return calendar_rules.busy_block(values, self.env._("Busy"))

    def outgoing(self, values_by_event):
        """{event id: neutral values} as this calendar may send them: a busy
        block only from a busy-only calendar."""
        if not self.busy_only:
            return values_by_event
        return {key: self._busy_block(values) for key, values in values_by_event.items()}

    def kept_by_other_calendar(self, event):
        """Whether another calendar of this account keeps ``event``: the same
        meeting seen in two of the user's calendars is one Odoo event, kept in
        step by the first calendar it came from."""
        kept_in = event.google_calendar_id
        if not kept_in or kept_in == self.calendar or kept_in.account_id != self.account:
            return False
        if not kept_in.selected or kept_in.removed:
            # That calendar left the sync: this one may take the meeting over.
            return False
        return not (kept_in.primary and not self.calendar)

    def calendar_domain(self, path="google_calendar_id"):
        """The records this run's calendar keeps: its own, and for the primary
        calendar those of no calendar."""
        if self.calendar_gid != "primary":
            return [(path, "=", self.calendar.id)]
        return ["|", (path, "=", False), (path + ".primary", "=", True)]

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

    def claim_meetings(self, kind, items):
        """Claim the meetings of Google ``items`` this run is about to create in
        Odoo (``kind``: "event" or "series"), by their iCalUID, the identity
        every attendee's copy shares: when another user's sync (or another
        worker) is creating the same meeting at this moment, PostgreSQL fails
        this transaction, whose next attempt finds that meeting instead of
        creating a twin (see ``google.calendar.claim``)."""
        self.env["google.calendar.claim"].sudo()._claim(
            f"{kind}:{item.get('iCalUID') or item['id']}" for item in items
        )

    def _guard_deletions(self, count):
        """Raise ``DeletionHeld`` when ``count`` more deletions would make the
        listing's deletions, over all its pages, a mass deletion of the synced
        events the account held when its first deletion came."""
        if self.account.deletions_confirmed:
            return
        ratio = float(self.get_param(PARAM_PREFIX + "deletion_guard_ratio") or DELETION_GUARD_RATIO)
        minimum = int(
            self.get_param(PARAM_PREFIX + "deletion_guard_minimum") or DELETION_GUARD_MINIMUM
        )
        total, deleted = self.listing.get("guard") or (None, 0)
        if total is None:
            total = self.Event.search_count(
                [("google_account_id", "=", self.account.id), ("google_etag", "!=", False)]
                + (self.calendar_domain() if self.account.calendars_listed else [])
            )
        deleted += count
        if reconcile.deletion_needs_confirmation(total, deleted, threshold=ratio, minimum=minimum):
            raise DeletionHeld(deleted, total)
        self.listing["guard"] = [total, deleted]

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
            and email.lower() in (self.email, self.organizer_alias)
            and self._speaks_for(event, keeper)
        )

    def push(self, deadline=None):
        """Send what Odoo changed, a batch of Google's at a time, each batch's
        outcomes written (and committed, see ``checkpoint``) before the next
        is planned. Past ``deadline`` (``time.monotonic()``), stop between
        two batches: the rest stays pending for the next run. Returns
        whether everything pending was sent."""
        if not self.pushes:
            return True
        paused_until = self.account.writes_paused_until
        if paused_until and paused_until > self.now:
            self.messages.append(self.account.last_error)
            return True
        self._adopt_unsynced_events()
        events, recurrences, deletions = self._pending()
        self._move_events(events)
        recurrences = release_removed(self, recurrences)
        size = self.client.batch_size
        if recurrences:
            for start in range(0, len(recurrences), size):
                self.recurring.push(recurrences[start : start + size])
                if not self._batch_done(deadline, more=start + size < len(recurrences)):
                    return self.over_quota
            # Writing a series may leave one of its events to send as well.
            events, _recurrences, deletions = self._pending()
        events = release_removed(self, events)
        # Events then deletions, in batches: a batch may hold both.
        count = len(events)
        planned = {}
        for start in range(0, count + len(deletions), size):
            end = start + size
            batch = events[start:end]
            if not self.checkpoint and not set(batch.ids) <= planned.keys():
                # One transaction: the values of the next events are read
                # together, not batch by batch. A sync that commits reads
                # them per batch: a commit empties the ORM's cache anyway.
                ahead = events[start : start + max(PLAN_AHEAD, size)]
                planned = dict.fromkeys(ahead.ids)
                planned.update(self.outgoing(ahead.filtered("active")._google_neutral_values()))
            if planned:
                # What Odoo's own write reads of each event, read for all too.
                batch = batch.with_prefetch(ahead._prefetch_ids)
            self._push_events(
                batch, deletions[max(start - count, 0) : max(end - count, 0)], planned
            )
            if not self._batch_done(deadline, more=end < count + len(deletions)):
                return self.over_quota
        return True

    def _batch_done(self, deadline, more):
        """After a batch (an item may need no call, or one counted for more in
        the quota, see ``execute``): pause the writes when Google's quota is
        exceeded, commit, and whether the push goes on (``more``: batches
        are left)."""
        if self.over_quota:
            # The calendar is read-only at Google for hours: sending more
            # would only be refused. The changes stay pending meanwhile.
            self.account._pause_writes(self.now + QUOTA_PAUSE)
            self.messages.append(self.account.last_error)
            return False
        if self.checkpoint:
            self.checkpoint()
        return not more or deadline is None or time.monotonic() < deadline

    def _pending(self):
        """What this account has to send: (events, series, deletions), the
        events and series as ``ownership.pushed_domain`` says. One query for
        the three, so that an idle sync does not search three tables."""
        pending = [("google_push_pending", "=", True)]
        Recurrence = self.env["calendar.recurrence"].sudo()
        Outbox = self.env["google.calendar.outbox"].sudo()
        models = (self.Event, Recurrence, Outbox)
        for model in models:
            model.flush_model()
        events_domain = ownership.pushed_domain(self.account.id, self.user.id)
        series_domain = ownership.pushed_domain(
            self.account.id, self.user.id, "base_event_id.user_id"
        )
        outbox_domain = [("account_id", "=", self.account.id)]
        if self.account.calendars_listed:
            events_domain = events_domain + self.calendar_domain()
            series_domain = series_domain + self.calendar_domain("base_event_id.google_calendar_id")
            outbox_domain.append(
                (
                    "calendar_google_id",
                    "=",
                    False if self.calendar_gid == "primary" else self.calendar_gid,
                )
            )
        queries = [
            self.Event._search(pending + events_domain),
            Recurrence._search(pending + series_domain),
            Outbox._search(outbox_domain),
        ]
        self.env.cr.execute(
            SQL(
                "SELECT %s",
                SQL(", ").join(
                    SQL("ARRAY(%s)", query.select(SQL("%s.id", SQL.identifier(query.table))))
                    for query in queries
                ),
            )
        )
        ids = self.env.cr.fetchone()
        return tuple(
            model.browse(sorted(record_ids)) for model, record_ids in zip(models, ids, strict=True)
        )

    def _move_events(self, events):
        """Move to this calendar, with Google's ``events.move`` (the same event:
        nobody is invited again), the ``events`` moved to it in Odoo since
        Google last held them in another calendar."""
        for event in events.filtered("google_moved_from"):
            if event.google_moved_from == self.calendar_gid:
                event.with_context(**{FROM_GOOGLE: True}).google_moved_from = False
                continue
            try:
                moved = self.client.move_event(
                    event.google_moved_from,
                    event.google_id,
                    self.calendar_gid,
                    send_updates="none",
                )
            except GoogleApiError as error:
                self.note(error)
                if not isinstance(error, NotFound | EventGone):
                    self.error(
                        self.env._(
                            "“%(name)s” could not move to another Google calendar: %(error)s",
                            name=event.name,
                            error=error.message,
                        ),
                        event,
                    )
                    continue
                # Moved by an earlier attempt whose answer was lost.
                try:
                    moved = self.client.get_event(self.calendar_gid, event.google_id)
                except GoogleApiError as lookup_error:
                    self.error(lookup_error.message, event)
                    continue
            event.with_context(**{FROM_GOOGLE: True}).write(
                {
                    "google_moved_from": False,
                    "google_etag": moved.get("etag") or event.google_etag,
                    "google_updated": moved.get("updated") or event.google_updated,
                }
            )
            self.counts["google_updated"] += 1

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

    def _adopt_unsynced_events(self):
        """On the first sync, the user's own Odoo events and series in the window
        go to Google, and so do the meetings its user attends that a colleague
        who does not sync organizes and no calendar keeps yet, when this
        calendar is the one to keep them (``sync.guests``)."""
        if not self.first_sync or self.calendar_gid != "primary":
            # The primary calendar's run adopts them (the first of a sync).
            return
        self.recurring.adopt()
        window = timedelta(days=self.range_days)
        # The four fields the choice below reads, in the search's own query:
        # a first sync may find years of meetings, whose other fields (their
        # descriptions, above all) would fill the ORM's cache for nothing.
        found = self.Event.with_context(active_test=True).search_fetch(
            [
                "|",
                "&",
                ("user_id", "=", self.user.id),
                ("recurrency", "=", False),
                "&",
                ("partner_ids", "in", self.user.partner_id.ids),
                ("google_account_id", "=", False),
                ("google_id", "=", False),
                ("stop", ">=", self.now - window),
                ("start", "<=", self.now + window),
            ],
            ["recurrency", "user_id", "recurrence_id", "google_account_id"],
        )
        single = found.filtered(lambda event: not event.recurrency)
        adopt_colleague_series(
            self,
            (found - single)
            .filtered(lambda event: event.user_id and event.user_id != self.user)
            .recurrence_id,
        )
        events = single.filtered(lambda event: event.user_id == self.user)
        colleagues = (single - events).filtered("user_id")
        if colleagues:
            organizers = self._organizer_accounts(colleagues.user_id)
            keep_in_guest_calendars(
                colleagues.filtered(lambda event: event.user_id.id not in organizers)
            )
            events |= colleagues.filtered(lambda event: event.google_account_id == self.account)
        if not events:
            return
        # Dirty, with a Google id derived from the record: the same on every
        # attempt, so an insert whose transaction was rolled back after Google
        # stored it meets 409 on the next attempt instead of creating a twin.
        google_ids = [self.references.stable_id("event", str(event_id)) for event_id in events.ids]
        events.flush_recordset(["google_id", "google_push_pending"])
        self.env.cr.execute(
            """UPDATE calendar_event AS event
                  SET google_id = chosen.google_id, google_push_pending = TRUE
                 FROM unnest(%s::int[], %s::varchar[]) AS chosen(id, google_id)
                WHERE event.id = chosen.id""",
            [events.ids, google_ids],
        )
        events.invalidate_recordset(["google_id", "google_push_pending"])

    def kept_for_colleagues(self, events):
        """Ids of those of ``events`` this calendar keeps for a colleague who does
        not sync (``sync.guests``): Google tells nobody of them (``none``), as the
        guest's calendar is not the organizer's; Odoo's own mails do."""
        others = events.filtered(lambda event: event.user_id and event.user_id != self.user)
        organizers = self._organizer_accounts(others.user_id)
        return {event.id for event in others if event.user_id.id not in organizers}

    def _send_updates(self, over):
        if self.first_sync or over:
            return "none"
        return self.send_updates_setting
