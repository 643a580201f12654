"""An account's push channels: opened after a sync, stopped with the account,
and the polling that is their fallback."""

from odoo import api, fields, models

from ..engine import push_channels
from .google_calendar_account_cron import CRON_SECONDS

#: The calendar every connected account syncs (its run's calendar id).
PRIMARY = "primary"


class GoogleCalendarAccount(models.Model):
    _inherit = "google.calendar.account"

    channel_ids = fields.One2many("google.calendar.channel", "account_id", readonly=True)

    def _sync(self, seconds=None, steps=None):
        counts = super()._sync(seconds, steps)
        if not counts.get("skipped") and not counts.get("continuing") and self._unwatched():
            # A synced calendar is watched from now on (when the setting is on).
            # Opened by the renewal cron, in a transaction of its own committed
            # at once: Google's first message finds the channel, and a click on
            # Sync never waits for it.
            self.env.ref("google_calendar_sync.ir_cron_push_renew").sudo()._trigger()
        return counts

    def _unwatched(self):
        """The synced calendars without a channel, while notifications are asked for."""
        self.ensure_one()
        if not self.env["google.calendar.channel"]._push_active():
            return set()
        return self._watched_calendars() - set(self.channel_ids.mapped("calendar_google_id"))

    def _watched_calendars(self):
        """The Google ids of the calendars whose changes Odoo reads: the primary,
        and the other chosen calendars that sync from Google."""
        self.ensure_one()
        _primary, others = self._google_calendars_to_sync()
        return {PRIMARY} | {cal.google_id for cal in others if cal._pulls}

    def _renew_channels(self):
        """Open a channel for every synced calendar that has no live one far from
        its expiry; returns the channels replaced (the caller stops them)."""
        self.ensure_one()
        Channel = self.env["google.calendar.channel"].sudo()
        now = fields.Datetime.now()
        watched = self._watched_calendars()
        # A calendar no longer synced from Google (unticked, removed, turned
        # Odoo -> Google only) is no longer watched.
        replaced = self.channel_ids.filtered(lambda c: c.calendar_google_id not in watched)
        for calendar_google_id in sorted(watched):
            current = self.channel_ids.filtered(
                lambda c, cal=calendar_google_id: c.calendar_google_id == cal
            )
            if current and not any(self._channel_needs_replacing(c, now) for c in current):
                continue
            Channel._open(self, calendar_google_id)
            replaced |= current
        return replaced

    @staticmethod
    def _channel_needs_replacing(channel, now):
        return push_channels.needs_replacing(
            opened=channel.create_date,
            expiration=channel.expiration,
            last_message=channel.last_message_at,
            now=now,
        )

    def _channels_healthy(self, now):
        """Every synced calendar has a live channel."""
        self.ensure_one()
        live = {
            channel.calendar_google_id
            for channel in self.channel_ids
            if push_channels.channel_health(
                opened=channel.create_date,
                expiration=channel.expiration,
                last_message=channel.last_message_at,
                now=now,
            )
            == "live"
        }
        return live.issuperset(self._watched_calendars())

    @api.model
    def _due_account_ids(self, due_before):
        return self._accounts_to_poll(super()._due_account_ids(due_before)).ids

    @api.model
    def _accounts_to_poll(self, account_ids=None):
        """Of ``account_ids`` (by default every account that syncs), in their
        order, the ones the polling cron syncs.

        With push notifications, an account whose channels are healthy is
        polled only every ``push_poll_minutes``: notifications bring its
        changes, the poll catches what a lost notification missed.
        """
        if account_ids is None:
            accounts = self.sudo().search(
                [("state", "in", ("connected", "error")), ("user_may_sync", "=", True)],
                order="last_sync ASC NULLS FIRST, id",
            )
        else:
            accounts = self.sudo().browse(account_ids)
        Channel = self.env["google.calendar.channel"]
        if not accounts or not Channel._push_active():
            return accounts
        now = fields.Datetime.now()
        poll_minutes = Channel._push_timing()["poll_minutes"]
        return accounts.filtered(
            lambda account: account.sync_resume
            or push_channels.poll_due(
                last_sync=account.last_sync,
                channels_healthy=account._channels_healthy(now),
                now=now,
                poll_minutes=poll_minutes,
            )
        )

    @api.model
    def _sync_notified(self, account_ids, since):
        """Sync the accounts Google notified, each under its lock and in its
        committed steps, unless synced since ``since`` (that sync read the
        change)."""
        seconds = self._seconds_param("cron_seconds", CRON_SECONDS)
        for account_id in account_ids:
            self._cron_sync_one(account_id, since, seconds)

    def _stop(self):
        self.channel_ids._close()
        return super()._stop()

    def _disconnect(self):
        # Stopped while the tokens still allow it.
        self.channel_ids._close()
        return super()._disconnect()
