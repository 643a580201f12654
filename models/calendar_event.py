"""Google sync state of a calendar event, the hooks that mark it dirty, and the
two conversions between an Odoo event and the neutral event values.

The sync itself (pull, push, reconcile) lives in ``sync/`` (run by
``google.calendar.synchronizer``); this file only knows one record's side of
the contract.
"""

import html
import json
import logging
import re
from datetime import datetime, time

import pytz

from odoo import Command, api, fields, models
from odoo.tools import email_normalize, is_html_empty, ormcache

from ..engine import ownership
from ..engine.mapping import InvalidEvent, diff_fields, normalize_values
from ..engine.people import DEFAULT_MAX_NEW_CONTACTS, ContactBudget
from ..engine.references import References, new_google_id

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

# Context key of the sync's ``engine.people.ContactBudget``: the new contacts
# the whole sync may still create (set by the sync run).
CONTACT_BUDGET = "google_calendar_sync_contact_budget"
MAX_NEW_CONTACTS_PARAM = "google_calendar_sync.max_new_contacts_per_sync"
# Guests listed in the chatter note of an event that left some out.
_LEFT_OUT_SHOWN = 20

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
    "privacy": ("privacy", "google_defaulted_privacy"),
    "show_as": ("show_as",),
    "videocall": ("videocall_location",),
}


def _utc_stamp(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dumps_guests(attendees):
    """``google_guests_left_out`` of neutral ``attendees``: JSON, or False for none."""
    return json.dumps(attendees, sort_keys=True) if attendees else False


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
    google_guests_left_out = fields.Text(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Guests of this event on Google that the sync did not make Odoo contacts (it "
        "creates a limited number per synchronization), as JSON. They remain guests on "
        "Google and count in what the sync compares, so that no write drops them.",
    )
    google_defaulted_privacy = fields.Char(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="The privacy the sync gave this invitation from outside Odoo, whose privacy "
        "Google leaves to the calendar's default: the default privacy of the user whose "
        "calendar it came from. Read back as Google's default, never sent to Google.",
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

    @api.model
    def _google_syncing_accounts(self, user_ids):
        """{user id: id of the user's account} of those of ``user_ids`` who sync."""
        accounts = (
            self.env["google.calendar.account"]
            .sudo()
            .search_fetch(
                [("state", "in", SYNCING_STATES), ("user_id", "in", list(user_ids))], ["user_id"]
            )
        )
        return {account.user_id.id: account.id for account in accounts}

    def _google_syncing_user_ids(self, user_ids):
        """Those of ``user_ids`` whose events are in the sync's scope (one query)."""
        return set(self._google_syncing_accounts(user_ids))

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
        account_of = self._google_syncing_accounts(on_google.user_id.ids)
        now = fields.Datetime.now()
        outbox_vals = []
        for event in on_google:
            kept_by = event.google_account_id.id
            sender = ownership.deletion_sender(kept_by, account_of.get(event.user_id.id))
            if sender:
                outbox_vals.append(
                    {
                        "account_id": sender,
                        "google_id": event.google_id,
                        "google_etag": ownership.deletion_etag(sender, kept_by, event.google_etag)
                        or False,
                        "event_name": event.name,
                        "event_over": event.stop < now,
                    }
                )
        self.env["google.calendar.outbox"].sudo().create(outbox_vals)
        self.env["google.calendar.synchronizer"]._schedule_push(
            account_ids={vals["account_id"] for vals in outbox_vals}
        )

    def _google_push_after_commit(self):
        """Fast path: push once the transaction that made the change commits.

        The cron pushes whatever this misses (failure, crash, paused user).
        """
        events = self.sudo()
        self.env["google.calendar.synchronizer"]._schedule_push(
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

    def _google_address_book(self):
        """``({user id: e-mail}, {partner id: e-mail})``: the address Google
        knows each organizer and attendee of these events by.

        A user's connected Google address when there is one, as the pull
        matches people by it (``_google_resolve_partners``): read with the
        Odoo e-mail instead, every guest list would differ from Google's.
        """
        users, partners = self.user_id, self.attendee_ids.partner_id
        by_user, by_partner = self.env["google.calendar.account"]._confirmed_addresses(
            users.ids, partners.ids
        )
        for user in users:
            by_user.setdefault(user.id, email_normalize(user.email or ""))
        for partner in partners:
            # The stored normalized e-mail: parsing every address again took a
            # tenth of the time of a large import.
            by_partner.setdefault(partner.id, partner.email_normalized)
        return by_user, by_partner

    def _google_neutral_values(self, address_book=None):
        """{event id: neutral values} for the whole recordset.

        Reads through the ORM's prefetch, so attendees, partners, alarms and
        organizers of all events are fetched in a handful of queries.
        ``address_book`` is this recordset's ``_google_address_book()`` when
        the caller has it already.
        """
        result = {}
        emails_of_users, emails_of_partners = address_book or self._google_address_book()
        # Each organizer, partner and reminder read once, not once per event.
        organizers = {user.id: (emails_of_users[user.id], user.tz) for user in self.user_id}
        people = {
            partner.id: (emails_of_partners[partner.id], partner.name or "")
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
                email, name = people.get(attendee.partner_id.id, (None, ""))
                if email:
                    attendees.append(
                        {"email": email, "name": name, "status": attendee.state or "needsAction"}
                    )
            # Google's guests the sync made no contact of are still the
            # event's: left out here, Odoo would remove them from Google.
            attendees += event._google_left_out()
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
                "privacy": event._google_privacy(),
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

    def _google_left_out(self):
        """The guests Google lists that the sync made no contact of (neutral attendees)."""
        self.ensure_one()
        return json.loads(self.google_guests_left_out) if self.google_guests_left_out else []

    def _google_privacy(self):
        """The privacy as Google holds it (neutral: "" for the calendar's default).

        The privacy the sync chose itself for an invitation from outside Odoo
        (``google_defaulted_privacy``) is Google's default: the user is only a
        guest there, and Google would refuse it as an edit of someone else's
        event, told in the chatter and never settled.
        """
        self.ensure_one()
        if self.privacy and self.privacy == self.google_defaulted_privacy:
            return ""
        return self.privacy or ""

    # ------------------------------------------------------------------
    # Neutral values -> Odoo values
    # ------------------------------------------------------------------

    @api.model
    def _google_confirmed_people(self, values_list):
        """``google.calendar.account._confirmed_people`` of every organizer and
        attendee of ``values_list``, in one query for both resolutions."""
        emails = {values.get("organizer") for values in values_list} | {
            attendee["email"] for values in values_list for attendee in values.get("attendees", ())
        }
        return self.env["google.calendar.account"]._confirmed_people(sorted(emails - {"", None}))

    @api.model
    def _google_resolve_partners(self, values_list, confirmed, kept_out=None):
        """{normalized e-mail: partner} for the attendees of ``values_list``.

        An address is a user's partner only when it is the Google address that
        user connected (``google.calendar.account._confirmed_people``); else
        the oldest active contact with that e-mail that is no user's partner
        (a user's partner carries the e-mail the user chose); else a new
        contact, tagged, as long as the sync's budget of new contacts lasts.
        The addresses beyond it are missing from the answer: the callers keep
        those guests aside (``google_guests_left_out``), on Google only.
        ``kept_out`` (a set per values) names the guests an event left out
        before: no contact is created for them later, or an invitation's
        flood would come in by the budget's worth each time it changes.
        ``confirmed`` is ``_google_confirmed_people`` of (at least) these
        values. One query, and one batch create.
        """
        names = {}
        for values in values_list:
            for attendee in values.get("attendees", ()):
                names.setdefault(attendee["email"], attendee.get("name") or "")
        emails = [email for email in names if email]
        if not emails:
            return {}
        Partner = self.env["res.partner"].sudo()
        by_email = {
            email: Partner.browse(confirmed[email][1]) for email in emails if email in confirmed
        }
        unmatched = [email for email in emails if email not in by_email]
        if unmatched:
            contacts = Partner.with_context(active_test=False).search(
                [
                    ("email_normalized", "in", unmatched),
                    ("active", "=", True),
                    # Archived users too: their partners are theirs all the same.
                    ("user_ids", "=", False),
                ],
                order="id",
            )
            for contact in contacts:
                by_email.setdefault(contact.email_normalized, contact)
        missing_by_event = [
            [
                a["email"]
                for a in values.get("attendees", ())
                if a["email"] not in by_email and a["email"] not in excluded
            ]
            for values, excluded in zip(
                values_list, kept_out or [()] * len(values_list), strict=True
            )
        ]
        missing_by_event = [missing for missing in missing_by_event if missing]
        if not missing_by_event:
            return by_email
        budget = self._google_contact_budget()
        chosen = budget.take(missing_by_event)
        if chosen:
            tag_id = self.env["ir.model.data"]._xmlid_to_res_id(
                "google_calendar_sync.partner_category_google_contact", raise_if_not_found=False
            )
            # No "contact created" note on each: the sync creates them in bulk.
            created = Partner.with_context(mail_create_nolog=True).create(
                [
                    {
                        "name": names[email] or email,
                        "email": email,
                        "category_id": [Command.link(tag_id)] if tag_id else [],
                    }
                    for email in chosen
                ]
            )
            # Their (empty) meetings are in the cache: left there, Odoo would
            # update that list for every event these partners attend below.
            created.invalidate_recordset(["meeting_ids"])
            by_email.update(zip(chosen, created, strict=True))
        left_out = {email for missing in missing_by_event for email in missing} - set(chosen)
        if left_out:
            self._google_tell_contacts_ran_short(budget, len(left_out))
        return by_email

    @api.model
    def _google_contact_budget(self):
        """The sync's budget of new contacts (its limit read on first need), or a
        budget of this call's own outside a sync."""
        budget = self.env.context.get(CONTACT_BUDGET) or ContactBudget()
        if budget.limit is None:
            value = self.env["ir.config_parameter"].sudo().get_param(MAX_NEW_CONTACTS_PARAM)
            try:
                budget.limit = max(0, int(value)) if value else DEFAULT_MAX_NEW_CONTACTS
            except ValueError:
                _logger.warning("%s is not a number: %r", MAX_NEW_CONTACTS_PARAM, value)
                budget.limit = DEFAULT_MAX_NEW_CONTACTS
        return budget

    @api.model
    def _google_tell_contacts_ran_short(self, budget, count):
        _logger.warning(
            "Google Calendar sync: %s guest address(es) not imported, the limit of %s new "
            "contacts per synchronization is reached",
            count,
            budget.limit,
        )
        if budget.told or budget.messages is None:
            return
        budget.told = True
        budget.messages.append(
            self.env._(
                "Some guests were not imported into Odoo: one synchronization creates at most "
                "%(limit)s new contacts. They remain guests on Google; each meeting concerned "
                "says so in its chatter.",
                limit=budget.limit,
            )
        )

    @api.model
    def _google_split_guests(self, attendees, partners):
        """``(imported, left_out)`` of neutral ``attendees``: ``(partner,
        attendee)`` pairs of those ``partners`` resolved, and the attendees
        that got no partner."""
        imported, left_out = [], []
        for attendee in attendees:
            partner = partners.get(attendee["email"])
            if partner:
                imported.append((partner, attendee))
            else:
                left_out.append(attendee)
        return imported, left_out

    def _google_note_guests_left_out(self):
        """Tell, in the chatter, that these events left guests out: once per
        event, and once for the occurrences of one series."""
        limit = self._google_contact_budget().limit
        told_series = set()
        for event in self:
            series = event.recurrence_id.id
            if series and series in told_series:
                continue
            told_series.add(series)
            left_out = [attendee["email"] for attendee in event._google_left_out()]
            shown = ", ".join(left_out[:_LEFT_OUT_SHOWN])
            if len(left_out) > _LEFT_OUT_SHOWN:
                shown += ", …"
            event._google_post_note(
                self.env._(
                    "%(count)s guests of this meeting on Google were not imported into Odoo: one "
                    "synchronization creates at most %(limit)s new contacts, and no contact is "
                    "created for them later. They remain guests on Google, and the "
                    "synchronization does not remove them: %(emails)s",
                    count=len(left_out),
                    limit=limit,
                    emails=shown,
                )
            )

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
    def _google_resolve_organizers(self, values_list, confirmed):
        """{normalized e-mail: res.users} for the organizers that are Odoo users:
        by the Google address a user connected only (see ``_google_resolve_partners``)."""
        Users = self.env["res.users"].sudo()
        return {
            values["organizer"]: Users.browse(confirmed[values["organizer"]][0])
            for values in values_list
            if values.get("organizer") in confirmed
        }

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
    def _google_scalar_vals(self, values, organizers, alarms, account=None):
        """Odoo values of the neutral ``values`` but the guests; ``account`` is
        the calendar the event comes from (a ``google.calendar.account``)."""
        timezone = values.get("timezone") or ""
        organizer = organizers.get(values.get("organizer"))
        return {
            "name": values["name"] or _UNTITLED,
            "description": values["description"] or False,
            "location": values["location"] or False,
            **self._google_privacy_vals(values["privacy"], organizer, account),
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
    def _google_privacy_vals(self, privacy, organizer, account):
        """``privacy`` and ``google_defaulted_privacy`` for Google's neutral ``privacy``.

        Google's default ("") on an invitation whose organizer is no Odoo user
        becomes the default privacy of the user whose calendar it came from:
        Odoo would otherwise show a stranger's invitation to that user to
        every colleague (no organizer, no default to apply). That choice is
        Odoo's alone: remembered, it reads back as Google's default
        (``_google_privacy``), so the guest never sends it to the organizer.
        """
        if privacy or organizer or not account:
            return {"privacy": privacy or False, "google_defaulted_privacy": False}
        chosen = account.sudo().user_id.calendar_default_privacy or False
        return {"privacy": chosen, "google_defaulted_privacy": chosen}

    @api.model
    def _google_accounts(self, account_ids):
        """{id: google.calendar.account} of ``account_ids``, read together when needed."""
        accounts = self.env["google.calendar.account"].sudo().browse(set(account_ids) - {False})
        return {account.id: account for account in accounts}

    @api.model
    def _google_create_from_values(self, items):
        """Create one Odoo event per ``(neutral values, extra vals)`` in one batch."""
        values_list = [values for values, _extra in items]
        confirmed = self._google_confirmed_people(values_list)
        partners = self._google_resolve_partners(values_list, confirmed)
        alarms = self._google_resolve_alarms(values_list)
        organizers = self._google_resolve_organizers(values_list, confirmed)
        accounts = self._google_accounts(extra.get("google_account_id") for _v, extra in items)
        vals_list = []
        for values, extra in items:
            imported, left_out = self._google_split_guests(values["attendees"], partners)
            scalar = self._google_scalar_vals(
                values, organizers, alarms, accounts.get(extra.get("google_account_id"))
            )
            vals_list.append(
                {
                    **scalar,
                    # Stored computed fields given their value now, as their
                    # computes would: Odoo otherwise computes them after the
                    # insert and updates every row again (a fifth of an import).
                    "duration": self._get_duration(scalar["start"], scalar["stop"]),
                    "partner_ids": [Command.set([partner.id for partner, _a in imported])],
                    "attendee_ids": [
                        Command.create(
                            {
                                "partner_id": partner.id,
                                "state": attendee["status"],
                                "common_name": partner.name or partner.email,
                            }
                        )
                        for partner, attendee in imported
                    ],
                    "google_guests_left_out": _dumps_guests(left_out),
                    **extra,
                }
            )
        # Odoo's create schedules the reminders while gathering the events one
        # union at a time, quadratic in a bulk import: they are scheduled here.
        events = self._google_quiet().with_context(dont_notify=True).create(vals_list)
        events.filtered(lambda event: not event.allday and event.alarm_ids)._google_setup_alarms()
        events.filtered("google_guests_left_out")._google_note_guests_left_out()
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
        address_book = self._google_address_book()
        current = self._google_neutral_values(address_book)
        confirmed = self._google_confirmed_people(values_list)
        # Guests are looked up only where the guest list changed: an event
        # whose guests are as Odoo holds them creates no contact.
        guests_changed = self.filtered(
            lambda event: current[event.id]["attendees"] != values_by_event[event.id]["attendees"]
        )
        partners = self._google_resolve_partners(
            [values_by_event[event.id] for event in guests_changed],
            confirmed,
            [{guest["email"] for guest in event._google_left_out()} for event in guests_changed],
        )
        alarms = self._google_resolve_alarms(values_list)
        organizers = self._google_resolve_organizers(values_list, confirmed)
        accounts = self._google_accounts(
            extra_by_event.get(event.id, {}).get("google_account_id") or event.google_account_id.id
            for event in self
        )
        emails_of_partners = dict(address_book[1])
        emails_of_partners.update((partner.id, email) for email, partner in partners.items())
        newly_left_out = self.browse()
        for event in self._google_quiet():
            values = values_by_event[event.id]
            before = current[event.id]
            extra = extra_by_event.get(event.id, {})
            account = accounts.get(extra.get("google_account_id") or event.google_account_id.id)
            scalar = self._google_scalar_vals(values, organizers, alarms, account)
            vals = dict(extra)
            for key in diff_fields(before, values):
                vals.update({name: scalar[name] for name in _ODOO_FIELDS_BY_KEY.get(key, ())})
            attendees_changed = before["attendees"] != values["attendees"]
            if attendees_changed:
                imported, left_out = self._google_split_guests(values["attendees"], partners)
                vals["partner_ids"] = [Command.set([partner.id for partner, _a in imported])]
                vals["google_guests_left_out"] = _dumps_guests(left_out)
                if left_out and not event.google_guests_left_out:
                    newly_left_out |= event
            if vals:
                event.write(vals)
            # Odoo resets the organizer's answer when someone else moves the
            # event (the sync is someone else); Google's answers stand.
            if attendees_changed or "start" in vals:
                event._google_set_attendee_states(emails_of_partners, values["attendees"])
        newly_left_out._google_note_guests_left_out()

    def _google_set_attendee_states(self, emails_of_partners, attendees):
        """Give each attendee the answer Google lists for its address
        (``emails_of_partners``: {partner id: address Google knows it by})."""
        self.ensure_one()
        status_by_email = {attendee["email"]: attendee["status"] for attendee in attendees}
        by_status = {}
        for attendee in self.attendee_ids:
            status = status_by_email.get(emails_of_partners.get(attendee.partner_id.id))
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
