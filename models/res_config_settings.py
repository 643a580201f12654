from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import oauth, push_channels
from .google_calendar_account import PARAM_PREFIX


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Not a `module_` field: ticking it must not install Odoo's own
    # google_calendar. It is on while a client id is configured.
    google_calendar_sync_enabled = fields.Boolean(
        string="Google Calendar",
        compute="_compute_google_calendar_sync_enabled",
        readonly=False,
        store=True,
    )
    google_calendar_client_id = fields.Char(
        string="Client ID", config_parameter=PARAM_PREFIX + "client_id"
    )
    # Hidden from the views and reads of anyone but administrators (and left
    # out of default_get for them, below).
    google_calendar_client_secret = fields.Char(
        string="Client Secret",
        config_parameter=PARAM_PREFIX + "client_secret",
        groups="base.group_system",
    )
    google_calendar_paused = fields.Boolean(
        string="Pause Synchronization", config_parameter=PARAM_PREFIX + "paused"
    )
    google_calendar_send_updates = fields.Selection(
        [
            ("all", "All attendees"),
            ("externalOnly", "External attendees only"),
            ("none", "Nobody"),
        ],
        string="Google Notifies",
        default="all",
        config_parameter=PARAM_PREFIX + "send_updates",
        help="Whom Google e-mails when Odoo creates, changes or deletes a synchronized event.",
    )
    # On by default, as in Odoo's own module: the parameter says "off" to stop it.
    google_calendar_several_calendars = fields.Boolean(
        string="Several Calendars per User",
        config_parameter=PARAM_PREFIX + "several_calendars",
        help="Users connecting from now on are asked to let Odoo read their list of Google "
        "calendars, and choose which of them to synchronize, each in its own way.",
    )
    google_calendar_meet_links = fields.Boolean(
        string="Google Meet Links",
        default=True,
        help="Ask Google for a Meet link for every meeting made in Odoo that has neither a "
        "video link nor a location, when it is first sent to Google.",
    )
    google_calendar_redirect_uri = fields.Char(
        string="Redirect URI", compute="_compute_google_calendar_redirect_uri"
    )
    # Where the endpoints point when it is a stand-in for Google on this
    # machine (`make run`'s fake), else empty: the settings say so.
    google_calendar_stand_in_url = fields.Char(
        string="Google Stand-in", compute="_compute_google_calendar_redirect_uri"
    )

    google_calendar_push_enabled = fields.Boolean(
        string="Real-time Updates from Google",
        config_parameter=PARAM_PREFIX + "push_enabled",
        help="Google tells Odoo of every change to a synchronized calendar, which is then "
        "synchronized within seconds instead of at the next scheduled run. Google must be "
        "able to reach this Odoo over public HTTPS.",
    )
    google_calendar_notify_url = fields.Char(
        string="Notification URL", compute="_compute_google_calendar_redirect_uri"
    )

    @api.depends("google_calendar_client_id")
    def _compute_google_calendar_sync_enabled(self):
        for settings in self:
            settings.google_calendar_sync_enabled = bool(settings.google_calendar_client_id)

    def _compute_google_calendar_redirect_uri(self):
        config = self.env["google.calendar.account"]._get_google_config()
        endpoints = [config[key] for key in ("auth_endpoint", "token_endpoint", "api_root")]
        stand_in = any(oauth.is_on_this_machine(url) for url in endpoints)
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for settings in self:
            settings.google_calendar_redirect_uri = config["redirect_uri"]
            settings.google_calendar_notify_url = push_channels.notify_url(base_url)
            settings.google_calendar_stand_in_url = config["api_root"] if stand_in else False

    @api.model
    def get_values(self):
        values = super().get_values()
        param = self.env["ir.config_parameter"].sudo().get_param(PARAM_PREFIX + "meet_links")
        values["google_calendar_meet_links"] = param != "off"
        return values

    @api.model
    def default_get(self, fields):
        values = super().default_get(fields)
        if not self.env.is_system():
            # default_get reads every config parameter with sudo, and any
            # internal user may call it over RPC: the secret is for administrators.
            values.pop("google_calendar_client_secret", None)
        return values

    def set_values(self):
        if not self.google_calendar_sync_enabled:
            # Unticking the box turns the integration off: with no client,
            # the Sync button asks for configuration again.
            self.google_calendar_client_id = False
            self.google_calendar_client_secret = False
        self.env["ir.config_parameter"].sudo().set_param(
            PARAM_PREFIX + "meet_links", "on" if self.google_calendar_meet_links else "off"
        )
        Channel = self.env["google.calendar.channel"]
        was_on = Channel._push_enabled()
        if self.google_calendar_push_enabled and not was_on:
            self._check_push_reachable()  # only when turned on: other settings stay savable
        result = super().set_values()
        if was_on and not self.google_calendar_push_enabled:
            # Google is told to stop notifying at once, not at the channels' expiry.
            Channel._close_all()
        elif self.google_calendar_push_enabled and not was_on:
            # The connected calendars are watched within a minute, not at their next sync.
            self.env.ref("google_calendar_sync.ir_cron_push_renew").sudo()._trigger()
        return result

    def _check_push_reachable(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        if push_channels.notify_url_refusal(base_url):
            raise UserError(
                self.env._(
                    "Real-time updates need Google to reach this Odoo over public HTTPS, "
                    "but its address (web.base.url) is %(url)s. Serve Odoo over HTTPS (and "
                    "set web.base.url to that address), or leave real-time updates off: "
                    "the scheduled synchronization goes on.",
                    url=base_url or "-",
                )
            )
