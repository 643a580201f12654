"""What a user sees of a synchronization run: the history row every run
leaves, plain messages for its failures, and the bounded interactive client
(a revoked access: google_calendar_account_connection.py)."""

import time
from datetime import timedelta

from odoo import fields, models

from ..engine.errors import (
    AuthError,
    QuotaExceeded,
    RateLimited,
    TransientError,
)
from ..engine.ratelimit import RetryPolicy
from .google_calendar_sync_history import SYNC_TRIGGER

# When someone waits for the answer, Google gets one more try within a few
# seconds: past that the run stops, keeps everything, and the cron goes on.
INTERACTIVE_RETRY = {"max_attempts": 2, "max_total": 4.0}
INTERACTIVE_TIMEOUT = (3.05, 30.0)
# A run that failed on an unreachable Google is tried again this soon.
RETRY_AFTER_FAILURE = 120


class GoogleCalendarAccount(models.Model):
    _inherit = "google.calendar.account"

    # -- history ---------------------------------------------------------------

    def _run_sync(self, seconds=None, commit_steps=False):
        self.ensure_one()
        start = fields.Datetime.now()
        started = time.monotonic()
        first_sync = not self.last_sync
        answer = super()._run_sync(seconds, commit_steps)
        problems = answer.pop("problems", ())
        if answer.get("skipped") == "running":
            return answer  # another run of the account is under way: it records itself
        trigger = self.env.context.get(SYNC_TRIGGER) or "cron"
        if trigger == "cron" and not first_sync and not problems and _idle(answer):
            # A scheduled run that found nothing to do leaves no row: every
            # user's calendar is visited every few minutes, and such rows
            # would bury the runs that matter (and weigh on the database
            # with many users). The account's last_sync tells when it ran.
            return answer
        Event = self.env["calendar.event"].sudo().with_context(active_test=False)
        history = self.env["google.calendar.sync.history"]._record(
            self.user_id,
            start,
            time.monotonic() - started,
            trigger,
            answer,
            [(kind, message, Event.browse(event_id)) for kind, message, event_id in problems],
        )
        answer["history_id"] = history.id
        if answer.get("status") == "synced":
            answer["summary"] = history._summary()
        return answer

    def _last_run_summary(self):
        """The last run of this account, as the Google button's menu shows it."""
        self.ensure_one()
        run = (
            self.env["google.calendar.sync.history"]
            .sudo()
            .search([("user_id", "=", self.user_id.id)], limit=1)
        )
        if not run:
            return False
        labels = dict(run._fields["status"]._description_selection(self.env))
        # Both times are whole seconds: a second's margin.
        if self.last_sync and self.last_sync > run.start + timedelta(seconds=run.duration + 1):
            # Scheduled runs with nothing to do have run since (they leave no row).
            return {
                "id": False,
                "start": fields.Datetime.to_string(self.last_sync),
                "status": "synced",
                "status_label": labels["synced"],
                "received": 0,
                "sent": 0,
                "conflicts": 0,
                "errors": 0,
            }
        return {
            "id": run.id,
            "start": fields.Datetime.to_string(run.start),
            "status": run.status,
            "status_label": labels[run.status],
            "received": run.received_count,
            "sent": run.sent_count,
            "conflicts": run.conflict_count,
            "errors": run.error_count,
        }

    # -- failures told plainly ------------------------------------------------------

    def _sync_failed(self, exc):
        """A run stopped by Google's error ``exc``: keep it on the account, tell the
        user what happened, that nothing is lost and what to do; the answer."""
        message = self._failure_message(exc)
        self.write({"state": "error", "last_error": message})
        if exc.retryable:
            self._resume_later(RETRY_AFTER_FAILURE)
        return {"status": "error", "message": message}

    def _failure_message(self, exc):
        kept = self.env._(
            "Nothing is lost: your changes stay in Odoo and are sent at the next synchronization."
        )
        if isinstance(exc, TransientError) and not exc.status:
            return self.env._(
                "Google Calendar could not be reached. %(kept)s Odoo tries again by itself in "
                "a few minutes; if this lasts, tell your administrator (the server may have no "
                "access to Google).",
                kept=kept,
            )
        if isinstance(exc, TransientError):
            return self.env._(
                "Google Calendar is temporarily unavailable (error %(status)s on Google's "
                "side). %(kept)s Odoo tries again by itself in a few minutes.",
                status=exc.status,
                kept=kept,
            )
        if isinstance(exc, RateLimited):
            return self.env._(
                "Google asked Odoo to slow down (too many requests). %(kept)s The "
                "synchronization continues by itself in a few minutes.",
                kept=kept,
            )
        if isinstance(exc, QuotaExceeded):
            return self.env._(
                "Google's usage limits for this calendar are exceeded for now. %(kept)s The "
                "synchronization resumes by itself once Google lifts the limit, usually "
                "within a few hours.",
                kept=kept,
            )
        if isinstance(exc, AuthError):
            return self.env._(
                "Google refused the credentials of this Odoo database. %(kept)s An "
                "administrator must check the Client ID and Client Secret in Settings, "
                "Google Calendar.",
                kept=kept,
            )
        return self.env._(
            "Google Calendar refused the synchronization (%(error)s). %(kept)s If this "
            "happens again, tell your administrator.",
            error=exc.message,
            kept=kept,
        )

    def _get_client(self):
        """The client; with a user waiting for the answer, a bounded one: a few
        seconds of retries at most, the cron resumes whatever is left."""
        client = super()._get_client()
        if self.env.context.get(SYNC_TRIGGER):
            client.retry_policy = RetryPolicy(**INTERACTIVE_RETRY)
            client.timeout = INTERACTIVE_TIMEOUT
        return client


def _idle(answer):
    """Whether a run's answer says it synchronized and moved nothing either way."""
    if answer.get("status") != "synced" or answer.get("message") or answer.get("messages"):
        return False
    return not any(value for value in answer.values() if isinstance(value, int))
