"""The recurring part of one sync run: series, exceptions, cancelled occurrences.

``SyncRun`` (run.py) hands the recurring items it pulls to
:class:`RecurringSync` and lets it push the dirty series before its own batch.
Decisions come from ``engine`` (series, recurrence, reconcile); this class reads
the records they need and applies them.
"""

import json
import logging

from ..engine import ownership, reconcile
from ..engine import recurrence as rec_engine
from ..engine import series as series_engine
from ..engine.mapping import (
    InvalidEvent,
    diff_fields,
    is_cancelled,
    original_start,
    without_lone_organizer,
)
from ..engine.references import EXT_SERIES_ID
from ..models.calendar_event import FROM_GOOGLE
from . import event_features, odoo_writer
from .series_push import SeriesPush
from .twins import merge_series_twins

_logger = logging.getLogger(__name__)


def _dumps(values):
    return json.dumps(values, sort_keys=True)


class RecurringSync(SeriesPush):
    """Recurring series of one account, for one ``SyncRun``."""

    def __init__(self, run):
        self.run = run
        self.env = run.env
        self.Recurrence = self.env["calendar.recurrence"].sudo()
        self.Event = run.Event

    # ------------------------------------------------------------------
    # Pull
    # ------------------------------------------------------------------

    def take(self, items):
        """Split listed items into (recurring ones, the others).

        A deleted master comes back as a bare tombstone (id and status only): it
        is recognised by the id of a series the module knows.
        """
        tombstone_ids = [
            item["id"] for item in items if is_cancelled(item) and not item.get("recurringEventId")
        ]
        known = set(self._series_by_google_id(tombstone_ids))
        recurring, others = [], []
        for item in items:
            is_recurring = (
                item.get("recurrence") or item.get("recurringEventId") or item["id"] in known
            )
            (recurring if is_recurring else others).append(item)
        return recurring, others

    def pull(self, items, guard=False):
        """Apply recurring items: masters first, then deleted masters, then instances.

        With ``guard``, the run's safety guard sees the series Google deleted (one
        series counts as one event, as it is one on Google) before any is deleted.
        """
        if not items:
            return
        masters = [item for item in items if item.get("recurrence") and not is_cancelled(item)]
        instances = [item for item in items if item.get("recurringEventId")]
        deleted = [
            item for item in items if is_cancelled(item) and not item.get("recurringEventId")
        ]
        existing = self._series_by_google_id(item["id"] for item in masters + deleted)
        existing.update(
            self._series_by_odoo_id([item for item in masters if item["id"] not in existing])
        )
        to_create, doomed = [], []
        deleted_elsewhere = self._deletion_pending_elsewhere(
            [
                item["id"]
                for item in masters
                if item["id"] not in existing
                and (item.get("organizer") or {}).get("email") != self.run.email
            ]
        )
        for item in masters + deleted:
            recurrence = existing.get(item["id"])
            cancelled = is_cancelled(item)
            action = reconcile.pull_action(
                cancelled=cancelled,
                known=bool(recurrence),
                kept_here=bool(recurrence) and self._ours(recurrence, item),
                # A guest's deletion declines the series, as for single events.
                may_delete=bool(recurrence) and self._speaks_for(recurrence),
                edited_in_odoo=cancelled and bool(recurrence) and self._edited_in_odoo(recurrence),
            )
            if action is reconcile.PullAction.DECLINE:
                self._decline(recurrence)
            elif action is reconcile.PullAction.RECREATE:
                self._send_again_as_new(recurrence)
            elif action is reconcile.PullAction.DELETE:
                doomed.append(recurrence)
            elif action in (reconcile.PullAction.CREATE, reconcile.PullAction.MERGE):
                google = self._google_series(item, recurrence)
                if google is None:
                    continue
                if recurrence:
                    self._reconcile_series(recurrence, item, google)
                elif item["id"] not in deleted_elsewhere:
                    to_create.append((item, google))
        self._create_series(to_create)
        if guard and doomed:
            self.run._guard_deletions(len(doomed))
        for recurrence in doomed:
            self._delete_series(recurrence)
        self._pull_instances(instances)

    def _deletion_pending_elsewhere(self, google_ids):
        """Those of ``google_ids`` (series this calendar does not organize) whose
        series Odoo deleted, the deletion still to be sent through another
        calendar (its organizer's): this one, a guest's, does not bring the
        series back meanwhile. The organizer's
        push deletes it, or its pull keeps it (edited on Google) and a later
        pull here finds it again."""
        if not google_ids:
            return set()
        pending = (
            self.env["google.calendar.outbox"]
            .sudo()
            .search_fetch(
                [("google_id", "in", google_ids), ("account_id", "!=", self.run.account.id)],
                ["google_id"],
            )
        )
        return set(pending.mapped("google_id"))

    def _series_by_google_id(self, google_ids):
        """{google id: Odoo series} among the series within this account's reach;
        the one this account keeps first when several share an id."""
        google_ids = list(set(google_ids))
        if not google_ids:
            return {}
        found = {}
        for rec in merge_series_twins(
            self._within_reach(self.Recurrence.search([("google_id", "in", google_ids)]))
        ).sorted(lambda rec: rec.google_account_id != self.run.account):
            found.setdefault(rec.google_id, rec)
        return found

    def _series_by_odoo_id(self, masters):
        """{google id: Odoo series} for masters that name (signed) an Odoo series
        not yet known under that id: an insert Google stored whose transaction
        was lost (the retry sends the same id), found here instead of imported
        twice."""
        refs = {
            item["id"]: ref
            for item in masters
            if (ref := self.run.references.record_id(item, EXT_SERIES_ID))
        }
        if not refs:
            return {}
        recurrences = self._within_reach(self.Recurrence.browse(set(refs.values())).exists())
        unsynced = {rec.id: rec for rec in recurrences if not rec.google_id}
        return {
            google_id: unsynced[rec_id] for google_id, rec_id in refs.items() if rec_id in unsynced
        }

    def _within_reach(self, recurrences):
        """The series a Google item of this account may be matched to: those a
        calendar keeps (this one's are its own; another's are matched only to
        be left to it: ``_ours`` hands one over only to its Odoo organizer, so
        a guest never imports a twin of a series whose occurrences are all
        gone), and those whose first occurrence its user organizes or attends."""
        if not recurrences:
            return recurrences
        partner = self.run.user.partner_id
        return recurrences.filtered(
            lambda rec: rec.google_account_id
            or self._speaks_for(rec)
            or partner in rec.base_event_id.partner_ids
        )

    def _speaks_for(self, recurrence):
        """Whether this calendar's copy speaks for the whole series (see
        ``SyncRun._speaks_for``); a guest's copy brings the guest's answer only."""
        return self.run._speaks_for(recurrence.base_event_id, recurrence.google_account_id)

    def _ours(self, recurrence, item):
        """Whether this account keeps ``recurrence`` in step (one account per series)."""
        account = recurrence.google_account_id
        if not account:
            organizer = recurrence.base_event_id.user_id
            account = ownership.keeper(
                account, self.run._organizer_accounts(organizer).get(organizer.id)
            )
        return (
            not account
            or account == self.run.account
            or self.run._takes_over(
                recurrence.base_event_id, item, keeper=recurrence.google_account_id
            )
            # A tombstone names no organizer: in the organizer's own calendar it is
            # the series deleted for everyone.
            or (is_cancelled(item) and recurrence.base_event_id.user_id == self.run.user)
        )

    def only_drops_occurrences(self, item, agreed_values):
        """Whether Google's master ``item`` changed since ``agreed_values`` (the
        JSON a pending deletion of its series kept) only to hold fewer
        occurrences (``series_engine.only_drops_occurrences``): then the
        deletion of the whole series undoes no edit made on Google, and stands."""
        if not agreed_values or not item.get("recurrence"):
            return False
        try:
            google = self._series_values(item, None, [])
        except (InvalidEvent, rec_engine.InvalidRecurrence):
            return False  # told by the pull, which keeps the master
        agreed = without_lone_organizer(json.loads(agreed_values))
        return series_engine.only_drops_occurrences(agreed, google)

    def _google_series(self, item, recurrence):
        """Series values of a master as Odoo would store them, or None (error told)."""
        notes = []
        try:
            series = self._series_values(item, recurrence, notes)
        except (InvalidEvent, rec_engine.InvalidRecurrence) as error:
            self.run.error(
                self.env._(
                    "Recurring event %(name)s not synchronized: %(error)s. Nothing was "
                    "changed on either side.",
                    name=item.get("summary") or item["id"],
                    error=error,
                ),
                recurrence.base_event_id if recurrence else None,
            )
            return None
        self.run.messages.extend(notes)
        return series

    def _series_values(self, item, recurrence, notes):
        """Series values of a master as Odoo would store them; raises when invalid."""
        values = self.run.google_values(item, notes)
        # Read through Odoo's rule, so that e.g. an UNTIL one second before a split
        # compares equal to Odoo's "until that day".
        rule = rec_engine.google_to_odoo(
            values["recurrence"],
            start=values["start"],
            timezone_name=values["timezone"] or "UTC",
            allday=values["allday"],
        )
        values["recurrence"] = rec_engine.odoo_to_google(
            rule.rrule,
            timezone_name=values["timezone"] or "UTC",
            allday=values["allday"],
            endless=rule.endless,
            excluded=rule.excluded,
        )
        cancelled = recurrence._google_cancelled() if recurrence else []
        return series_engine.with_cancelled(values, cancelled)

    def _state(self, item, series):
        return {
            "google_id": item["id"],
            "google_etag": item.get("etag") or False,
            "google_account_id": self.run.account.id,
            "google_agreed_values": _dumps(series),
            # Its event type and rooms (event_features.state): Google alone changes them.
            **event_features.state(item),
        }

    def _create_series(self, to_create):
        """One batch create for the series, one for the occurrences of them all."""
        if not to_create:
            return
        self.run.claim_meetings("series", [item for item, _series in to_create])
        # A single event that became recurring on Google is replaced by the series.
        singles = self.Event.search(
            [
                ("google_id", "in", [item["id"] for item, _series in to_create]),
                ("google_account_id", "=", self.run.account.id),
                ("recurrence_id", "=", False),
            ]
        )
        singles.with_context(**{FROM_GOOGLE: True}).unlink()
        series_vals, series_starts = [], []
        for item, series in to_create:
            try:
                rule = self.Recurrence._google_rule_vals(series)
            except rec_engine.InvalidRecurrence as error:
                self.run.error(
                    self.env._(
                        "Recurring event %(name)s not imported: %(error)s",
                        name=series["name"],
                        error=error,
                    )
                )
                continue
            starts = series_engine.occurrence_starts(series)
            if not starts:
                continue
            series_vals.append(
                {
                    **rule,
                    # Odoo's own wording of the rule, given now: computed on
                    # first read instead, it rewrites each series on its own.
                    "rrule": self.Recurrence.new(rule)._rrule_serialize(),
                    **self._state(item, series),
                }
            )
            series_starts.append((item, series, starts))
        # The series first, so that each occurrence is created in its series:
        # attached afterwards, each series rewrote its occurrences on its own.
        recurrences = self.Recurrence.with_context(**{FROM_GOOGLE: True}).create(series_vals)
        events = odoo_writer.create_from_values(
            self.Event,
            [
                (
                    series_engine.occurrence_values(series, start),
                    {**self._occurrence_extra(item["id"], start), "recurrence_id": recurrence.id},
                )
                for recurrence, (item, series, starts) in zip(
                    recurrences, series_starts, strict=True
                )
                for start in starts
            ],
        )
        first_events = {}
        for event in events:
            first_events.setdefault(event.recurrence_id, event)
        for recurrence, event in first_events.items():
            recurrence.with_context(**{FROM_GOOGLE: True}).base_event_id = event
        recurrences._google_store_agreed()
        self.run.counts["odoo_created"] += len(events)

    def _occurrence_extra(self, series_id, start):
        return {
            "recurrency": True,
            "follow_recurrence": True,
            "google_id": rec_engine.instance_id(series_id, start),
            "google_account_id": self.run.account.id,
            "google_calendar_id": self.run.calendar.id or False,
            "google_push_pending": False,
        }

    def _reconcile_series(self, recurrence, item, google):
        # Never agreed on before: an insert whose answer was lost.
        unnamed = not recurrence.google_etag
        recurrence_etag = recurrence.google_etag
        agreed = recurrence._google_agreed()
        if agreed is not None and item.get("etag") == recurrence.google_etag:
            google = agreed  # Google did not change since we agreed
        try:
            odoo = recurrence._google_series_values()[recurrence.id]
        except InvalidEvent as error:
            self.run.error(str(error), recurrence.base_event_id)
            return
        if odoo is None:
            # Every occurrence was deleted in Odoo: the push deletes the master.
            recurrence.with_context(**{FROM_GOOGLE: True}).google_push_pending = True
            return
        if not self._speaks_for(recurrence):
            google = self.run.as_guest(agreed if agreed is not None else odoo, google)
        # What the occurrences are taken to hold before a change pulled now.
        before = agreed
        if agreed is None and unnamed:
            # Odoo's own insert whose answer was lost: the digest it left tells
            # which side changed what since (a guest may have answered).
            agreed = reconcile.base_from_digest(self.run.references.sent_digest(item), odoo, google)
            before = odoo
        decision = reconcile.reconcile(
            agreed,
            odoo,
            google,
            # An edit of the series in Odoo is an edit of its occurrences.
            odoo_changed_at=max(
                [recurrence.write_date, *recurrence._google_occurrences().mapped("write_date")]
            ),
            google_changed_at=item.get("updated"),
            # A rule both sides changed (a split, a deleted occurrence) merges.
            merge_rules=series_engine.merge_recurrence,
        )
        if decision.lost:
            self.run.conflict(recurrence.base_event_id, decision.lost, series=True)
        if decision.pull_fields:
            self._apply_series(recurrence, item["id"], before, decision.values, odoo)
            self.run.counts["odoo_updated"] += 1
        state = self._state(item, decision.values)
        state["google_push_pending"] = recurrence.google_push_pending or bool(decision.push_fields)
        if decision.push_fields:
            # The push sends what differs from Google's current series.
            state["google_agreed_values"] = _dumps(google)
        elif decision.pull_fields:
            # The values both sides now hold, with the guests as Odoo names them
            # (Google's item is read in Odoo's held form otherwise: sanitized
            # text). Not Odoo's series as it reads now: Odoo reads a series off
            # its occurrences, and the apply may have left the only one that
            # holds a value of its own (an edit of that event, not sent yet)
            # speaking for the whole series, an edit then never sent.
            held = recurrence._google_series_values()[recurrence.id] or decision.values
            state["google_agreed_values"] = _dumps(
                {**decision.values, "attendees": held["attendees"]}
            )
        changed = {
            key: value
            for key, value in state.items()
            if (recurrence[key].id if key == "google_account_id" else recurrence[key]) != value
        }
        if changed:
            recurrence.with_context(**{FROM_GOOGLE: True}).write(changed)
        changed_on_google = item.get("etag") != recurrence_etag
        if unnamed or (changed_on_google and not decision.pull_fields and not decision.push_fields):
            # Its occurrences become the instances of the series both sides hold:
            # also Google's series now Odoo's own, from a push whose answer was
            # lost (Odoo's rewrite of a series holds occurrences not named yet).
            recurrence._google_name_occurrences(self.run.account, decision.values)

    def _apply_series(self, recurrence, series_id, before, series, held):
        """Bring the Odoo series from ``before`` to ``series``: rule, then occurrences.

        Occurrence records are kept (moved onto the wanted starts); each takes only
        what the series change touched, and keeps what it holds apart from the
        series Odoo holds (``held``): an edit of that event only. Exceptions
        (moved, or holding their own agreed values) are Google's separate
        instances and are left alone unless their original start is gone.
        """
        quiet = recurrence.with_context(**{FROM_GOOGLE: True})
        quiet.write(self.Recurrence._google_rule_vals(series))
        wanted = series_engine.occurrence_starts(series)
        wanted_set = set(wanted)
        values_by_event = recurrence._google_occurrence_values()
        events = recurrence._google_occurrences()
        following = events.filtered(
            lambda event: event.follow_recurrence and not event.google_agreed_values
        )
        exceptions = events - following
        originals = {
            event.id: recurrence._google_original_start(event, values_by_event[event.id])
            for event in events
        }
        # Moved in Odoo only: on Google still a plain instance, which a change of
        # the series' times or rule took along. It stays where Odoo moved it, as
        # the instance of its occurrence in the new rule.
        moved_here = exceptions.filtered(lambda event: not event.google_agreed_values)
        renamed = set()
        for event in moved_here if before else ():
            if originals[event.id] not in wanted_set:
                start = series_engine.rewritten_start(before, series, originals[event.id])
                if start in wanted_set:
                    originals[event.id] = start
                    renamed.add(event.id)
        gone = exceptions.filtered(lambda event: originals[event.id] not in wanted_set)
        kept_exception_starts = {originals[event.id] for event in exceptions - gone}
        keep, create, delete = series_engine.plan_occurrences(
            [start for start in wanted if start not in kept_exception_starts],
            {event.id: originals[event.id] for event in following},
            timezone_name=series["timezone"] or "UTC",
            allday=series["allday"],
        )
        writes, extras = {}, {}
        for event_id, start in keep.items():
            target = series_engine.carry_series_change(
                values_by_event[event_id],
                series_engine.occurrence_values(before or series, originals[event_id]),
                series_engine.occurrence_values(series, start),
                held=series_engine.occurrence_values(held, originals[event_id]),
            )
            extra = {
                "google_id": rec_engine.instance_id(series_id, start),
                "follow_recurrence": True,
            }
            event = self.Event.browse(event_id)
            if (
                diff_fields(values_by_event[event_id], target)
                or event.google_id != extra["google_id"]
            ):
                writes[event_id] = target
                extras[event_id] = extra
        for event in moved_here - gone:
            # The series change reached its plain instance on Google: the push
            # then sends just the move.
            values = values_by_event[event.id]
            target = series_engine.carry_series_change(
                values,
                series_engine.occurrence_values(before or series, originals[event.id]),
                series_engine.occurrence_values(series, originals[event.id]),
                times=False,
                held=series_engine.occurrence_values(held, originals[event.id]),
            )
            if diff_fields(values, target) or event.id in renamed:
                writes[event.id] = target
                extras[event.id] = (
                    {"google_id": rec_engine.instance_id(series_id, originals[event.id])}
                    if event.id in renamed
                    else {}
                )
        odoo_writer.write_values(self.Event.browse(list(writes)), writes, extras)
        if create:
            created = odoo_writer.create_from_values(
                self.Event,
                [
                    (
                        series_engine.occurrence_values(series, start),
                        {
                            **self._occurrence_extra(series_id, start),
                            "recurrence_id": recurrence.id,
                        },
                    )
                    for start in create
                ],
            )
            self.run.counts["odoo_created"] += len(created)
        to_delete = gone | self.Event.browse(delete)
        if to_delete:
            to_delete.with_context(**{FROM_GOOGLE: True}).unlink()
            self.run.counts["odoo_deleted"] += len(to_delete)
        if not recurrence.base_event_id:
            recurrence._select_new_base_event()

    def _edited_in_odoo(self, recurrence):
        agreed = recurrence._google_agreed()
        try:
            odoo = recurrence._google_series_values()[recurrence.id]
        except InvalidEvent:
            return False
        if odoo is None or agreed is None:
            return False
        # Occurrences deleted in Odoo (EXDATEs, an earlier end) are no edit that
        # should outlive the deletion of the whole series on Google, nor are the
        # guests' names Odoo holds where the copy the series was agreed from
        # (a guest's) held none.
        return series_engine.edited_beyond_dropped_occurrences(agreed, odoo)

    def _send_again_as_new(self, recurrence):
        """Google deleted a series Odoo edited since: the edit wins, as for single
        events, and the series goes back as a new one (Google never reuses an id),
        sent by this calendar: its organizer's, as for single events."""
        recurrence.with_context(**{FROM_GOOGLE: True}).write(
            {
                "google_id": recurrence._google_next_id(),
                "google_etag": False,
                "google_agreed_values": False,
                "google_cancelled_starts": False,
                "google_push_pending": True,
                "google_account_id": self.run.account.id,
            }
        )

    def _decline(self, recurrence):
        self._decline_occurrence(recurrence.calendar_event_ids)

    def _decline_occurrence(self, events):
        attendees = events.attendee_ids.filtered(
            lambda attendee: attendee.partner_id == self.run.user.partner_id
            and attendee.state != "declined"
        )
        attendees.with_context(**{FROM_GOOGLE: True}).write({"state": "declined"})
        self.run.counts["odoo_updated"] += len(attendees.event_id)

    def _delete_series(self, recurrence):
        events = recurrence.calendar_event_ids.with_context(active_test=False)
        self.run.counts["odoo_deleted"] += len(events.filtered("active"))
        events.with_context(**{FROM_GOOGLE: True}).unlink()
        recurrence.with_context(**{FROM_GOOGLE: True}).unlink()

    def _pull_instances(self, items):
        """Exceptions and cancelled occurrences, each applied to its occurrence."""
        located = []
        for item in items:
            try:
                series_id, original = original_start(item, calendar_tz=self.run.calendar_tz)
            except InvalidEvent as error:
                self.run.error(
                    self.env._("Occurrence not imported from Google: %(error)s", error=error)
                )
                continue
            located.append((item, series_id, original))
        series = self._series_by_google_id(series_id for _item, series_id, _start in located)
        by_recurrence = {}
        for item, series_id, original in located:
            recurrence = series.get(series_id)
            if recurrence and self._ours(recurrence, item):
                by_recurrence.setdefault(recurrence, []).append((item, series_id, original))
            # Otherwise another account keeps the series, or its master could not be
            # imported: there is nothing to attach the occurrence to.
        for recurrence, entries in by_recurrence.items():
            values_by_event = recurrence._google_occurrence_values()
            by_instance = {event.google_id: event for event in recurrence._google_occurrences()}
            # Worked out once per series, when an instance needs it.
            rewritten = rule_starts = None
            for item, series_id, original in entries:
                event = by_instance.get(item["id"]) or by_instance.get(
                    rec_engine.instance_id(series_id, original)
                )
                if not is_cancelled(item) and self._speaks_for(recurrence):
                    if rewritten is None:
                        rewritten = self._rewritten_in_odoo(recurrence, values_by_event)
                    target = rewritten(original)
                    if target is not False:
                        self._pull_into_rewritten(
                            recurrence, target, values_by_event, item, original
                        )
                        continue
                if not self._speaks_for(recurrence) and (is_cancelled(item) or not event):
                    # A guest's copy neither removes nor brings back an occurrence
                    # of someone else's series; its deletion declines it.
                    if event and is_cancelled(item):
                        self._decline_occurrence(event)
                elif is_cancelled(item):
                    if rule_starts is None:
                        agreed = recurrence._google_agreed()
                        rule_starts = set(series_engine.rule_starts(agreed)) if agreed else set()
                    self._cancel_occurrence(recurrence, event, original, rule_starts)
                else:
                    odoo = values_by_event.get(event.id) if event else None
                    self._pull_exception(recurrence, event, odoo, item, series_id, original)

    def _rewritten_in_odoo(self, recurrence, values_by_event):
        """A function telling, for the original start of a Google instance, where
        Odoo's own rewrite of the series took that occurrence (see
        ``engine.series.rewritten_start``): False when Odoo did not move it,
        else the occurrence event there, or None when Odoo removed it (ended or
        split the series before it, deleted every occurrence, or deleted the
        one its rewrite made there)."""
        if not recurrence.google_push_pending:
            # Nothing Odoo changed waits to be sent: its rule is Google's.
            return lambda original: False
        agreed = recurrence._google_agreed()
        try:
            odoo = recurrence._google_series_values(values_by_event)[recurrence.id]
        except InvalidEvent:
            odoo = agreed = None
        if odoo is None:
            # Every occurrence deleted in Odoo: the push deletes the series, and
            # an edit of one of them does not bring it back. (Occurrences moved
            # on their own left alone: that series goes on with them.)
            deleted = agreed is not None and not recurrence._google_occurrences()
            return lambda original: None if deleted else False
        if agreed is None:
            return lambda original: False
        instance_starts = {}

        def where(original):
            start = series_engine.rewritten_start(agreed, odoo, original)
            if start == original:
                return False
            if not instance_starts:
                instance_starts.update(recurrence._google_instance_starts(odoo))
            return next(
                (
                    event
                    for event in recurrence._google_occurrences()
                    if instance_starts.get(event.id) == start
                ),
                None,
            )

        return where

    def _pull_into_rewritten(self, recurrence, event, values_by_event, item, original):
        """A Google edit of an instance whose occurrence Odoo's rewrite of the series
        made anew (``event``, None when it removed it). The instance will not be
        part of the series Odoo sends (the push moves or ends the master): it is
        deleted on Google, and what Google changed of it other than its times
        goes to the occurrence Odoo made for it, which the push then sends as an
        exception of the new instance. Odoo's rewrite wins for the times.

        The occurrence holds the instance's id and etag until then: the master's
        write deletes it as an exception it orphans (``_orphaned_exceptions``),
        only once Google took the new series, and names the occurrence after its
        new instance."""
        quiet = recurrence.with_context(**{FROM_GOOGLE: True})
        if not quiet.google_push_pending:
            quiet.google_push_pending = True
        if not event:
            self._delete_instances(recurrence, [(item["id"], item.get("etag"))])
            return
        google = self._instance_values(item, event)
        if google is None:
            return
        odoo = values_by_event[event.id]
        times = {key: odoo[key] for key in series_engine.TIME_KEYS}
        agreed = event._google_agreed() or series_engine.occurrence_values(
            recurrence._google_agreed(), original
        )
        decision = reconcile.reconcile(
            {**agreed, **times},
            odoo,
            {**google, **times},
            odoo_changed_at=event.write_date,
            google_changed_at=item.get("updated"),
        )
        if decision.lost:
            self.run.counts["conflicts"] += 1
        # On Google the new instance will be plain: the push sends what differs.
        extra = {
            "google_id": item["id"],
            "google_etag": item.get("etag") or False,
            "google_agreed_values": False,
        }
        if decision.pull_fields:
            odoo_writer.write_values(event, {event.id: decision.values}, {event.id: extra})
            self.run.counts["odoo_updated"] += 1
        else:
            event.with_context(**{FROM_GOOGLE: True}).write(extra)

    def _delete_instances(self, recurrence, instances):
        """Delete these ``(instance id, etag)`` of the series on Google, through
        the outbox (sent after the series in this push, retried until Google
        confirms; a newer edit on Google is pulled instead)."""
        self.env["google.calendar.outbox"].sudo().create(
            [
                {
                    "account_id": self.run.account.id,
                    "google_id": google_id,
                    "calendar_google_id": self.run.calendar_gid != "primary"
                    and self.run.calendar_gid,
                    "google_etag": etag or False,
                    "event_name": recurrence.name,
                    "event_over": recurrence._is_event_over(),
                }
                for google_id, etag in instances
            ]
        )

    def _orphaned_exceptions(self, recurrence, series):
        """The exceptions Google holds of this series (Odoo's events that hold one
        of its instance ids with an etag: occurrences, and also those Odoo's
        rewrite of the series archived or its split moved to the new series)
        whose original start ``series`` no longer has, as ``{instance id: etag}``
        (read now: a split's new series renames its occurrences once written).
        Google keeps listing an exception whose master lost its start: the push
        deletes them."""
        events = self.Event.with_context(active_test=False).search(
            [("google_id", "=like", f"{recurrence.google_id}_%"), ("google_etag", "!=", False)]
        )
        if not events:
            return {}
        starts = set(series_engine.occurrence_starts(series))
        orphans = {}
        for event in events:
            parsed = rec_engine.parse_instance_id(event.google_id)
            if parsed and parsed[0] == recurrence.google_id and parsed[1] not in starts:
                orphans[event.google_id] = event.google_etag
        return orphans

    def _delete_orphaned_exceptions(self, recurrence, orphans):
        """After the master's write: ``orphans`` (``_orphaned_exceptions``) go on
        Google, and the events still named after them no longer hold what
        Google held of them."""
        self._delete_instances(recurrence, orphans.items())
        self.Event.with_context(active_test=False).search(
            [("google_id", "in", list(orphans)), ("google_etag", "!=", False)]
        ).with_context(**{FROM_GOOGLE: True}).write(
            {"google_etag": False, "google_agreed_values": False}
        )

    def _cancel_occurrence(self, recurrence, event, original, rule_starts):
        """``rule_starts``: the starts of the agreed series' rule (none known: empty)."""
        cancelled = recurrence._google_cancelled()
        vals = {}
        agreed = recurrence._google_agreed()
        if rule_starts and original not in rule_starts:
            # Not (or no longer) an occurrence of the series: the instance Odoo's
            # rewrite of the series left behind on Google, deleted by the sync.
            original = None
        if original and original not in cancelled:
            vals["google_cancelled_starts"] = json.dumps(sorted([*cancelled, original]))
            if agreed is not None:
                vals["google_agreed_values"] = _dumps(
                    series_engine.with_cancelled(agreed, [original])
                )
        if vals:
            recurrence.with_context(**{FROM_GOOGLE: True}).write(vals)
        if event:
            event.with_context(**{FROM_GOOGLE: True}).unlink()
            self.run.counts["odoo_deleted"] += 1

    def _instance_values(self, item, event):
        """Neutral values of a Google instance, or None when they are invalid
        (told, with ``event`` the occurrence concerned)."""
        notes = []
        try:
            google = self.run.google_values(item, notes)
        except InvalidEvent as error:
            self.run.error(
                self.env._("Occurrence not imported from Google: %(error)s", error=error), event
            )
            return None
        self.run.messages.extend(notes)
        return google

    def _pull_exception(self, recurrence, event, odoo, item, series_id, original):
        google = self._instance_values(item, event)
        if google is None:
            return
        series = recurrence._google_agreed()
        plain = series_engine.occurrence_values(series, original) if series else None
        if not event:
            # Edited on Google, deleted (or never made) in Odoo: Google's edit wins.
            odoo_writer.create_from_values(
                self.Event,
                [
                    (
                        google,
                        {
                            **self._occurrence_extra(series_id, original),
                            "google_id": item["id"],
                            "google_etag": item.get("etag") or False,
                            "google_agreed_values": _dumps(google),
                            "recurrence_id": recurrence.id,
                            "follow_recurrence": not (
                                plain and series_engine.is_time_change(plain, google)
                            ),
                        },
                    )
                ],
            )
            self.run.counts["odoo_created"] += 1
            return
        agreed = event._google_agreed() or plain
        if agreed is not None and item.get("etag") == event.google_etag:
            google = agreed
        if not self._speaks_for(recurrence):
            google = self.run.as_guest(agreed if agreed is not None else odoo, google)
        decision = reconcile.reconcile(
            agreed,
            odoo,
            google,
            odoo_changed_at=event.write_date,
            google_changed_at=item.get("updated"),
        )
        if decision.lost:
            self.run.conflict(event, decision.lost)
        extra = {
            "google_id": item["id"],
            "google_etag": item.get("etag") or False,
            # Google's state of this instance, which the push compares with.
            "google_agreed_values": _dumps(google),
            "follow_recurrence": not (
                plain and series_engine.is_time_change(plain, decision.values)
            ),
        }
        if decision.pull_fields:
            odoo_writer.write_values(event, {event.id: decision.values}, {event.id: extra})
            self.run.counts["odoo_updated"] += 1
        else:
            event.with_context(**{FROM_GOOGLE: True}).write(extra)
        if decision.push_fields:
            recurrence.with_context(**{FROM_GOOGLE: True}).google_push_pending = True
        else:
            # Agreed: what Odoo now holds, in its own words.
            held = recurrence._google_occurrence_values()[event.id]
            event.with_context(**{FROM_GOOGLE: True}).google_agreed_values = _dumps(held)
