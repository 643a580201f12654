from lxml import etree

from odoo.tests import TransactionCase, tagged

PARAMS = "google_calendar_sync."


@tagged("post_install", "-at_install")
class TestSettings(TransactionCase):
    def get_param(self, key):
        return self.env["ir.config_parameter"].sudo().get_param(PARAMS + key)

    def test_round_trip_through_system_parameters(self):
        self.env["res.config.settings"].create(
            {
                "google_calendar_sync_enabled": True,
                "google_calendar_client_id": "  1234-abcd.apps.googleusercontent.com ",
                "google_calendar_client_secret": "GOCSPX-secret",
                "google_calendar_paused": True,
                "google_calendar_send_updates": "externalOnly",
            }
        ).execute()
        self.assertEqual(self.get_param("client_id"), "1234-abcd.apps.googleusercontent.com")
        self.assertEqual(self.get_param("client_secret"), "GOCSPX-secret")
        self.assertEqual(self.get_param("paused"), "True")
        self.assertEqual(self.get_param("send_updates"), "externalOnly")

        reopened = self.env["res.config.settings"].create({})
        self.assertTrue(reopened.google_calendar_sync_enabled)
        self.assertEqual(reopened.google_calendar_client_id, "1234-abcd.apps.googleusercontent.com")
        self.assertEqual(reopened.google_calendar_client_secret, "GOCSPX-secret")
        self.assertTrue(reopened.google_calendar_paused)
        self.assertEqual(reopened.google_calendar_send_updates, "externalOnly")
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.assertEqual(
            reopened.google_calendar_redirect_uri, f"{base_url}/google_account/authentication"
        )

        # Unticking turns the integration off: the Sync button asks for configuration.
        reopened.google_calendar_sync_enabled = False
        reopened.google_calendar_paused = False
        reopened.execute()
        self.assertFalse(self.get_param("client_id"))
        self.assertFalse(self.get_param("client_secret"))
        self.assertFalse(self.get_param("paused"))
        self.assertFalse(self.env["google.calendar.account"]._is_configured())

    def test_defaults_are_googles_endpoints_and_send_updates_all(self):
        self.assertEqual(
            self.env["res.config.settings"].create({}).google_calendar_send_updates, "all"
        )
        config = self.env["google.calendar.account"]._get_google_config()
        self.assertEqual(config["auth_endpoint"], "https://accounts.google.com/o/oauth2/v2/auth")
        self.assertEqual(config["token_endpoint"], "https://oauth2.googleapis.com/token")
        self.assertEqual(config["revoke_endpoint"], "https://oauth2.googleapis.com/revoke")
        self.assertEqual(config["api_root"], "https://www.googleapis.com")
        self.assertEqual(config["send_updates"], "all")
        self.assertFalse(config["paused"])

    def test_ticking_google_calendar_never_installs_odoo_module(self):
        arch = etree.fromstring(
            self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        )
        # Odoo's own checkbox, which would install google_calendar, is gone.
        self.assertFalse(arch.xpath("//field[@name='module_google_calendar']"))
        integration = arch.xpath("//block[@name='integration']")[0]
        setting = integration.xpath(".//setting[@id='google_calendar_sync_setting']")[0]
        self.assertTrue(setting.xpath(".//field[@name='google_calendar_sync_enabled']"))
        self.assertEqual(
            setting.xpath(".//field[@name='google_calendar_client_secret']")[0].get("password"),
            "True",
        )
        self.assertEqual(
            setting.xpath(".//field[@name='google_calendar_redirect_uri']")[0].get("widget"),
            "CopyClipboardChar",
        )
        self.env["res.config.settings"].create(
            {
                "google_calendar_sync_enabled": True,
                "google_calendar_client_id": "cid",
                "google_calendar_client_secret": "secret",
            }
        ).execute()
        module = self.env["ir.module.module"].search([("name", "=", "google_calendar")])
        self.assertEqual(module.state, "uninstalled")

    def test_stand_in_on_this_machine_is_told(self):
        settings = self.env["res.config.settings"]
        self.assertFalse(settings.create({}).google_calendar_stand_in_url)
        set_param = self.env["ir.config_parameter"].sudo().set_param
        for key, path in (
            ("auth_endpoint", "/o/oauth2/v2/auth"),
            ("token_endpoint", "/token"),
            ("api_root", ""),
        ):
            set_param(PARAMS + key, "http://127.0.0.1:8765" + path)
        self.assertEqual(settings.create({}).google_calendar_stand_in_url, "http://127.0.0.1:8765")
        # Google's own addresses (or any other host) are not a stand-in.
        for key in ("auth_endpoint", "token_endpoint", "api_root"):
            set_param(PARAMS + key, False)
        set_param(PARAMS + "api_root", "https://calendar-proxy.example.com")
        self.assertFalse(settings.create({}).google_calendar_stand_in_url)

    def test_unticking_warns_before_clearing_and_keeps_connections(self):
        arch = etree.fromstring(
            self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        )
        warning = arch.xpath("//div[@id='google_calendar_sync_clear_warning']")[0]
        # Shown while the box is unticked with a client still in the form (before saving).
        self.assertEqual(
            warning.get("invisible"),
            "google_calendar_sync_enabled or not google_calendar_client_id",
        )
        self.assertIn("connections are kept", " ".join(warning.itertext()))
        admin = self.env.ref("base.user_admin")
        account = (
            self.env["google.calendar.account"]
            .sudo()
            .create(
                {"user_id": admin.id, "state": "connected", "refresh_token": "kept-refresh-token"}
            )
        )
        self.env["res.config.settings"].create(
            {
                "google_calendar_sync_enabled": True,
                "google_calendar_client_id": "cid",
                "google_calendar_client_secret": "secret",
            }
        ).execute()
        self.env["res.config.settings"].create({"google_calendar_sync_enabled": False}).execute()
        self.assertFalse(self.get_param("client_id"))
        self.assertFalse(self.get_param("client_secret"))
        self.assertEqual(
            (account.state, account.refresh_token), ("connected", "kept-refresh-token")
        )
