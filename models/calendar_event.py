"""Google sync state of a calendar event, the hooks that mark it dirty, and the
two conversions between an Odoo event and the neutral event values.

The sync itself (pull, push, reconcile) lives in ``sync/`` (run by
``google.calendar.synchronizer``); this file only knows one record's side of
the contract.
"""

import json
import logging

from odoo import api, fields, models
from odoo.tools import email_normalize, is_html_empty, ormcache

from ..engine import ownership
from ..engine.mapping import (
    InvalidEvent,
    has_markup,
    is_plain_text,
    normalize_values,
    plain_text_paragraph,
    without_lone_organizer,
)
from ..engine.ownership import SYNCING_STATES
from ..engine.references import References, new_google_id
from ..sync import guests, people

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

# Set while Odoo rewrites a series into a new recurrence record ("all events" with a
# new time or rule): the old record's Google series passes to the new one.
KEEP_SERIES = "google_calendar_sync_keep_series"
_GOOGLE_STATE_FIELDS = (
    "google_id",
    "google_etag",
    "google_account_id",
    "google_agreed_values",
    "google_cancelled_starts",
    "google_unanswered_id",
    "google_kept_for_organizer",
)


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
        "that an insert sent again after a lost answer is recognised, not made twice.",
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
    google_unanswered_id = fields.Char(
        "Google ID of an Unanswered Insert",
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Google id of an insert that got no readable answer (none, or a server "
        "error): Google may hold the event. The next push looks it up before any insert.",
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
            syncing_user_ids = self._google_syncing_accounts(
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
            # Occurrences through their series; an unsynced organizer's, a guest's.
            (events - to_sync)._google_mark_dirty()
        return events

    def write(self, vals):
        # An occurrence taken out of its series changes that series on Google.
        detached_from = (
            self.recurrence_id if "recurrence_id" in vals else self.env["calendar.recurrence"]
        )
        result = super().write(vals)
        if not self.env.context.get(FROM_GOOGLE):
            if SYNCED_FIELDS.intersection(vals):
                self._google_mark_dirty()
            detached_from._google_mark_dirty()
        return result

    def unlink(self):
        recurrences = self.recurrence_id
        if not self.env.context.get(FROM_GOOGLE):
            self._google_queue_deletions()
            recurrences._google_queue_emptied(self)
        result = super().unlink()
        if not self.env.context.get(FROM_GOOGLE):
            # A deleted occurrence becomes an EXDATE of the master.
            recurrences.exists()._google_mark_dirty()
        return result

    def _rewrite_recurrence(self, values, time_values, recurrence_values):
        """Odoo replaces the recurrence record on an "all events" change of time or
        rule; on Google it stays the same series, so its identity moves over."""
        old = self.recurrence_id.sudo()
        base_event = old.base_event_id or old._get_first_event(include_outliers=False)
        state = {name: old[name] for name in _GOOGLE_STATE_FIELDS}
        state["google_account_id"] = old.google_account_id.id
        if not state["google_id"] and old.google_push_pending:
            # Its insert may be on Google already (its answer lost with its
            # transaction), under the id it is inserted under: that id moves over.
            state["google_id"] = old._google_next_id()
        result = super(CalendarEvent, self.with_context(**{KEEP_SERIES: True}))._rewrite_recurrence(
            values, time_values, recurrence_values
        )
        new = base_event.recurrence_id.sudo()
        if old.exists() or not new or not state["google_id"] or new.google_id:
            return result
        # The occurrences Odoo made anew hold no instance id yet: until the push
        # names them, they are where the rule puts them.
        new.with_context(**{FROM_GOOGLE: True}).write({**state, "google_push_pending": False})
        new._google_mark_dirty()
        return result

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

    def _google_mark_dirty(self):
        """Flag the events whose synced fields changed; no Google call here.

        An event that has no Google id yet gets one now, in the transaction of
        the change, so that it is stored before any insert is attempted.
        """
        # Occurrences are synced through their series: the series is marked.
        occurrences = self.filtered("recurrence_id")
        occurrences.recurrence_id._google_mark_dirty()
        # The sync state is the sync's own, whoever made the change.
        candidates = (
            (self - occurrences)
            .sudo()
            .filtered(lambda event: not event.recurrency and not event.google_push_pending)
        )
        without_id = candidates.filtered(lambda event: not event.google_id)
        if without_id:
            syncing_user_ids = self._google_syncing_accounts(without_id.user_id.ids)
            out_of_scope = guests.keep_in_guest_calendars(
                without_id.filtered(lambda event: event.user_id.id not in syncing_user_ids)
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
                        "calendar_google_id": event._google_calendar_gid(),
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

    # ------------------------------------------------------------------
    # Odoo record -> neutral values
    # ------------------------------------------------------------------

    def _google_address_book(self):
        """``({user id: e-mail}, {partner id: e-mail})``: the address Google
        knows each organizer and attendee of these events by.

        A user's connected Google address when there is one, as the pull
        matches people by it (``sync.odoo_writer.resolve_partners``): read with the
        Odoo e-mail instead, every guest list would differ from Google's.
        """
        users, partners = self.user_id, self.attendee_ids.partner_id
        by_user, by_partner = people.confirmed_addresses(self.env, users.ids, partners.ids)
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
        if not self.google_agreed_values:
            return None
        # Agreed before an organizer alone stopped counting as a guest list.
        return without_lone_organizer(json.loads(self.google_agreed_values))

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
    # Google's values in the form Odoo holds them
    # ------------------------------------------------------------------

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
        if not has_markup(description):
            # Plain text: read as HTML, its line breaks would be lost.
            paragraph = plain_text_paragraph(description)
            if is_plain_text(description):
                # What the sanitizer keeps of it, without parsing it: a tenth
                # of a large import (tests compare this with the sanitizer).
                return paragraph
            description = paragraph
        held = self._fields["description"].convert_to_cache(description, self)
        return "" if is_html_empty(held) else str(held)

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
        setting allows it, the calendar it lives in has synced once (the first
        sync sends nothing) and is its organizer's (a guest's tells nobody)."""
        self.ensure_one()
        setting = (
            self.env["ir.config_parameter"]
            .sudo()
            ._google_param("google_calendar_sync.send_updates", "all")
        )
        if setting == "none":
            return False
        account = self.sudo().google_account_id or self.env[
            "google.calendar.account"
        ].sudo().search([("user_id", "=", self.user_id.id)], limit=1)
        return bool(account.last_sync) and account.user_id == (self.user_id or account.user_id)
