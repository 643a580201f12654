"""Google sync state of a recurring series, and the hooks that mark it dirty.

A Google recurring event (master + exceptions) maps to one ``calendar.recurrence``
and its occurrence events. The series is the unit of sync: the recurrence keeps
the Google id of the master, its etag and the *series values* both sides last
agreed on (see ``engine.series``). Each occurrence carries the Google id of its
instance (``<series id>_<original start>``), which is how an occurrence keeps its
original start when it is moved; an occurrence edited on its own (an exception)
keeps its own agreed values.
"""

import json
from datetime import UTC

from odoo import api, fields, models

from ..engine import ownership
from ..engine import recurrence as rec_engine
from ..engine import series as series_engine
from ..engine.mapping import InvalidEvent, without_lone_organizer
from ..sync import guests
from .calendar_event import FROM_GOOGLE, KEEP_SERIES

# Recurrence fields whose change changes the rule sent to Google.
RULE_FIELDS = frozenset(
    {
        "rrule_type",
        "interval",
        "count",
        "end_type",
        "until",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "month_by",
        "day",
        "weekday",
        "byday",
        "event_tz",
    }
)


class CalendarRecurrence(models.Model):
    _inherit = "calendar.recurrence"

    # For the sync code (sudo) and administrators only, as on calendar.event:
    # a recurrence has no privacy of its own, and its agreed values hold the
    # title and description of a private series.
    google_id = fields.Char(
        "Google Series ID",
        groups="base.group_system",
        copy=False,
        index="btree_not_null",
        readonly=True,
    )
    google_etag = fields.Char(groups="base.group_system", copy=False, readonly=True)
    google_account_id = fields.Many2one(
        "google.calendar.account",
        "Synced through",
        groups="base.group_system",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    google_agreed_values = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Series values both sides last agreed on (JSON).",
    )
    google_cancelled_starts = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Original starts of the occurrences cancelled on Google as instances "
        "rather than as EXDATE lines of the master (JSON list).",
    )
    google_push_pending = fields.Boolean(copy=False, readonly=True, index=True)
    google_unanswered_id = fields.Char(
        "Google ID of an Unanswered Insert",
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Google id of a master insert that got no readable answer: Google may hold "
        "the series. The next push looks it up before any insert.",
    )

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        recurrences = super().create(vals_list)
        if not self.env.context.get(FROM_GOOGLE):
            recurrences._google_mark_dirty()
        return recurrences

    def write(self, vals):
        result = super().write(vals)
        if not self.env.context.get(FROM_GOOGLE) and RULE_FIELDS.intersection(vals):
            self._google_mark_dirty()
        return result

    def unlink(self):
        if not self.env.context.get(FROM_GOOGLE) and not self.env.context.get(KEEP_SERIES):
            self._google_queue_deletions()
        return super().unlink()

    def _google_mark_dirty(self):
        """Flag the series whose Google master must be written; no Google call here."""
        recurrences = self.sudo().exists().filtered(lambda rec: not rec.google_push_pending)
        if not recurrences:
            return
        new = recurrences.filtered(lambda rec: not rec.google_account_id)
        if new:
            syncing = self.env["calendar.event"]._google_syncing_accounts(
                new.base_event_id.user_id.ids
            )
            unsynced = new.filtered(lambda rec: rec.base_event_id.user_id.id not in syncing)
            # A colleague's new series goes out through a connected guest's calendar.
            recurrences -= unsynced.filtered("google_id") | guests.keep_in_guest_calendars(
                unsynced.filtered(lambda rec: not rec.google_id)
            )
        if not recurrences:
            return
        # Plain SQL: a technical flag must not run the write hooks again.
        recurrences.flush_recordset(["google_push_pending"])
        self.env.cr.execute(
            "UPDATE calendar_recurrence SET google_push_pending = TRUE WHERE id IN %s",
            [tuple(recurrences.ids)],
        )
        recurrences.invalidate_recordset(["google_push_pending"])
        self.env["google.calendar.synchronizer"]._schedule_push(
            account_ids=set(recurrences.google_account_id.ids),
            user_ids=set(
                recurrences.filtered(
                    lambda rec: not rec.google_account_id
                ).base_event_id.user_id.ids
            ),
        )

    def _google_queue_deletions(self):
        """Remember, durably, the Google masters to delete once these series are gone."""
        # A series waiting for its push may be on Google already: an insert stored
        # there whose answer (and id) the rolled-back transaction lost.
        on_google = self.sudo().filtered(
            lambda rec: (rec.google_id and rec.google_etag) or rec.google_push_pending
        )
        account_of = self.env["calendar.event"]._google_syncing_accounts(
            on_google.base_event_id.user_id.ids
        )
        vals_list = []
        for rec in on_google:
            kept_by = rec.google_account_id.id
            sender = ownership.deletion_sender(
                kept_by, account_of.get(rec.base_event_id.user_id.id)
            )
            if sender:
                vals_list.append(
                    {
                        "account_id": sender,
                        "google_id": rec.google_id or rec._google_next_id(),
                        "calendar_google_id": rec.base_event_id._google_calendar_gid(),
                        "google_etag": ownership.deletion_etag(sender, kept_by, rec.google_etag)
                        or False,
                        "google_agreed_values": rec.google_agreed_values,
                        "event_name": rec.base_event_id.name or rec.name,
                        "event_over": rec._is_event_over(),
                    }
                )
        if not vals_list:
            return
        self.env["google.calendar.outbox"].sudo().create(vals_list)
        self.env["google.calendar.synchronizer"]._schedule_push(
            account_ids={vals["account_id"] for vals in vals_list}
        )

    # ------------------------------------------------------------------
    # Odoo side -> series values
    # ------------------------------------------------------------------

    def _google_queue_emptied(self, events):
        """Queue the deletion of the series never agreed with Google whose every
        occurrence goes with ``events``: an insert of it may be stored there
        already, its answer lost with its transaction, and an empty series is no
        longer pushed, so the pull would bring it back. (Google's copy of an
        agreed series goes with its push, which finds no occurrence left.)"""
        if self.env.context.get(KEEP_SERIES):
            return
        self.sudo().filtered(
            lambda rec: not rec.google_etag and not (rec.calendar_event_ids - events)
        )._google_queue_deletions()

    def _google_next_id(self):
        """The Google id this series is (re)inserted under.

        Derived from the database, the record and the id Google deleted (if
        any), never drawn at random: when the transaction of an insert is lost
        after Google stored it, the retry sends the same id and meets 409, not
        a twin series; and a series Google deleted gets an id Google never saw.
        """
        self.ensure_one()
        return (
            self.env["calendar.event"]
            ._google_references()
            .stable_id("recurrence", str(self.id), self.google_id or "")
        )

    def _google_agreed(self):
        self.ensure_one()
        if not self.google_agreed_values:
            return None
        return without_lone_organizer(json.loads(self.google_agreed_values))

    def _google_cancelled(self):
        self.ensure_one()
        return json.loads(self.google_cancelled_starts or "[]")

    def _google_occurrences(self):
        """The live occurrence events of the series."""
        self.ensure_one()
        return self.calendar_event_ids.with_context(active_test=True).filtered("active")

    def _google_timezone(self, values):
        """The series' zone: the recurrence's own, else the occurrence's."""
        self.ensure_one()
        if values["allday"]:
            return ""
        return self.event_tz or values["timezone"] or "UTC"

    def _google_original_start(self, event, values):
        """The start an occurrence has in the rule, whether or not it was moved.

        An occurrence synced once carries its instance id, whose suffix is that
        original start; one never synced that follows the rule is where Odoo's
        rule put it; one moved before it was synced is placed back on the rule
        (``engine.series.moved_originals``).
        """
        parsed = rec_engine.parse_instance_id(event.google_id)
        if parsed and self.google_id and parsed[0] == self.google_id:
            return parsed[1]
        if event.follow_recurrence:
            return values["start"]
        return self._google_moved_originals(self._google_occurrence_values())[event.id]

    def _google_moved_originals(self, occurrence_values):
        """{event id: original start} of the occurrences moved on their own."""
        self.ensure_one()
        events = self._google_occurrences()
        following = events.filtered("follow_recurrence")
        moved = events - following
        if not moved:
            return {}
        sample = occurrence_values[events.sorted("start")[0].id]
        known = {}
        for event in moved:
            parsed = rec_engine.parse_instance_id(event.google_id)
            if parsed and self.google_id and parsed[0] == self.google_id:
                known[event.id] = parsed[1]
        return series_engine.moved_originals(
            [occurrence_values[event.id]["start"] for event in following],
            {
                event.id: (known.get(event.id), occurrence_values[event.id]["start"])
                for event in moved
            },
            rule_lines=self._google_rule_lines(sample),
            timezone_name=sample["timezone"],
            allday=sample["allday"],
            hints={
                event.id: rec_engine.format_neutral_start(
                    event.google_rule_start.date()
                    if sample["allday"]
                    else event.google_rule_start.replace(tzinfo=UTC)
                )
                for event in moved.filtered("google_rule_start")
            },
        )

    def _google_rule_lines(self, sample):
        """Google lines of the Odoo rule (no EXDATE), for occurrences like ``sample``."""
        self.ensure_one()
        return rec_engine.odoo_to_google(
            self.rrule or "",
            timezone_name=sample["timezone"],
            allday=sample["allday"],
            endless=self._google_endless(),
        )

    def _google_endless(self):
        """Whether the series never ends.

        Odoo turns "forever" into ``COUNT=720`` (its cap) as soon as the rule is
        recomputed, so 720 repetitions mean endless: sending the cap to Google
        would end a series that never ends there.
        """
        self.ensure_one()
        return self.end_type == "forever" or (
            self.end_type == "count" and self.count >= rec_engine.MAX_OCCURRENCES
        )

    def _google_occurrence_values(self):
        """{event id: neutral values} of the live occurrences, in the series' zone."""
        events = self.calendar_event_ids.with_context(active_test=True).filtered("active")
        values_by_event = events._google_neutral_values()
        result = {}
        for recurrence in self:
            for event in recurrence._google_occurrences():
                values = dict(values_by_event[event.id])
                values["timezone"] = recurrence._google_timezone(values)
                result[event.id] = values
        return result

    def _google_series_values(self, occurrence_values=None):
        """{recurrence id: series values or None} from the Odoo side.

        None means the series has no live occurrence left. Raises
        ``InvalidEvent`` when the rule cannot be expressed for Google.
        """
        occurrence_values = occurrence_values or self._google_occurrence_values()
        result = {}
        for recurrence in self:
            events = recurrence._google_occurrences()
            if not events:
                result[recurrence.id] = None
                continue
            following = events.filtered("follow_recurrence")
            sample = occurrence_values[events.sorted("start")[0].id]
            try:
                originals = recurrence._google_moved_originals(occurrence_values)
                result[recurrence.id] = series_engine.series_from_occurrences(
                    [occurrence_values[event.id] for event in following],
                    rule_lines=recurrence._google_rule_lines(sample),
                    exceptions=[
                        (originals[event.id], occurrence_values[event.id])
                        for event in events - following
                    ],
                    agreed=recurrence._google_agreed(),
                    # An exception Google holds (renamed alone) does not vote for
                    # the series' title: a series of two would tie.
                    voters=[
                        occurrence_values[event.id]
                        for event in following
                        if not event.google_agreed_values
                    ],
                )
            except rec_engine.InvalidRecurrence as error:
                raise InvalidEvent(f"series {recurrence.name!r}: {error}") from error
        return result

    def _google_instance_starts(self, series):
        """{event id: original start of the instance of ``series`` it is} for the
        live occurrences: a plain one is the instance on its local day (which
        changes when the series' time does); a moved one keeps its original start."""
        self.ensure_one()
        values_by_event = self._google_occurrence_values()
        rule_start = series_engine.rule_start_by_day(series)
        starts = {}
        for event in self._google_occurrences():
            values = values_by_event[event.id]
            if event.follow_recurrence:
                day = series_engine.local_day(values["start"], series["timezone"], series["allday"])
                starts[event.id] = rule_start.get(day, values["start"])
            else:
                starts[event.id] = self._google_original_start(event, values)
        return starts

    def _google_name_occurrences(self, account, series):
        """Give each live occurrence the id of the Google instance it is
        (``_google_instance_starts``), in one query."""
        self.ensure_one()
        events = self._google_occurrences()
        wanted = {
            event_id: rec_engine.instance_id(self.google_id, start)
            for event_id, start in self._google_instance_starts(series).items()
        }
        renamed = events.filtered(
            lambda event: event.google_id != wanted[event.id] or event.google_account_id != account
        )
        if not renamed:
            return
        # Plain SQL: technical fields, one statement for a series of any length.
        renamed.flush_recordset(["google_id", "google_account_id"])
        self.env.cr.execute(
            """UPDATE calendar_event AS event
                  SET google_id = named.google_id, google_account_id = %s
                 FROM unnest(%s::int[], %s::varchar[]) AS named(id, google_id)
                WHERE event.id = named.id""",
            [account.id, renamed.ids, [wanted[event_id] for event_id in renamed.ids]],
        )
        renamed.invalidate_recordset(["google_id", "google_account_id"])

    def _google_store_agreed(self):
        """Record what Odoo holds now as the series both sides agree on (one query)."""
        agreed = {
            recurrence_id: json.dumps(series, sort_keys=True)
            for recurrence_id, series in self._google_series_values().items()
            if series is not None
        }
        if not agreed:
            return
        # Plain SQL: a technical field, and one ORM write per series cost a
        # tenth of a large import.
        self.flush_recordset(["google_agreed_values"])
        self.env.cr.execute(
            """UPDATE calendar_recurrence AS recurrence
                  SET google_agreed_values = agreed.agreed_json
                 FROM unnest(%s::int[], %s::text[]) AS agreed(id, agreed_json)
                WHERE recurrence.id = agreed.id""",
            [list(agreed), list(agreed.values())],
        )
        self.invalidate_recordset(["google_agreed_values"])

    # ------------------------------------------------------------------
    # Series values -> Odoo rule
    # ------------------------------------------------------------------

    @api.model
    def _google_rule_vals(self, series):
        """``calendar.recurrence`` values for the rule of neutral ``series`` values."""
        rule = rec_engine.google_to_odoo(
            series["recurrence"],
            start=series["start"],
            timezone_name=series["timezone"] or "UTC",
            allday=series["allday"],
        )
        first = rec_engine.parse_neutral_start(series["start"], series["allday"])
        if not series["allday"]:
            first = first.astimezone(rec_engine.zone(series["timezone"])).replace(tzinfo=None)
        parsed = self._rrule_parse(rule.rrule, first)
        vals = {
            **dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), False),
            **{key: value for key, value in parsed.items() if value is not None},
            "event_tz": series["timezone"] or False,
        }
        if vals.get("until"):
            vals["until"] = fields.Date.to_date(vals["until"])
        if vals["end_type"] == "forever":
            vals.pop("count", None)
        return vals
