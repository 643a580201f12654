"""The sync history: one row per synchronization run (but the scheduled ones
that found nothing to do), kept a configurable number of days, so that a
user (their own runs) and an administrator (every run) can tell which
meeting failed, and why, without the server log."""

from datetime import timedelta

from odoo import api, fields, models

from ..sync.run import PARAM_PREFIX

# Context key: who asked for a run ("button", "meeting"); the cron sets none.
SYNC_TRIGGER = "google_calendar_sync_trigger"
HISTORY_DAYS_PARAM = PARAM_PREFIX + "history_days"
DEFAULT_HISTORY_DAYS = 30
# Runs whose message is cut in the list view.
_MESSAGE_LENGTH = 2000

HISTORY_STATUSES = [
    ("synced", "Synchronized"),
    ("conflict", "Synchronized, with conflicts"),
    ("partial", "Synchronized, with errors"),
    ("deferred", "Continued later"),
    ("held", "Held for an administrator"),
    ("error", "Failed"),
]


class GoogleCalendarSyncHistory(models.Model):
    _name = "google.calendar.sync.history"
    _description = "Google Calendar Synchronization Run"
    _order = "start desc, id desc"
    _rec_name = "start"

    user_id = fields.Many2one(
        "res.users", "User", required=True, readonly=True, index=True, ondelete="cascade"
    )
    start = fields.Datetime(required=True, readonly=True, index=True)
    duration = fields.Float("Duration (s)", readonly=True, digits=(16, 2))
    trigger = fields.Selection(
        [
            ("button", "Google button"),
            ("meeting", "Synchronize now (meeting)"),
            ("cron", "Scheduled"),
        ],
        required=True,
        readonly=True,
        default="cron",
    )
    status = fields.Selection(HISTORY_STATUSES, required=True, readonly=True, index=True)
    message = fields.Text(readonly=True, help="What the user was told about this run.")
    odoo_created = fields.Integer("Created in Odoo", readonly=True)
    odoo_updated = fields.Integer("Updated in Odoo", readonly=True)
    odoo_deleted = fields.Integer("Deleted in Odoo", readonly=True)
    google_created = fields.Integer("Created on Google", readonly=True)
    google_updated = fields.Integer("Updated on Google", readonly=True)
    google_deleted = fields.Integer("Deleted on Google", readonly=True)
    received_count = fields.Integer(
        "From Google", readonly=True, help="Meetings created, updated or deleted in Odoo."
    )
    sent_count = fields.Integer(
        "To Google", readonly=True, help="Meetings created, updated or deleted on Google."
    )
    conflict_count = fields.Integer("Conflicts", readonly=True)
    error_count = fields.Integer("Errors", readonly=True)
    line_ids = fields.One2many(
        "google.calendar.sync.history.line", "history_id", "Details", readonly=True
    )

    @api.model
    def _record(self, user, start, duration, trigger, answer, problems=()):
        """Store one run: ``answer`` is what ``_run_sync`` answered, ``problems``
        the run's ``(kind, message, event)`` (errors and conflicts)."""
        counts = {key: int(answer.get(key) or 0) for key in _COUNT_FIELDS}
        received = counts["odoo_created"] + counts["odoo_updated"] + counts["odoo_deleted"]
        sent = counts["google_created"] + counts["google_updated"] + counts["google_deleted"]
        conflicts = int(answer.get("conflicts") or 0)
        errors = int(answer.get("errors") or 0)
        status = answer.get("status")
        if status == "synced":
            status = "partial" if errors else "conflict" if conflicts else "synced"
        elif status == "continuing":
            status = "deferred"  # stopped at its time budget, the cron goes on
        messages = [answer.get("message"), *(answer.get("messages") or ())]
        message = "\n".join(dict.fromkeys(filter(None, messages)))
        return self.sudo().create(
            {
                "user_id": user.id,
                "start": start,
                "duration": duration,
                "trigger": trigger,
                "status": status if status in dict(HISTORY_STATUSES) else "error",
                "message": message[:_MESSAGE_LENGTH] or False,
                **counts,
                "received_count": received,
                "sent_count": sent,
                "conflict_count": conflicts,
                "error_count": max(errors, status == "error"),
                "line_ids": [
                    fields.Command.create(
                        {
                            "kind": kind,
                            "message": text,
                            "event_id": event.id if event and event.exists() else False,
                            "event_name": event.name if event and event.exists() else False,
                        }
                    )
                    for kind, text, event in problems
                ],
            }
        )

    def _summary(self):
        """What moved each way, and what needs a look, in the user's words."""
        self.ensure_one()
        # In the language of whoever waits for it (the button's request).
        env = self.env
        if self.received_count or self.sent_count:
            parts = [
                env._(
                    "Synchronized: %(received)s change(s) from Google, %(sent)s sent to Google.",
                    received=self.received_count,
                    sent=self.sent_count,
                )
            ]
        else:
            parts = [env._("Synchronized: everything was already up to date.")]
        if self.conflict_count:
            parts.append(
                env._(
                    "%(count)s meeting(s) changed on both sides: the most recent change was "
                    "kept, and the note in the meeting tells which value it replaced.",
                    count=self.conflict_count,
                )
            )
        if self.error_count:
            parts.append(
                env._(
                    "%(count)s meeting(s) could not be synchronized: see the synchronization "
                    "history.",
                    count=self.error_count,
                )
            )
        return " ".join(parts)

    @api.autovacuum
    def _gc_history(self):
        """Forget the runs older than the system parameter says (30 days by default)."""
        value = self.env["ir.config_parameter"].sudo()._google_param(HISTORY_DAYS_PARAM)
        try:
            days = int(value or DEFAULT_HISTORY_DAYS)
        except ValueError:
            days = DEFAULT_HISTORY_DAYS
        if days <= 0:
            return
        limit = fields.Datetime.now() - timedelta(days=days)
        self.sudo().search([("start", "<", limit)]).unlink()


_COUNT_FIELDS = (
    "odoo_created",
    "odoo_updated",
    "odoo_deleted",
    "google_created",
    "google_updated",
    "google_deleted",
)


class GoogleCalendarSyncHistoryLine(models.Model):
    _name = "google.calendar.sync.history.line"
    _description = "Google Calendar Synchronization Problem"
    _order = "id"

    history_id = fields.Many2one(
        "google.calendar.sync.history", required=True, index=True, ondelete="cascade"
    )
    user_id = fields.Many2one(related="history_id.user_id", store=True)
    start = fields.Datetime(related="history_id.start")
    kind = fields.Selection(
        [("error", "Error"), ("conflict", "Conflict")], required=True, readonly=True
    )
    message = fields.Text(readonly=True)
    event_id = fields.Many2one("calendar.event", "Meeting", readonly=True, ondelete="set null")
    event_name = fields.Char("Meeting Title", readonly=True)
