"""Google sync state of a calendar event, the hooks that mark it dirty, and the
two conversions between an Odoo event and the neutral event values.

The sync itself (pull, push, reconcile) lives in ``google.calendar.sync``;
this file only knows one record's side of the contract.
"""

import html
import json
import logging
import re
from datetime import datetime, time

import pytz

from odoo import Command, api, fields, models
from odoo.tools import email_normalize, is_html_empty, ormcache

from ..engine.mapping import InvalidEvent, diff_fields, new_google_id, normalize_values
from ..engine.references import References

_logger = logging.getLogger(__name__)

# Context key set while the sync writes what it pulled from Google: such
# writes must neither mark the event dirty nor queue a deletion for Google.
FROM_GOOGLE = "google_calendar_sync_from_google"

# Fields whose change must reach Google. Any other field is Odoo's own.
SYNCED_FIELDS = frozenset(
    {
        "name",
        "description",
        "location",
        "start",
        "stop",
        "start_date",
        "stop_date",
        "allday",
        "partner_ids",
        "attendee_ids",
        "alarm_ids",
        "privacy",
        "show_as",
        "videocall_location",
        "user_id",
        "google_timezone",
        "active",
    }
)

# Account states in which a user's events are in the sync's scope. Paused and
# stopped users keep their changes marked, pushed when the sync resumes.
SYNCING_STATES = ("connected", "stopped", "error")

# The name Odoo gives a meeting Google holds without a title.
_UNTITLED = "(no title)"
_ALARM_METHOD_BY_TYPE = {"email": "email", "notification": "popup"}

# Odoo fields written when a neutral key changed; the time keys move together.
_TIME_FIELDS = ("allday", "start", "stop")
_ODOO_FIELDS_BY_KEY = {
    "name": ("name",),
    "description": ("description",),
    "location": ("location",),
    "allday": _TIME_FIELDS,
    "start": _TIME_FIELDS,
    "stop": _TIME_FIELDS,
    "timezone": ("google_timezone",),
    "organizer": ("user_id", "google_organizer_email"),
    "alarms": ("alarm_ids",),
    "privacy": ("privacy",),
    "show_as": ("show_as",),
    "videocall": ("videocall_location",),
}


def _utc_stamp(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# Google holds a description as HTML (its own editor) or as plain text (other
# calendar clients, the API): plain text has neither a tag nor an entity.
_MARKUP = re.compile(r"<[a-zA-Z/!?]|&#?\w+;")


def is_plain_text(text):
    """Whether Odoo's HTML sanitizer keeps ``text`` as it is in a paragraph, its
    line breaks as ``<br>``: only printable characters, tabs and line breaks, no
    ``<``, ``>`` or ``&``, and no leading white space (which it strips)."""
    return (
        bool(text)
        and not text[0].isspace()
        and all(char in "\n\t" or (char.isprintable() and char not in "<>&") for char in text)
    )


def plain_text_paragraph(text):
    """Plain ``text`` as one HTML paragraph, its line breaks kept."""
    escaped = html.escape(text, quote=False).replace("\n", "<br>")
    return f"<p>{escaped}</p>"


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # The sync state below is for the sync code (sudo) and administrators: the
    # agreed values hold a private meeting's title and description, and the
    # account names a colleague's Google address.
    google_id = fields.Char(
        "Google Event ID",
        groups="base.group_system",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="Id of this event on Google. Chosen by Odoo before the first insert, so "
        "that a retried insert is recognised by Google as a duplicate.",
    )
    google_ical_uid = fields.Char(
        "Google iCalUID",
        groups="base.group_system",
        copy=False,
        readonly=True,
        index="btree_not_null",
    )
    google_account_id = fields.Many2one(
        "google.calendar.account",
        "Synced through",
        groups="base.group_system",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The Google calendar this event is read from and written to.",
    )
    google_etag = fields.Char(groups="base.group_system", copy=False, readonly=True)
    google_updated = fields.Char(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Google's 'updated' stamp when both sides last agreed.",
    )
    google_agreed_values = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="The neutral event values both sides last agreed on (JSON).",
    )
    google_push_pending = fields.Boolean(
        copy=False,
        readonly=True,
        index=True,
        help="A synced field changed in Odoo and Google does not know it yet.",
    )
    google_refused_fingerprint = fields.Char(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Fingerprint of the Odoo values Google refused to take (the user is not the "
        "organizer); those values are not sent again.",
    )
    google_organizer_email = fields.Char(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Organizer's e-mail on Google when no Odoo user has it.",
    )
    google_timezone = fields.Char(
        "Event Time Zone", copy=False, help="Time zone of the event on Google (IANA name)."
    )

    # ------------------------------------------------------------------
    # Hooks: mark dirty in the same transaction as the change
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(FROM_GOOGLE):
            syncing_user_ids = self._google_syncing_user_ids(
                {vals.get("user_id", self.env.uid) for vals in vals_list}
            )
            for vals in vals_list:
                organizer_id = vals.get("user_id", self.env.uid)
                if organizer_id in syncing_user_ids and not vals.get("recurrency"):
                    vals["google_push_pending"] = True
        events = super().create(vals_list)
        if not self.env.context.get(FROM_GOOGLE):
            to_sync = events.sudo().filtered("google_push_pending")
            to_sync.filtered(lambda event: not event.google_id)._google_choose_ids()
            to_sync._google_push_after_commit()
        return events

    def write(self, vals):
        result = super().write(vals)
        if not self.env.context.get(FROM_GOOGLE) and SYNCED_FIELDS.intersection(vals):
            self._google_mark_dirty()
        return result

    def unlink(self):
        if not self.env.context.get(FROM_GOOGLE):
            self._google_queue_deletions()
        return super().unlink()

    def _google_syncing_user_ids(self, user_ids):
        """Those of ``user_ids`` whose events are in the sync's scope (one query)."""
        accounts = (
            self.env["google.calendar.account"]
            .sudo()
            .search_fetch(
                [("state", "in", SYNCING_STATES), ("user_id", "in", list(user_ids))], ["user_id"]
            )
        )
        return set(accounts.user_id.ids)

    def _google_mark_dirty(self):
        """Flag the events whose synced fields changed; no Google call here.

        An event that has no Google id yet gets one now, in the transaction of
        the change, so that it is stored before any insert is attempted.
        """
        # The sync state is the sync's own, whoever made the change.
        candidates = self.sudo().filtered(
            lambda event: not event.recurrency and not event.google_push_pending
        )
        without_id = candidates.filtered(lambda event: not event.google_id)
        if without_id:
            syncing_user_ids = self._google_syncing_user_ids(without_id.user_id.ids)
            out_of_scope = without_id.filtered(
                lambda event: event.user_id.id not in syncing_user_ids
            )
            candidates -= out_of_scope
            without_id -= out_of_scope
        if not candidates:
            return
        # Plain SQL: an ORM write would run this hook (and the mail logic of
        # calendar.event.write) again for purely technical fields.
        candidates.flush_recordset(["google_push_pending"])
        self.env.cr.execute(
            "UPDATE calendar_event SET google_push_pending = TRUE WHERE id IN %s",
            [tuple(candidates.ids)],
        )
        candidates.invalidate_recordset(["google_push_pending"])
        without_id._google_choose_ids()
        candidates._google_push_after_commit()

    def _google_choose_ids(self):
        """Give these events the Google id their insert will use (one query)."""
        if not self:
            return
        self.flush_recordset(["google_id"])
        self.env.cr.execute(
            """UPDATE calendar_event AS event SET google_id = chosen.google_id
                 FROM unnest(%s::int[], %s::varchar[]) AS chosen(id, google_id)
                WHERE event.id = chosen.id""",
            [self.ids, [new_google_id() for _event in self]],
        )
        self.invalidate_recordset(["google_id"])

    def _google_queue_deletions(self):
        """Remember, durably, the Google events to delete once these are gone."""
        on_google = self.sudo().filtered(
            lambda event: event.google_id and (event.google_etag or event.google_push_pending)
        )
        if not on_google:
            return
        organizers_accounts = (
            self.env["google.calendar.account"]
            .sudo()
            .search([("user_id", "in", on_google.user_id.ids)])
        )
        account_by_user = {account.user_id.id: account for account in organizers_accounts}
        now = fields.Datetime.now()
        outbox_vals = []
        for event in on_google:
            organizer_account = account_by_user.get(event.user_id.id)
            if organizer_account and organizer_account.state in SYNCING_STATES:
                # The organizer's calendar deletes the meeting for everyone; an
                # attendee's calendar (the one that happened to sync it first)
                # would only decline it, and the meeting would come back.
                account = organizer_account
            else:
                account = event.google_account_id or organizer_account
            if account:
                outbox_vals.append(
                    {
                        "account_id": account.id,
                        "google_id": event.google_id,
                        # An etag is only valid in the calendar it was read from.
                        "google_etag": event.google_etag
                        if account == event.google_account_id
                        else False,
                        "event_name": event.name,
                        "event_over": event.stop < now,
                    }
                )
        self.env["google.calendar.outbox"].sudo().create(outbox_vals)
        self.env["google.calendar.sync"]._schedule_push(
            account_ids={vals["account_id"] for vals in outbox_vals}
        )

    def _google_push_after_commit(self):
        """Fast path: push once the transaction that made the change commits.

        The cron pushes whatever this misses (failure, crash, paused user).
        """
        events = self.sudo()
        self.env["google.calendar.sync"]._schedule_push(
            account_ids=set(events.google_account_id.ids),
            user_ids=set(events.filtered(lambda event: not event.google_account_id).user_id.ids),
        )

    @api.model
    def _google_references(self):
        """Signs and checks what this database writes on Google events."""
        return References(*self._google_reference_keys())

    @api.model
    @ormcache(cache="stable")
    def _google_reference_keys(self):
        """(database secret, database UUID), read once per process in one query;
        writing a system parameter clears this cache as it clears get_param's."""
        self.env.cr.execute(
            "SELECT key, value FROM ir_config_parameter WHERE key IN %s",
            [("database.secret", "database.uuid")],
        )
        values = dict(self.env.cr.fetchall())
        return values.get("database.secret"), values.get("database.uuid")

    def _google_successor_id(self):
        """The Google id this event takes once Google deleted its current one.

        Derived from the current id rather than drawn at random: when the
        transaction that re-created the event is lost after Google stored the
        insert, the next attempt sends the same id and meets 409, not a twin.
        """
        self.ensure_one()
        return self._google_references().stable_id("event", str(self.id), self.google_id or "")

    def _google_adopt(self):
        """Bring events that predate the sync into it: dirty, with a Google id
        derived from the database and the record. The same id on every attempt,
        so an insert whose transaction was rolled back after Google stored it
        meets 409 on the next attempt instead of creating a twin."""
        if not self:
            return
        references = self._google_references()
        google_ids = [references.stable_id("event", str(event_id)) for event_id in self.ids]
        self.flush_recordset(["google_id", "google_push_pending"])
        self.env.cr.execute(
            """UPDATE calendar_event AS event
                  SET google_id = chosen.google_id, google_push_pending = TRUE
                 FROM unnest(%s::int[], %s::varchar[]) AS chosen(id, google_id)
                WHERE event.id = chosen.id""",
            [self.ids, google_ids],
        )
        self.invalidate_recordset(["google_id", "google_push_pending"])

    def _google_store_agreed(self):
        """Record the current values as what both sides agree on (one query).

        Only the rows whose stored agreement differs are written: an import
        inserts Google's values as agreed, and a second write of every row
        cost a tenth of a large import when Odoo holds them unchanged."""
        if not self:
            return
        values = self._google_neutral_values()
        self.flush_recordset(["google_agreed_values", "google_push_pending"])
        changed = {}
        for event in self:
            agreed_json = json.dumps(values[event.id], sort_keys=True)
            if event.google_push_pending or event.google_agreed_values != agreed_json:
                changed[event.id] = agreed_json
        if not changed:
            return
        self.env.cr.execute(
            """UPDATE calendar_event AS event
                  SET google_agreed_values = agreed.agreed_json, google_push_pending = FALSE
                 FROM unnest(%s::int[], %s::text[]) AS agreed(id, agreed_json)
                WHERE event.id = agreed.id""",
            [list(changed), list(changed.values())],
        )
        self.browse(changed).invalidate_recordset(["google_agreed_values", "google_push_pending"])

    def _google_post_note(self, message):
        """An internal note in the event's chatter (nobody is e-mailed)."""
        for event in self:
            event.with_context(mail_notrack=True).message_post(
                body=message, message_type="comment", subtype_xmlid="mail.mt_note"
            )

    # ------------------------------------------------------------------
    # Odoo record -> neutral values
    # ------------------------------------------------------------------

    def _google_neutral_values(self):
        """{event id: neutral values} for the whole recordset.

        Reads through the ORM's prefetch, so attendees, partners, alarms and
        organizers of all events are fetched in a handful of queries.
        """
        result = {}
        # Each organizer, partner and reminder read once, not once per event.
        organizers = {
            user.id: (email_normalize(user.email or ""), user.tz) for user in self.user_id
        }
        people = {
            partner.id: (partner.email_normalized, partner.name or "")
            for partner in self.attendee_ids.partner_id
        }
        reminders = {
            alarm.id: (_ALARM_METHOD_BY_TYPE[alarm.alarm_type], alarm.duration_minutes)
            for alarm in self.alarm_ids
        }
        for event in self:
            allday = event.allday
            if allday:
                start = event.start_date.isoformat() if event.start_date else ""
                stop = event.stop_date.isoformat() if event.stop_date else start
            else:
                start, stop = _utc_stamp(event.start), _utc_stamp(event.stop)
            attendees = []
            for attendee in event.attendee_ids:
                # The partner's stored normalized e-mail: parsing every address
                # again took a tenth of the time of a large import.
                email, name = people.get(attendee.partner_id.id, (None, ""))
                if email:
                    attendees.append(
                        {"email": email, "name": name, "status": attendee.state or "needsAction"}
                    )
            attendees.sort(key=lambda attendee: attendee["email"])
            alarms = [
                {"method": method, "minutes": minutes}
                for method, minutes in sorted(
                    reminders[alarm_id] for alarm_id in event.alarm_ids.ids
                )
            ]
            organizer_email, organizer_tz = organizers.get(event.user_id.id, ("", None))
            description = event.description
            result[event.id] = values = {
                "name": event.name or "",
                "description": "" if is_html_empty(description) else str(description),
                "location": event.location or "",
                "allday": bool(allday),
                "start": start,
                "stop": stop,
                "timezone": "" if allday else (event.google_timezone or organizer_tz or "UTC"),
                "attendees": attendees,
                "organizer": organizer_email or event.google_organizer_email or "",
                "alarms": alarms,
                "privacy": event.privacy or "",
                "show_as": event.show_as or "busy",
                "videocall": event.videocall_location or "",
                "recurrence": [],
            }
            try:
                result[event.id] = normalize_values(values)
            except InvalidEvent:
                # Left as read: the push reports the problem on this event.
                _logger.info("calendar.event %s has values Google cannot take", event.id)
        return result

    def _google_agreed(self):
        self.ensure_one()
        return json.loads(self.google_agreed_values) if self.google_agreed_values else None

    # ------------------------------------------------------------------
    # Neutral values -> Odoo values
    # ------------------------------------------------------------------

    @api.model
    def _google_resolve_partners(self, values_list):
        """{normalized e-mail: partner} for every attendee and organizer of
        ``values_list``: one search, and one batch create for the unknown ones."""
        names = {}
        for values in values_list:
            for attendee in values.get("attendees", ()):
                names.setdefault(attendee["email"], attendee.get("name") or "")
        emails = [email for email in names if email]
        if not emails:
            return {}
        Partner = self.env["res.partner"].sudo()
        partners = Partner.search([("email_normalized", "in", emails)], order="id")
        by_email = {}
        for partner in partners:
            # Oldest partner first: a user's own partner usually predates copies.
            by_email.setdefault(partner.email_normalized, partner)
        # Prefer the partner of an Odoo user when several share the e-mail.
        users = self.env["res.users"].sudo().search([("email_normalized", "in", emails)])
        for user in users:
            by_email[user.partner_id.email_normalized] = user.partner_id
        missing = [email for email in emails if email not in by_email]
        if missing:
            # No "contact created" note on each: the sync creates them in bulk.
            created = Partner.with_context(mail_create_nolog=True).create(
                [{"name": names[email] or email, "email": email} for email in missing]
            )
            # Their (empty) meetings are in the cache: left there, Odoo would
            # update that list for every event these partners attend below.
            created.invalidate_recordset(["meeting_ids"])
            by_email.update(zip(missing, created, strict=True))
        return by_email

    @api.model
    def _google_resolve_alarms(self, values_list):
        """{(method, minutes): calendar.alarm}, matching existing alarms first."""
        wanted = {
            (alarm["method"], alarm["minutes"])
            for values in values_list
            for alarm in values.get("alarms", ())
        }
        if not wanted:
            return {}
        Alarm = self.env["calendar.alarm"].sudo()
        type_by_method = {method: kind for kind, method in _ALARM_METHOD_BY_TYPE.items()}
        existing = Alarm.search(
            [("duration_minutes", "in", list({minutes for _method, minutes in wanted}))], order="id"
        )
        by_key = {}
        for alarm in existing:
            by_key.setdefault(
                (_ALARM_METHOD_BY_TYPE[alarm.alarm_type], alarm.duration_minutes), alarm
            )
        missing = sorted(wanted - by_key.keys())
        if missing:
            created = Alarm.create(
                [
                    self._google_alarm_vals(type_by_method[method], minutes)
                    for method, minutes in missing
                ]
            )
            by_key.update(zip(missing, created, strict=True))
        return by_key

    @api.model
    def _google_alarm_vals(self, alarm_type, minutes):
        interval, duration = next(
            (
                (unit, minutes // size)
                for unit, size in (("days", 1440), ("hours", 60))
                if minutes and minutes % size == 0
            ),
            ("minutes", minutes),
        )
        label = dict(self.env["calendar.alarm"]._interval_selection)[interval]
        kind = "Email" if alarm_type == "email" else "Notification"
        return {
            "name": f"{kind} - {duration} {label}",
            "alarm_type": alarm_type,
            "duration": duration,
            "interval": interval,
        }

    @api.model
    def _google_resolve_organizers(self, values_list):
        """{normalized e-mail: res.users} for the organizers that are Odoo users."""
        emails = list({values["organizer"] for values in values_list if values.get("organizer")})
        if not emails:
            return {}
        users = (
            self.env["res.users"].sudo().search([("email_normalized", "in", emails)], order="id")
        )
        by_email = {}
        for user in users:
            by_email.setdefault(user.email_normalized, user)
        # A user's Google address may differ from their Odoo e-mail.
        accounts = (
            self.env["google.calendar.account"].sudo().search([("google_email", "in", emails)])
        )
        for account in accounts:
            by_email[account.google_email.lower()] = account.user_id
        return by_email

    @api.model
    def _google_time_vals(self, values):
        if values["allday"]:
            start = fields.Date.to_date(values["start"])
            stop = fields.Date.to_date(values["stop"])
            return {
                "allday": True,
                # Odoo stores an all-day event as midnight to midnight of its
                # first and last (inclusive) day.
                "start": datetime.combine(start, time.min),
                "stop": datetime.combine(stop, time.min),
            }
        return {
            "allday": False,
            # Neutral stamps are "YYYY-MM-DDTHH:MM:SSZ": fromisoformat without
            # the Z is several times faster than strptime on a large import.
            "start": datetime.fromisoformat(values["start"][:-1]),
            "stop": datetime.fromisoformat(values["stop"][:-1]),
            "start_date": False,
            "stop_date": False,
        }

    @api.model
    def _google_held_form(self, values):
        """Google's neutral ``values`` in the form Odoo holds them once written.

        Odoo sanitizes a description (plain text becomes a paragraph, its line
        breaks kept as HTML breaks) and names an untitled meeting; compared
        unconverted, Google's wording of an unchanged description would pass
        for an edit made on Google, and tie with an edit made in Odoo meanwhile.
        """
        values["description"] = self._google_held_description(values.get("description") or "")
        values["name"] = values.get("name") or _UNTITLED
        return values

    @api.model
    def _google_held_description(self, description):
        if not description:
            return ""
        if not _MARKUP.search(description):
            # Plain text: read as HTML, its line breaks would be lost.
            paragraph = plain_text_paragraph(description)
            if is_plain_text(description):
                # What the sanitizer keeps of it, without parsing it: a tenth
                # of a large import (tests compare this with the sanitizer).
                return paragraph
            description = paragraph
        held = self._fields["description"].convert_to_cache(description, self)
        return "" if is_html_empty(held) else str(held)

    @api.model
    def _google_scalar_vals(self, values, organizers, alarms):
        timezone = values.get("timezone") or ""
        organizer = organizers.get(values.get("organizer"))
        return {
            "name": values["name"] or _UNTITLED,
            "description": values["description"] or False,
            "location": values["location"] or False,
            "privacy": values["privacy"] or False,
            "show_as": values["show_as"] or "busy",
            "videocall_location": values["videocall"] or False,
            "google_timezone": timezone if timezone in pytz.all_timezones_set else False,
            "user_id": organizer.id if organizer else False,
            "google_organizer_email": False if organizer else (values.get("organizer") or False),
            "alarm_ids": [
                Command.set(
                    [alarms[(alarm["method"], alarm["minutes"])].id for alarm in values["alarms"]]
                )
            ],
            **self._google_time_vals(values),
        }

    @api.model
    def _google_create_from_values(self, items):
        """Create one Odoo event per ``(neutral values, extra vals)`` in one batch."""
        values_list = [values for values, _extra in items]
        partners = self._google_resolve_partners(values_list)
        alarms = self._google_resolve_alarms(values_list)
        organizers = self._google_resolve_organizers(values_list)
        vals_list = []
        for values, extra in items:
            attendees = [partners[a["email"]] for a in values["attendees"]]
            scalar = self._google_scalar_vals(values, organizers, alarms)
            vals_list.append(
                {
                    **scalar,
                    # Stored computed fields given their value now, as their
                    # computes would: Odoo otherwise computes them after the
                    # insert and updates every row again (a fifth of an import).
                    "duration": self._get_duration(scalar["start"], scalar["stop"]),
                    "partner_ids": [Command.set([partner.id for partner in attendees])],
                    "attendee_ids": [
                        Command.create(
                            {
                                "partner_id": partner.id,
                                "state": attendee["status"],
                                "common_name": partner.name or partner.email,
                            }
                        )
                        for partner, attendee in zip(attendees, values["attendees"], strict=True)
                    ],
                    **extra,
                }
            )
        # Odoo's create schedules the reminders while gathering the events one
        # union at a time, quadratic in a bulk import: they are scheduled here.
        events = self._google_quiet().with_context(dont_notify=True).create(vals_list)
        events.filtered(lambda event: not event.allday and event.alarm_ids)._google_setup_alarms()
        return events

    def _google_setup_alarms(self):
        """Schedule the reminders of these events as Odoo's create would: the
        events with reminders Odoo sends through its cron (e-mail, SMS) go
        through Odoo's scheduling; the attendees of the others only need
        their next pop-up computed, once for all of them."""
        trigger_types = self._get_trigger_alarm_types()
        with_triggers = self.filtered(
            lambda event: any(alarm.alarm_type in trigger_types for alarm in event.alarm_ids)
        )
        with_triggers._setup_alarms()
        now = fields.Datetime.now()
        to_notify = (self - with_triggers).filtered(
            lambda event: event.stop >= now
            and any(alarm.alarm_type == "notification" for alarm in event.alarm_ids)
        )
        if to_notify:
            self.env["calendar.alarm_manager"]._notify_next_alarm(to_notify.partner_ids.ids)

    def _google_write_values(self, values_by_event, extra_by_event=None):
        """Bring each event to its neutral values, writing only what differs."""
        extra_by_event = extra_by_event or {}
        values_list = list(values_by_event.values())
        partners = self._google_resolve_partners(values_list)
        alarms = self._google_resolve_alarms(values_list)
        organizers = self._google_resolve_organizers(values_list)
        current = self._google_neutral_values()
        for event in self._google_quiet():
            values = values_by_event[event.id]
            before = current[event.id]
            scalar = self._google_scalar_vals(values, organizers, alarms)
            vals = dict(extra_by_event.get(event.id, {}))
            for key in diff_fields(before, values):
                vals.update({name: scalar[name] for name in _ODOO_FIELDS_BY_KEY.get(key, ())})
            attendees_changed = before["attendees"] != values["attendees"]
            if attendees_changed:
                vals["partner_ids"] = [
                    Command.set(
                        [partners[attendee["email"]].id for attendee in values["attendees"]]
                    )
                ]
            if vals:
                event.write(vals)
            # Odoo resets the organizer's answer when someone else moves the
            # event (the sync is someone else); Google's answers stand.
            if attendees_changed or "start" in vals:
                event._google_set_attendee_states(partners, values["attendees"])

    def _google_set_attendee_states(self, partners, attendees):
        self.ensure_one()
        status_by_partner = {partners[a["email"]].id: a["status"] for a in attendees}
        by_status = {}
        for attendee in self.attendee_ids:
            status = status_by_partner.get(attendee.partner_id.id)
            if status and attendee.state != status:
                by_status[status] = by_status.get(status, attendee.browse()) | attendee
        for status, group in by_status.items():
            group.write({"state": status})

    def _google_quiet(self):
        """This recordset in a context where writes pulled from Google neither
        mark dirty, nor send Odoo's invitation mails, nor touch descriptions."""
        return self.with_context(
            **{
                FROM_GOOGLE: True,
                "no_mail_to_attendees": True,
                "skip_attendee_notification": True,
                "skip_contact_description": True,
                "mail_create_nolog": True,
                "mail_notrack": True,
            }
        )

    # ------------------------------------------------------------------
    # Invitations: Google e-mails the attendees of synced events
    # ------------------------------------------------------------------

    def _skip_send_mail_status_update(self):
        if self.env.context.get(FROM_GOOGLE):
            # What the sync writes came from Google, which told the attendees:
            # asked first, since it costs nothing and an import asks per event.
            return True
        if super()._skip_send_mail_status_update():
            return True
        # When Google sends the invitations of this event, Odoo sending its
        # own would give every attendee two mails for one change.
        # An event made by a syncing organizer is pending before its Google id
        # is stored (the id is written after Odoo's create sends its mails).
        synced = self.sudo().google_id or self.google_push_pending
        return bool(synced) and self._google_sends_invitations()

    def _google_sends_invitations(self):
        """Whether Google e-mails this event's attendees about its changes: the
        setting allows it and the calendar it lives in has synced once (the
        first sync sends nothing, so Odoo's own mails must still go then)."""
        self.ensure_one()
        setting = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("google_calendar_sync.send_updates", "all")
        )
        if setting == "none":
            return False
        account = self.sudo().google_account_id or self.env[
            "google.calendar.account"
        ].sudo().search([("user_id", "=", self.user_id.id)], limit=1)
        return bool(account.last_sync)
