"""Push of single events: inserts, patches, deletions, and their outcomes."""

import json
import logging
from functools import partial

from ..engine import reconcile
from ..engine.client import ApiCall
from ..engine.errors import (
    Forbidden,
    GoogleApiError,
    NotFound,
)
from ..engine.mapping import (
    NEUTRAL_KEYS,
    InvalidEvent,
    diff_fields,
    fingerprint,
    is_cancelled,
    to_google,
)
from ..engine.outcomes import Outcome, classify, fate_unknown
from ..engine.references import EXT_EVENT_ID
from ..models.calendar_event import FROM_GOOGLE
from . import event_features

_logger = logging.getLogger(__name__)


class EventPush:
    """The single-event half of a push (mixed into ``SyncRun``)."""

    def _push_events(self, events, deletions, planned=None):
        """Send the pending ``events`` and ``deletions`` (see ``SyncRun._pending``);
        ``planned``: {event id: outgoing neutral values} read beforehand."""
        if not (events or deletions):
            return
        if self._look_up_unanswered(events):
            # A stored event's pull may have deleted or merged records.
            events = events.exists()
        calls, handlers = [], []
        self.quiet_ids = self.kept_for_colleagues(events)
        values_by_event = planned or self.outgoing(
            events.filtered("active")._google_neutral_values()
        )
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
                    self.calendar_gid,
                    deletion.google_id,
                    etag=deletion.google_etag or None,
                    send_updates=send_updates,
                )
            )
            handlers.append(partial(self._after_delete, deletion))
        self.execute(calls, handlers)

    def _plan_event_push(self, event, values, calls, handlers):
        current = fingerprint(values)
        if event.google_refused_fingerprint == current or event_features.never_pushed(event):
            event.google_push_pending = False
            return
        quiet = event.stop < self.now or event.id in self.quiet_ids
        if not event.google_etag:
            if event.google_id and event.google_unanswered_id == event.google_id:
                # Its lookup failed: Google may hold it, so no insert blind.
                return
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
            event_features.complete_body(
                self,
                event,
                values,
                body,
                insert=True,
                permission_keys=event_features.permissions_to_push(event),
            )
            calls.append(
                ApiCall.insert(self.calendar_gid, body, send_updates=self._send_updates(quiet))
            )
            handlers.append(partial(self._after_insert, event, values))
            return
        agreed = event._google_agreed()
        changed = event_features.pushed_keys(event, diff_fields(agreed, values) if agreed else None)
        permission_keys = event_features.permissions_to_push(event)
        if agreed is not None and not changed and not permission_keys:
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
                extended_private=self.references.private_properties(
                    digest, event.google_id, over=event.google_etag
                ),
            )
        except InvalidEvent as exc:
            self._refuse(event, current, self.env._("Not sent to Google: %(error)s", error=exc))
            return
        event_features.complete_body(
            self, event, values, body, insert=False, permission_keys=permission_keys
        )
        calls.append(
            ApiCall.patch(
                self.calendar_gid,
                event.google_id,
                body,
                etag=event.google_etag,
                send_updates=self._send_updates(quiet),
            )
        )
        handlers.append(partial(self._after_patch, event, values))

    def _look_up_unanswered(self, events):
        """Look up (one batch of ``get``) the events whose earlier insert got no
        answer, before any insert: Google may hold them, and it does not
        promise to refuse a second insert of the same id. Returns them."""
        in_doubt = events.filtered(
            lambda event: event.active
            and not event.recurrency
            and not event.google_etag
            and event.google_id
            and event.google_unanswered_id == event.google_id
        )
        self.execute(
            [ApiCall.get(self.calendar_gid, event.google_id) for event in in_doubt],
            [partial(self._after_lookup, event) for event in in_doubt],
        )
        return in_doubt

    def _after_lookup(self, event, outcome):
        if isinstance(outcome, NotFound):
            # Never stored: the insert goes out with this push.
            event.with_context(**{FROM_GOOGLE: True}).google_unanswered_id = False
        elif isinstance(outcome, GoogleApiError):
            self._keep_for_retry(event, outcome)
        else:
            self._take_stored(event, outcome)
            if event.exists() and event.google_etag:
                event.with_context(**{FROM_GOOGLE: True}).google_unanswered_id = False

    def _plan_archive(self, event, calls, handlers):
        if not event.google_etag:
            event.google_push_pending = False
            return
        calls.append(
            ApiCall.delete(
                self.calendar_gid,
                event.google_id,
                send_updates=self._send_updates(
                    over=event.stop < self.now or event.id in self.quiet_ids
                ),
            )
        )
        handlers.append(partial(self._after_archive, event))

    def _agree(self, event, values, answer, created):
        values, learned = event_features.agreed(self, event, values, answer, created)
        event.with_context(**{FROM_GOOGLE: True}).write(
            {
                **learned,
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
        if fate_unknown(outcome):
            self._unanswered(event)
        if classify(outcome) is not Outcome.DUPLICATE:
            self._handle_write_outcome(event, values, outcome, created=True)
            return
        # An earlier attempt was stored by Google before its answer got lost:
        # the event is there. Reconcile with what Google holds (a guest may have
        # answered since), then send what Odoo changed since that attempt.
        try:
            answer = self.client.get_event(self.calendar_gid, event.google_id)
        except GoogleApiError as exc:
            self.note(exc)
            self._unanswered(event)
            self._keep_for_retry(event, exc)
            return
        self._take_stored(event, answer)
        if event.exists() and event.google_push_pending:
            self._repush(event)

    def _unanswered(self, event):
        """Google may hold ``event`` under its id: the next push looks it up first."""
        event.with_context(**{FROM_GOOGLE: True}).google_unanswered_id = event.google_id

    def _take_stored(self, event, answer):
        """Google holds ``event`` (``answer``) from an insert whose answer was lost."""
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

    def _after_patch(self, event, values, outcome):
        kind = classify(outcome)
        if kind is Outcome.CHANGED:
            # Google changed meanwhile: read it and reconcile, never overwrite.
            try:
                item = self.client.get_event(self.calendar_gid, event.google_id)
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
        message = self.env._("Will retry %(name)s: %(error)s", name=event.name, error=outcome)
        self.messages.append(message)
        self.problems.append(("error", message, event))
        event._google_set_sync_error(message)

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
                item = self.client.get_event(self.calendar_gid, deletion.google_id)
            except GoogleApiError as exc:
                self.note(exc)
                deletion.write({"attempts": deletion.attempts + 1, "last_error": str(exc)})
                return
            if not retried and not is_cancelled(item) and self._deletion_stands(deletion, item):
                deletion.google_etag = item.get("etag") or False
                call = ApiCall.delete(
                    self.calendar_gid,
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
