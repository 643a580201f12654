"""Push of recurring series: masters, their exceptions, a guest's answers."""

import json
import logging
from datetime import timedelta
from functools import partial

from ..engine import event_features as features
from ..engine import reconcile
from ..engine import recurrence as rec_engine
from ..engine import series as series_engine
from ..engine.client import ApiCall
from ..engine.errors import (
    GoogleApiError,
    NotFound,
)
from ..engine.mapping import (
    InvalidEvent,
    diff_fields,
    is_cancelled,
    normalize_email,
    to_google,
)
from ..engine.outcomes import Outcome, classify, fate_unknown
from ..engine.references import EXT_SERIES_ID
from ..models.calendar_event import FROM_GOOGLE
from . import guests, odoo_writer

_logger = logging.getLogger(__name__)


def _dumps(values):
    return json.dumps(values, sort_keys=True)


class SeriesPush:
    """The series half of a push (mixed into ``RecurringSync``)."""

    # Ids of the series this push keeps for a colleague who does not sync.
    quiet_series_ids = frozenset()

    # ------------------------------------------------------------------
    # Push
    # ------------------------------------------------------------------

    def adopt(self):
        """On the first sync, series made in Odoo before the user connected go
        to Google too, when they reach into the sync window."""
        run = self.run
        self.Recurrence.search(
            [
                ("google_id", "=", False),
                ("base_event_id.user_id", "=", run.user.id),
                ("calendar_event_ids.stop", ">=", run.now - timedelta(days=run.range_days)),
            ]
        )._google_mark_dirty()

    def push(self, recurrences):
        """Write the dirty series ``recurrences`` (``SyncRun._pending``): masters
        first, then exceptions. Two batches, because an exception can only be
        written once its master exists on Google with the right start.
        """
        run = self.run
        if self._look_up_unanswered(recurrences):
            recurrences = recurrences.exists()
        occurrence_values = recurrences._google_occurrence_values()
        self.quiet_series_ids = guests.quiet_series(run, recurrences)
        calls, handlers, written = [], [], []
        for recurrence in recurrences:
            if recurrence._google_read_only():
                recurrence.with_context(**{FROM_GOOGLE: True}).google_push_pending = False
                continue
            try:
                series = recurrence._google_series_values(occurrence_values)[recurrence.id]
            except InvalidEvent as error:
                self._refuse(recurrence, self.env._("Not sent to Google: %(error)s", error=error))
                continue
            if self._split_on_google_too(recurrence, series, occurrence_values):
                continue
            if (
                series is not None
                and recurrence.google_etag
                and not self.run._organizes(series)
                # Inserted by this calendar for a colleague: Google's organizer copy.
                and not recurrence.google_kept_for_organizer
            ):
                if not self._hand_over_to_organizer(recurrence, series):
                    self._answer_as_attendee(recurrence, series)
                continue
            self._plan_master(recurrence, series, calls, handlers, written)
        run.execute(calls, handlers)
        calls, handlers = [], []
        for recurrence, series in written:
            if recurrence.exists() and recurrence.google_etag:
                self._plan_exceptions(recurrence, series, calls, handlers)
        run.execute(calls, handlers)

    def _quiet(self, recurrence):
        """Whether Google tells nobody of this write: the series is over, or this
        calendar keeps it for a colleague who does not sync (``sync.guests``)."""
        return recurrence._is_event_over() or recurrence.id in self.quiet_series_ids

    def _split_on_google_too(self, recurrence, series, occurrence_values):
        """Whether ``recurrence``, split off a synced series in Odoo ("this and
        following") and not sent yet, was made on Google too: the pull brought in,
        since, a new series of this calendar holding the same occurrences at the
        same times (``series_engine.same_split``), whatever else either side
        changed in its half. Both sides made the same split: Odoo's copy is
        folded into Google's half (``_fold_split``) instead of reaching Google
        as a second series. Its occurrences still carry the instance ids of the
        series they were taken from (nothing else does: no query otherwise)."""
        events = recurrence._google_occurrences()
        parents = {
            parsed[0]
            for event in events
            if (parsed := rec_engine.parse_instance_id(event.google_id))
        }
        if series is None or recurrence.google_id or not parents:
            return False

        def held(rec, values_by_event):
            occurrences = rec._google_occurrences().sorted("start")
            return [values_by_event[event.id] for event in occurrences]

        mine = held(recurrence, occurrence_values)
        Recurrence = self.env["calendar.recurrence"].sudo()
        others = Recurrence.search(
            [
                ("google_account_id", "=", self.run.account.id),
                ("google_id", "!=", False),
                ("google_id", "not in", list(parents)),
                ("id", "!=", recurrence.id),
                ("create_date", ">=", recurrence.create_date),
                ("calendar_event_ids.start", "=", min(events.mapped("start"))),
            ]
        )
        for other in others:
            if series_engine.same_split(mine, held(other, other._google_occurrence_values())):
                # The series both split: gone from Odoo since, no common base.
                parent = Recurrence.search([("google_id", "in", list(parents))], limit=1)
                before = parent._google_agreed() if parent else None
                self._fold_split(recurrence, series, other, before)
                return True
        return False

    def _fold_split(self, recurrence, series, other, before):
        """Odoo's half of a split (``recurrence``, its ``series`` values) folded
        into Google's (``other``): each value merged against the series both
        split (``before``: ``series_engine.merge_split_halves``), what Odoo adds
        carried into the occurrences of Google's half and sent with it, and
        Odoo's copy deleted quietly."""
        theirs = other._google_series_values()[other.id]
        merged, lost = series_engine.merge_split_halves(before, series, theirs)
        if lost:
            self.run.conflict(other.base_event_id, lost, series=True)
        values_by_event = other._google_occurrence_values()
        writes = {}
        for event in other._google_occurrences():
            current = values_by_event[event.id]
            original = other._google_original_start(event, current)
            target = series_engine.carry_series_change(
                current,
                series_engine.occurrence_values(theirs, original),
                series_engine.occurrence_values(merged, original),
            )
            if diff_fields(current, target):
                writes[event.id] = target
        if writes:
            odoo_writer.write_values(self.env["calendar.event"].browse(list(writes)), writes)
            other._google_mark_dirty()
        events = recurrence.calendar_event_ids.with_context(active_test=False)
        events.with_context(**{FROM_GOOGLE: True}).unlink()
        recurrence.with_context(**{FROM_GOOGLE: True}).unlink()

    def _plan_master(self, recurrence, series, calls, handlers, written):
        run = self.run
        send_updates = run._send_updates(over=self._quiet(recurrence))
        if series is None:
            if recurrence.google_etag:
                calls.append(
                    ApiCall.delete(
                        self.run.calendar_gid, recurrence.google_id, send_updates=send_updates
                    )
                )
                handlers.append(lambda outcome: self._after_master_delete(recurrence, outcome))
            else:
                recurrence.with_context(**{FROM_GOOGLE: True}).google_push_pending = False
            return
        if not recurrence.google_etag:
            self._adopt_single_event(recurrence)
        if not recurrence.google_etag:
            if recurrence.google_id and recurrence.google_unanswered_id == recurrence.google_id:
                # Its lookup failed: Google may hold it, so no insert blind.
                return
            if not recurrence.google_id:
                recurrence.with_context(
                    **{FROM_GOOGLE: True}
                ).google_id = recurrence._google_next_id()
            references = self.run.references
            body = to_google(
                series,
                extended_shared=references.shared_properties(
                    EXT_SERIES_ID, recurrence.id, recurrence.google_id
                ),
                extended_private=references.private_properties(
                    reconcile.sent_digest(series), recurrence.google_id
                ),
            )
            body["id"] = recurrence.google_id
            self._keep_resources(recurrence, body)
            calls.append(ApiCall.insert(self.run.calendar_gid, body, send_updates=send_updates))
            handlers.append(
                lambda outcome: self._after_master_write(recurrence, series, outcome, True)
            )
            written.append((recurrence, series))
            return
        agreed = recurrence._google_agreed()
        changed = diff_fields(agreed, series) if agreed else None
        written.append((recurrence, series))
        if agreed is not None and not changed:
            recurrence.with_context(**{FROM_GOOGLE: True}).google_push_pending = False
            return
        # Found before the batch: the handlers of a split's new series rename the
        # occurrences it took from this one.
        orphans = self._orphaned_exceptions(recurrence, series)
        calls.append(
            ApiCall.patch(
                self.run.calendar_gid,
                recurrence.google_id,
                self._keep_resources(
                    recurrence,
                    to_google(series, changed_fields=series_engine.master_patch_keys(changed)),
                ),
                etag=recurrence.google_etag,
                send_updates=send_updates,
            )
        )
        handlers.append(
            lambda outcome: self._after_master_write(recurrence, series, outcome, False, orphans)
        )

    @staticmethod
    def _keep_resources(recurrence, body, event=None):
        """``body`` with the rooms and resources Google holds for the series (or
        for its occurrence ``event``) added to the guest list it sends: a guest
        list without them would free the rooms."""
        if "attendees" in body:
            kept = (event and event.sudo()._google_resources()) or recurrence._google_resources()
            body["attendees"] = body["attendees"] + features.resource_attendees(kept)
        return body

    def _adopt_single_event(self, recurrence):
        """A synced single event made recurring in Odoo becomes a series on Google
        under its own id (a patch adds the rule), instead of a second event."""
        base = recurrence.base_event_id
        if (
            base.google_id
            and base.google_etag
            and not rec_engine.parse_instance_id(base.google_id)
            and base._google_agreed()
        ):
            recurrence.with_context(**{FROM_GOOGLE: True}).write(
                {
                    "google_id": base.google_id,
                    "google_etag": base.google_etag,
                    "google_account_id": self.run.account.id,
                    "google_agreed_values": base.google_agreed_values,
                }
            )
            # From now on the base event is a plain occurrence of that series.
            base.with_context(**{FROM_GOOGLE: True}).write(
                {"google_etag": False, "google_agreed_values": False}
            )

    def _look_up_unanswered(self, recurrences):
        """Look up (one batch of ``get``) the masters whose earlier insert got no
        answer, before any insert: Google may hold them, and it does not
        promise to refuse a second insert of the same id. Returns them."""
        in_doubt = recurrences.filtered(
            lambda rec: not rec.google_etag
            and rec.google_id
            and rec.google_unanswered_id == rec.google_id
        )
        self.run.execute(
            [ApiCall.get(self.run.calendar_gid, rec.google_id) for rec in in_doubt],
            [partial(self._after_lookup, rec) for rec in in_doubt],
        )
        return in_doubt

    def _after_lookup(self, recurrence, outcome):
        quiet = recurrence.with_context(**{FROM_GOOGLE: True})
        if isinstance(outcome, NotFound) and recurrence.google_agreed_values:
            # Handed over by a guest's calendar (``_hand_over_to_organizer``),
            # yet not in its organizer's: no insert of a series this calendar
            # never held; the id stays in doubt, so none is sent later either.
            self._refuse(
                recurrence,
                self.env._("Not sent to Google: this series is not in its organizer's calendar."),
            )
        elif isinstance(outcome, NotFound):
            # Never stored: the insert goes out with this push.
            quiet.google_unanswered_id = False
        elif isinstance(outcome, GoogleApiError):
            self._keep_for_retry(recurrence, outcome)
        else:
            self._take_stored(recurrence, outcome)
            if recurrence.exists() and recurrence.google_etag:
                quiet.google_unanswered_id = False

    def _after_master_write(self, recurrence, series, outcome, created, orphans=None):
        if created and fate_unknown(outcome):
            self._unanswered(recurrence)
        kind = classify(outcome)
        if kind is Outcome.DUPLICATE:
            self._after_lost_insert(recurrence)
            return
        if kind is not Outcome.AGREED:
            self._failed(recurrence, outcome)
            return
        quiet = recurrence.with_context(**{FROM_GOOGLE: True})
        quiet.write(
            {
                "google_etag": outcome.get("etag") or False,
                "google_account_id": self.run.account.id,
                "google_agreed_values": _dumps(series),
                "google_push_pending": False,
            }
        )
        if created:
            # A new series has no exception on Google: what occurrences taken
            # from another series (a split) held there is not this one's.
            recurrence._google_occurrences().filtered(
                lambda event: event.google_etag or event.google_agreed_values
            ).with_context(**{FROM_GOOGLE: True}).write(
                {"google_etag": False, "google_agreed_values": False}
            )
        elif orphans:
            self._delete_orphaned_exceptions(recurrence, orphans)
        recurrence._google_name_occurrences(self.run.account, series)
        self.run.counts["google_created" if created else "google_updated"] += 1

    def _after_lost_insert(self, recurrence):
        """An earlier insert of this series was stored by Google before its answer
        got lost: reconcile with what Google holds now, as a pull would (a guest
        may have answered since); what Odoo changed since goes with the next push."""
        try:
            item = self.run.client.get_event(self.run.calendar_gid, recurrence.google_id)
        except GoogleApiError as error:
            self.run.note(error)
            self._unanswered(recurrence)
            self._failed(recurrence, error)
            return
        self._take_stored(recurrence, item)

    def _unanswered(self, recurrence):
        """Google may hold the series under its id: the next push looks it up first."""
        recurrence.with_context(**{FROM_GOOGLE: True}).google_unanswered_id = recurrence.google_id

    def _take_stored(self, recurrence, item):
        """Google holds the series (``item``) from an insert whose answer was lost."""
        if is_cancelled(item):
            # Deleted on Google since: Odoo's series goes back under a new id.
            self._send_again_as_new(recurrence)
            return
        google = self._google_series(item, recurrence)
        if google is None:
            return
        self._reconcile_series(recurrence, item, google)
        self.run.counts["google_created"] += 1

    def _after_master_delete(self, recurrence, outcome):
        if classify(outcome) in (Outcome.AGREED, Outcome.GONE):
            recurrence.with_context(**{FROM_GOOGLE: True}).write(
                {
                    "google_id": False,
                    "google_etag": False,
                    "google_agreed_values": False,
                    "google_push_pending": False,
                }
            )
            self.run.counts["google_deleted"] += 1
        else:
            self._failed(recurrence, outcome)

    def _own_status(self, values):
        return next(
            (a["status"] for a in values["attendees"] if a["email"] == self.run.email), None
        )

    def _answer_as_attendee(self, recurrence, series):
        """Someone else's series: Google lets this user change only their own answer.

        The answer goes to the master (the whole series) or to one instance, written
        onto the attendee list Google holds right now (read first: Odoo's list may
        word names differently, and Google refuses any other change). Rare enough
        to be sent one by one. Other edits stay in Odoo, told once in the chatter.
        """
        agreed = recurrence._google_agreed() or series
        state = {"google_agreed_values": _dumps(series), "google_push_pending": False}
        if self._own_status(series) != self._own_status(agreed):
            answer = self._send_answer(recurrence, recurrence.google_id, self._own_status(series))
            if answer is None:
                return
            state["google_etag"] = answer.get("etag") or False
        others = diff_fields(agreed, series) - {"attendees"}
        if others:
            recurrence.base_event_id._google_post_note(
                self.env._(
                    "Only the organizer can change %(fields)s of this series on Google: the "
                    "change stays in Odoo.",
                    fields=", ".join(sorted(others)),
                )
            )
        values_by_event = recurrence._google_occurrence_values()
        for event in recurrence._google_occurrences():
            current = values_by_event[event.id]
            original = recurrence._google_original_start(event, current)
            on_google = event._google_agreed() or series_engine.occurrence_values(series, original)
            status = self._own_status(current)
            if status == self._own_status(on_google):
                continue
            instance = rec_engine.instance_id(recurrence.google_id, original)
            answer = self._send_answer(recurrence, instance, status)
            if answer is not None:
                event.with_context(**{FROM_GOOGLE: True}).write(
                    {
                        "google_id": instance,
                        "google_etag": answer.get("etag") or False,
                        "google_agreed_values": _dumps(current),
                    }
                )
        recurrence.with_context(**{FROM_GOOGLE: True}).write(state)

    def _hand_over_to_organizer(self, recurrence, series):
        """A series this guest's calendar keeps, edited in Odoo beyond answers
        while its organizer syncs: the organizer's calendar takes it over and
        sends the edit (this copy could only keep it in Odoo, and the
        organizer's calendar would later undo it, or twin the occurrences Odoo
        split away). Its copy has its own etag, so the organizer's push looks
        the series up first (``_look_up_unanswered``) and reconciles. Returns
        whether the series was handed over."""
        organizer = recurrence.base_event_id.user_id
        account = self.run._organizer_accounts(organizer).get(organizer.id)
        if not account or not self._edited_beyond_answers(recurrence, series):
            return False
        recurrence.with_context(**{FROM_GOOGLE: True}).write(
            {
                "google_account_id": False,
                "google_etag": False,
                "google_unanswered_id": recurrence.google_id,
                "google_push_pending": True,
            }
        )
        self.env["google.calendar.synchronizer"]._schedule_push(account_ids={account.id})
        return True

    def _edited_beyond_answers(self, recurrence, series):
        """Whether Odoo changed the series or one of its occurrences in more than
        this user's own answer since both sides agreed."""

        def unanswered(values):
            return {
                **values,
                "attendees": [
                    {**attendee, "status": None}
                    if attendee["email"] == self.run.email
                    else attendee
                    for attendee in values["attendees"]
                ],
            }

        if diff_fields(unanswered(recurrence._google_agreed() or series), unanswered(series)):
            return True
        return any(
            diff_fields(unanswered(on_google), unanswered(current))
            for _event, current, _original, _plain, on_google in self._occurrence_sides(
                recurrence, series
            )
        )

    @staticmethod
    def _occurrence_sides(recurrence, series):
        """``(event, current, original, plain, on_google)`` for each occurrence of
        ``recurrence``: Odoo's values, its original start, the values the rule
        gives it, and what Google holds of it (agreed, else the plain instance)."""
        values_by_event = recurrence._google_occurrence_values()
        for event in recurrence._google_occurrences():
            current = values_by_event[event.id]
            original = recurrence._google_original_start(event, current)
            plain = series_engine.occurrence_values(series, original)
            if event.follow_recurrence:
                # Odoo keeps it where the rule puts it: a time that differs is Odoo's
                # arithmetic (pytz past 2037), not a move.
                current = {**current, **{key: plain[key] for key in series_engine.TIME_KEYS}}
            yield event, current, original, plain, event._google_agreed() or plain

    def _send_answer(self, recurrence, google_id, status):
        """The event as Google holds it after the answer, or None (failure told)."""
        client = self.run.client
        try:
            held = client.get_event(self.run.calendar_gid, google_id)
            attendees = [
                dict(attendee, responseStatus=status)
                if normalize_email(attendee.get("email")) == self.run.email
                else attendee
                for attendee in held.get("attendees") or ()
            ]
            answer = client.patch_event(
                self.run.calendar_gid,
                google_id,
                {"attendees": attendees},
                etag=held.get("etag"),
                send_updates=self.run._send_updates(over=recurrence._is_event_over()),
            )
        except GoogleApiError as error:
            self.run.note(error)
            self._failed(recurrence, error, master=google_id == recurrence.google_id)
            return None
        self.run.counts["google_updated"] += 1
        return answer

    def _plan_exceptions(self, recurrence, series, calls, handlers):
        """Patch each instance whose Odoo occurrence differs from Google's."""
        send_updates = self.run._send_updates(over=self._quiet(recurrence))
        for event, current, original, plain, on_google in self._occurrence_sides(
            recurrence, series
        ):
            changed = diff_fields(on_google, current)
            if not changed:
                continue
            try:
                body = self._keep_resources(
                    recurrence, to_google(current, changed_fields=changed), event
                )
            except InvalidEvent as error:
                # Only this occurrence stays behind; the series and the others go on.
                self.run.error(
                    self.env._("Occurrence not sent to Google: %(error)s", error=error), event
                )
                continue
            calls.append(
                ApiCall.patch(
                    self.run.calendar_gid,
                    rec_engine.instance_id(recurrence.google_id, original),
                    body,
                    send_updates=send_updates,
                )
            )
            handlers.append(
                lambda outcome, event=event, current=current, plain=plain: self._after_exception(
                    event, current, plain, outcome
                )
            )

    def _after_exception(self, event, current, plain, outcome):
        if classify(outcome) is not Outcome.AGREED:
            self._failed(event.recurrence_id, outcome, master=False)
            return
        event.with_context(**{FROM_GOOGLE: True}).write(
            {
                "google_id": outcome.get("id") or event.google_id,
                "google_etag": outcome.get("etag") or False,
                # Back to the series' values: a plain instance again.
                "google_agreed_values": False if current == plain else _dumps(current),
            }
        )
        self.run.counts["google_updated"] += 1

    def _failed(self, recurrence, outcome, *, master=True):
        """A write of ``recurrence`` that Google did not take: what happens to
        the change follows the outcome, as for single events (a change Google
        did not refuse stays pending: the next sync sends it)."""
        kind = classify(outcome)
        if master and kind is Outcome.GONE and recurrence.google_etag:
            # Deleted on Google while edited in Odoo: the edit wins, as a new series
            # (Google never takes a deleted id again).
            recurrence.with_context(**{FROM_GOOGLE: True}).write(
                {
                    "google_id": recurrence._google_next_id(),
                    "google_etag": False,
                    "google_agreed_values": False,
                }
            )
            self._keep_for_retry(recurrence, outcome)
            return
        if kind is Outcome.REFUSED:
            self._refuse(
                recurrence, self.env._("Google refused this series: %(error)s", error=outcome)
            )
            return
        self._keep_for_retry(recurrence, outcome)

    def _keep_for_retry(self, recurrence, outcome):
        """The change stays pending: the master may have been marked clean before
        the occurrences' batch failed, and the next push must send them."""
        if recurrence.exists() and not recurrence.google_push_pending:
            recurrence.with_context(**{FROM_GOOGLE: True}).google_push_pending = True
        self.run.counts["errors"] += 1
        _logger.info("Google Calendar: series %s kept for retry: %s", recurrence.id, outcome)
        self.run.messages.append(
            self.env._("Will retry %(name)s: %(error)s", name=recurrence.name, error=outcome)
        )

    def _refuse(self, recurrence, message):
        """Tell the user, in the series' first event, and stop sending it until it changes."""
        self.run.error(message, recurrence.base_event_id)
        recurrence.with_context(**{FROM_GOOGLE: True}).google_push_pending = False
