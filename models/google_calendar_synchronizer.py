"""Entry points of the synchronization: one account's sync or push, with its
lock, and the push that follows a commit. The run itself is ``sync.run``."""

import logging
import time
from functools import partial

from odoo import SUPERUSER_ID, api, models
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..sync.run import SyncRun, _empty_counts

_logger = logging.getLogger(__name__)

# Key of the transaction-scoped advisory lock that lets one sync of an account
# run at a time (second key: the account id).
_LOCK_NAMESPACE = 0x6763_7331  # "gcs1"
# Post-commit data key: the accounts and users a transaction's changes concern.
_POSTCOMMIT_KEY = "google_calendar_sync.push_accounts"
# Transactions the push after a commit tries, when a save made during its
# upload refuses its write-back, before leaving the rest to the cron.
_PUSH_ATTEMPTS = 2


class GoogleCalendarSynchronizer(models.AbstractModel):
    _name = "google.calendar.synchronizer"
    _description = "Google Calendar synchronization"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _sync_account(self, account, client, deadline=None, steps=None):
        """Pull then push ``account``'s calendars (the primary one, and the other
        chosen ones once its calendar list is read); past ``deadline``
        (``time.monotonic()``), stop between two pages of Google's listing,
        before the push of a pull that took several pages, or between two
        batches of the push: the answer then says ``continuing`` and the next
        sync goes on from there. ``steps`` (``SyncSteps``): commit after each
        page and each batch.

        Returns the counts of what changed on each side, plus ``messages``:
        the readable errors and notes for the user. When another transaction
        is syncing the same account, returns ``{"skipped": "running"}`` at
        once and sends nothing; ``{"skipped": "deletion_hold"}`` while the
        safety guard holds the account. Raises ``DeletionHeld`` when the pull
        would delete too much (see ``google.calendar.account._run_sync``).
        """
        account = account.sudo()
        if not (steps and steps.locked) and not self._try_lock(account):
            return {"skipped": "running"}
        if account.deletion_hold:
            # Nothing moves either way until an administrator confirms.
            return {"skipped": "deletion_hold", "messages": [account.last_error]}
        started = time.monotonic()
        checkpoint = steps.commit if steps and steps.committing else None
        if not account._google_follows_calendars():
            run = SyncRun(self.env, account, client, checkpoint=checkpoint)
            return self._sync_calendar(run, deadline, started, confirm=True)
        # Several calendars: the list first, then each synchronized calendar
        # with its own listing, in turn; the account's quota is shared.
        account._google_list_calendars(client)
        primary, others = account._google_calendars_to_sync()
        answers = []
        for calendar in [primary or None, *others]:
            run = SyncRun(self.env, account, client, calendar, checkpoint=checkpoint)
            answers.append(self._sync_calendar(run, deadline, started, confirm=False))
            if answers[-1].get("continuing"):
                break
        if account.deletions_confirmed and not answers[-1].get("continuing"):
            account.deletions_confirmed = False
        return _merged(answers)

    def _sync_calendar(self, run, deadline, started, confirm):
        """Pull then push one calendar; ``confirm``: a confirmed mass deletion
        is spent once this pull is through."""
        if not run.pull(deadline):
            run.log(time.monotonic() - started)
            return run.result(continuing=True)
        if confirm and run.account.deletions_confirmed:
            run.account.deletions_confirmed = False
        if deadline is not None and time.monotonic() >= deadline and run.pages_listed > 1:
            # The budget went on a long listing: the next run, whose listing
            # is short, pushes.
            run.log(time.monotonic() - started)
            return run.result(continuing=True)
        done = run.push(deadline)
        run.log(time.monotonic() - started)
        return run.result(continuing=not done)

    @api.model
    def _push_account(self, account, client):
        """Push only (the fast path after a commit); same answer as ``_sync_account``."""
        account = account.sudo()
        if not self._try_lock(account):
            return {"skipped": "running"}
        if account.deletion_hold:
            return {"skipped": "deletion_hold", "messages": [account.last_error]}
        if not account.calendars_listed:
            run = SyncRun(self.env, account, client)
            run.push()
            return run.result()
        primary, others = account._google_calendars_to_sync()
        answers = []
        for calendar in [primary or None, *others]:
            run = SyncRun(self.env, account, client, calendar)
            run.push()
            answers.append(run.result())
        return _merged(answers)

    @api.model
    def _steps(self, account, commit):
        """The transactions of one sync of ``account`` (see ``SyncSteps``)."""
        return SyncSteps(self, account, commit)

    @api.model
    def _try_lock(self, account, session=False):
        """Take the account's sync lock for this transaction (``session``:
        for the connection, until ``_unlock``), without waiting.

        An advisory lock rather than ``SELECT ... FOR UPDATE SKIP LOCKED`` on
        the account row: it skips a concurrent sync the same way, but does
        not make writers of the account row (the Sync button storing
        ``last_sync``, a user stopping the sync, a token refresh) wait for a
        long sync to end. Either kind is released by PostgreSQL when the
        process dies; both kinds taken by one connection do not exclude each
        other.
        """
        function = "pg_try_advisory_lock" if session else "pg_try_advisory_xact_lock"
        self.env.cr.execute(
            SQL("SELECT %s(%s, %s)", SQL.identifier(function), _LOCK_NAMESPACE, account.id)
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _unlock(self, account):
        """Release the account's lock taken with ``_try_lock(session=True)``."""
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, account.id])

    @api.model
    def _schedule_push(self, account_ids=(), user_ids=()):
        """Push the given accounts (or users' accounts) after the current commit."""
        if not (account_ids or user_ids):
            return
        postcommit = self.env.cr.postcommit
        pending = postcommit.data.get(_POSTCOMMIT_KEY)
        if pending is None:
            pending = postcommit.data[_POSTCOMMIT_KEY] = {"accounts": set(), "users": set()}
            postcommit.add(partial(_push_after_commit, self.env.cr.dbname, pending))
        pending["accounts"].update(account_ids)
        pending["users"].update(user_ids)


def _merged(answers):
    """One answer for the runs of an account's calendars: counts added up,
    messages and problems joined, ``continuing`` when the last one stopped."""
    merged = {**_empty_counts(), "messages": [], "problems": []}
    for answer in answers:
        for key, value in answer.items():
            if key in ("messages", "problems"):
                merged[key].extend(value)
            elif key == "continuing":
                merged[key] = value
            else:
                merged[key] = merged.get(key, 0) + value
    return merged


class SyncSteps:
    """The transactions of one sync.

    Without ``commit`` (the Google button, a test): the sync runs in the
    caller's transaction, inside a savepoint that a failure rolls back to,
    under the account's transaction-scoped lock.

    With ``commit`` (the cron): the caller holds the account's lock for its
    session and has just committed, so that the transaction holds the sync's
    work alone. The sync commits after each page of Google's listing and each
    batch of its push, so that no transaction of a long sync outlasts one page
    or batch and a sync killed at any point resumes from its last commit; a
    failure rolls back to that commit. No savepoint and no lock to take again
    after each commit: an idle account costs the fewest queries."""

    def __init__(self, synchronizer, account, commit):
        self.synchronizer = synchronizer
        self.account = account
        self.cr = synchronizer.env.cr
        self.committing = commit
        self.savepoint = None

    @property
    def locked(self):
        """Whether the caller holds the account's lock for the whole sync."""
        return self.committing

    def __enter__(self):
        if not self.committing:
            self.savepoint = self.cr.savepoint()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self.savepoint:
            self.savepoint.close(rollback=exc_type is not None)
        elif exc_type is not None:
            self.cr.rollback()

    def commit(self):
        if self.committing:
            self.cr.commit()  # pylint: disable=invalid-commit


def _push_after_commit(dbname, pending):
    """Postcommit callback: one push per concerned account, each in its own
    transaction. Failures only log: the cron pushes whatever is still dirty."""
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Account = env["google.calendar.account"]
        config = Account._get_google_config()
        if config["paused"]:
            return
        account_ids = Account.search(
            [
                ("state", "=", "connected"),
                ("user_may_sync", "=", True),
                "|",
                ("id", "in", list(pending["accounts"])),
                ("user_id", "in", list(pending["users"])),
            ]
        ).ids
    for account_id in account_ids:
        for attempt in range(1, _PUSH_ATTEMPTS + 1):
            try:
                # The commit (which writes the outcomes back) inside the try:
                # its failure is this push's, never the user's save's.
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    account = env["google.calendar.account"].browse(account_id)
                    env["google.calendar.synchronizer"]._push_account(
                        account, account._get_client()
                    )
                break
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # The user saved an event again while its upload was on its
                # way: PostgreSQL refuses to write the upload's outcome over
                # that save. Google holds the upload (its digest says so, see
                # ``EventPull._with_own_write``) and the new save is pending:
                # a fresh transaction sends it; else the cron does.
                _logger.info(
                    "Google Calendar: immediate push of account %s met a concurrent save "
                    "(attempt %s of %s)",
                    account_id,
                    attempt,
                    _PUSH_ATTEMPTS,
                )
            except Exception:
                _logger.warning(
                    "Google Calendar: immediate push of account %s failed; the cron retries it",
                    account_id,
                    exc_info=True,
                )
                break
