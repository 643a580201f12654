import logging
import time
from datetime import timedelta

from google.oauth2.credentials import Credentials

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..engine import oauth, ownership, ratelimit
from ..engine.client import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, CalendarClient
from ..engine.errors import GoogleApiError, InvalidGrant, RateBudgetExhausted
from ..sync.run import PARAM_PREFIX, DeletionHeld

_logger = logging.getLogger(__name__)

# Google's real endpoints; each one is a system parameter so that tests and
# the demo can point the module at the local fake.
DEFAULT_ENDPOINTS = {
    "auth_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
    "token_endpoint": "https://oauth2.googleapis.com/token",
    "revoke_endpoint": "https://oauth2.googleapis.com/revoke",
    "api_root": "https://www.googleapis.com",
}
REDIRECT_PATH = "/google_account/authentication"
# Time budget of the Google button's sync (system parameter button_seconds):
# past it, a run stops between two pages of Google's listing or two batches
# of its push, and the cron goes on (see google_calendar_account_cron.py).
BUTTON_SECONDS = 8
# Google counts its quota per user over a sliding minute, whichever worker
# sends: one budget per (database, account) for the life of the process,
# rebuilt when the system parameter changes.
_RATE_LIMITERS = {}
ACCOUNT_STATES = [
    ("not_connected", "Not Connected"),
    ("connected", "Connected"),
    ("stopped", "Stopped"),
    ("disconnected", "Disconnected"),
    ("error", "Error"),
]


class GoogleCalendarAccount(models.Model):
    """One user's link to Google Calendar, tokens included.

    Its owner reads it, never its tokens: google_calendar_account_connection.py
    makes them ``fields.NO_ACCESS``, for the sync code only (``sudo()``).
    Nobody writes it but the sync code.
    """

    _name = "google.calendar.account"
    _description = "Google Calendar Account"
    _rec_name = "google_email"

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    google_email = fields.Char(string="Google Account")
    state = fields.Selection(
        ACCOUNT_STATES,
        required=True,
        default="not_connected",
    )
    access_token = fields.Char(copy=False)
    access_token_expiry = fields.Datetime(copy=False)
    refresh_token = fields.Char(copy=False)
    last_sync = fields.Datetime(copy=False)
    # A sync stopped at its time or request budget: the scheduled action goes
    # on with it at its next run, however recently the account was synced.
    sync_resume = fields.Boolean(copy=False, groups="base.group_system")
    last_error = fields.Text(copy=False)
    sync_token = fields.Char(copy=False, help="Google's nextSyncToken of the last full list.")
    sync_progress = fields.Json(
        copy=False,
        help="A listing of Google's events stopped between two pages (sync.run pull): the "
        "page to ask next, the window of a full listing, the safety guard's count.",
    )
    oauth_pending = fields.Json(
        copy=False,
        help="Authorizations under way (a few browser tabs at most): nonce -> PKCE verifier "
        "and expiry of the state (engine.oauth.add_authorization).",
    )
    granted_scope = fields.Char(
        copy=False,
        help="The scopes Google granted with the tokens; empty for an account connected when "
        "the module asked for full calendar rights.",
    )
    # Safety guard: a sync that would delete a large share of the user's
    # synced events stops before deleting anything, until an administrator
    # confirms (engine.reconcile.deletion_needs_confirmation decides).
    deletion_hold = fields.Boolean(copy=False, readonly=True)
    deletion_hold_count = fields.Integer(
        copy=False, readonly=True, help="Deletions waiting for an administrator's confirmation."
    )
    deletions_confirmed = fields.Boolean(
        copy=False, readonly=True, help="Confirmed by an administrator: the next sync applies them."
    )
    writes_paused_until = fields.Datetime(
        copy=False,
        readonly=True,
        help="Google's usage limits for this calendar were exceeded (quotaExceeded): "
        "nothing is written to Google before this time; reading goes on.",
    )
    # Only internal users connect and sync: a portal or public user has no
    # Calendar in Odoo, and a user archived or turned into a portal user after
    # connecting must not go on syncing with rights they no longer have.
    # Stored, so that a sync knows it from the account's own row.
    user_may_sync = fields.Boolean(
        compute="_compute_user_may_sync",
        store=True,
        help="The user is an active internal user: only then is the calendar synchronized.",
    )
    pending_change_count = fields.Integer(
        compute="_compute_pending_change_count", help="Odoo changes Google does not know yet."
    )

    _user_unique = models.Constraint(
        "UNIQUE(user_id)", "A user has one Google Calendar account at most."
    )

    @api.depends("user_id.share", "user_id.active")
    def _compute_user_may_sync(self):
        for account in self:
            account.user_may_sync = account.user_id.active and not account.user_id.share

    def _compute_pending_change_count(self):
        """Events, series and deletions the account's next push sends."""
        Event = self.env["calendar.event"].sudo().with_context(active_test=False)
        Recurrence = self.env["calendar.recurrence"].sudo()
        Outbox = self.env["google.calendar.outbox"].sudo()
        for account in self:
            pending = [("google_push_pending", "=", True)]
            account.pending_change_count = (
                Event.search_count(
                    pending + ownership.pushed_domain(account.id, account.user_id.id)
                )
                + Recurrence.search_count(
                    pending
                    + ownership.pushed_domain(
                        account.id, account.user_id.id, "base_event_id.user_id"
                    )
                )
                + Outbox.search_count([("account_id", "=", account.id)])
            )

    # -- configuration -------------------------------------------------------

    @api.model
    def _get_google_config(self):
        """The module's system parameters, endpoints defaulting to Google's."""
        get_param = self.env["ir.config_parameter"].sudo()._google_param
        config = {
            key: get_param(PARAM_PREFIX + key) or default
            for key, default in DEFAULT_ENDPOINTS.items()
        }
        config.update(
            client_id=get_param(PARAM_PREFIX + "client_id") or "",
            client_secret=get_param(PARAM_PREFIX + "client_secret") or "",
            paused=str2bool(get_param(PARAM_PREFIX + "paused")),
            send_updates=get_param(PARAM_PREFIX + "send_updates") or "all",
            redirect_uri=get_param("web.base.url", "").rstrip("/") + REDIRECT_PATH,
        )
        return config

    @api.model
    def _is_configured(self):
        config = self._get_google_config()
        return bool(config["client_id"] and config["client_secret"])

    @api.model
    def _check_user_may_sync(self, user):
        """Raise ``AccessError`` unless ``user`` is an active internal user."""
        if user.share or not user.active:
            raise self._internal_users_only()

    @api.model
    def _internal_users_only(self):
        return AccessError(
            self.env._("Google Calendar synchronization is available to internal users only.")
        )

    @api.model
    def _for_user(self, user):
        """The account of ``user`` (created on first use), in sudo mode; raises
        ``AccessError`` for a portal, public or archived user."""
        self._check_user_may_sync(user)
        accounts = self.sudo().with_context(active_test=False)
        # Read with its search (one query): the route goes on with its values.
        stored = [name for name, field in self._fields.items() if field.column_type]
        account = accounts.search_fetch([("user_id", "=", user.id)], stored, limit=1)
        return account or accounts.create({"user_id": user.id})

    # -- OAuth ---------------------------------------------------------------

    def _authorization_url(self, nonce, return_path):
        """``(url, expires)``: Google's consent URL for this account's user, and
        the moment (epoch seconds) its state expires.

        Remembers the PKCE verifier of ``nonce`` next to those of the other
        authorizations under way. The caller keeps ``nonce`` in the user's
        browser session until ``expires``: that binds the answer to the
        session that asked.
        """
        self.ensure_one()
        config = self._get_google_config()
        verifier, challenge = oauth.new_pkce_pair()
        issued = int(time.time())
        expires = issued + oauth.STATE_LIFETIME_SECONDS
        self.oauth_pending = oauth.add_authorization(
            self.oauth_pending, nonce, expires, now=issued, verifier=verifier
        )
        state = oauth.sign_state(
            self._state_secret(),
            user_id=self.user_id.id,
            nonce=nonce,
            return_path=return_path,
            now=issued,
        )
        url = oauth.authorization_url(
            config["auth_endpoint"],
            client_id=config["client_id"],
            redirect_uri=config["redirect_uri"],
            state=state,
            code_challenge=challenge,
            login_hint=self.user_id.email or "",
            scope=self._requested_scope(),
        )
        return url, expires

    def _state_secret(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.secret")

    def _verify_state(self, state, session_nonces):
        """The payload of ``state``, checked against the authorizations under way.

        ``session_nonces`` are those the browser session holds: the state must
        name one of them that this account is waiting for too. Nothing is
        spent here: a refused state leaves every authorization under way.
        """
        self.ensure_one()
        pending = set(session_nonces) & set(oauth.live_authorizations(self.oauth_pending))
        return oauth.verify_state(
            self._state_secret(), state, user_id=self.user_id.id, pending_nonces=pending
        )

    def _spend_authorization(self, nonce):
        """The PKCE verifier of ``nonce``, which is no longer under way.

        Called once the state naming ``nonce`` is verified: a code and its
        verifier are good for one attempt only.
        """
        self.ensure_one()
        pending = oauth.live_authorizations(self.oauth_pending)
        entry = pending.pop(nonce, {})
        self.oauth_pending = pending or False
        return entry.get("verifier") or ""

    def _complete_authorization(self, code, verifier):
        """Exchange ``code`` (with its PKCE ``verifier``) for tokens and connect the account.

        Raises ``oauth.TokenExchangeError``; ``error == "no_refresh_token"``
        when Google granted no offline access, ``"missing_scope"`` when the
        user did not grant every scope the sync needs (nothing is stored
        then, and the grant is revoked).
        """
        self.ensure_one()
        config = self._get_google_config()
        answer = oauth.exchange_code(
            config["token_endpoint"],
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            redirect_uri=config["redirect_uri"],
            code=code,
            code_verifier=verifier,
        )
        if not answer.get("refresh_token"):
            oauth.revoke_token(config["revoke_endpoint"], answer["access_token"])
            raise oauth.TokenExchangeError(
                "no_refresh_token", "Google granted no offline access (no refresh token)."
            )
        missing = oauth.missing_scopes(answer)
        if missing:
            # A grant the sync cannot work with is not kept at Google either.
            oauth.revoke_token(config["revoke_endpoint"], answer["refresh_token"])
            raise oauth.TokenExchangeError(
                "missing_scope", "Google did not grant " + " ".join(missing)
            )
        self.write(
            {
                "state": "connected",
                "access_token": answer["access_token"],
                "access_token_expiry": oauth.expiry_utc_naive(answer),
                "refresh_token": answer["refresh_token"],
                "granted_scope": " ".join(str(answer.get("scope") or "").split())
                or " ".join(oauth.CALENDAR_SCOPES),
                "last_error": False,
                "last_sync": False,
                # Another Google account may be behind the new grant.
                "sync_token": False,
                "sync_progress": False,
            }
        )

    # -- client and tokens ---------------------------------------------------

    def _get_client(self):
        """A Calendar client acting with this account's tokens.

        Refreshed access tokens are stored as Google hands them out. An
        ``InvalidGrant`` raised by the client means the user must reconnect:
        callers let it reach ``_run_sync``, which disconnects the account.
        Raises ``AccessError`` when the account's user is no longer an active
        internal user: whoever asks, nothing is sent on their behalf.
        """
        self.ensure_one()
        if not self.user_may_sync:
            raise self._internal_users_only()
        config = self._get_google_config()
        credentials = Credentials(
            token=self.access_token,
            refresh_token=self.refresh_token,
            token_uri=config["token_endpoint"],
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            # The scopes the refresh token holds: google-auth asks for them
            # again on every refresh, and Google refuses a scope not granted.
            scopes=(self.granted_scope or oauth.LEGACY_CALENDAR_SCOPE).split(),
            expiry=self.access_token_expiry,
        )
        # In Google's quota units; never below the dearest call, which would never fit.
        per_minute = max(
            self._int_param("max_requests_per_minute", ratelimit.DEFAULT_REQUESTS_PER_MINUTE),
            ratelimit.MAX_CALL_QUOTA_UNITS,
        )
        batch_size = self._int_param("batch_size", DEFAULT_BATCH_SIZE, high=MAX_BATCH_SIZE)
        return CalendarClient(
            config["api_root"],
            credentials,
            on_token_refresh=self._store_refreshed_token,
            rate_limiter=ratelimit.BudgetWatch(self._rate_budget(per_minute)),
            # A batch is paid for in full before it is sent: it must fit in the budget.
            batch_size=min(batch_size, per_minute),
        )

    @api.model
    def _int_param(self, key, default, high=None):
        """A positive integer system parameter; a missing or wrong value gives ``default``."""
        value = self.env["ir.config_parameter"].sudo()._google_param(PARAM_PREFIX + key)
        try:
            number = int(value or default)
        except ValueError:
            _logger.warning("Ignored %s%s=%r", PARAM_PREFIX, key, value)
            number = default
        number = max(number, 1)
        return min(number, high) if high else number

    def _rate_budget(self, per_minute):
        """This account's request budget, shared by every sync of the process."""
        limiters = _RATE_LIMITERS.get(per_minute)
        if limiters is None:
            # A sync may wait out one full window; past that it stops and the
            # cron resumes it.
            limiters = _RATE_LIMITERS[per_minute] = ratelimit.RateLimiters(
                per_minute, budget=ratelimit.MinuteWindow, max_wait=65.0
            )
        return limiters.for_user((self.env.cr.dbname, self.id))

    def _store_refreshed_token(self, token, expiry):
        # google-auth keeps expiry as a naive UTC datetime, like Odoo.
        self.write({"access_token": token, "access_token_expiry": expiry})

    # -- synchronization -----------------------------------------------------

    def _sync(self, seconds=None, steps=None):
        """One synchronization of this account, stopped after about ``seconds``
        when given (``continuing`` in the answer); returns what changed each way.
        ``steps``: the transactions of the sync (``SyncSteps``).

        Raises the client's errors (``GoogleApiError`` and subclasses).
        """
        self.ensure_one()
        client = self._get_client()
        # Connecting again forgets both: a first sync whose listing the next
        # run resumes is of the same grant.
        listed_since_connection = self.last_sync or self.sync_progress
        if not (self.google_email and listed_since_connection):
            # The id of the primary calendar is the address of the Google
            # account. Read on the first sync after every connection, since
            # another Google account may be behind a new grant: people are
            # matched by this address (``sync.people.confirmed_people``), so it must be
            # the one Google vouches for now. Later syncs need no request.
            self.google_email = client.get_calendar("primary").get("id") or False
        deadline = None if seconds is None else time.monotonic() + seconds
        counts = self.env["google.calendar.synchronizer"]._sync_account(
            self, client, deadline, steps
        )
        if counts.get("skipped"):
            return counts
        now = fields.Datetime.now()
        # Writes paused by Google's usage limits are still news for the user.
        paused = self.writes_paused_until and self.writes_paused_until > now
        done = {"last_error": self.last_error if paused else False, "state": "connected"}
        if counts.get("continuing"):
            # Not synced yet: a first sync stays one (nobody e-mailed, Odoo's
            # events sent once Google's are in) until its listing is done.
            self._resume_later(1)
        else:
            done.update(last_sync=now, sync_resume=False)
        self.write(done)
        if client.rate_limiter.retry_after is not None:
            # The budget ran out: what is done is kept, the cron resumes the rest.
            self._resume_later(client.rate_limiter.retry_after)
        return counts

    @api.model
    def _seconds_param(self, key, default):
        """A time budget in seconds (system parameter ``key``); 0 lets a run
        take one page of Google's listing."""
        value = self.env["ir.config_parameter"].sudo()._google_param(PARAM_PREFIX + key)
        try:
            return max(float(value or default), 0.0)
        except ValueError:
            return default

    @api.model
    def _resume_later(self, seconds):
        self.sync_resume = True
        cron = self.env.ref("google_calendar_sync.ir_cron_sync", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(fields.Datetime.now() + timedelta(seconds=seconds))

    def _run_sync(self, seconds=None, commit_steps=False):
        """``_sync`` with its failures recorded: the answer of the Sync route.

        Partial work of a failed sync is rolled back (to its last commit:
        with ``commit_steps``, the sync commits after each page of Google's
        listing and each batch of its push); the failure is kept on the
        account and told to the user.

        ``commit_steps`` is for a caller that holds the account's lock for
        its session and has just committed (``_cron_sync_one``): the sync
        then takes no lock of its own, and a failure rolls the whole
        transaction back to its last commit.
        """
        self.ensure_one()
        Synchronizer = self.env["google.calendar.synchronizer"]
        try:
            with Synchronizer._steps(self, commit_steps) as steps:
                counts = self._sync(seconds, steps)
        except InvalidGrant:
            self._handle_invalid_grant()
            return {"status": "error", "message": self.last_error}
        except DeletionHeld as held:
            # The savepoint undid the pull, sync token included: once an
            # administrator confirms, the next sync lists the same deletions.
            self._hold_deletions(held.count, held.total)
            return {"status": "held", "message": self.last_error}
        except RateBudgetExhausted as exc:
            # Not an error of the account: nothing was sent, the cron resumes.
            self._resume_later(exc.retry_after or 60)
            return {"status": "deferred", "message": exc.message}
        except GoogleApiError as exc:
            return self._sync_failed(exc)  # google_calendar_account_run.py
        if counts.get("skipped") == "deletion_hold":
            return {"status": "held", "message": self.last_error}
        if counts.pop("continuing", False):
            imported = (
                self.env["calendar.event"]
                .sudo()
                .search_count([("google_account_id", "=", self.id)])
            )
            message = self.env._(
                "%(count)s meetings imported so far; the rest continues in the background.",
                count=imported,
            )
            return {**counts, "status": "continuing", "message": message}
        return {"status": "synced", **counts}

    # -- user actions --------------------------------------------------------

    def _stop(self):
        """Stop synchronizing; the tokens are kept for a later restart."""
        self.filtered(lambda a: a.state in ("connected", "error")).write({"state": "stopped"})

    def _restart(self):
        self.filtered(lambda a: a.state == "stopped" and a.refresh_token).write(
            {"state": "connected"}
        )

    def _disconnect(self):
        """Revoke the grant at Google and forget every token."""
        revoke_endpoint = self._get_google_config()["revoke_endpoint"]
        for account in self:
            token = account.refresh_token or account.access_token
            if token and not oauth.revoke_token(revoke_endpoint, token):
                _logger.info("Google did not confirm the revocation for account %s", account.id)
            account.write(
                {
                    "state": "disconnected",
                    "access_token": False,
                    "access_token_expiry": False,
                    "refresh_token": False,
                    "sync_token": False,
                    "sync_progress": False,
                    "granted_scope": False,
                    "oauth_pending": False,
                    "last_error": False,
                }
            )

    def _status(self):
        """What the Sync button shows: nothing secret."""
        self.ensure_one()
        return {
            "state": self.state,
            "email": self.google_email or "",
            "last_sync": fields.Datetime.to_string(self.last_sync) if self.last_sync else False,
            "last_error": self.last_error or "",
            "pending_changes": self.pending_change_count,
            "deletion_hold": self.deletion_hold,
        }

    # -- safety guard and usage limits -----------------------------------------

    def _hold_deletions(self, count, total):
        """A sync found ``count`` of ``total`` synced events deleted: stop and ask."""
        self.ensure_one()
        message = self.env._(
            "Synchronization halted: Google reports %(count)s of the %(total)s synchronized "
            "events of this calendar as deleted. These deletions are held: nothing more is "
            "deleted on either side, and an administrator must confirm them (Settings, Users, "
            "Google Calendar) before the synchronization resumes.",
            count=count,
            total=total,
        )
        _logger.warning(
            "Google Calendar: account %s held, %s of %s synced events to delete",
            self.id,
            count,
            total,
        )
        self.write({"deletion_hold": True, "deletion_hold_count": count, "last_error": message})

    def _confirm_deletions(self):
        """An administrator's go-ahead: the next sync applies the held deletions."""
        self.filtered("deletion_hold").write(
            {
                "deletion_hold": False,
                "deletion_hold_count": 0,
                "deletions_confirmed": True,
                "last_error": False,
            }
        )

    def _pause_writes(self, until):
        """Google answered quotaExceeded: write nothing before ``until``, keep reading."""
        self.ensure_one()
        message = self.env._(
            "Google's usage limits for this calendar are exceeded: changes made in Odoo are "
            "kept and sent to Google after %(until)s UTC.",
            until=fields.Datetime.to_string(until),
        )
        self.write({"writes_paused_until": until, "last_error": message})


def str2bool(value):
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")
