"""Security: tokens and the client secret stay with the sync code; OAuth answers
cannot be forged, replayed or turned into an open redirect.

``test_tokens.py`` covers the RPC routes as the owner, a colleague and an
administrator; this file covers every ORM entry point a user's request can
reach (``read``, ``search_read``, ``export_data``, ``web_read``,
``fields_get``-driven reads, searches and the user form), as another internal
user and as a portal user, and the ways around the account model: reading
through ``calendar.event.google_account_id`` and probing tokens with a domain.
"""

import json
from urllib.parse import urlsplit

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..controllers.main import GoogleCalendarSyncController
from ..engine import oauth
from .test_connect import FakeGoogleConnectCase

ACCESS_TOKEN = "ya29.secret-access-token-of-ann"
REFRESH_TOKEN = "1//secret-refresh-token-of-ann"
CLIENT_SECRET = "GOCSPX-secret-of-the-company"
TOKEN_FIELDS = ("access_token", "refresh_token", "oauth_pending", "sync_token")


@tagged("post_install", "-at_install")
class TestTokensUnreadable(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Allowed to export, so that an export is refused for the data, not the feature.
        groups = "base.group_user,base.group_allow_export"
        cls.ann = new_test_user(cls.env, "ann", email="ann@example.com", groups=groups)
        cls.bob = new_test_user(cls.env, "bob", email="bob@example.com", groups=groups)
        cls.portal = new_test_user(
            cls.env, "pat", email="pat@example.com", groups="base.group_portal"
        )
        cls.account = cls.env["google.calendar.account"].create(
            {
                "user_id": cls.ann.id,
                "state": "connected",
                "google_email": "ann@gmail.example",
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
                "sync_token": "sync-token-of-ann",
            }
        )
        cls.event = cls.env["calendar.event"].create(
            {
                "name": "Shared",
                "start": "2030-01-07 09:00:00",
                "stop": "2030-01-07 10:00:00",
                "user_id": cls.ann.id,
                "partner_ids": [(6, 0, [cls.ann.partner_id.id, cls.bob.partner_id.id])],
                "privacy": "public",
            }
        )
        cls.event.write({"google_account_id": cls.account.id, "google_id": "abcdef0123"})

    def assert_no_secret(self, data):
        text = json.dumps(data, default=str)
        for secret in (ACCESS_TOKEN, REFRESH_TOKEN, "sync-token-of-ann"):
            self.assertNotIn(secret, text)

    def intruders(self):
        return {"colleague": self.bob, "portal user": self.portal, "owner": self.ann}

    def test_account_model_refused_through_every_orm_entry_point(self):
        for label, user in self.intruders().items():
            Account = self.env["google.calendar.account"].with_user(user)
            account = self.account.with_user(user)
            attempts = {
                "read": lambda account=account: account.read(list(TOKEN_FIELDS)),
                "search_read": lambda Account=Account: Account.search_read([], ["refresh_token"]),
                "search": lambda Account=Account: Account.search([]),
                "export_data": lambda account=account: account.export_data(["access_token"]),
                "web_read": lambda account=account: account.web_read({"refresh_token": {}}),
                "web_search_read": lambda Account=Account: Account.web_search_read(
                    [], {"access_token": {}}
                ),
                "read_group": lambda Account=Account: Account.read_group(
                    [], ["refresh_token"], ["refresh_token"]
                ),
                "write": lambda account=account: account.write({"refresh_token": "mine"}),
            }
            # An internal user finds their own connection (the form of the
            # "Reconnect" activity), never a colleague's, and no token.
            search = attempts.pop("search")
            with self.subTest(user=label, call="search"):
                if user.share:
                    with self.assertRaises(AccessError):
                        search()
                else:
                    self.assertEqual(search(), self.account if user == self.ann else Account)
            for name, attempt in attempts.items():
                # AccessError, or UserError for a portal user not allowed to export.
                with self.subTest(user=label, call=name), self.assertRaises(UserError):
                    attempt()

    def test_reads_driven_by_fields_get_never_carry_a_token(self):
        """Read every field the user model advertises, as a colleague and a
        portal user would list them for a form or an export."""
        for label, user in self.intruders().items():
            Users = self.env["res.users"].with_user(user)
            readable = [
                name
                for name, description in Users.fields_get().items()
                if description["type"] not in ("binary",)
            ]
            for name in readable:
                with self.subTest(user=label, field=name):
                    try:
                        values = self.ann.with_user(user).read([name])
                    except AccessError:
                        continue
                    self.assert_no_secret(values)
            account_fields = self.env["google.calendar.account"].with_user(user).fields_get()
            # Describing the model is harmless; its values are what is refused.
            self.assert_no_secret(account_fields)

    def test_user_form_and_export_of_users_carry_no_token(self):
        for label, user in self.intruders().items():
            with self.subTest(user=label):
                Users = self.env["res.users"].with_user(user)
                try:
                    arch = Users.get_views([(False, "form")])["views"]["form"]["arch"]
                    specification = {
                        name: {}
                        for name in Users.fields_get()
                        if f'name="{name}"' in arch and "google" in name
                    }
                    self.assert_no_secret(self.ann.with_user(user).web_read(specification))
                    self.assert_no_secret(self.ann.with_user(user).export_data(list(specification)))
                except (AccessError, UserError):
                    continue

    def test_no_way_around_through_the_event(self):
        """``calendar.event.google_account_id`` points at the account: following
        it, exporting through it or searching through it must not reveal tokens."""
        for label, user in (("colleague", self.bob), ("owner", self.ann)):
            event = self.event.with_user(user)
            Event = self.env["calendar.event"].with_user(user)
            attempts = {
                "export": lambda event=event: event.export_data(
                    ["google_account_id/refresh_token"]
                ),
                "web_read": lambda event=event: event.web_read(
                    {"google_account_id": {"fields": {"access_token": {}}}}
                ),
                "follow": lambda event=event: event.google_account_id.refresh_token,
                # A domain on the token would let anyone guess it character by character.
                "probe": lambda Event=Event: Event.search(
                    [("google_account_id.refresh_token", "=like", "1//%")]
                ),
            }
            for name, attempt in attempts.items():
                with self.subTest(user=label, attempt=name):
                    try:
                        result = attempt()
                    except (AccessError, UserError):
                        continue
                    self.assertFalse(
                        name == "probe" and result, "a search on the token must not match"
                    )
                    self.assert_no_secret(result if name != "probe" else result.ids)

    def test_portal_user_cannot_read_events_sync_state(self):
        with self.assertRaises(AccessError):
            self.event.with_user(self.portal).read(["google_account_id", "google_etag"])


@tagged("post_install", "-at_install")
class TestClientSecret(TransactionCase):
    """The OAuth client secret is readable by system administrators only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "google_calendar_sync.client_secret", CLIENT_SECRET
        )
        cls.bob = new_test_user(cls.env, "bob", email="bob@example.com", groups="base.group_user")
        cls.rights_manager = new_test_user(
            cls.env, "erp", email="erp@example.com", groups="base.group_erp_manager"
        )
        cls.portal = new_test_user(
            cls.env, "pat", email="pat@example.com", groups="base.group_portal"
        )
        cls.boss = new_test_user(
            cls.env, "boss", email="boss@example.com", groups="base.group_system"
        )

    def test_refused_to_everyone_but_system_administrators(self):
        for user in (self.bob, self.rights_manager, self.portal):
            Params = self.env["ir.config_parameter"].with_user(user)
            Settings = self.env["res.config.settings"].with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    Params.search_read(
                        [("key", "=", "google_calendar_sync.client_secret")], ["value"]
                    )
                # default_get reads settings with sudo and is callable over RPC
                # by any internal user: it was the way around (found by this test).
                defaults = Settings.default_get(["google_calendar_client_secret"])
                self.assertNotIn(CLIENT_SECRET, str(defaults))
                self.assertNotIn("google_calendar_client_secret", Settings.fields_get())
        Params = self.env["ir.config_parameter"].with_user(self.boss)
        [found] = Params.search_read(
            [("key", "=", "google_calendar_sync.client_secret")], ["value"]
        )
        self.assertEqual(found["value"], CLIENT_SECRET)
        defaults = (
            self.env["res.config.settings"]
            .with_user(self.boss)
            .default_get(["google_calendar_client_secret"])
        )
        self.assertEqual(defaults["google_calendar_client_secret"], CLIENT_SECRET)

    def test_settings_field_is_a_password_field(self):
        arch = (
            self.env["res.config.settings"]
            .with_user(self.boss)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        tail = arch.split('name="google_calendar_client_secret"', 1)[1].split("/>", 1)[0]
        self.assertIn('password="True"', tail)


@tagged("post_install", "-at_install")
class TestOAuthAttacks(FakeGoogleConnectCase):
    """Forged, replayed and redirecting answers, through the real round trip."""

    def test_state_signed_with_another_key_is_refused(self):
        params = self.start_authorization("ann")
        [nonce] = self.account_of(self.ann).oauth_pending
        forged = oauth.sign_state(
            "a key the attacker chose",
            user_id=self.ann.id,
            nonce=nonce,
            return_path="/odoo/calendar",
        )
        response = self.consent({**params, "state": forged}, email="ann.g@example.com")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.account_of(self.ann).refresh_token)

    def test_completed_answer_replayed_changes_nothing(self):
        params = self.start_authorization("ann")
        page = self.consent(params, email="ann.g@example.com")
        self.assertEqual(page.status_code, 303)
        account = self.account_of(self.ann)
        tokens = (account.access_token, account.refresh_token)
        replay = [
            record
            for record in self.fake_control.log()
            if record.get("operation") == "token" or record.get("path") == "/token"
        ]
        self.assertTrue(replay, "the code was exchanged once")
        # The browser's history holds the redirect; loading it again is refused.
        again = self.google_redirect(code="any-code", state=params["state"])
        self.assertEqual(again.status_code, 403)
        account.invalidate_recordset()
        self.assertEqual((account.access_token, account.refresh_token), tokens)

    def test_return_path_tricks_end_in_the_calendar(self):
        for target in ("//evil.example/x", "/\\evil.example", "https:evil.example", "/\t/evil"):
            with self.subTest(target=target):
                # Not connected yet, so that the Sync button asks Google again.
                self.account_of(self.ann).write({"state": "not_connected", "refresh_token": False})
                params = self.start_authorization("ann", return_path=target)
                response = self.consent(params, email="ann.g@example.com")
                self.assertEqual(response.status_code, 303)
                location = urlsplit(response.headers["Location"])
                self.assertEqual(location.path, "/odoo/calendar")
                self.assertNotIn("evil", response.headers["Location"])


@tagged("post_install", "-at_install")
class TestNoUnauthenticatedEndpoint(TransactionCase):
    """Push notifications are not implemented on the Odoo side yet, so no route of
    this module may answer without a logged-in user: an anonymous caller (or a
    forged Google notification) can make it do no work at all."""

    def test_every_route_of_the_module_requires_a_user(self):
        routings = [
            method.original_routing
            for method in vars(GoogleCalendarSyncController).values()
            if hasattr(method, "original_routing")
        ]
        self.assertGreaterEqual(len(routings), 6)
        for routing in routings:
            with self.subTest(routes=routing["routes"]):
                self.assertEqual(routing.get("auth"), "user")
