"""Google push notifications: one watch channel per synced Google calendar.

The decisions (ids, tokens, expiry, debounce) are ``engine.push_channels``;
this model keeps the channels and runs them: open, stop, receive a
notification, and the two crons (renewal, the syncs notifications ask for).
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..engine import push_channels
from ..engine.errors import GoogleApiError
from ..sync.run import PARAM_PREFIX

_logger = logging.getLogger(__name__)


class GoogleCalendarChannel(models.Model):
    """No group has any access right on this model: the token's digest and
    the ids that make a notification believable are for sudo code only."""

    _name = "google.calendar.channel"
    _description = "Google Calendar Push Channel"
    _rec_name = "channel_id"

    account_id = fields.Many2one(
        "google.calendar.account", required=True, ondelete="cascade", index=True
    )
    # The Google calendar watched, as Google names it ("primary" today); a
    # sync of the account reads all of its calendars.
    calendar_google_id = fields.Char(required=True, default="primary")
    channel_id = fields.Char(required=True, readonly=True, copy=False)
    token_hash = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="SHA-256 of the channel's token.",
    )
    resource_id = fields.Char(required=True, readonly=True, copy=False)
    expiration = fields.Datetime(required=True, readonly=True, copy=False)
    last_message_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="When Google's handshake (sync) or the first change of a burst arrived: "
        "a channel that never received anything is replaced.",
    )
    sync_due_at = fields.Datetime(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="A notification asked for a sync of the account at this time; further "
        "notifications add nothing until it has run.",
    )
    last_push_sync_at = fields.Datetime(
        readonly=True, copy=False, help="When a notification last caused a sync of the account."
    )

    _channel_id_unique = models.Constraint("UNIQUE(channel_id)", "A channel id is unique.")

    # -- settings --------------------------------------------------------------

    @api.model
    def _push_enabled(self):
        """The setting: one system parameter (every sync reads it)."""
        value = self.env["ir.config_parameter"].sudo()._google_param(PARAM_PREFIX + "push_enabled")
        return str(value or "").strip().lower() in ("1", "true", "yes", "on")

    @api.model
    def _push_active(self):
        """Notifications are asked for: the setting is on and Google can reach us."""
        if not self._push_enabled():
            return False
        return not push_channels.notify_url_refusal(self._base_url())

    @api.model
    def _base_url(self):
        return self.env["ir.config_parameter"].sudo()._google_param("web.base.url", "")

    @api.model
    def _push_timing(self):
        """The debounce delay and minimum interval (seconds), the polling interval
        while channels are healthy (minutes): system parameters."""
        Account = self.env["google.calendar.account"]
        return {
            "delay": Account._seconds_param(
                "push_sync_delay_seconds", push_channels.DEFAULT_SYNC_DELAY_SECONDS
            ),
            "min_interval": Account._seconds_param(
                "push_min_interval_seconds", push_channels.DEFAULT_MIN_INTERVAL_SECONDS
            ),
            "poll_minutes": Account._int_param(
                "push_poll_minutes", push_channels.DEFAULT_PUSH_POLL_MINUTES
            ),
        }

    # -- open and stop -----------------------------------------------------------

    @api.model
    def _open(self, account, calendar_google_id="primary", client=None):
        """Ask Google to notify this Odoo of changes to the calendar; the new channel.

        Raises the client's ``GoogleApiError``.
        """
        client = client or account._get_client()
        token = push_channels.new_channel_token()
        address = push_channels.notify_url(self._base_url())
        answer = client.watch(
            calendar_google_id,
            push_channels.new_channel_id(),
            address,
            token=token,
            ttl_seconds=int(push_channels.CHANNEL_TTL.total_seconds()),
        )
        return self.sudo().create(
            {
                "account_id": account.id,
                "calendar_google_id": calendar_google_id,
                "channel_id": answer["id"],
                "token_hash": push_channels.hash_token(token),
                "resource_id": answer["resourceId"],
                "expiration": push_channels.expiration_from_google(answer, fields.Datetime.now()),
            }
        )

    def _close(self):
        """Stop the channels at Google (``channels.stop``) and forget them.

        Forgotten even when Google cannot be told (tokens revoked, Google
        down): a channel not stopped expires on its own, and its
        notifications meet a 404 meanwhile.
        """
        for account in self.account_id:
            channels = self.filtered(lambda c, a=account: c.account_id == a)
            try:
                client = account._get_client()
            except AccessError:
                continue
            for channel in channels:
                try:
                    client.stop_channel(channel.channel_id, channel.resource_id)
                except GoogleApiError as exc:
                    # 404: Google has forgotten it already (expired).
                    _logger.info(
                        "Google Calendar: channel %s not stopped at Google (%s)",
                        channel.id,
                        exc.status,
                    )
        self.sudo().unlink()

    @api.model
    def _close_all(self):
        """Stop every channel: the setting turned off, the module uninstalled."""
        Channel = self.sudo()
        Channel.search([("expiration", ">", fields.Datetime.now())])._close()
        # The expired ones are forgotten by Google already.
        Channel.search([("expiration", "<=", fields.Datetime.now())]).unlink()

    # -- notifications -------------------------------------------------------------

    @api.model
    def _authenticate(self, channel_id, token, resource_id):
        """The live channel a notification's headers name, or an empty recordset.

        All three values must match, the token's digest compared in constant
        time; the channel must not have expired and its account must sync.
        Reads only.
        """
        if not channel_id or not isinstance(channel_id, str) or len(channel_id) > 64:
            return self.browse()
        channel = self.sudo().search_fetch(
            [
                ("channel_id", "=", channel_id),
                ("expiration", ">", fields.Datetime.now()),
                ("account_id.state", "in", ("connected", "error")),
                ("account_id.user_may_sync", "=", True),
            ],
            ["token_hash", "resource_id", "sync_due_at", "last_message_at", "account_id"],
            limit=1,
        )
        # Both checks always run: a wrong token and a wrong resource id take
        # as long (an unknown channel id is a random uuid nobody can guess).
        token_ok = push_channels.token_matches(token, channel.token_hash or "")
        resource_ok = push_channels.same_secret(resource_id, channel.resource_id or "")
        return channel if channel and token_ok and resource_ok else self.browse()

    def _receive(self, resource_state):
        """A genuine notification: note it and, for a change, ask for a sync soon.

        Never syncs here. While a sync asked for is pending, further
        notifications write nothing at all.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        if resource_state == "sync":
            # Google's handshake when the channel opens: it reaches us.
            if not self.last_message_at:
                self.last_message_at = now
            return
        if self.sync_due_at:
            return  # debounced: the pending sync will read this change too
        timing = self._push_timing()
        due = push_channels.sync_due_at(
            now,
            last_push_sync=self.last_push_sync_at,
            delay_seconds=timing["delay"],
            min_interval_seconds=timing["min_interval"],
        )
        self.write({"sync_due_at": due, "last_message_at": now})
        self.env.ref("google_calendar_sync.ir_cron_push_sync").sudo()._trigger(due)

    # -- crons --------------------------------------------------------------------

    @api.model
    def _cron_sync_notified(self):
        """Sync the accounts whose calendars Google said changed, once each."""
        Account = self.env["google.calendar.account"]
        if Account._get_google_config()["paused"] or not Account._is_configured():
            return
        now = fields.Datetime.now()
        account_ids = self.sudo().search([("sync_due_at", "<=", now)]).account_id.ids
        if not account_ids:
            return
        # Claimed in a transaction of its own, committed before the syncs: a
        # notification arriving from now on asks for a new sync, which reads
        # what this one may miss.
        with self.env.registry.cursor() as cr:
            claimed = self.with_env(self.env(cr=cr, su=True)).search(
                [("account_id", "in", account_ids)]
            )
            claimed.write({"sync_due_at": False, "last_push_sync_at": now})
        Account._sync_notified(account_ids, now)

    @api.model
    def _cron_renew(self):
        """Keep one live channel per synced calendar while the setting is on.

        Channels close to their expiry, expired, or that never received a
        message are replaced (the new one first, so no change goes unnoticed);
        accounts that stopped syncing lose theirs; with the setting off, every
        channel is stopped.
        """
        Account = self.env["google.calendar.account"].sudo()
        if not self._push_active():
            self._close_all()
            return
        accounts = Account.search(
            [
                ("state", "in", ("connected", "error")),
                ("user_may_sync", "=", True),
                ("last_sync", "!=", False),
            ]
        )
        self.sudo().search([("account_id", "not in", accounts.ids)])._close()
        for account_id in accounts.ids:
            # The new channels committed before the old ones are stopped, and
            # before Google's handshake can arrive.
            with self.env.registry.cursor() as cr:
                account = Account.with_env(self.env(cr=cr, su=True)).browse(account_id)
                try:
                    replaced_ids = account._renew_channels().ids
                except (GoogleApiError, AccessError) as exc:
                    cr.rollback()
                    _logger.warning(
                        "Google Calendar: push channel of account %s not renewed: %s",
                        account_id,
                        exc,
                    )
                    continue
            if replaced_ids:
                with self.env.registry.cursor() as cr:
                    self.with_env(self.env(cr=cr, su=True)).browse(replaced_ids)._close()
