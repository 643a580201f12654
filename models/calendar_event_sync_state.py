"""What a meeting shows of its synchronization: its state (synced, pending,
error with the reason, not synced and why), the "Synchronize now" button, and
the notes the sync posts in its chatter (as OdooBot, in the user's words)."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..engine.ownership import SYNCING_STATES
from ..engine.reconcile import describe
from .calendar_event import FROM_GOOGLE
from .google_calendar_sync_history import SYNC_TRIGGER

# The Odoo field whose label names a neutral key in a conflict note.
_FIELD_OF_KEY = {
    "name": "name",
    "description": "description",
    "location": "location",
    "allday": "allday",
    "start": "start",
    "stop": "stop",
    "timezone": "google_timezone",
    "attendees": "partner_ids",
    "organizer": "user_id",
    "alarms": "alarm_ids",
    "privacy": "privacy",
    "show_as": "show_as",
    "videocall": "videocall_location",
    "recurrence": "rrule",
}


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # The sync's own words, which may name the meeting and quote Google: like
    # the other technical google_* fields, for administrators only. Users read
    # it as google_sync_reason, hidden for someone else's private meeting.
    google_sync_error = fields.Text(
        "Google Synchronization Error",
        copy=False,
        readonly=True,
        groups="base.group_system",
        help="Why the last synchronization could not send or take this meeting; cleared "
        "once it is in step with Google.",
    )
    google_sync_state = fields.Selection(
        [
            ("synced", "Synced with Google"),
            ("pending", "Waiting to be sent to Google"),
            ("error", "Synchronization error"),
            ("not_synced", "Not synced with Google"),
        ],
        "Google Calendar",
        compute="_compute_google_sync_state",
        groups="base.group_user",
    )
    google_sync_reason = fields.Char(
        "Google Sync Details", compute="_compute_google_sync_state", groups="base.group_user"
    )
    google_rule_start = fields.Datetime(
        "Start in Its Series",
        copy=False,
        readonly=True,
        help="Where the series' rule put this occurrence before it was moved on its own, "
        "before the series reached Google: Odoo keeps no trace of it, and the sync "
        "needs it to tell which Google instance the occurrence is.",
    )

    @api.depends_context("uid")
    @api.depends("google_sync_error", "google_push_pending", "user_id", "recurrence_id")
    def _compute_google_sync_state(self):
        Account = self.env["google.calendar.account"].sudo()
        config = Account._get_google_config()
        organizer_accounts = self._google_syncing_accounts(self.sudo().user_id.ids)
        stored = self._google_stored_sync_columns()
        for event in self:
            record = event.sudo()
            series = record.recurrence_id
            error, pending, on_google = stored.get(event.id, (False, False, False))
            pending = pending or series.google_push_pending
            on_google = on_google or series.google_etag
            state, reason = "not_synced", ""
            if error:
                state, reason = "error", error
            elif not Account._is_configured():
                reason = self.env._("Google Calendar synchronization is not set up.")
            elif config["paused"]:
                reason = self.env._("An administrator paused the Google Calendar synchronization.")
            elif pending:
                state = "pending"
                reason = self.env._(
                    "Changes made in Odoo are sent to Google at the next synchronization, "
                    "within minutes."
                )
            elif on_google:
                state = "synced"
            elif not record.user_id:
                reason = self.env._("It has no organizer in Odoo.")
            elif record.user_id.id not in organizer_accounts:
                reason = self.env._(
                    "Its organizer, %(name)s, does not synchronize with Google Calendar.",
                    name=record.user_id.name,
                )
            else:
                reason = self.env._(
                    "It is outside the synchronized period, or its organizer's calendar has "
                    "not synchronized since it was created."
                )
            if reason and not self.env.su and event._check_private_event_conditions():
                # Someone else's private meeting: its error may quote its title.
                reason = ""
            event.google_sync_state = state
            event.google_sync_reason = reason

    def _google_stored_sync_columns(self):
        """``{id: (error, push pending, on Google)}`` as stored. Read in SQL: for
        someone else's private meeting, Odoo's masking has put False in the
        cache for these fields (sudo reads the same cache)."""
        ids = [event_id for event_id in self.ids if event_id]
        if not ids:
            return {}
        self.browse(ids).flush_recordset(
            ["google_sync_error", "google_push_pending", "google_etag"]
        )
        self.env.cr.execute(
            SQL(
                "SELECT id, google_sync_error, google_push_pending, google_etag IS NOT NULL "
                "FROM calendar_event WHERE id IN %s",
                tuple(ids),
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def write(self, vals):
        # In step with Google again (the sync stores Google's version of it):
        # the error of an earlier attempt is over.
        if self.env.context.get(FROM_GOOGLE) and vals.get("google_etag"):
            vals = {"google_sync_error": False, **vals}
        rule_starts = self._google_rule_starts_before(vals)
        result = super().write(vals)
        for event in self.browse(rule_starts).filtered(lambda e: not e.follow_recurrence):
            event.sudo().google_rule_start = rule_starts[event.id]
        return result

    def _google_rule_starts_before(self, vals):
        """{event id: start} of the occurrences this write may move out of their
        rule (an occurrence synced once also knows it from its instance id)."""
        if self.env.context.get(FROM_GOOGLE) or not {"start", "start_date"} & set(vals):
            return {}
        return {
            event.id: event.start
            for event in self
            if event.recurrence_id and event.follow_recurrence and not event.google_rule_start
        }

    def _google_store_agreed(self):
        result = super()._google_store_agreed()
        self.filtered("google_sync_error").with_context(**{FROM_GOOGLE: True}).write(
            {"google_sync_error": False}
        )
        return result

    def _google_set_sync_error(self, message):
        """Remember why the sync could not send or take these events."""
        self.exists().with_context(**{FROM_GOOGLE: True}).write({"google_sync_error": message})

    # -- notes --------------------------------------------------------------------

    def _google_post_note(self, message):
        """An internal note in the event's chatter (nobody is e-mailed), posted by
        OdooBot: the sync wrote it, not the user it runs for."""
        author = self.env.ref("base.partner_root")
        for event in self:
            event.with_context(mail_notrack=True).message_post(
                body=message,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
                author_id=author.id,
            )

    def _google_conflict_note(self, lost, user, series=False):
        """``(html, text)``: the note telling ``user``, in their language, which
        values a conflict replaced (``lost``: ``engine.reconcile.LostValue``)."""
        env = self.with_context(lang=user.lang or self.env.lang).env
        if series:
            intro = env._(
                "This series was changed both in Odoo and on Google since the last "
                "synchronization: the most recent change was kept."
            )
        else:
            intro = env._(
                "This meeting was changed both in Odoo and on Google since the last "
                "synchronization: the most recent change was kept."
            )
        lines = []
        for value in lost:
            name = _FIELD_OF_KEY.get(value.field)
            field = self._fields.get(name) if name else None
            label = field._description_string(env) if field else value.field
            if value.lost_side == "odoo":
                line = env._(
                    "%(field)s: “%(lost)s”, changed in Odoo, was replaced by “%(kept)s” "
                    "from Google.",
                    field=label,
                    lost=describe(value.lost),
                    kept=describe(value.kept),
                )
            else:
                line = env._(
                    "%(field)s: “%(lost)s”, changed on Google, was replaced by “%(kept)s” "
                    "from Odoo.",
                    field=label,
                    lost=describe(value.lost),
                    kept=describe(value.kept),
                )
            lines.append(line)
        html = Markup("<p>%s</p><ul>%s</ul>") % (
            intro,
            Markup().join(Markup("<li>%s</li>") % line for line in lines),
        )
        return html, " ".join([intro, *lines])

    # -- Synchronize now ------------------------------------------------------------

    def action_google_sync_now(self):
        """Send this meeting to Google now: the user's own calendar syncs at once;
        a meeting another user's calendar keeps is pushed through it."""
        self.ensure_one()
        if not self.user_can_edit:
            raise AccessError(self.env._("Only those who may edit this meeting can send it."))
        self.check_access("write")
        Account = self.env["google.calendar.account"]
        config = Account._get_google_config()
        if not Account._is_configured() or config["paused"]:
            return self._google_notify(self.google_sync_reason, "warning")
        record = self.sudo()
        keeper = record.google_account_id or record.recurrence_id.google_account_id
        if not keeper and record.user_id:
            keeper = Account.sudo().search(
                [("user_id", "=", record.user_id.id), ("state", "in", SYNCING_STATES)], limit=1
            )
        if keeper and keeper.user_id != self.env.user:
            if keeper.state != "connected":
                return self._google_notify(
                    self.env._(
                        "This meeting is synchronized through the calendar of %(name)s, whose "
                        "synchronization is stopped or failing.",
                        name=keeper.user_id.name,
                    ),
                    "warning",
                )
            self.env["google.calendar.synchronizer"]._schedule_push(account_ids={keeper.id})
            return self._google_notify(
                self.env._(
                    "Sent to Google through the calendar of %(name)s, which keeps it.",
                    name=keeper.user_id.name,
                ),
                "info",
            )
        account = Account._for_user(self.env.user)
        if account.state != "connected":
            return self._google_notify(
                self.env._(
                    "Your Google Calendar is not connected or its synchronization is stopped: "
                    "use the Google button in Calendar first."
                ),
                "warning",
            )
        answer = account.with_context(**{SYNC_TRIGGER: "meeting"})._run_sync()
        kind = {"synced": "success", "error": "danger"}.get(answer["status"], "warning")
        return self._google_notify(
            answer.get("summary") or answer.get("message") or "", kind, sticky=kind == "danger"
        )

    def _google_notify(self, message, kind, sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Google Calendar"),
                "message": message,
                "type": kind,
                "sticky": sticky,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
