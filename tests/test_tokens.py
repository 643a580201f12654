from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

ACCESS_TOKEN = "ya29.access-token-of-ann"
REFRESH_TOKEN = "1//refresh-token-of-ann"


@tagged("post_install", "-at_install")
class TestTokensStayOnTheServer(HttpCase):
    """Nobody reads tokens through RPC: not the owner, not a colleague, not an admin."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ann = new_test_user(cls.env, "ann", email="ann@example.com", groups="base.group_user")
        cls.bob = new_test_user(cls.env, "bob", email="bob@example.com", groups="base.group_user")
        cls.admin_user = new_test_user(
            cls.env, "boss", email="boss@example.com", groups="base.group_system"
        )
        cls.account = cls.env["google.calendar.account"].create(
            {
                "user_id": cls.ann.id,
                "state": "connected",
                "google_email": "ann@gmail.example",
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
            }
        )

    def call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def assert_refused(self, model, method, args, kwargs=None, error="odoo.exceptions.AccessError"):
        with self.assertRaises(JsonRpcException) as caught:
            self.call_kw(model, method, args, kwargs)
        self.assertEqual(caught.exception.args[0], error)

    def test_account_model_refused_to_every_user(self):
        for login in ("ann", "bob", "boss"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                self.assert_refused(
                    "google.calendar.account", "search_read", [[]], {"fields": ["refresh_token"]}
                )
                self.assert_refused(
                    "google.calendar.account", "read", [self.account.ids, ["access_token"]]
                )
                self.assert_refused(
                    "google.calendar.account",
                    "web_search_read",
                    [],
                    {"domain": [], "specification": {"refresh_token": {}}},
                )
                self.assert_refused(
                    "google.calendar.account", "write", [self.account.ids, {"state": "stopped"}]
                )

    def test_user_records_never_carry_a_token(self):
        for login in ("ann", "bob", "boss"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                response = self.url_open(
                    "/web/dataset/call_kw/res.users/read",
                    data=(
                        '{"jsonrpc": "2.0", "method": "call", "params": {"model": "res.users",'
                        f' "method": "read", "args": [[{self.ann.id}]], "kwargs": {{}}}}}}'
                    ),
                    headers={"Content-Type": "application/json"},
                )
                self.assertEqual(response.status_code, 200)
                self.assertNotIn(ACCESS_TOKEN, response.text)
                self.assertNotIn(REFRESH_TOKEN, response.text)
                self.assertNotIn("refresh_token", response.text)

    def test_connection_state_visible_to_owner_and_admin_only(self):
        fields = ["google_calendar_state", "google_calendar_email"]
        expected = {
            "ann": ("connected", "ann@gmail.example"),
            "boss": ("connected", "ann@gmail.example"),
            "bob": ("not_connected", False),
        }
        for login, (state, email) in expected.items():
            with self.subTest(login=login):
                self.authenticate(login, login)
                [values] = self.call_kw("res.users", "read", [self.ann.ids, fields])
                self.assertEqual(values["google_calendar_state"], state)
                self.assertEqual(values["google_calendar_email"], email)

    def test_private_account_methods_not_callable_over_rpc(self):
        self.authenticate("ann", "ann")
        self.assert_refused("google.calendar.account", "_status", [self.account.ids])
        # Nor can tokens be probed through a search on the user's status fields.
        self.assert_refused(
            "res.users",
            "search_read",
            [[["google_calendar_state", "=", "connected"]]],
            error="builtins.ValueError",
        )

    def test_status_route_gives_no_token(self):
        self.authenticate("ann", "ann")
        status = self.make_jsonrpc_request("/google_calendar_sync/status")
        self.assertEqual(status["state"], "connected")
        self.assertEqual(status["email"], "ann@gmail.example")
        self.assertNotIn(ACCESS_TOKEN, str(status))
        self.assertNotIn(REFRESH_TOKEN, str(status))

    def test_user_forms_show_the_connection_without_tokens(self):
        for view in ("base.view_users_form", "base.view_users_form_simple_modif"):
            with self.subTest(view=view):
                arch = self.env["res.users"].get_views([(self.env.ref(view).id, "form")])["views"][
                    "form"
                ]["arch"]
                for field in (
                    "google_calendar_state",
                    "google_calendar_email",
                    "google_calendar_last_sync",
                    "google_calendar_last_error",
                ):
                    self.assertIn(f'name="{field}"', arch)
                self.assertNotIn("token", arch.lower())
