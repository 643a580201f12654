"""The scheduled synchronization: every connected account, in bounded runs
shared by as many scheduled actions (and so Odoo processes) as configured.

Odoo runs one scheduled action in one process at a time (its row is locked
while it runs), so the work is shared by ``cron_jobs`` copies of the sync
action: each goes down the same list of accounts, least recently synced
first, and takes an account only under its sync lock (a transaction-scoped
advisory lock, released by PostgreSQL when the process dies), so that no
account is synced by two processes at once. An account synced less than half
an interval ago, by any of them or by the Google button, is not due: no
account is synced twice in one cycle, except to go on with a sync that
stopped at its budget (``sync_resume``).

A run stops at its budget (``cron_run_seconds``) and reports the accounts
left through Odoo's cron progress API, which runs the action again as soon
as the other scheduled actions had their turn.
"""

import logging
import time

from odoo import api, fields, models
from odoo.addons.base.models.ir_cron import MIN_TIME_PER_JOB, _intervalTypes
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

# Time budget of one account's sync in a cron run (system parameter
# cron_seconds): past it, the account's sync stops between two pages of
# Google's listing or two batches of its push, and the next run goes on.
CRON_SECONDS = 60
# Time budget of one run of a sync action over all accounts (system parameter
# cron_run_seconds): well under Odoo's usual limit_time_real_cron (120 s).
CRON_RUN_SECONDS = 90
# The cron progress is committed at most this often (the accounts' own work
# is committed as it is done, each in its own transaction).
PROGRESS_EVERY = 1.0
MAIN_CRON = "google_calendar_sync.ir_cron_sync"
# The xml ids of the further sync actions: ir_cron_sync_2, ir_cron_sync_3, ...
EXTRA_CRON = "ir_cron_sync_%d"
MAX_CRON_JOBS = 32


class GoogleCalendarAccount(models.Model):
    _inherit = "google.calendar.account"

    @api.model
    def _cron_sync(self):
        """Synchronize the connected accounts that are due, each in its own
        transactions, until this run's budget is spent.

        One account failing, even with an unexpected error, never stops the
        others: its transaction is rolled back and its error recorded.
        """
        if self._get_google_config()["paused"] or not self._is_configured():
            return
        context = self.env.context
        in_cron = bool(context.get("cron_id"))
        main = self.env.ref(MAIN_CRON, raise_if_not_found=False)
        if in_cron and main and context["cron_id"] == main.id:
            # The main action alone makes and removes the copies.
            self._apply_cron_jobs()
        # Odoo calls the action again while it reports work left (at least
        # ten times, and for MIN_TIME_PER_JOB seconds): the budget is that
        # of the whole run, which started MIN_TIME_PER_JOB before its end.
        run_started = context.get("cron_end_time", time.monotonic() + MIN_TIME_PER_JOB)
        run_started -= MIN_TIME_PER_JOB
        # At least a second, so that a run always syncs something.
        run_seconds = max(self._seconds_param("cron_run_seconds", CRON_RUN_SECONDS), 1.0)
        run_deadline = run_started + run_seconds
        account_seconds = self._seconds_param("cron_seconds", CRON_SECONDS)
        due_before = self._due_before(in_cron)
        account_ids = self._due_account_ids(due_before)

        def progress(processed, remaining, stopping=False):
            # Commits the run's progress; Odoo runs the action again soon
            # while ``remaining`` is not 0. Called directly, nothing to tell.
            if not in_cron:
                return
            if stopping and remaining:
                # Odoo's "again soon" waits for the cron threads' next poll
                # (up to a minute); a trigger for now wakes them (NOTIFY).
                self.env["ir.cron"].browse(context["cron_id"])._trigger()
            self.env["ir.cron"]._commit_progress(processed, remaining=remaining)

        processed, continuing, progress_at = 0, 0, time.monotonic()
        for index, account_id in enumerate(account_ids):
            now = time.monotonic()
            if now >= run_deadline:
                # The rest in the next run: the budget is spent.
                progress(processed, len(account_ids) - index + continuing, stopping=True)
                return
            seconds = max(min(account_seconds, run_deadline - now), 0.0)
            if self._cron_sync_one(account_id, due_before, seconds):
                continuing += 1
            else:
                processed += 1
            if time.monotonic() - progress_at >= PROGRESS_EVERY:
                progress(processed, len(account_ids) - index - 1 + continuing)
                processed, progress_at = 0, time.monotonic()
        # Accounts whose sync stopped at their own budget are work left: Odoo
        # runs the action again for them.
        progress(processed, continuing, stopping=True)

    @api.model
    def _due_before(self, in_cron):
        """Accounts synced since this moment are not due. Called directly,
        since now; in a scheduled run, since half the action's interval, so
        that the runs of a cycle (a run left work, the next goes on; several
        actions share the accounts) sync each account once."""
        now = fields.Datetime.now()
        if not in_cron:
            return now
        cron = self.env["ir.cron"].sudo().browse(self.env.context["cron_id"])
        interval = (now + _intervalTypes[cron.interval_type](cron.interval_number)) - now
        return now - interval / 2

    @api.model
    def _due_account_ids(self, due_before):
        """The ids of the accounts to sync, least recently synced first, so
        that no account waits behind the others."""
        return (
            self.sudo()
            .search(
                [
                    ("state", "in", ("connected", "error")),
                    ("user_may_sync", "=", True),
                    "|",
                    "|",
                    ("last_sync", "=", False),
                    ("last_sync", "<=", due_before),
                    ("sync_resume", "=", True),
                ],
                order="last_sync ASC NULLS FIRST, id",
            )
            .ids
        )

    @api.model
    def _cron_sync_one(self, account_id, due_before, seconds):
        """Sync one account in its own transactions (committed page by page
        and batch by batch); whether it is left to continue.

        The account's lock is taken for the session (released at the end, or
        by PostgreSQL when the process dies), then the transaction that took
        it is ended: the next one's snapshot, taken after the lock, holds
        what a process that has just finished the account committed (a
        snapshot taken with the lock may predate that commit by a moment)."""
        with self.env.registry.cursor() as cr:
            account = self.with_env(self.env(cr=cr, su=True)).browse(account_id)
            Synchronizer = account.env["google.calendar.synchronizer"]
            if not Synchronizer._try_lock(account, session=True):
                return False  # another process is syncing it
            try:
                cr.commit()  # pylint: disable=invalid-commit
                return self._cron_sync_locked(account, due_before, seconds)
            finally:
                cr.rollback()  # what a dying sync left uncommitted
                Synchronizer._unlock(account)
                cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _cron_sync_locked(self, account, due_before, seconds):
        """``_cron_sync_one`` under the account's lock."""
        cr = account.env.cr
        if account.last_sync and account.last_sync > due_before and not account.sync_resume:
            return False  # another process synced it since this cycle started
        try:
            answer = account._run_sync(seconds, commit_steps=True)
            cr.commit()  # pylint: disable=invalid-commit
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # A concurrent transaction changed the same rows: nothing is
            # wrong with the account, the next run syncs it.
            _logger.info("Google Calendar sync of account %s met a concurrent update", account.id)
            cr.rollback()
            return False
        except Exception:
            _logger.exception("Google Calendar sync failed for account %s", account.id)
            cr.rollback()
            account.write(
                {
                    "state": "error",
                    "last_error": self.env._("Unexpected error during synchronization."),
                }
            )
            cr.commit()  # pylint: disable=invalid-commit
            return False
        return answer.get("status") == "continuing"

    # -- several sync actions ----------------------------------------------------

    @api.model
    def _apply_cron_jobs(self):
        """As many sync actions as the system parameter ``cron_jobs`` says
        (1 by default): the main one, plus copies made or removed here. Each
        runs in whichever Odoo process (worker, server) is free."""
        main = self.env.ref(MAIN_CRON, raise_if_not_found=False)
        if not main:
            return
        wanted = min(self._int_param("cron_jobs", 1), MAX_CRON_JOBS)
        Data = self.env["ir.model.data"].sudo()
        extras = Data.search(
            [
                ("module", "=", "google_calendar_sync"),
                ("model", "=", "ir.cron"),
                ("name", "=like", "ir\\_cron\\_sync\\_%"),
            ]
        )
        numbers = {int(data.name.rsplit("_", 1)[1]): data.res_id for data in extras}
        Cron = self.env["ir.cron"].sudo()
        for number in range(2, wanted + 1):
            if number in numbers:
                continue
            cron = Cron.create(
                {
                    "name": f"{main.name} ({number})",
                    "model_id": main.model_id.id,
                    "state": "code",
                    "code": main.code,
                    "user_id": main.user_id.id,
                    "interval_number": main.interval_number,
                    "interval_type": main.interval_type,
                    "active": main.active,
                }
            )
            # An xml id of the module, so that uninstalling removes the copy;
            # noupdate, so that updating the module keeps it.
            Data._update_xmlids(
                [
                    {
                        "xml_id": "google_calendar_sync." + EXTRA_CRON % number,
                        "record": cron,
                        "noupdate": True,
                    }
                ]
            )
        for number, cron_id in numbers.items():
            if number <= wanted:
                continue
            try:
                with self.env.cr.savepoint():
                    Cron.browse(cron_id).unlink()
            except UserError:
                _logger.info("Google Calendar: sync action %s is running, removed later", number)
