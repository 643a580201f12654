"""Pull of single events: Google's changes matched, reconciled, applied."""

import json

from ..engine import reconcile
from ..engine.mapping import (
    InvalidEvent,
    diff_fields,
    is_cancelled,
)
from ..engine.references import EXT_EVENT_ID
from ..models.calendar_event import FROM_GOOGLE
from . import event_features, odoo_writer
from .twins import merge_twins

# Sync state keys that hold a record's id.
_RECORD_KEYS = ("google_account_id", "google_calendar_id")


class EventPull:
    """The single-event half of a pull (mixed into ``SyncRun``)."""

    def _without_pending_deletions(self, items):
        """Leave out the events deleted in Odoo that Google still shows as agreed:
        the push deletes them. One edited on Google since is kept (the edit wins
        over the deletion) and its pending deletion dropped; a series whose
        change on Google only dropped occurrences counts as not edited."""
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
        deletion_of = {deletion.google_id: deletion for deletion in deletions}
        # Without an agreed etag (an insert whose answer was lost, or a deletion
        # sent through the organizer's calendar) nothing shows an edit on Google:
        # the deletion stands.
        edited = {
            item["id"]
            for item in items
            if agreed_etag.get(item["id"])
            and not is_cancelled(item)
            and item.get("etag") != agreed_etag[item["id"]]
            and not self._deletion_stands(deletion_of[item["id"]], item)
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
        whatever an item claims, it never reaches another user's meeting. Twins
        of one meeting among them are merged first (``merge_twins``). When
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
        )
        events = merge_twins(self, events).sorted(
            lambda event: event.google_account_id != self.account
        )
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

    def _deletion_stands(self, deletion, item):
        """Whether Odoo's pending ``deletion`` stands although Google's ``item``
        changed since both sides agreed: the change is Odoo's own write whose
        answer was lost, or, for a series, one that only dropped occurrences (a
        split's first half), which the deletion of the whole series undoes
        nothing of."""
        return self._holds_what_odoo_sent(item) or self.recurring.only_drops_occurrences(
            item, deletion.google_agreed_values
        )

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

    def _with_own_write(self, item, event, agreed, google_values):
        """``agreed`` with Odoo's own last write counted in, when Google's change
        since the agreement starts with it: the digest on Google's copy was sent
        over the agreed etag (``If-Match``), so that patch was applied, and only
        its answer was lost to Odoo (a save made during the upload refused the
        sync's write-back). What Google holds as sent is then no edit made on
        Google, and a save made meanwhile is no conflict with it.

        When another calendar keeps the meeting (a guest's brought it in) and
        this one, its organizer's, takes it over, Odoo agreed on the other
        copy's etag: the lost write went over this copy's, which only the lost
        transaction read. A write this database signed on this copy then counts
        the same."""
        digest, over = self.references.sent_write(item)
        taking_over = event.google_account_id != self.account and self._speaks_for(event)
        if not digest or not over or (over != event.google_etag and not taking_over):
            return agreed
        return reconcile.base_after_own_write(digest, agreed, google_values) or agreed

    def _odoo_ref(self, item):
        """The Odoo event id this database signed on ``item``, else None."""
        return self.references.record_id(item, EXT_EVENT_ID)

    def _apply_items(self, items, guard=False):
        """Apply Google's ``items``; with ``guard``, raise ``DeletionHeld``
        before a mass deletion (the pull's listing, not a single re-read)."""
        items = self._without_pending_deletions(event_features.meetings(items))
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
            cancelled = is_cancelled(item)
            action = reconcile.pull_action(
                cancelled=cancelled,
                known=bool(event),
                # Another synced user's calendar may hold this meeting: that
                # account keeps it in step; one Odoo event per Google event. A
                # tombstone names no organizer: one in the organizer's own
                # calendar is the meeting deleted for everyone.
                kept_here=bool(event)
                and (
                    keepers[event.id] in (None, self.account)
                    or self._takes_over(event, item)
                    or (cancelled and event.user_id == self.user)
                ),
                may_delete=bool(event)
                and (
                    event.user_id == self.user
                    or not (event.user_id or event.google_organizer_email)
                ),
                edited_in_odoo=cancelled and bool(event) and self._edited_in_odoo(event),
            )
            if (cancelled and event and event.id in live) or (
                event and self.kept_by_other_calendar(event)
            ):
                action = reconcile.PullAction.SKIP
            if action is reconcile.PullAction.DECLINE:
                to_decline |= event
            elif action is reconcile.PullAction.RECREATE:
                to_recreate |= event
            elif action is reconcile.PullAction.DELETE:
                to_delete |= event
            if action not in (reconcile.PullAction.CREATE, reconcile.PullAction.MERGE):
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
                        # Derived from the current id rather than drawn at
                        # random: when the transaction that re-creates the event
                        # is lost after Google stored the insert, the next
                        # attempt sends the same id and meets 409, not a twin.
                        "google_id": self.references.stable_id(
                            "event", str(event.id), event.google_id or ""
                        ),
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

    def _edited_in_odoo(self, event):
        agreed = event._google_agreed()
        return bool(
            event.google_push_pending
            and agreed is not None
            and diff_fields(agreed, event._google_neutral_values()[event.id])
        )

    def _google_state(self, item, values):
        return {
            "google_id": item["id"],
            "google_ical_uid": item.get("iCalUID") or False,
            "google_etag": item.get("etag") or False,
            "google_updated": item.get("updated") or False,
            "google_account_id": self.account.id,
            "google_calendar_id": self.calendar.id or False,
            **event_features.state(item),
        }

    def _create_from_google(self, items):
        if not items:
            return
        self.claim_meetings("event", [item for item, _values in items])
        events = odoo_writer.create_from_values(
            self.Event,
            [
                (
                    values,
                    {
                        **self._google_state(item, values),
                        **event_features.created_permissions(item),
                        "google_push_pending": False,
                        # Expected to be what Odoo holds once created: only the
                        # events for which it is not are written again.
                        "google_agreed_values": json.dumps(values, sort_keys=True),
                    },
                )
                for item, values in items
            ],
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
        for_colleagues = self.kept_for_colleagues(
            events.filtered(lambda event: event.google_account_id == self.account)
        )
        writes, extras = {}, {}
        for event, (item, google_values) in to_update.items():
            agreed = event._google_agreed()
            state = self._google_state(item, google_values)
            if agreed is not None and item.get("etag") == event.google_etag:
                # Google did not change since we agreed: compare nothing on its side.
                google_values = agreed
            elif agreed is not None and event.google_etag:
                agreed = self._with_own_write(item, event, agreed, google_values)
            google_values = event_features.with_kept_alarms(agreed, google_values)
            permission_vals, permissions_to_push = event_features.merged_permissions(event, item)
            state.update(permission_vals)
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
                    agreed if agreed is not None else odoo_values[event.id],
                    google_values,
                    outsiders={
                        partner.email_normalized
                        for partner in event.partner_ids
                        if not partner.user_ids
                    }
                    if event.id in for_colleagues
                    else (),
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
                self.conflict(event, decision.lost)
            if decision.pull_fields:
                writes[event.id] = decision.values
                self.counts["odoo_updated"] += 1
            # An Odoo change the merge left nothing of (it lost a tie, or Google
            # holds it already) is no change to send: the event is in step and
            # stores what it holds as agreed. A pending push the values cannot
            # show (an archived event) stays.
            state["google_push_pending"] = (
                bool(decision.push_fields)
                or permissions_to_push
                or (event.google_push_pending and not event.active)
            )
            if state["google_push_pending"]:
                # The next patch sends what differs from Google's current values.
                state["google_agreed_values"] = json.dumps(google_values, sort_keys=True)
            extras[event.id] = state
        with_writes = events.filtered(lambda event: event.id in writes)
        odoo_writer.write_values(with_writes, writes, extras)
        for event in events - with_writes:
            changed = {
                key: value
                for key, value in extras[event.id].items()
                # The account and calendar are records and the state holds ids.
                if (event[key].id if key in _RECORD_KEYS else event[key]) != value
            }
            if changed:
                event.with_context(**{FROM_GOOGLE: True}).write(changed)
        # What Odoo now holds is what Google holds or is about to receive.
        events.filtered(lambda event: not event.google_push_pending)._google_store_agreed()

    # ------------------------------------------------------------------
    # Push: Odoo -> Google
    # ------------------------------------------------------------------
